import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { fixedClock } from "../../src/contract/time.ts";
import { recordRunpack, verifyRunpack } from "../../src/runpack/index.ts";
import { startRun } from "../../src/sdk/index.ts";
import { tempDir } from "../helpers/cli.ts";

const clock = fixedClock("2026-02-05T10:00:00Z");

function sampleRun(cwd: string) {
  return startRun({ runId: "run_sdk", cwd, env: {}, clock, producerVersion: "1.0.0-test" })
    .addEvent("start")
    .addIntent({ intent_id: "i1", tool_name: "tool.search", args: { q: "gait" } })
    .addResult({ intent_id: "i1", status: "ok", result: { hits: 2 } })
    .addReceipt({
      ref_id: "trace_i1",
      source_type: "gait.trace",
      source_locator: "trace.json",
      redaction_mode: "reference",
    });
}

describe("sdk recorder", () => {
  it("finishes into a verified runpack with run_id, path and ticket footer", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const finished = await sampleRun(dir).finish();
      assert.equal(finished.runId, "run_sdk");
      assert.equal(finished.path, join(dir, "gait-out", "runpack_run_sdk.zip"));
      assert.match(
        finished.ticketFooter,
        /^GAIT run_id=run_sdk manifest=sha256:[0-9a-f]{64} verify="gait verify run_sdk"$/,
      );
      assert.equal((await verifyRunpack(finished.path)).ok, true);
    } finally {
      cleanup();
    }
  });

  it("produces the same bytes as recording its toInput() document", async () => {
    const a = tempDir();
    const b = tempDir();
    try {
      const recorder = sampleRun(a.dir);
      const input = recorder.toInput();
      assert.equal(input.run.created_at, "2026-02-05T10:00:00Z");
      assert.equal(input.capture_mode, "reference");
      const viaSdk = await recorder.finish();
      const viaRecord = await recordRunpack(JSON.parse(JSON.stringify(input)), {
        cwd: b.dir,
        env: {},
        clock: fixedClock("2040-01-01T00:00:00Z"),
      });
      assert.ok(readFileSync(viaSdk.path).equals(readFileSync(viaRecord.path)));
      assert.equal(viaSdk.manifestDigest, viaRecord.manifestDigest);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it("copies what it is given and refuses additions after finish()", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const args = { q: "original" };
      const recorder = startRun({ runId: "run_copy", cwd: dir, env: {}, clock }).addIntent({
        intent_id: "i",
        tool_name: "t",
        args,
      });
      args.q = "mutated later";
      assert.equal(recorder.toInput().intents[0]!.args_digest, undefined);
      assert.deepEqual(recorder.toInput().intents[0]!.args, { q: "original" });
      const finished = await recorder.finish();
      assert.ok(finished.manifestDigest);
      assert.throws(
        () => recorder.addIntent({ intent_id: "j", tool_name: "t", args_digest: digestJcs({}) }),
        (e: unknown) => e instanceof GaitError && e.code === "recorder_finished",
      );
    } finally {
      cleanup();
    }
  });

  it("rejects an invalid run id at start", () => {
    assert.throws(
      () => startRun({ runId: "not-a-run-id" }),
      (e: unknown) => e instanceof GaitError && e.code === "invalid_run_id",
    );
  });
});
