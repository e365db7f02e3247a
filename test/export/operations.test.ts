/**
 * The runpack and regress operations as export events (pure builders), and the SDK recorder's
 * live export: startRun({ exporters }) sends the run's root and its record span, in the trace
 * computed from the run_id, with the ids `gait export --from` gives the same run.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createExporters, otlpSpanIdFor, otlpTraceIdForRun } from "../../src/export/index.ts";
import { regressEvents, runpackVerifyEvent } from "../../src/export/operations.ts";
import { replayEvents } from "../../src/export/replay.ts";
import { openPack } from "../../src/pack/index.ts";
import type { RegressRunOutcome } from "../../src/regress/index.ts";
import type { RunpackVerification } from "../../src/runpack/index.ts";
import { startRun } from "../../src/sdk/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.ts";

const AT = { startedAtMs: 1_700_000_000_000, endedAtMs: 1_700_000_000_250 };

function grader(fixture: string, runId: string, name: string, status: "pass" | "fail", codes: string[] = []) {
  return {
    name: `${fixture}/${name}`,
    status,
    reason_codes: codes,
    details: { fixture, run_id: runId },
  };
}

function regressOutcome(graders: ReturnType<typeof grader>[]): RegressRunOutcome {
  const failed = graders.filter((g) => g.status === "fail");
  return {
    result: {
      schema_id: "gait.regress.result",
      schema_version: "1.0.0",
      created_at: "2026-02-05T00:00:00Z",
      producer_version: "0.1.0",
      fixture_set: "default",
      status: failed.length > 0 ? "fail" : "pass",
      graders,
    },
    fixtures: new Set(graders.map((g) => g.details.fixture)).size,
    failures: failed.map((g) => ({
      name: g.name,
      fixture: g.details.fixture,
      grader: g.name.split("/")[1]!,
      reason_codes: g.reason_codes,
      summary: `${g.name} failed`,
    })),
    configPath: "/p/gait.yaml",
    outputPath: "/p/regress_result.json",
    runpackPaths: {},
  } as RegressRunOutcome;
}

describe("operation events", () => {
  it("a regress run: one run span counting failed fixtures, one span per fixture in its run's trace", () => {
    const events = regressEvents(
      regressOutcome([
        grader("a", "run_a", "trajectory", "pass"),
        grader("a", "run_a", "diff", "pass"),
        grader("b", "run_b", "trajectory", "fail", ["unexpected_tool_sequence"]),
        grader("b", "run_b", "diff", "fail", ["unexpected_changed_files"]),
      ]),
      AT,
    );
    const [run, ...fixtures] = events;
    assert.equal(run!.operation, "gait.regress.run");
    assert.equal(run!.ok, false);
    assert.equal(run!.regressFailures, 1, "fixtures that failed, not graders");
    assert.equal(run!.attributes["gait.regress.failed_graders"], 2);
    assert.deepEqual(run!.attributes["gait.run_ids"], ["run_a", "run_b"]);
    assert.equal(run!.placement, undefined, "a regress run spans many runs: a trace of its own");
    assert.deepEqual(
      fixtures.map((f) => [f.attributes["gait.regress.fixture"], f.ok, f.placement?.traceId]),
      [
        ["a", true, otlpTraceIdForRun("run_a")],
        ["b", false, otlpTraceIdForRun("run_b")],
      ],
    );
    assert.deepEqual(fixtures[1]!.attributes["gait.reason_codes"], [
      "unexpected_changed_files",
      "unexpected_tool_sequence",
    ]);
    for (const fixture of fixtures) {
      const runId = String(fixture.attributes["gait.run_id"]);
      assert.equal(fixture.placement?.parentSpanId, otlpSpanIdFor(runId, "run"));
    }
  });

  it("a passing regress run counts 0 failures (the metric's series exists before the first failure)", () => {
    const [run] = regressEvents(regressOutcome([grader("a", "run_a", "diff", "pass")]), AT);
    assert.equal(run!.ok, true);
    assert.equal(run!.regressFailures, 0);
    assert.equal(run!.errorType, undefined);
  });

  it("a runpack verification goes under the run's root with a fresh span id each time", () => {
    const verification = {
      ok: false,
      run_id: "run_x",
      manifest_digest: "a".repeat(64),
      files_checked: 4,
      missing_files: ["intents.jsonl"],
      hash_mismatches: [],
      undeclared_files: [],
      signature_status: "missing",
      signature_errors: [],
      signatures_total: 0,
      signatures_valid: 0,
      signature_note: "",
    } as RunpackVerification;
    const event = runpackVerifyEvent(verification, AT);
    assert.equal(event.ok, false);
    assert.equal(event.errorType, "verification_failed");
    assert.equal(event.attributes["gait.missing_files"], 1);
    assert.deepEqual(event.placement, {
      traceId: otlpTraceIdForRun("run_x"),
      parentSpanId: otlpSpanIdFor("run_x", "run"),
    });
  });
});

describe("startRun({ exporters }) (OTLP receiver on loopback)", () => {
  let dir: string;
  let cleanup: () => void;
  let receiver: OtlpReceiver;

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-export-recorder-"));
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver.close();
    cleanup();
  });

  it("finish() sends the run's root (as gait export would) and the record span", async () => {
    const exporters = await createExporters({ otlpEndpoint: receiver.url, env: {} });
    assert.ok(exporters);
    const runId = "run_sdk_live";
    const recorder = startRun({ runId, outDir: dir, cwd: dir, exporters, createdAt: "2026-02-05T00:00:00Z" });
    recorder.addIntent({ intent_id: "intent_1", tool_name: "tool.read", args: { path: "/a" } });
    recorder.addResult({ intent_id: "intent_1", status: "ok", result: { ok: true } });
    const finished = await recorder.finish();
    const stats = await exporters.shutdown();
    assert.equal(stats.dropped, 0);

    const spans = receiver.spans.filter((span) => span.traceId === otlpTraceIdForRun(runId));
    const root = spans.find((span) => span.name === "gait.run");
    const record = spans.find((span) => span.name === "gait.runpack.record");
    assert.ok(root && record);
    assert.equal(root.spanId, otlpSpanIdFor(runId, "run"));
    assert.equal(record.parentSpanId, root.spanId);
    assert.equal(record.attributes["gait.manifest_digest"], finished.manifestDigest);

    // The replay of the same runpack builds the same root event (ids, times, attributes).
    const replayed = replayEvents(await openPack(finished.path, {}), AT).events;
    const replayedRoot = replayed.find(
      (event) => event.kind === "operation" && event.operation === "gait.run",
    );
    assert.ok(replayedRoot && replayedRoot.kind === "operation");
    assert.equal(BigInt(root.startTimeUnixNano), BigInt(replayedRoot.startedAtMs) * 1_000_000n);
    assert.equal(root.attributes["gait.manifest_digest"], replayedRoot.attributes["gait.manifest_digest"]);
  });

  it("a failed finish() still sends a failed record span with the error's code", async () => {
    const exporters = await createExporters({ otlpEndpoint: receiver.url, env: {} });
    assert.ok(exporters);
    const runId = "run_sdk_broken";
    // The output directory lies under a regular file: the runpack cannot be written.
    writeFileSync(join(dir, "not-a-dir"), "");
    const recorder = startRun({ runId, outDir: join(dir, "not-a-dir", "out"), cwd: dir, exporters });
    recorder.addIntent({ intent_id: "intent_1", tool_name: "tool.read", args: { path: "/a" } });
    await assert.rejects(recorder.finish());
    await exporters.shutdown();
    const record = receiver.spans.find(
      (span) => span.traceId === otlpTraceIdForRun(runId) && span.name === "gait.runpack.record",
    );
    assert.ok(record);
    assert.equal(record.status.code, 2);
    assert.match(String(record.attributes["error.type"]), /^[a-z_]+$/);
  });
});
