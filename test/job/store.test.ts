/**
 * The job runtime's edges in-process (src/job/runtime.ts, store.ts): the reader for packs, the
 * environment fingerprint's definition, deterministic files under a fixed clock and environment,
 * and a job whose lock another writer holds.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { acquireFileLock } from "../../src/contract/files.ts";
import { fixedClock } from "../../src/contract/time.ts";
import {
  addCheckpoint,
  currentEnvironment,
  environmentFingerprint,
  type JobContext,
  jobFiles,
  noteJob,
  readJobForPack,
  resumeJob,
  submitJob,
} from "../../src/job/index.ts";
import { tempDir } from "../helpers/cli.ts";

const ENVIRONMENT = { platform: "linux", arch: "x64", node_major: 20, cwd: "/work" };

function context(dir: string): JobContext {
  return { root: "jobs", cwd: dir, clock: fixedClock("2026-02-05T00:00:00Z"), environment: ENVIRONMENT };
}

async function lifecycle(ctx: JobContext, id: string): Promise<void> {
  await submitJob(ctx, id, { identity: "agent.one" });
  await addCheckpoint(ctx, id, { type: "decision_needed", summary: "step failed", requiredAction: "retry?" });
  await noteJob(ctx, id, "approve", { actor: "alice" });
  await resumeJob(ctx, id, { identity: "agent.one" });
  await addCheckpoint(ctx, id, { type: "completed", summary: "done" });
}

describe("job environment fingerprint", () => {
  it("is envfp: and the sha256 of the canonical JSON of four facts", () => {
    const json = '{"arch":"x64","cwd":"/work","node_major":20,"platform":"linux"}';
    const expected = `envfp:${createHash("sha256").update(json).digest("hex")}`;
    assert.equal(environmentFingerprint(ENVIRONMENT), expected);
    assert.notEqual(environmentFingerprint({ ...ENVIRONMENT, cwd: "/other" }), expected);
    assert.notEqual(environmentFingerprint({ ...ENVIRONMENT, node_major: 22 }), expected);
  });

  it("describes this process", () => {
    const facts = currentEnvironment("/here");
    assert.deepEqual(Object.keys(facts).sort(), ["arch", "cwd", "node_major", "platform"]);
    assert.equal(facts.node_major, Number(process.versions.node.split(".")[0]));
    assert.equal(facts.cwd, "/here");
  });
});

describe("readJobForPack", () => {
  it("returns the job as plain data: its id, the replayed state and the events on disk", async () => {
    const { dir, cleanup } = tempDir("gait-job-pack-");
    try {
      const ctx = context(dir);
      await lifecycle(ctx, "job_p");
      const input = await readJobForPack(join(dir, "jobs"), "job_p");
      assert.deepEqual(Object.keys(input).sort(), ["events", "job_id", "state"]);
      assert.equal(input.job_id, "job_p");
      assert.equal(input.state.status, "completed");
      assert.deepEqual(JSON.parse(JSON.stringify(input)), input, "plain JSON data");
      const files = jobFiles("jobs", "job_p", dir);
      assert.deepEqual(input.state, JSON.parse(readFileSync(files.state, "utf8")));
      assert.deepEqual(
        input.events,
        readFileSync(files.events, "utf8")
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line)),
      );
      await assert.rejects(readJobForPack(join(dir, "jobs"), "nosuch"), { code: "job_not_found" });
      await assert.rejects(readJobForPack(join(dir, "jobs"), "../jobs"), { code: "job_id_invalid" });
    } finally {
      cleanup();
    }
  });

  it("the same lifecycle at the same times in the same environment gives the same bytes", async () => {
    const a = tempDir("gait-job-det-");
    const b = tempDir("gait-job-det-");
    try {
      await lifecycle(context(a.dir), "job_d");
      await lifecycle(context(b.dir), "job_d");
      for (const file of ["events.jsonl", "state.json"]) {
        assert.equal(
          readFileSync(join(a.dir, "jobs/job_d", file), "utf8"),
          readFileSync(join(b.dir, "jobs/job_d", file), "utf8"),
          file,
        );
      }
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});

describe("job lock", () => {
  it("a change waits for another writer's lock and fails with state_contention (exit 1, retryable)", async () => {
    const { dir, cleanup } = tempDir("gait-job-lock-");
    try {
      const ctx = context(dir);
      await submitJob(ctx, "job_l", { identity: "agent.one" });
      const lock = await acquireFileLock(jobFiles("jobs", "job_l", dir).lock);
      try {
        await assert.rejects(noteJob(ctx, "job_l", "pause", {}), (error: Error & { code?: string }) => {
          const gait = error as Error & { code: string; exitCode: number; retryable: boolean };
          return gait.code === "state_contention" && gait.exitCode === 1 && gait.retryable;
        });
      } finally {
        await lock.release();
      }
      assert.equal((await noteJob(ctx, "job_l", "pause", {})).state.status, "paused");
    } finally {
      cleanup();
    }
  });
});
