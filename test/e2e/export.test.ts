/**
 * `gait export` and `gait gate serve --otlp-endpoint/--export-log-out` through the built CLI,
 * against a real OTLP/HTTP receiver on loopback: the replayed run lands in one trace computed from
 * its run_id (root gait.run, verification, tool calls, decisions), the live sidecar's decisions
 * arrive as spans, metrics and log lines; bad input and an unreachable endpoint give coded errors.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { otlpSpanIdFor, otlpTraceIdForRun } from "../../src/export/index.ts";
import { createGate, guardTool, type IntentRequest, startRun } from "../../src/sdk/index.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../export/otlp-receiver.ts";
import { runGait, tempDir } from "../helpers/cli.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { call, POLICY_YAML, intent as sidecarIntent, startServe } from "../sidecar/support.ts";

const RUN_ID = "run_export_e2e";
/** No OTEL_* variable of the developer's shell reaches the CLI. */
const CLEAN_ENV = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith("OTEL_"))
    .map((name) => [name, undefined]),
) as NodeJS.ProcessEnv;

function intent(toolName: string): IntentRequest {
  return {
    tool_name: toolName,
    args: { path: "/work/a.txt" },
    targets: [{ kind: "path", value: "/work/a.txt", operation: "read" }],
    context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("gait export (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  let receiver: OtlpReceiver;
  let runpack: string;

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-export-"));
    receiver = await startOtlpReceiver();
    // A run recorded offline by the SDK: an allowed call, a tool that failed, a refused call.
    const gate = await createGate({
      policyText: POLICY_YAML,
      keyMode: "dev",
      traceDir: join(dir, "traces"),
      onWarning: () => {},
      fsync: false,
    });
    const recorder = startRun({ runId: RUN_ID, captureMode: "raw", outDir: dir, cwd: dir });
    const read = guardTool(
      async () => ({ text: "ok" }),
      () => intent("tool.read"),
      { gate, recorder },
    );
    const broken = guardTool(
      async () => {
        throw new Error("disk full");
      },
      () => intent("tool.read"),
      { gate, recorder },
    );
    const write = guardTool(
      async () => "never",
      () => intent("tool.write"),
      { gate, recorder },
    );
    await read();
    await broken().catch(() => undefined);
    await write().catch(() => undefined);
    await gate.close();
    runpack = (await recorder.finish()).path;
  });
  after(async () => {
    await receiver.close();
    cleanup();
  });

  it("replays the run as one trace: gait.run root, verification, tool calls and the refused decision", async () => {
    const result = await runGait(
      [
        "export",
        "--from",
        runpack,
        "--otlp-endpoint",
        receiver.url,
        "--log-out",
        "decisions.jsonl",
        "--json",
      ],
      { cwd: dir, env: CLEAN_ENV },
    );
    assert.equal(result.code, 0, result.stderr);
    const out = result.json!;
    assert.equal(out.ok, true);
    assert.equal(out.run_id, RUN_ID);
    assert.equal(out.otlp_trace_id, otlpTraceIdForRun(RUN_ID));
    assert.equal(out.tool_calls, 3);
    assert.equal(out.decisions, 1);
    assert.deepEqual(out.destinations, ["otlp", "log"]);
    assert.equal(out.dropped, 0);

    const traceId = otlpTraceIdForRun(RUN_ID);
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const root = spans.find((span) => span.name === "gait.run")!;
    assert.equal(root.spanId, otlpSpanIdFor(RUN_ID, "run"));
    assert.equal(root.parentSpanId, "");
    assert.equal(root.attributes["gait.run_id"], RUN_ID);
    assert.equal(root.attributes["gait.intent_count"], 3);
    const verify = spans.find((span) => span.name === "gait.runpack.verify")!;
    assert.equal(verify.parentSpanId, root.spanId);
    assert.equal(verify.attributes["gait.verify.ok"], true);
    assert.equal(verify.attributes["gait.legacy_type"], "runpack");
    const tools = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "execute_tool");
    assert.deepEqual(
      tools.map((span) => [span.attributes["gen_ai.tool.call.id"], span.status.code ?? 0]).sort(),
      [
        ["call_0001", 0],
        ["call_0002", 2],
        ["call_0003", 2],
      ],
    );
    for (const span of tools) {
      assert.equal(span.parentSpanId, root.spanId);
      assert.match(String(span.attributes["gait.trace_id"]), /^[0-9a-f]{24}$/);
    }
    const decision = spans.find((span) => span.name === "gait.gate.eval")!;
    assert.equal(decision.attributes["gait.verdict"], "require_approval");
    assert.equal(decision.attributes["gait.run_id"], RUN_ID);
    assert.equal(decision.attributes["gen_ai.tool.name"], "tool.write");
    assert.equal(receiver.lastValue("gait.gate.approval_required"), 1);

    const lines = readFileSync(join(dir, "decisions.jsonl"), "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assertPublishedValid(line, "export/decision_log_event.schema.json");
    assert.equal(line.run_id, RUN_ID);
    assert.equal(line.verdict, "require_approval");
  });

  it("exports only the failed verification, and exits 2, when the artifact does not verify", async () => {
    const before = receiver.spans.length;
    const keyFile = join(dir, "other_public.key");
    writeFileSync(keyFile, encodePublicKey(generateSigningKey()));
    const result = await runGait(
      [
        "export",
        "--from",
        runpack,
        "--otlp-endpoint",
        receiver.url,
        "--require-signature",
        "--public-key",
        keyFile,
        "--json",
      ],
      { cwd: dir, env: CLEAN_ENV },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.json!.ok, false);
    assert.equal(result.json!.tool_calls, 0);
    const sent = receiver.spans.slice(before);
    assert.deepEqual(
      sent.map((span) => span.name),
      ["gait.runpack.verify"],
    );
    assert.equal(sent[0]!.attributes["gait.verify.ok"], false);
    assert.equal(sent[0]!.status.code, 2);
  });

  it("refuses to run without a destination (exit 6) and reports an unreachable endpoint (exit 1)", async () => {
    const none = await runGait(["export", "--from", runpack, "--json", "--no-config"], {
      cwd: dir,
      env: CLEAN_ENV,
    });
    assert.equal(none.code, 6);
    assert.equal(none.json!.detail_code ?? none.json!.error_code, "export_destination_missing");
    const missing = await runGait(["export", "--json"], { cwd: dir, env: CLEAN_ENV });
    assert.equal(missing.code, 6);
    const badUrl = await runGait(["export", "--from", runpack, "--otlp-endpoint", "ftp://x", "--json"], {
      cwd: dir,
      env: CLEAN_ENV,
    });
    assert.equal(badUrl.code, 6);
    assert.match(badUrl.stdout, /export_endpoint_invalid/);
    const port = await closedPort();
    const down = await runGait(["export", "--from", runpack, "--json"], {
      cwd: dir,
      env: {
        ...CLEAN_ENV,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_TIMEOUT: "500",
      },
    });
    assert.equal(down.code, 1, down.stdout);
    assert.match(down.stdout, /export_delivery_failed/);
    assert.doesNotMatch(down.stdout + down.stderr, /\n\s+at /, "no stack trace");
  });
});

describe("gait gate serve --otlp-endpoint --export-log-out (built CLI)", () => {
  it("exports every decision as a span, metrics and a JSONL line, and flushes on SIGTERM", async () => {
    const { dir, cleanup } = tempDir("gait-e2e-serve-export-");
    const receiver = await startOtlpReceiver();
    try {
      writeFileSync(join(dir, "policy.yaml"), POLICY_YAML);
      const server = await startServe(
        [
          "--policy",
          "policy.yaml",
          "--listen",
          "127.0.0.1:0",
          "--otlp-endpoint",
          receiver.url,
          "--export-log-out",
          "decisions.jsonl",
        ],
        { cwd: dir, env: CLEAN_ENV },
      );
      assert.deepEqual(server.startup.export_destinations, ["otlp", "log"]);
      const read = {
        ...sidecarIntent("tool.read"),
        context: { ...(sidecarIntent("tool.read").context as object), run_id: RUN_ID },
      };
      const allowed = await call(server.url, "/v1/evaluate", { body: read, token: server.token });
      const blocked = await call(server.url, "/v1/evaluate", {
        body: sidecarIntent("tool.delete"),
        token: server.token,
      });
      assert.equal(allowed.json.verdict, "allow");
      assert.equal(blocked.json.verdict, "block");
      assert.equal(await server.stop("SIGTERM"), 0);

      const evals = receiver.spans.filter((span) => span.name === "gait.gate.eval");
      assert.equal(evals.length, 2);
      const allowSpan = evals.find((span) => span.attributes["gait.verdict"] === "allow")!;
      assert.equal(allowSpan.traceId, otlpTraceIdForRun(RUN_ID));
      assert.equal(allowSpan.attributes["gait.trace_id"], allowed.json.trace_id);
      assert.equal(allowSpan.attributes["gait.policy_digest"], server.startup.policy_digest);
      assert.equal(receiver.lastValue("gait.gate.blocked"), 1);
      const lines = readFileSync(join(dir, "decisions.jsonl"), "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.verdict).sort(), ["allow", "block"]);
      for (const line of lines) assertPublishedValid(line, "export/decision_log_event.schema.json");
    } finally {
      await receiver.close();
      cleanup();
    }
  });
});
