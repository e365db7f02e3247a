/**
 * A durable job's state and events, defined once with TypeBox: the TypeScript types come from
 * these definitions and src/schemas.ts publishes them (schemas/v1/job/). A job lives in
 * `<job root>/<job_id>/`: `events.jsonl` (one `gait.job.event` per line, append-only, the record
 * of truth) and `state.json` (`gait.job.state`, the state those events replay to, rewritten
 * atomically after each event).
 */
import { type Static, type TProperties, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";

export const JOB_STATE_SCHEMA_ID = "gait.job.state";
export const JOB_EVENT_SCHEMA_ID = "gait.job.event";
export const JOB_SCHEMA_VERSION = "1.0.0";

/** The statuses of the public job pack payload (`gait.pack.job`). */
export const JOB_STATUSES = [
  "running",
  "paused",
  "decision_needed",
  "blocked",
  "completed",
  "cancelled",
  "emergency_stopped",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ["completed", "cancelled", "emergency_stopped"];

/** Statuses that wait for a person: `job approve`, then `job resume`. */
export const DECISION_STATUSES: readonly JobStatus[] = ["decision_needed", "blocked"];

/**
 * What a checkpoint says about the job: `plan` and `progress` leave it running; the other three
 * move it to the status of the same name.
 */
export const CHECKPOINT_TYPES = ["plan", "progress", "decision_needed", "blocked", "completed"] as const;
export type CheckpointType = (typeof CHECKPOINT_TYPES)[number];

/** Why the job is not running (`none` while it runs). */
export const STOP_REASONS = [
  "none",
  "paused_by_user",
  "decision_needed",
  "blocked",
  "resume_blocked",
  "completed",
  "cancelled_by_user",
  "emergency_stopped",
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The reason code of the last change of status (or of the approval that followed it). */
export const STATUS_REASON_CODES = [
  "submitted",
  "resumed",
  "resumed_with_env_override",
  "paused",
  "decision_needed",
  "checkpoint_blocked",
  "completed",
  "approved",
  "cancelled",
  "emergency_stop",
  "identity_mismatch",
  "policy_digest_mismatch",
  "policy_unavailable",
  "environment_mismatch",
] as const;
export type StatusReasonCode = (typeof STATUS_REASON_CODES)[number];

/** The reasons a resume fails closed (the job becomes `blocked` with this code). */
export type ResumeBlockReason = Extract<
  StatusReasonCode,
  "identity_mismatch" | "policy_digest_mismatch" | "policy_unavailable" | "environment_mismatch"
>;

/** A job id names a directory: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const JOB_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

/** Longest summary, reason or required action accepted (characters). */
export const MAX_TEXT_LENGTH = 4096;

const SchemaVersion = Type.Literal(JOB_SCHEMA_VERSION, { type: "string" });
const DateTime = (description: string) => Type.String({ format: "date-time", description });
const JobId = Type.String({ pattern: JOB_ID_PATTERN, description: "the job's id (its directory name)" });
const Seq = (description: string) => Type.Integer({ minimum: 1, description });
const Text = (description: string, minLength = 0) =>
  Type.String({ minLength, maxLength: MAX_TEXT_LENGTH, description });
const Status = (description: string) => StringEnum(JOB_STATUSES, { description });
const PolicyDigest = Type.String({
  pattern: "^([0-9a-f]{64})?$",
  description: "policy_digest of the policy bound at submit (empty: no policy bound)",
});
const EnvironmentFingerprint = Type.String({
  pattern: "^envfp:[0-9a-f]{64}$",
  description: "envfp:<sha256 hex> of the environment facts (docs/jobs.md)",
});
const Identity = Text("the agent identity bound to the job", 1);
const Actor = Text("who asked for the change (free text; empty when not given)");

const CheckpointSchema = Type.Object(
  {
    checkpoint_id: Type.String({ pattern: "^cp_[0-9]{4,}$", description: "cp_0001, cp_0002, ..." }),
    seq: Seq("the event that added it"),
    created_at: DateTime("when it was added"),
    type: StringEnum(CHECKPOINT_TYPES, { description: "what it says about the job" }),
    summary: Text("what happened", 1),
    required_action: Text("the decision asked of a person (decision_needed checkpoints; else empty)"),
    actor: Actor,
  },
  { additionalProperties: false },
);
export type JobCheckpoint = Static<typeof CheckpointSchema>;

const ApprovalSchema = Type.Object(
  {
    approval_id: Type.String({ pattern: "^ap_[0-9]{4,}$", description: "ap_0001, ap_0002, ..." }),
    seq: Seq("the event that recorded it"),
    created_at: DateTime("when it was recorded"),
    actor: Text("who approved", 1),
    reason: Text("why"),
    status: StringEnum(["decision_needed", "blocked"] as const, { description: "the status it approved" }),
    checkpoint_id: Type.String({ description: "the job's last checkpoint when approved (empty: none)" }),
  },
  { additionalProperties: false },
);
export type JobApproval = Static<typeof ApprovalSchema>;

export const JobStateSchema = Type.Object(
  {
    schema_id: Type.Literal(JOB_STATE_SCHEMA_ID, { type: "string" }),
    schema_version: SchemaVersion,
    job_id: JobId,
    created_at: DateTime("when the job was submitted"),
    updated_at: DateTime("the time of the last event"),
    revision: Seq("the number of events the state reflects (the last event's seq)"),
    status: Status("where the job is"),
    stop_reason: StringEnum(STOP_REASONS, { description: "why it is not running (none while running)" }),
    status_reason_code: StringEnum(STATUS_REASON_CODES, { description: "the reason of the last change" }),
    identity: Identity,
    policy_digest: PolicyDigest,
    policy_ref: Type.String({ description: "the policy path given at submit (empty: none)" }),
    environment_fingerprint: EnvironmentFingerprint,
    awaiting_approval: Type.Boolean({
      description: "true in decision_needed and blocked until an approval is recorded; resume needs it false",
    }),
    checkpoints: Type.Array(CheckpointSchema, { description: "in the order they were added" }),
    approvals: Type.Array(ApprovalSchema, { description: "in the order they were recorded" }),
  },
  {
    additionalProperties: false,
    title: "Gait Job State",
    description:
      "A durable job's state (`gait job`, <job root>/<job_id>/state.json): what its events replay to.",
  },
);
export type JobState = Static<typeof JobStateSchema>;

/** Members every event has. */
const eventBase = {
  schema_id: Type.Literal(JOB_EVENT_SCHEMA_ID, { type: "string" }),
  schema_version: SchemaVersion,
  job_id: JobId,
  seq: Seq("1 for the submit, then one more per event"),
  created_at: DateTime("when it happened"),
  actor: Actor,
  from_status: Type.Union([Status("status before"), Type.Literal("", { type: "string" })], {
    description: "status before (empty for the submit)",
  }),
  to_status: Status("status after"),
  stop_reason: StringEnum(STOP_REASONS, { description: "stop reason after" }),
  status_reason_code: StringEnum(STATUS_REASON_CODES, { description: "status reason code after" }),
};

function eventOf<const T extends string, Props extends TProperties>(type: T, props: Props) {
  return Type.Object(
    { ...eventBase, type: Type.Literal(type, { type: "string" }), ...props },
    { additionalProperties: false },
  );
}

const reasonOnly = { reason: Text("why (free text)") };
const resumeFacts = {
  identity: Identity,
  policy_digest: PolicyDigest,
  environment_fingerprint: EnvironmentFingerprint,
  allow_environment_mismatch: Type.Boolean({ description: "--allow-env-mismatch" }),
};

const eventSchemas = [
  eventOf("submitted", {
    identity: Identity,
    policy_digest: PolicyDigest,
    policy_ref: Type.String({ description: "the policy path given (empty: none)" }),
    environment_fingerprint: EnvironmentFingerprint,
  }),
  eventOf("checkpoint_added", {
    checkpoint_id: CheckpointSchema.properties.checkpoint_id,
    checkpoint_type: CheckpointSchema.properties.type,
    summary: CheckpointSchema.properties.summary,
    required_action: CheckpointSchema.properties.required_action,
  }),
  eventOf("paused", reasonOnly),
  eventOf("approved", { approval_id: ApprovalSchema.properties.approval_id, ...reasonOnly }),
  /** The facts the resume presented: the identity, the policy digest seen now, the environment. */
  eventOf("resumed", resumeFacts),
  eventOf("resume_blocked", resumeFacts),
  eventOf("cancelled", reasonOnly),
  eventOf("emergency_stopped", reasonOnly),
] as const;

export const JobEventSchema = Type.Union([...eventSchemas], {
  title: "Gait Job Event",
  description:
    "One line of a durable job's events.jsonl (`gait job`): a change of the job, with what was asked and the status after it.",
});
export type JobEvent = Static<typeof JobEventSchema>;
export type JobEventType = JobEvent["type"];

/** The schemas src/schemas.ts publishes, by path below schemas/v1/ (without `.schema.json`). */
export const jobSchemas = {
  "job/state": JobStateSchema,
  "job/event": JobEventSchema,
} as const;
