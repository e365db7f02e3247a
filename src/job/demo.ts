/**
 * The durable job of `gait demo --durable` (REFERENCE.md §2.1): job `job_demo_durable` exports
 * three tables, the second export fails (simulated), the job stops for a decision, a person
 * approves the retry, the job resumes and completes. Fixed times (one second apart from the
 * runpack demo's 2026-02-05T00:00:00Z) and a fixed demo environment, so its files, and the pack
 * built from them, are the same bytes on every machine.
 */
import { rm } from "node:fs/promises";
import { fromFsError } from "../contract/errors.ts";
import { fixedClock, Timestamp } from "../contract/time.ts";
import type { EnvironmentFacts } from "./environment.ts";
import type { JobState } from "./model.ts";
import { addCheckpoint, type JobContext, noteJob, resumeJob, submitJob } from "./runtime.ts";
import { DEFAULT_JOB_ROOT, jobFiles } from "./store.ts";

export const DEMO_JOB_ID = "job_demo_durable";
const DEMO_START = Timestamp.parse("2026-02-05T00:00:00Z");
const DEMO_IDENTITY = "agent.demo";
const DEMO_OPERATOR = "demo.operator";

/** Not this machine's: the demo's job is bound to a fixed environment (docs/jobs.md). */
export const DEMO_ENVIRONMENT: EnvironmentFacts = {
  platform: "demo",
  arch: "demo",
  node_major: 20,
  cwd: "/gait-demo",
};

export interface DurableDemoOutcome {
  state: JobState;
  /** The checkpoint that recorded the simulated failure. */
  failure_checkpoint_id: string;
  /** The approval that let the job resume after it. */
  approval_id: string;
}

/**
 * Runs the demo job's lifecycle under `<cwd>/gait-out/jobs/job_demo_durable/`, replacing the
 * files of an earlier demo run (that directory only).
 */
export async function runDurableJobDemo(cwd: string): Promise<DurableDemoOutcome> {
  /** Step `n` of the lifecycle happens `n` seconds after the start. */
  const at = (n: number): JobContext => ({
    root: DEFAULT_JOB_ROOT,
    cwd,
    clock: fixedClock(Timestamp.of(DEMO_START.seconds + n)),
    environment: DEMO_ENVIRONMENT,
  });
  const dir = jobFiles(DEFAULT_JOB_ROOT, DEMO_JOB_ID, cwd).dir;
  await rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
    throw fromFsError(error, "remove the previous demo job", dir);
  });
  const id = DEMO_JOB_ID;
  const agent = { actor: DEMO_IDENTITY };
  await submitJob(at(0), id, { identity: DEMO_IDENTITY, ...agent });
  await addCheckpoint(at(1), id, {
    type: "plan",
    summary: "export 3 tables (customers, orders, invoices) to the warehouse",
    ...agent,
  });
  await addCheckpoint(at(2), id, { type: "progress", summary: "exported customers (1 of 3)", ...agent });
  const failed = await addCheckpoint(at(3), id, {
    type: "decision_needed",
    summary: "simulated failure: exporting orders timed out after 30s",
    requiredAction: "retry the orders export in batches of 100?",
    ...agent,
  });
  const approved = await noteJob(at(4), id, "approve", {
    actor: DEMO_OPERATOR,
    reason: "retry in batches of 100",
  });
  await resumeJob(at(5), id, { identity: DEMO_IDENTITY, ...agent });
  await addCheckpoint(at(6), id, {
    type: "progress",
    summary: "exported orders on retry (2 of 3)",
    ...agent,
  });
  const done = await addCheckpoint(at(7), id, {
    type: "completed",
    summary: "exported invoices (3 of 3); export complete",
    ...agent,
  });
  return {
    state: done.state,
    failure_checkpoint_id: failed.state.checkpoints.at(-1)!.checkpoint_id,
    approval_id: approved.state.approvals.at(-1)!.approval_id,
  };
}
