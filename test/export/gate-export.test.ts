/**
 * Live export from an in-process Gate to a real OTLP/HTTP receiver on loopback (decoded OTLP/JSON)
 * and to a JSONL log: spans with the GenAI and gait.* attributes, the run's trace id, metrics by
 * verdict and latency, tool execution spans from guardTool; with the endpoint down, decisions
 * still succeed and the drop counter moves.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSigningKey } from "../../src/contract/signing.ts";
import { createExporters, type Exporters, otlpTraceIdForRun } from "../../src/export/index.ts";
import { createGate, type Gate, guardTool, type IntentRequest, isToolRefused } from "../../src/sdk/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.ts";

const POLICY = `default_verdict: block
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match:
      tool_names: [tool.read]
    reason_codes: [read_allowed]
  - name: approve-write
    priority: 20
    effect: require_approval
    match:
      tool_names: [tool.write]
    reason_codes: [write_requires_approval]
`;

const RUN_ID = "run_export_demo";

function intent(toolName: string, extra: Record<string, string> = {}): IntentRequest {
  return {
    tool_name: toolName,
    args: { path: "/work/a.txt" },
    targets: [{ kind: "path", value: "/work/a.txt", operation: "read" }],
    context: { identity: "agent.a", workspace: "/work", risk_class: "low", run_id: RUN_ID, ...extra },
  };
}

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("export from a Gate (OTLP receiver on loopback, JSONL log)", () => {
  let dir: string;
  let cleanup: () => void;
  let receiver: OtlpReceiver;
  let exporters: Exporters;
  let gate: Gate;
  const signingKey = generateSigningKey();

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-export-gate-"));
    receiver = await startOtlpReceiver();
    const made = await createExporters({
      otlpEndpoint: receiver.url,
      logOut: "decisions.jsonl",
      cwd: dir,
      env: { OTEL_SERVICE_NAME: "agent-under-test", OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=acme%20corp" },
    });
    assert.ok(made);
    exporters = made;
    gate = await createGate({
      policyText: POLICY,
      signingKey,
      traceDir: join(dir, "traces"),
      fsync: false,
      exporters,
    });
  });
  after(async () => {
    await gate.close();
    await exporters.shutdown();
    await receiver.close();
    cleanup();
  });

  it("sends a gait.gate.eval span per decision, in the run's trace, with gait.* and GenAI attributes", async () => {
    const allowed = gate.evaluate(intent("tool.read", { request_id: "call_1" }));
    const approval = gate.evaluate(intent("tool.write"));
    const blocked = await gate.evaluateAsync(intent("tool.delete"));
    assert.deepEqual(
      [allowed.verdict, approval.verdict, blocked.verdict],
      ["allow", "require_approval", "block"],
    );
    const stats = await exporters.flush();
    assert.equal(stats.dropped, 0);

    const evals = receiver.spans.filter((span) => span.name === "gait.gate.eval");
    assert.equal(evals.length, 3);
    const byVerdict = new Map(evals.map((span) => [span.attributes["gait.verdict"], span]));
    const span = byVerdict.get("allow")!;
    assert.equal(span.traceId, otlpTraceIdForRun(RUN_ID));
    assert.equal(span.attributes["gait.run_id"], RUN_ID);
    assert.equal(span.attributes["gait.trace_id"], allowed.traceId);
    assert.equal(span.attributes["gait.policy_digest"], gate.policyDigest);
    assert.equal(span.attributes["gait.intent_digest"], allowed.intentDigest);
    assert.deepEqual(span.attributes["gait.reason_codes"], ["read_allowed"]);
    assert.equal(span.attributes["gen_ai.tool.name"], "tool.read");
    assert.equal(span.attributes["gen_ai.tool.call.id"], "call_1");
    assert.equal(span.resource["service.name"], "agent-under-test");
    assert.equal(byVerdict.get("block")!.attributes["gait.trace_id"], blocked.traceId);
    assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
    assert.equal(receiver.requests.find((r) => r.path === "/v1/traces")?.headers["x-tenant"], "acme corp");
  });

  it("counts decisions by verdict, blocked and approval-required, with a latency histogram", () => {
    assert.equal(receiver.lastValue("gait.gate.decisions", { "gait.verdict": "allow" }), 1);
    assert.equal(receiver.lastValue("gait.gate.decisions", { "gait.verdict": "block" }), 1);
    assert.equal(receiver.lastValue("gait.gate.blocked"), 1);
    assert.equal(receiver.lastValue("gait.gate.approval_required"), 1);
    assert.equal(
      receiver.lastValue("gait.gate.decision.duration", { "gait.verdict": "require_approval" }),
      1,
    );
  });

  it("writes one JSONL event per decision with the reference's fields, valid against its schema", () => {
    const lines = readFileSync(join(dir, "decisions.jsonl"), "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 3);
    const events = lines.map((line) => JSON.parse(line));
    for (const event of events) assertPublishedValid(event, "export/decision_log_event.schema.json");
    const allow = events.find((event) => event.verdict === "allow");
    assert.equal(allow.run_id, RUN_ID);
    assert.equal(allow.tool_name, "tool.read");
    assert.equal(allow.policy_digest, gate.policyDigest);
    assert.match(allow.trace_id, /^[0-9a-f]{24}$/);
    assert.match(allow.trace_path, /trace_[0-9a-f]{24}\.json$/);
    assert.equal(typeof allow.decision_latency_ms, "number");
  });

  it("guardTool adds an execute_tool span after an allowed call, with the decision's trace id", async () => {
    const read = guardTool(
      async (path: string) => `read ${path}`,
      () => intent("tool.read", { request_id: "call_7" }),
      {
        gate,
      },
    );
    const failing = guardTool(
      async () => {
        throw new RangeError("disk on fire");
      },
      () => intent("tool.read"),
      { gate },
    );
    const refused = guardTool(
      async () => "never",
      () => intent("tool.delete"),
      { gate },
    );
    assert.equal(await read("/work/a.txt"), "read /work/a.txt");
    await assert.rejects(failing(), RangeError);
    await assert.rejects(refused(), (error: unknown) => isToolRefused(error));
    await exporters.flush();
    const tools = receiver.spans.filter(
      (span) => span.attributes["gen_ai.operation.name"] === "execute_tool",
    );
    assert.equal(tools.length, 2, "a refused tool never runs, so it has no execute_tool span");
    const ok = tools.find((span) => span.attributes["gen_ai.tool.call.id"] === "call_7")!;
    assert.equal(ok.name, "execute_tool tool.read");
    assert.equal(ok.traceId, otlpTraceIdForRun(RUN_ID));
    assert.match(String(ok.attributes["gait.trace_id"]), /^[0-9a-f]{24}$/);
    const failed = tools.find((span) => span !== ok)!;
    assert.equal(failed.status.code, 2);
    assert.equal(failed.attributes["error.type"], "RangeError");
  });

  it("with the endpoint down, decisions still succeed and the drop counter moves", async () => {
    const port = await closedPort();
    const down = await createExporters({
      otlpEndpoint: `http://127.0.0.1:${port}`,
      env: { OTEL_EXPORTER_OTLP_TIMEOUT: "300" },
    });
    assert.ok(down);
    const offline = await createGate({ policyText: POLICY, signingKey, traceDir: null, exporters: down });
    const decisions = [
      offline.evaluate(intent("tool.read")),
      await offline.evaluateAsync(intent("tool.delete")),
    ];
    assert.deepEqual(
      decisions.map((d) => d.verdict),
      ["allow", "block"],
    );
    const stats = await down.shutdown();
    assert.ok(stats.dropped >= 2, `dropped ${stats.dropped}`);
    assert.equal(stats.sinks.otlp?.exported, 0);
    await offline.close();
  });

  it("drops and counts what does not fit the hand-off queue, without failing a decision", async () => {
    const small = await createExporters({ logOut: "small.jsonl", cwd: dir, maxQueue: 2 });
    assert.ok(small);
    const busy = await createGate({ policyText: POLICY, signingKey, traceDir: null, exporters: small });
    for (let i = 0; i < 5; i++) assert.equal(busy.evaluate(intent("tool.read")).verdict, "allow");
    const stats = await small.shutdown();
    assert.equal(stats.queueDropped, 3);
    assert.equal(stats.sinks.log?.exported, 2);
    assert.equal(readFileSync(join(dir, "small.jsonl"), "utf8").trimEnd().split("\n").length, 2);
    await busy.close();
  });
});
