/**
 * The job state machine, pure: `applyJobCommand(jobId, state, command, at)` gives the next state
 * and the event that records the change, or the coded error that refuses it (nothing changes).
 * No clock, no files: the time and every fact a command depends on (the identity presented, the
 * policy digest seen now, the environment fingerprint) are inputs, and each event carries them,
 * so `replayJobEvents` rebuilds a job's state from its events alone and checks every event
 * follows from the ones before it.
 *
 *   submit ─▶ running ──checkpoint plan|progress──▶ running
 *             running ──checkpoint decision_needed|blocked|completed──▶ that status
 *             running ──pause──▶ paused ──resume──▶ running
 *   decision_needed|blocked ──approve──▶ (same status, approved) ──resume──▶ running
 *   any non-terminal ──cancel──▶ cancelled, ──stop──▶ emergency_stopped
 *
 * Resume fails closed: the identity must be the one bound at submit, a bound policy must still
 * have its digest (and be readable), the environment fingerprint must match unless the override
 * is asked for; otherwise the job becomes `blocked` (recorded) and needs a new approval.
 */
import { canonicalize } from "../contract/canonical.ts";
import type { GaitError } from "../contract/errors.ts";
import { Timestamp } from "../contract/time.ts";
import { gaitError, invalidInput } from "./error-codes.ts";
import { inputError } from "./inputs.ts";
import {
  type CheckpointType,
  DECISION_STATUSES,
  JOB_EVENT_SCHEMA_ID,
  JOB_ID_PATTERN,
  JOB_SCHEMA_VERSION,
  JOB_STATE_SCHEMA_ID,
  type JobEvent,
  type JobState,
  type JobStatus,
  type ResumeBlockReason,
  type StatusReasonCode,
  type StopReason,
  TERMINAL_STATUSES,
} from "./model.ts";

/** What can be asked of a job, with every fact the answer depends on. */
export type JobCommand =
  | {
      kind: "submit";
      actor: string;
      identity: string;
      /** Digest of the policy bound to the job, or empty for none. */
      policy_digest: string;
      policy_ref: string;
      environment_fingerprint: string;
    }
  | {
      kind: "checkpoint";
      actor: string;
      checkpoint_type: CheckpointType;
      summary: string;
      required_action: string;
    }
  | { kind: "pause" | "approve" | "cancel" | "stop"; actor: string; reason: string }
  | {
      kind: "resume";
      actor: string;
      identity: string;
      /** Digest of the bound policy as read now; empty when none is bound or it could not be read. */
      policy_digest: string;
      environment_fingerprint: string;
      allow_environment_mismatch: boolean;
    };

export type JobCommandKind = JobCommand["kind"];

export const JOB_COMMAND_KINDS: readonly JobCommandKind[] = [
  "submit",
  "checkpoint",
  "pause",
  "resume",
  "approve",
  "cancel",
  "stop",
];

export type JobTransition =
  | { outcome: "applied"; state: JobState; event: JobEvent }
  /** Failed closed: the change (to `blocked`) is recorded, and the command still fails with `error`. */
  | { outcome: "blocked"; state: JobState; event: JobEvent; error: GaitError }
  /** Nothing changes. */
  | { outcome: "refused"; error: GaitError };

/** The statuses each command may start from (submit starts from no job at all). */
const ALLOWED_FROM: Record<Exclude<JobCommandKind, "submit">, readonly JobStatus[]> = {
  checkpoint: ["running"],
  pause: ["running"],
  resume: ["paused", "decision_needed", "blocked"],
  approve: ["decision_needed", "blocked"],
  cancel: ["running", "paused", "decision_needed", "blocked"],
  stop: ["running", "paused", "decision_needed", "blocked"],
};

const jobIdPattern = new RegExp(JOB_ID_PATTERN);

export function isValidJobId(jobId: string): boolean {
  return jobIdPattern.test(jobId) && jobId !== "." && jobId !== "..";
}

export function jobIdError(jobId: string): GaitError {
  return invalidInput("job_id_invalid", `job id ${JSON.stringify(jobId)} is not valid`, {
    hint: "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (it names a directory)",
  });
}

export function applyJobCommand(
  jobId: string,
  state: JobState | undefined,
  command: JobCommand,
  at: Timestamp,
): JobTransition {
  if (!isValidJobId(jobId)) return refused(jobIdError(jobId));
  const invalid = inputError(command);
  if (invalid) return refused(invalid);
  if (command.kind === "submit") {
    return state ? refused(jobExists(jobId)) : applied(submitted(jobId, command, at));
  }
  if (!state) return refused(jobNotFound(jobId));
  const refusal = transitionError(state, command);
  if (refusal) return refused(refusal);
  const change = new Change(state, command.actor, at);
  switch (command.kind) {
    case "checkpoint":
      return applied(checkpointAdded(change, command));
    case "pause":
      return applied(
        change.to("paused", "paused_by_user", "paused").record({ type: "paused", reason: command.reason }),
      );
    case "approve":
      return applied(approved(change, command.reason));
    case "cancel":
      return applied(
        change
          .to("cancelled", "cancelled_by_user", "cancelled")
          .record({ type: "cancelled", reason: command.reason }),
      );
    case "stop":
      return applied(
        change
          .to("emergency_stopped", "emergency_stopped", "emergency_stop")
          .record({ type: "emergency_stopped", reason: command.reason }),
      );
    case "resume":
      return resumed(change, command);
  }
}

// ---------------------------------------------------------------------------------------------
// Which commands a status refuses, and why.

function transitionError(state: JobState, command: JobCommand): GaitError | undefined {
  const { status, job_id: jobId } = state;
  const details = { job_id: jobId, status, command: command.kind };
  if (TERMINAL_STATUSES.includes(status)) {
    return invalidInput("job_terminal", `job ${jobId} is ${status}: it does not change any more`, {
      hint: "submit a new job (gait job submit --id <new id> --identity <agent>)",
      details,
    });
  }
  if (command.kind === "submit" || !ALLOWED_FROM[command.kind].includes(status)) {
    return invalidInput("job_invalid_transition", `cannot ${command.kind} job ${jobId}: it is ${status}`, {
      hint: transitionHint(jobId, status, command.kind),
      details,
    });
  }
  if (command.kind === "resume" && state.awaiting_approval) {
    return gaitError(
      "approval_required",
      "job_approval_required",
      `job ${jobId} is ${status}: a person must approve before it resumes`,
      { hint: `gait job approve --id ${jobId} --actor <your name> --reason <why>, then resume`, details },
    );
  }
  return undefined;
}

function transitionHint(jobId: string, status: JobStatus, kind: JobCommandKind): string {
  if (kind === "resume") return `job ${jobId} is already running`;
  if (kind === "approve") return "approve answers a job that is decision_needed or blocked";
  if (DECISION_STATUSES.includes(status)) {
    return `approve it first (gait job approve --id ${jobId} --actor <you>), then resume it`;
  }
  if (status === "paused") return `resume it first: gait job resume --id ${jobId} --identity <agent>`;
  return `see gait job status --id ${jobId}`;
}

// ---------------------------------------------------------------------------------------------
// The changes.

/** Everything an event carries besides the common members. */
type EventBody = DistributiveOmit<
  JobEvent,
  | "schema_id"
  | "schema_version"
  | "job_id"
  | "seq"
  | "created_at"
  | "actor"
  | "from_status"
  | "to_status"
  | "stop_reason"
  | "status_reason_code"
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One change of a job: the next state, built up, then recorded as an event. */
class Change {
  private next: JobState;

  constructor(
    readonly before: JobState,
    readonly actor: string,
    at: Timestamp,
  ) {
    this.next = { ...before, revision: before.revision + 1, updated_at: at.toString() };
  }

  get seq(): number {
    return this.next.revision;
  }

  get time(): string {
    return this.next.updated_at;
  }

  /** Moves to a status; entering decision_needed or blocked waits for an approval. */
  to(status: JobStatus, stopReason: StopReason, code: StatusReasonCode): this {
    return this.with({
      status,
      stop_reason: stopReason,
      status_reason_code: code,
      awaiting_approval: DECISION_STATUSES.includes(status),
    });
  }

  with(patch: Partial<JobState>): this {
    this.next = { ...this.next, ...patch };
    return this;
  }

  record(body: EventBody): { state: JobState; event: JobEvent } {
    const event = {
      schema_id: JOB_EVENT_SCHEMA_ID,
      schema_version: JOB_SCHEMA_VERSION,
      job_id: this.next.job_id,
      seq: this.next.revision,
      created_at: this.time,
      actor: this.actor,
      from_status: this.before.status,
      to_status: this.next.status,
      stop_reason: this.next.stop_reason,
      status_reason_code: this.next.status_reason_code,
      ...body,
    } as JobEvent;
    return { state: this.next, event };
  }
}

function submitted(
  jobId: string,
  command: Extract<JobCommand, { kind: "submit" }>,
  at: Timestamp,
): { state: JobState; event: JobEvent } {
  const time = at.toString();
  const state: JobState = {
    schema_id: JOB_STATE_SCHEMA_ID,
    schema_version: JOB_SCHEMA_VERSION,
    job_id: jobId,
    created_at: time,
    updated_at: time,
    revision: 1,
    status: "running",
    stop_reason: "none",
    status_reason_code: "submitted",
    identity: command.identity,
    policy_digest: command.policy_digest,
    policy_ref: command.policy_ref,
    environment_fingerprint: command.environment_fingerprint,
    awaiting_approval: false,
    checkpoints: [],
    approvals: [],
  };
  const event: JobEvent = {
    schema_id: JOB_EVENT_SCHEMA_ID,
    schema_version: JOB_SCHEMA_VERSION,
    job_id: jobId,
    seq: 1,
    created_at: time,
    actor: command.actor,
    from_status: "",
    to_status: "running",
    stop_reason: "none",
    status_reason_code: "submitted",
    type: "submitted",
    identity: command.identity,
    policy_digest: command.policy_digest,
    policy_ref: command.policy_ref,
    environment_fingerprint: command.environment_fingerprint,
  };
  return { state, event };
}

/** plan and progress keep the job running; the other types move it to their status. */
const CHECKPOINT_MOVES: Record<
  Exclude<CheckpointType, "plan" | "progress">,
  [JobStatus, StopReason, StatusReasonCode]
> = {
  decision_needed: ["decision_needed", "decision_needed", "decision_needed"],
  blocked: ["blocked", "blocked", "checkpoint_blocked"],
  completed: ["completed", "completed", "completed"],
};

function checkpointAdded(change: Change, command: Extract<JobCommand, { kind: "checkpoint" }>) {
  const { before } = change;
  const checkpointId = numberedId("cp", before.checkpoints.length + 1);
  const type = command.checkpoint_type;
  if (type !== "plan" && type !== "progress") change.to(...CHECKPOINT_MOVES[type]);
  change.with({
    checkpoints: [
      ...before.checkpoints,
      {
        checkpoint_id: checkpointId,
        seq: change.seq,
        created_at: change.time,
        type,
        summary: command.summary,
        required_action: command.required_action,
        actor: command.actor,
      },
    ],
  });
  return change.record({
    type: "checkpoint_added",
    checkpoint_id: checkpointId,
    checkpoint_type: type,
    summary: command.summary,
    required_action: command.required_action,
  });
}

function approved(change: Change, reason: string) {
  const { before, actor } = change;
  const approvalId = numberedId("ap", before.approvals.length + 1);
  // transitionError lets approve through only from these two.
  const status = before.status as "decision_needed" | "blocked";
  const lastCheckpoint = before.checkpoints.at(-1)?.checkpoint_id ?? "";
  change.with({
    status_reason_code: "approved",
    awaiting_approval: false,
    approvals: [
      ...before.approvals,
      {
        approval_id: approvalId,
        seq: change.seq,
        created_at: change.time,
        actor,
        reason,
        status,
        checkpoint_id: lastCheckpoint,
      },
    ],
  });
  return change.record({ type: "approved", approval_id: approvalId, reason });
}

function resumed(change: Change, command: Extract<JobCommand, { kind: "resume" }>): JobTransition {
  const { before } = change;
  const facts = {
    identity: command.identity,
    policy_digest: command.policy_digest,
    environment_fingerprint: command.environment_fingerprint,
    allow_environment_mismatch: command.allow_environment_mismatch,
  };
  const envMismatch = command.environment_fingerprint !== before.environment_fingerprint;
  const reason = resumeBlockReason(before, command, envMismatch);
  if (reason) {
    const blocked = change
      .to("blocked", "resume_blocked", reason)
      .record({ type: "resume_blocked", ...facts });
    return { outcome: "blocked", ...blocked, error: resumeBlocked(before, reason) };
  }
  return applied(
    change
      .to("running", "none", envMismatch ? "resumed_with_env_override" : "resumed")
      .with({ environment_fingerprint: command.environment_fingerprint })
      .record({ type: "resumed", ...facts }),
  );
}

/** The first binding the resume breaks, in the order identity, policy, environment. */
function resumeBlockReason(
  state: JobState,
  command: Extract<JobCommand, { kind: "resume" }>,
  envMismatch: boolean,
): ResumeBlockReason | undefined {
  if (command.identity !== state.identity) return "identity_mismatch";
  if (state.policy_digest !== "") {
    if (command.policy_digest === "") return "policy_unavailable";
    if (command.policy_digest !== state.policy_digest) return "policy_digest_mismatch";
  }
  if (envMismatch && !command.allow_environment_mismatch) return "environment_mismatch";
  return undefined;
}

const RESUME_BLOCK_MESSAGES: Record<ResumeBlockReason, (state: JobState) => string> = {
  identity_mismatch: (s) => `the identity given is not the one bound to job ${s.job_id}`,
  policy_unavailable: (s) => `the policy bound to job ${s.job_id} could not be read (${s.policy_ref})`,
  policy_digest_mismatch: (s) => `the policy bound to job ${s.job_id} changed since it was submitted`,
  environment_mismatch: (s) => `job ${s.job_id} was submitted in another environment`,
};

const RESUME_BLOCK_HINTS: Record<ResumeBlockReason, string> = {
  identity_mismatch: "resume with the identity given at submit (gait job status shows it)",
  policy_unavailable: "restore the policy file, or pass it with --policy",
  policy_digest_mismatch: "restore the policy the job was submitted under (gait job status shows its digest)",
  environment_mismatch:
    "resume from the same place (platform, architecture, Node major, directory), or pass --allow-env-mismatch",
};

function resumeBlocked(state: JobState, reason: ResumeBlockReason): GaitError {
  return gaitError(
    "policy_blocked",
    "job_resume_blocked",
    `resume refused, job ${state.job_id} is now blocked: ${RESUME_BLOCK_MESSAGES[reason](state)}`,
    {
      hint: `${RESUME_BLOCK_HINTS[reason]}; a person must then approve it (gait job approve --id ${state.job_id} --actor <you>) before it resumes`,
      details: { job_id: state.job_id, status: "blocked", status_reason_code: reason },
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Replay: the state is what the events say, and each event must follow from the ones before.

/** The command an event records (its inputs), to apply again. */
export function commandOfEvent(event: JobEvent): JobCommand {
  const actor = event.actor;
  switch (event.type) {
    case "submitted":
      return {
        kind: "submit",
        actor,
        identity: event.identity,
        policy_digest: event.policy_digest,
        policy_ref: event.policy_ref,
        environment_fingerprint: event.environment_fingerprint,
      };
    case "checkpoint_added":
      return {
        kind: "checkpoint",
        actor,
        checkpoint_type: event.checkpoint_type,
        summary: event.summary,
        required_action: event.required_action,
      };
    case "paused":
      return { kind: "pause", actor, reason: event.reason };
    case "approved":
      return { kind: "approve", actor, reason: event.reason };
    case "cancelled":
      return { kind: "cancel", actor, reason: event.reason };
    case "emergency_stopped":
      return { kind: "stop", actor, reason: event.reason };
    case "resumed":
    case "resume_blocked":
      return {
        kind: "resume",
        actor,
        identity: event.identity,
        policy_digest: event.policy_digest,
        environment_fingerprint: event.environment_fingerprint,
        allow_environment_mismatch: event.allow_environment_mismatch,
      };
  }
}

/**
 * The state a job's events replay to. Throws `job_state_invalid` naming the first event that is
 * not what applying its own inputs to the state before it gives (edited, reordered, truncated in
 * the middle, or from another job).
 */
export function replayJobEvents(jobId: string, events: readonly JobEvent[], source = "events"): JobState {
  let state: JobState | undefined;
  for (const [index, event] of events.entries()) {
    const where = `${source} line ${index + 1} (seq ${JSON.stringify(event.seq)}, ${JSON.stringify(event.type)})`;
    if (!KNOWN_EVENT_TYPES.has(event.type)) throw stateInvalid(`${where}: unknown event type`);
    const at = eventTime(event);
    if (at === undefined) throw stateInvalid(`${where}: created_at is not an RFC 3339 time`);
    const transition = applyJobCommand(jobId, state, commandOfEvent(event), at);
    if (transition.outcome === "refused") {
      throw stateInvalid(`${where} cannot happen at that point: ${transition.error.message}`);
    }
    if (canonicalize(transition.event) !== canonicalize(event)) {
      throw stateInvalid(`${where} is not the event its own inputs give`);
    }
    state = transition.state;
  }
  if (!state) throw stateInvalid(`${source} holds no event: job ${jobId} was never submitted`);
  return state;
}

const KNOWN_EVENT_TYPES = new Set<string>([
  "submitted",
  "checkpoint_added",
  "paused",
  "approved",
  "resumed",
  "resume_blocked",
  "cancelled",
  "emergency_stopped",
] satisfies JobEvent["type"][]);

function eventTime(event: JobEvent): Timestamp | undefined {
  try {
    return Timestamp.parse(String(event.created_at));
  } catch {
    return undefined;
  }
}

function stateInvalid(message: string): GaitError {
  return invalidInput("job_state_invalid", message, {
    hint: "the job's events.jsonl was changed by hand or damaged; restore it from a copy (gait writes only appends)",
  });
}

// ---------------------------------------------------------------------------------------------

function applied(change: { state: JobState; event: JobEvent }): JobTransition {
  return { outcome: "applied", ...change };
}

function refused(error: GaitError): JobTransition {
  return { outcome: "refused", error };
}

function jobExists(jobId: string): GaitError {
  return invalidInput("job_exists", `job ${jobId} already exists`, {
    hint: `choose another --id, or see it with gait job status --id ${jobId}`,
    details: { job_id: jobId },
  });
}

export function jobNotFound(jobId: string, root?: string): GaitError {
  return invalidInput("job_not_found", `job ${jobId} does not exist${root ? ` under ${root}` : ""}`, {
    hint: "check --id and --job-root (default ./gait-out/jobs), or submit it: gait job submit",
    details: { job_id: jobId },
  });
}

/** `cp_0001`, `ap_0012`: zero-padded to four digits, so ids sort in order up to 9999. */
function numberedId(prefix: string, n: number): string {
  return `${prefix}_${String(n).padStart(4, "0")}`;
}
