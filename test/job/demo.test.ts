/**
 * The durable demo's job (src/job/demo.ts): the lifecycle with its simulated failure, the same
 * bytes on every run and machine, and a re-run replacing the earlier demo job.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEMO_JOB_ID, readJobForPack, runDurableJobDemo } from "../../src/job/index.ts";
import { tempDir } from "../helpers/cli.ts";

describe("runDurableJobDemo", () => {
  it("fails a step, waits for a decision, is approved, resumes and completes", async () => {
    const { dir, cleanup } = tempDir("gait-job-demo-");
    try {
      const outcome = await runDurableJobDemo(dir);
      assert.equal(outcome.state.job_id, DEMO_JOB_ID);
      assert.equal(outcome.state.status, "completed");
      assert.equal(outcome.failure_checkpoint_id, "cp_0003");
      assert.equal(outcome.approval_id, "ap_0001");
      const { events, state } = await readJobForPack(join(dir, "gait-out/jobs"), DEMO_JOB_ID);
      assert.deepEqual(state, outcome.state);
      assert.deepEqual(
        events.map((e) => [e.created_at, e.type, e.to_status]),
        [
          ["2026-02-05T00:00:00Z", "submitted", "running"],
          ["2026-02-05T00:00:01Z", "checkpoint_added", "running"],
          ["2026-02-05T00:00:02Z", "checkpoint_added", "running"],
          ["2026-02-05T00:00:03Z", "checkpoint_added", "decision_needed"],
          ["2026-02-05T00:00:04Z", "approved", "decision_needed"],
          ["2026-02-05T00:00:05Z", "resumed", "running"],
          ["2026-02-05T00:00:06Z", "checkpoint_added", "running"],
          ["2026-02-05T00:00:07Z", "checkpoint_added", "completed"],
        ],
      );
      assert.match(state.checkpoints[2]!.summary, /^simulated failure/);
    } finally {
      cleanup();
    }
  });

  it("writes the same bytes in any directory, and a re-run replaces the earlier demo job", async () => {
    const a = tempDir("gait-job-demo-");
    const b = tempDir("gait-job-demo-");
    try {
      await runDurableJobDemo(a.dir);
      await runDurableJobDemo(b.dir);
      await runDurableJobDemo(b.dir);
      for (const file of ["events.jsonl", "state.json"]) {
        const path = (dir: string) => join(dir, "gait-out/jobs", DEMO_JOB_ID, file);
        assert.equal(readFileSync(path(a.dir), "utf8"), readFileSync(path(b.dir), "utf8"), file);
      }
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
