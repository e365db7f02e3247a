/**
 * The job runtime's operations: each gathers the facts its command needs (the policy digest, the
 * environment), then applies it through the store under the job's lock. What `gait job` runs,
 * and what a TypeScript caller can run in-process.
 */
import { resolve } from "node:path";
import { type Clock, EPOCH_1980 } from "../contract/time.ts";
import { loadPolicyFile } from "../gate/index.ts";
import { currentEnvironment, type EnvironmentFacts, environmentFingerprint } from "./environment.ts";
import { invalidInput } from "./error-codes.ts";
import { type CheckpointType, type JobCheckpoint, type JobState, MAX_TEXT_LENGTH } from "./model.ts";
import {
  assertJobExists,
  changeJob,
  type JobChange,
  type JobFiles,
  type JobRecord,
  jobFiles,
  readJob,
} from "./store.ts";
import { applyJobCommand, type JobCommand, jobNotFound } from "./transition.ts";

export interface JobContext {
  /** The job root (default ./gait-out/jobs), relative to `cwd` unless absolute. */
  root: string;
  /** Absolute working directory: relative paths resolve against it, and it is part of the environment. */
  cwd: string;
  clock: Clock;
  /** The environment to bind and compare (default: this process's, in `cwd`). */
  environment?: EnvironmentFacts;
}

export interface SubmitInput {
  identity: string;
  /** A policy to bind: its digest must be unchanged when the job resumes. */
  policyPath?: string | undefined;
  actor?: string | undefined;
}

export async function submitJob(ctx: JobContext, jobId: string, input: SubmitInput): Promise<JobChange> {
  const files = filesOf(ctx, jobId);
  const policyDigest =
    input.policyPath === undefined ? "" : (await loadPolicy(ctx, input.policyPath)).policyDigest;
  const command: JobCommand = {
    kind: "submit",
    actor: input.actor ?? "",
    identity: input.identity,
    policy_digest: policyDigest,
    policy_ref: input.policyPath ?? "",
    environment_fingerprint: fingerprintOf(ctx),
  };
  // Bad input is refused before the lock, which would create the job's directory.
  const check = applyJobCommand(jobId, undefined, command, EPOCH_1980);
  if (check.outcome === "refused") throw check.error;
  return changeJob(files, jobId, () => command, ctx.clock);
}

export interface CheckpointInput {
  type: CheckpointType;
  summary: string;
  requiredAction?: string | undefined;
  actor?: string | undefined;
}

export function addCheckpoint(ctx: JobContext, jobId: string, input: CheckpointInput): Promise<JobChange> {
  return changeExisting(ctx, jobId, () => ({
    kind: "checkpoint",
    actor: input.actor ?? "",
    checkpoint_type: input.type,
    summary: input.summary,
    required_action: input.requiredAction ?? "",
  }));
}

export interface NoteInput {
  actor?: string | undefined;
  reason?: string | undefined;
}

/** pause, approve (needs `actor`), cancel and stop (emergency stop): a status change with a reason. */
export function noteJob(
  ctx: JobContext,
  jobId: string,
  kind: "pause" | "approve" | "cancel" | "stop",
  input: NoteInput,
): Promise<JobChange> {
  return changeExisting(ctx, jobId, () => ({ kind, actor: input.actor ?? "", reason: input.reason ?? "" }));
}

export interface ResumeInput {
  /** Must be the identity bound at submit. */
  identity: string;
  /** The policy to check against the bound digest (default: the path bound at submit). */
  policyPath?: string | undefined;
  /** Resume in an environment other than the job's (recorded as resumed_with_env_override). */
  allowEnvironmentMismatch?: boolean | undefined;
  actor?: string | undefined;
}

/**
 * Resumes a paused job, or a decision_needed or blocked one once approved. Fails closed: the
 * identity, the bound policy's digest (read again now) and the environment must match, else the
 * job becomes blocked and this throws `job_resume_blocked` (exit 3). A bound policy that cannot be
 * read now counts as changed; a `policyPath` given explicitly must load (else exit 6, no change).
 */
export function resumeJob(ctx: JobContext, jobId: string, input: ResumeInput): Promise<JobChange> {
  return changeExisting(ctx, jobId, async (state) => ({
    kind: "resume",
    actor: input.actor ?? "",
    identity: input.identity,
    policy_digest: await observedPolicyDigest(ctx, state, input.policyPath),
    environment_fingerprint: fingerprintOf(ctx),
    allow_environment_mismatch: input.allowEnvironmentMismatch === true,
  }));
}

export function readJobIn(ctx: Pick<JobContext, "root" | "cwd">, jobId: string): Promise<JobRecord> {
  return readJob(filesOf(ctx, jobId), jobId);
}

/** A checkpoint of a job by id (`cp_0001`); job_checkpoint_not_found when there is none. */
export function findCheckpoint(state: JobState, checkpointId: string): JobCheckpoint {
  const found = state.checkpoints.find((checkpoint) => checkpoint.checkpoint_id === checkpointId);
  if (found) return found;
  const known = state.checkpoints.map((checkpoint) => checkpoint.checkpoint_id);
  throw invalidInput(
    "job_checkpoint_not_found",
    `job ${state.job_id} has no checkpoint ${JSON.stringify(checkpointId.slice(0, MAX_TEXT_LENGTH))}`,
    {
      hint:
        known.length === 0
          ? "it has no checkpoints yet"
          : `its checkpoints: ${known.join(", ")} (gait job checkpoint list --id ${state.job_id})`,
    },
  );
}

/** The fingerprint of the context's environment (this process's when none is given). */
export function fingerprintOf(ctx: Pick<JobContext, "cwd" | "environment">): string {
  return environmentFingerprint(ctx.environment ?? currentEnvironment(ctx.cwd));
}

function filesOf(ctx: Pick<JobContext, "root" | "cwd">, jobId: string): JobFiles {
  return jobFiles(ctx.root, jobId, ctx.cwd);
}

async function changeExisting(
  ctx: JobContext,
  jobId: string,
  build: (state: JobState) => JobCommand | Promise<JobCommand>,
): Promise<JobChange> {
  const files = filesOf(ctx, jobId);
  // Before the lock, which would create the job's directory.
  await assertJobExists(files, jobId);
  return changeJob(
    files,
    jobId,
    (state) => {
      // The events file exists but holds no complete event: the submit never finished.
      if (state === undefined) throw jobNotFound(jobId, files.dir);
      return build(state);
    },
    ctx.clock,
  );
}

function loadPolicy(ctx: JobContext, path: string) {
  return loadPolicyFile(resolve(ctx.cwd, path), path);
}

/**
 * The digest of the policy as it is now: the one given, else the one bound at submit, read again
 * (an unreadable bound policy gives "", which the state machine treats as policy_unavailable).
 */
async function observedPolicyDigest(
  ctx: JobContext,
  state: JobState,
  policyPath: string | undefined,
): Promise<string> {
  if (policyPath !== undefined) {
    if (state.policy_digest === "") {
      throw invalidInput("job_policy_not_bound", `job ${state.job_id} was submitted without a policy`, {
        hint: "resume it without --policy (a policy is bound at submit, with gait job submit --policy)",
      });
    }
    return (await loadPolicy(ctx, policyPath)).policyDigest;
  }
  if (state.policy_digest === "") return "";
  try {
    return (await loadPolicy(ctx, state.policy_ref)).policyDigest;
  } catch {
    return "";
  }
}
