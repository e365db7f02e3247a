/**
 * The payload entries of run and job packs, derived from their sources and never typed by hand:
 * the builder writes them and the verifier re-derives them from the same sources to check them
 * (CONTRACTS.md §7.1). Pure.
 */
import { canonicalize, canonicalJsonLines, isJsonObject, type JsonObject } from "../contract/canonical.ts";
import type { GaitError } from "../contract/errors.ts";
import { normalizeGoTimestamp } from "../contract/time.ts";
import { JOB_STATUSES, type JobStatus } from "../job/index.ts";
import type { Runpack } from "../runpack/index.ts";
import { invalidInput } from "./error-codes.ts";
import {
  type JobPayload,
  PACK_SCHEMA_VERSION,
  type PackFile,
  PackFiles,
  PackSchemaIds,
  type RunPayload,
} from "./types.ts";

/** The run payload of a runpack: its identity, digest and record counts. */
export function runPayloadFor(runpack: Runpack): RunPayload {
  const { refs } = runpack;
  return {
    schema_id: PackSchemaIds.run,
    schema_version: PACK_SCHEMA_VERSION,
    created_at: runpack.run.created_at,
    run_id: runpack.run.run_id,
    capture_mode: runpack.manifest.capture_mode,
    manifest_digest: runpack.manifest.manifest_digest,
    intents_count: runpack.intents.length,
    results_count: runpack.results.length,
    refs_count: refs.receipts.length,
    ...(refs.context_set_digest ? { context_set_digest: refs.context_set_digest } : {}),
    ...(refs.context_ref_count ? { context_ref_count: refs.context_ref_count } : {}),
    ...(refs.context_evidence_mode ? { context_evidence_mode: refs.context_evidence_mode } : {}),
  };
}

/** A run pack's entries but the proof records and the manifest. */
export function runPackFiles(runpack: Runpack, runpackZip: Buffer): PackFile[] {
  return [
    { path: PackFiles.runPayload, data: Buffer.from(canonicalize(runPayloadFor(runpack))) },
    { path: PackFiles.sourceRunpack, data: runpackZip },
  ];
}

/**
 * What a job pack is built from: a job's state document and its event log as the durable job
 * runtime (src/job) keeps them. The state must carry `status` (one of JOB_STATUSES),
 * `stop_reason`, `status_reason_code`, `environment_fingerprint` (non-empty strings),
 * `created_at` (RFC 3339), and the lists `checkpoints` and `approvals` (absent = none); optional
 * `job_id` (must match), `safety_invariant_version` and `safety_invariant_hash` (64 hex).
 * Everything else in it is carried into `job_state.json` untouched.
 */
export interface JobPackSource {
  job_id: string;
  state: JsonObject;
  events: readonly JsonObject[];
}

export type PayloadErrorFactory = (message: string) => GaitError;

const jobSourceError: PayloadErrorFactory = (message) =>
  invalidInput("pack_job_source_invalid", `job pack source: ${message}`, {
    hint: "give the job's state with status, stop_reason, status_reason_code, environment_fingerprint and created_at",
  });

/** The job payload derived from a job's state. */
export function jobPayloadFor(source: JobPackSource, fail: PayloadErrorFactory = jobSourceError): JobPayload {
  const { state } = source;
  if (typeof source.job_id !== "string" || source.job_id.trim() === "") throw fail("job_id is empty");
  const text = (key: string, required = true): string => {
    const value = state[key];
    if (value === undefined || value === null || value === "") {
      if (required) throw fail(`state.${key} is missing or empty`);
      return "";
    }
    if (typeof value !== "string") throw fail(`state.${key} must be a string`);
    return value;
  };
  const count = (key: string): number => {
    const value = state[key];
    if (value === undefined || value === null) return 0;
    if (!Array.isArray(value)) throw fail(`state.${key} must be a list`);
    return value.length;
  };
  const stateJobId = text("job_id", false);
  if (stateJobId !== "" && stateJobId !== source.job_id)
    throw fail(`state.job_id ${JSON.stringify(stateJobId)} is not ${JSON.stringify(source.job_id)}`);
  const status = text("status");
  if (!(JOB_STATUSES as readonly string[]).includes(status))
    throw fail(`state.status must be one of ${JOB_STATUSES.join(", ")}`);
  let createdAt: string;
  try {
    createdAt = normalizeGoTimestamp(text("created_at"), "state.created_at");
  } catch {
    throw fail("state.created_at is not an RFC 3339 timestamp");
  }
  const invariantVersion = text("safety_invariant_version", false);
  const invariantHash = text("safety_invariant_hash", false);
  if (invariantHash !== "" && !/^[0-9a-fA-F]{64}$/.test(invariantHash))
    throw fail("state.safety_invariant_hash must be 64 hex characters");
  return {
    schema_id: PackSchemaIds.job,
    schema_version: PACK_SCHEMA_VERSION,
    created_at: createdAt,
    job_id: source.job_id,
    status: status as JobStatus,
    stop_reason: text("stop_reason"),
    status_reason_code: text("status_reason_code"),
    environment_fingerprint: text("environment_fingerprint"),
    ...(invariantVersion ? { safety_invariant_version: invariantVersion } : {}),
    ...(invariantHash ? { safety_invariant_hash: invariantHash } : {}),
    checkpoint_count: count("checkpoints"),
    approval_count: count("approvals"),
  };
}

/** A JobPackSource read from untrusted JSON (`{job_id, state, events}`); `where` names it in errors. */
export function parseJobPackSource(value: unknown, where: string): JobPackSource {
  const ok =
    isJsonObject(value) &&
    typeof value.job_id === "string" &&
    isJsonObject(value.state) &&
    Array.isArray(value.events) &&
    value.events.every(isJsonObject);
  if (!ok) throw jobSourceError(`${where}: expected {job_id: string, state: object, events: [objects]}`);
  return value as unknown as JobPackSource;
}

/** A job pack's entries but the proof records and the manifest. */
export function jobPackFiles(source: JobPackSource): PackFile[] {
  if (!isJsonObject(source.state)) throw jobSourceError("state must be a JSON object");
  if (!Array.isArray(source.events) || !source.events.every(isJsonObject))
    throw jobSourceError("events must be a list of JSON objects");
  return [
    { path: PackFiles.jobPayload, data: Buffer.from(canonicalize(jobPayloadFor(source))) },
    { path: PackFiles.jobState, data: Buffer.from(canonicalize(source.state)) },
    { path: PackFiles.jobEvents, data: Buffer.from(canonicalJsonLines(source.events)) },
  ];
}
