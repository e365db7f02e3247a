/**
 * Live export from the one-shot commands, through the built CLI, against a real OTLP/HTTP
 * receiver on loopback: `gait run record`, `gait verify`, `gait pack verify` and `gait regress
 * run|bootstrap` send their spans (and regress its failures metric) into the trace computed from
 * the run_id, with the ids `gait export --from` uses; the endpoint comes from the flag, the
 * project config or the OTEL environment; an unreachable endpoint changes neither the exit code
 * nor stdout.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { otlpSpanIdFor, otlpTraceIdForRun } from "../../src/export/index.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../export/otlp-receiver.ts";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";

const RUN_ID = "run_live_export";
const SWAPPED_RUN_ID = "run_live_swapped";
/** No OTEL_* variable of the developer's shell reaches the CLI. */
const CLEAN_ENV = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith("OTEL_"))
    .map((name) => [name, undefined]),
) as NodeJS.ProcessEnv;

/** A three-call run as `gait run record` input; `order` reorders the calls (a regress drift). */
function runInput(runId: string, order = [0, 1, 2]) {
  const calls = [
    { tool: "tool.search", args: { query: "runpack" }, result: { hits: 3 } },
    { tool: "tool.fetch", args: { url: "https://example.com/a" }, result: { status: 200 } },
    { tool: "tool.summarize", args: { max_words: 50 }, result: { summary: "ok" } },
  ];
  const ordered = order.map((i) => calls[i]!);
  const at = "2026-02-05T00:00:00Z";
  return {
    run: {
      run_id: runId,
      created_at: at,
      timeline: [
        { event: "run_started", ts: at },
        ...ordered.map((_, i) => ({ event: "tool_call", ts: at, ref: `intent_${i + 1}` })),
        { event: "run_finished", ts: "2026-02-05T00:00:02Z" },
      ],
    },
    intents: ordered.map((c, i) => ({ intent_id: `intent_${i + 1}`, tool_name: c.tool, args: c.args })),
    results: ordered.map((c, i) => ({ intent_id: `intent_${i + 1}`, status: "ok", result: c.result })),
    refs: { receipts: [] },
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** stdout's JSON without the per-call correlation id. */
function stableJson(result: CliResult): Record<string, unknown> {
  const { correlation_id: _id, ...rest } = result.json ?? {};
  return rest;
}

describe("live export from run record, verify and regress (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  let receiver: OtlpReceiver;
  const gait = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runGait(args, { cwd: dir, env: { ...CLEAN_ENV, ...env } });
  /** Spans that arrived while `action` ran. */
  async function spansOf(action: () => Promise<CliResult>, code = 0) {
    const from = receiver.spans.length;
    const result = await action();
    assert.equal(result.code, code, result.stderr + result.stdout);
    return { result, spans: receiver.spans.slice(from) };
  }
  const named = (spans: ReceivedSpan[], name: string) => spans.filter((span) => span.name === name);

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-export-live-"));
    receiver = await startOtlpReceiver();
    writeFileSync(join(dir, "run.json"), JSON.stringify(runInput(RUN_ID)));
    writeFileSync(join(dir, "swapped.json"), JSON.stringify(runInput(SWAPPED_RUN_ID, [1, 0, 2])));
  });
  after(async () => {
    await receiver.close();
    cleanup();
  });

  it("run record sends the run's root and its record span; gait export --from sends the same root", async () => {
    const { result, spans } = await spansOf(() =>
      gait(["run", "record", "--input", "run.json", "--otlp-endpoint", receiver.url, "--json"]),
    );
    const traceId = otlpTraceIdForRun(RUN_ID);
    const [root] = named(spans, "gait.run");
    assert.ok(root, "a gait.run span");
    assert.equal(root.traceId, traceId);
    assert.equal(root.spanId, otlpSpanIdFor(RUN_ID, "run"));
    assert.equal(root.attributes["gait.run_id"], RUN_ID);
    assert.equal(root.attributes["gait.manifest_digest"], result.json!.manifest_digest);
    assert.equal(root.attributes["gait.intent_count"], 3);
    const [record] = named(spans, "gait.runpack.record");
    assert.ok(record, "a gait.runpack.record span");
    assert.equal(record.traceId, traceId);
    assert.equal(record.parentSpanId, root.spanId);
    assert.equal(record.spanId, otlpSpanIdFor(RUN_ID, "record"));
    assert.equal(record.attributes["gait.run_id"], RUN_ID);
    assert.equal(record.attributes["gait.signature_status"], "missing");
    assert.equal(record.status.code ?? 0, 0);

    const replayed = await spansOf(() =>
      gait(["export", "--from", `gait-out/runpack_${RUN_ID}.zip`, "--otlp-endpoint", receiver.url, "--json"]),
    );
    const [exportedRoot] = named(replayed.spans, "gait.run");
    assert.deepEqual(exportedRoot, root, "the live root is the span gait export sends");
  });

  it("gait verify sends a verification span under the run, endpoint from .gait/config.yaml", async () => {
    mkdirSync(join(dir, ".gait"), { recursive: true });
    writeFileSync(join(dir, ".gait", "config.yaml"), `export:\n  otlp_endpoint: ${receiver.url}\n`);
    try {
      const { spans } = await spansOf(() => gait(["verify", RUN_ID, "--json"]));
      const [verify] = named(spans, "gait.runpack.verify");
      assert.ok(verify, "a gait.runpack.verify span");
      assert.equal(verify.traceId, otlpTraceIdForRun(RUN_ID));
      assert.equal(verify.parentSpanId, otlpSpanIdFor(RUN_ID, "run"));
      assert.equal(verify.attributes["gait.run_id"], RUN_ID);
      assert.equal(verify.attributes["gait.verify.ok"], true);
      assert.equal(verify.attributes["gait.files_checked"], 4);
    } finally {
      writeFileSync(join(dir, ".gait", "config.yaml"), "");
    }
  });

  it("gait pack verify of a run pack sends its verification into the run's trace", async () => {
    const built = await gait(["pack", "build", "--type", "run", "--from", RUN_ID, "--json"]);
    assert.equal(built.code, 0, built.stderr + built.stdout);
    const packPath = String(built.json!.path);
    const { spans } = await spansOf(() =>
      gait(["pack", "verify", packPath, "--json"], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
    );
    const [verify] = named(spans, "gait.pack.verify");
    assert.ok(verify, "a gait.pack.verify span");
    assert.equal(verify.traceId, otlpTraceIdForRun(RUN_ID));
    assert.equal(verify.attributes["gait.pack_type"], "run");
    assert.equal(verify.attributes["gait.verify.ok"], true);
  });

  it("regress: a passing run and a failing one send their spans, and the failures metric moves", async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const passing = await spansOf(() => gait(["regress", "bootstrap", "--from", RUN_ID, "--json"], env));
    const [run] = named(passing.spans, "gait.regress.run");
    assert.ok(run, "a gait.regress.run span");
    assert.equal(run.status.code ?? 0, 0);
    assert.equal(run.attributes["gait.regress.status"], "pass");
    assert.deepEqual(run.attributes["gait.run_ids"], [RUN_ID]);
    const [fixture] = named(passing.spans, "gait.regress.fixture");
    assert.ok(fixture, "a gait.regress.fixture span");
    assert.equal(fixture.traceId, otlpTraceIdForRun(RUN_ID));
    assert.equal(fixture.parentSpanId, otlpSpanIdFor(RUN_ID, "run"));
    assert.equal(fixture.attributes["gait.regress.status"], "pass");
    assert.equal(receiver.lastValue("gait.regress.failures"), 0);

    assert.equal((await gait(["run", "record", "--input", "swapped.json", "--json"])).code, 0);
    const failing = await spansOf(
      () => gait(["regress", "run", "--candidate", SWAPPED_RUN_ID, "--json"], env),
      5,
    );
    const [failed] = named(failing.spans, "gait.regress.run");
    assert.ok(failed, "a gait.regress.run span");
    assert.equal(failed.status.code, 2);
    assert.equal(failed.attributes["gait.regress.status"], "fail");
    assert.equal(failed.attributes["gait.regress.failed_fixtures"], 1);
    const [failedFixture] = named(failing.spans, "gait.regress.fixture");
    assert.equal(failedFixture!.traceId, otlpTraceIdForRun(RUN_ID));
    assert.equal(failedFixture!.status.code, 2);
    assert.ok((failedFixture!.attributes["gait.reason_codes"] as string[]).length > 0);
    assert.equal(receiver.lastValue("gait.regress.failures"), 1);
  });

  it("an unreachable endpoint changes neither the exit code nor stdout (a warning on stderr)", async () => {
    const down = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      // Refused connections are retried until the timeout: a short one keeps the test short.
      OTEL_EXPORTER_OTLP_TIMEOUT: "300",
    };
    const commands = [
      ["verify", RUN_ID, "--json"],
      ["run", "record", "--input", "run.json", "--json"],
      ["regress", "run", "--json"],
      ["regress", "run", "--candidate", SWAPPED_RUN_ID, "--json"],
    ];
    for (const args of commands) {
      const plain = await gait(args);
      const exporting = await gait(args, down);
      assert.equal(exporting.code, plain.code, args.join(" "));
      assert.deepEqual(stableJson(exporting), stableJson(plain), args.join(" "));
      assert.match(exporting.stderr, /gait: export: not delivered to otlp/);
      assert.doesNotMatch(plain.stderr, /export/);
      assert.doesNotMatch(exporting.stderr, /\n\s+at /, "no stack trace");
    }
  });

  it("without an endpoint, OpenTelemetry is not loaded at all", async () => {
    // Counts the modules the process requires from @opentelemetry (they are lazy, outside the bundle).
    const hook = join(dir, "count-otel.cjs");
    writeFileSync(
      hook,
      `const Module = require("node:module");
const load = Module._load;
let count = 0;
Module._load = function (request, ...rest) {
  if (String(request).startsWith("@opentelemetry/")) count++;
  return load.call(this, request, ...rest);
};
process.on("exit", () => process.stderr.write("otel_modules=" + count + "\\n"));`,
    );
    const nodeOptions = { NODE_OPTIONS: `--require ${hook}` };
    const off = await gait(["verify", RUN_ID, "--json"], nodeOptions);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /otel_modules=0\n/);
    const on = await gait(["verify", RUN_ID, "--otlp-endpoint", receiver.url, "--json"], nodeOptions);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stderr, /otel_modules=[1-9]/, "the hook does see OpenTelemetry when export is on");
  });

  it("a bad --otlp-endpoint is refused before any work (exit 6); a bad config endpoint is a warning", async () => {
    const bad = await gait(["verify", RUN_ID, "--otlp-endpoint", "ftp://x", "--json"]);
    assert.equal(bad.code, 6);
    assert.match(bad.stdout, /export_endpoint_invalid/);
    const badEnv = await gait(["verify", RUN_ID, "--json"], { OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" });
    assert.equal(badEnv.code, 0, badEnv.stderr);
    assert.match(badEnv.stderr, /gait: export: not exporting: .*OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
