/**
 * Context evidence envelopes (`gait.context.envelope`, schemas/v1/context/envelope.schema.json):
 * which retrieved context an agent acted on, as reference records (digests of the query and the
 * content, never the content), bound together by `context_set_digest`.
 *
 * An envelope is *verified* when it has the published shape and its `context_set_digest` is the
 * digest of its own records (contextSetDigest), so a digest cannot name evidence other than the
 * records it arrived with. Only a verified envelope may vouch for an intent's context evidence
 * (CONTRACTS.md §5.3); the gate strips what an intent states about itself.
 */
import { compareBytes } from "../contract/bytes.ts";
import { digestJcs, isJsonObject, type JsonObject, type JsonValue } from "../contract/canonical.ts";
import { trimLower, trimSpace } from "../contract/text.ts";
import { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { invalidInput } from "./error-codes.ts";

export const CONTEXT_ENVELOPE_SCHEMA_ID = "gait.context.envelope";
export const CONTEXT_EVIDENCE_MODES = ["best_effort", "required"] as const;
export type ContextEvidenceMode = (typeof CONTEXT_EVIDENCE_MODES)[number];
const IMMUTABILITY = ["unknown", "mutable", "immutable"] as const;
/** Either case, as the public schema allows; digests are compared and bound lower-cased. */
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/** One retrieved piece of context, by reference (schemas/v1/context/reference_record.schema.json). */
export interface ContextReferenceRecord {
  ref_id: string;
  source_type: string;
  source_locator: string;
  query_digest: string;
  content_digest: string;
  retrieved_at: string;
  redaction_mode: string;
  immutability: (typeof IMMUTABILITY)[number];
  sensitivity_label?: string;
  freshness_sla_seconds?: number;
  retrieval_params?: JsonObject;
}

export interface ContextEnvelope {
  schema_id: typeof CONTEXT_ENVELOPE_SCHEMA_ID;
  schema_version: "1.0.0";
  created_at: string;
  producer_version: string;
  context_set_id: string;
  context_set_digest: string;
  evidence_mode: ContextEvidenceMode;
  records: ContextReferenceRecord[];
}

const ENVELOPE_FIELDS = new Set([
  "schema_id",
  "schema_version",
  "created_at",
  "producer_version",
  "context_set_id",
  "context_set_digest",
  "evidence_mode",
  "records",
]);
const RECORD_FIELDS = new Set([
  "ref_id",
  "source_type",
  "source_locator",
  "query_digest",
  "content_digest",
  "retrieved_at",
  "redaction_mode",
  "immutability",
  "sensitivity_label",
  "freshness_sla_seconds",
  "retrieval_params",
]);

const HINT = "a context envelope is a gait.context.envelope JSON object; see docs/context.md";

function envelopeError(source: string, message: string) {
  return invalidInput("context_envelope_invalid", `context envelope ${source}: ${message}`, { hint: HINT });
}

/**
 * The digest binding a set of records: the JCS digest of the records, normalized (digests lower
 * case, times UTC, empty optional members dropped) and sorted by ref_id. Order and formatting of
 * the records do not change it; any change to what they say does.
 */
export function contextSetDigest(records: readonly ContextReferenceRecord[]): string {
  return digestJcs(sortedRecords(records));
}

function sortedRecords(records: readonly ContextReferenceRecord[]): ContextReferenceRecord[] {
  return [...records].sort((a, b) => compareBytes(a.ref_id, b.ref_id));
}

/** Builds a verified envelope over `records` (its digest computed), e.g. for an agent runtime to hand to the gate. */
export function buildContextEnvelope(input: {
  contextSetId: string;
  evidenceMode: ContextEvidenceMode;
  records: readonly unknown[];
  createdAt: Timestamp;
}): ContextEnvelope {
  const records = readRecords(input.records, "<records>");
  return {
    schema_id: CONTEXT_ENVELOPE_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: input.createdAt.utc().toString(),
    producer_version: PRODUCER_VERSION,
    context_set_id: requiredText(input.contextSetId, "context_set_id", "<records>"),
    context_set_digest: contextSetDigest(records),
    evidence_mode: input.evidenceMode,
    records,
  };
}

/**
 * Reads and verifies an envelope: the published shape (unknown members refused, as the schema is
 * closed), unique ref_ids, and a context_set_digest equal to the digest of its records. Throws
 * coded invalid-input errors; the records come back normalized and sorted by ref_id.
 */
export function parseContextEnvelope(raw: unknown, source: string): ContextEnvelope {
  if (!isJsonObject(raw)) throw envelopeError(source, "must be a JSON object");
  const unknown = Object.keys(raw).filter((k) => !ENVELOPE_FIELDS.has(k));
  if (unknown.length > 0) throw envelopeError(source, `unknown member(s) ${unknown.sort().join(", ")}`);
  if (raw.schema_id !== CONTEXT_ENVELOPE_SCHEMA_ID) {
    throw envelopeError(source, `schema_id must be ${CONTEXT_ENVELOPE_SCHEMA_ID}`);
  }
  if (raw.schema_version !== "1.0.0") throw envelopeError(source, "schema_version must be 1.0.0");
  const text = (name: string) => requiredText(raw[name], name, source);
  const mode = text("evidence_mode");
  if (!(CONTEXT_EVIDENCE_MODES as readonly string[]).includes(mode)) {
    throw envelopeError(source, "evidence_mode must be best_effort or required");
  }
  const stated = text("context_set_digest");
  if (!HEX_DIGEST.test(stated)) throw envelopeError(source, "context_set_digest must be 64 hex characters");
  if (!Array.isArray(raw.records)) throw envelopeError(source, "records must be an array");
  if (typeof raw.producer_version !== "string")
    throw envelopeError(source, "producer_version must be a string");
  const records = readRecords(raw.records, source);
  const computed = contextSetDigest(records);
  if (computed !== stated.toLowerCase()) {
    throw invalidInput(
      "context_set_digest_mismatch",
      `context envelope ${source}: context_set_digest ${stated} is not the digest of its records (${computed})`,
      {
        hint: "the envelope was edited after it was built, or built with another digest; rebuild it from its records (docs/context.md)",
        details: { stated, computed },
      },
    );
  }
  return {
    schema_id: CONTEXT_ENVELOPE_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: time(raw.created_at, "created_at", source),
    producer_version: raw.producer_version,
    context_set_id: text("context_set_id"),
    context_set_digest: computed,
    evidence_mode: mode as ContextEvidenceMode,
    records,
  };
}

function readRecords(values: readonly unknown[], source: string): ContextReferenceRecord[] {
  const records = values.map((value, i) => readRecord(value, `${source} records[${i}]`));
  const seen = new Set<string>();
  for (const record of records) {
    if (seen.has(record.ref_id))
      throw envelopeError(source, `ref_id ${JSON.stringify(record.ref_id)} appears twice`);
    seen.add(record.ref_id);
  }
  return sortedRecords(records);
}

function readRecord(value: unknown, where: string): ContextReferenceRecord {
  if (!isJsonObject(value)) throw envelopeError(where, "must be a JSON object");
  const unknown = Object.keys(value).filter((k) => !RECORD_FIELDS.has(k));
  if (unknown.length > 0) throw envelopeError(where, `unknown member(s) ${unknown.sort().join(", ")}`);
  const text = (name: string) => requiredText(value[name], name, where);
  const digest = (name: string) => {
    const d = text(name);
    if (!HEX_DIGEST.test(d)) throw envelopeError(where, `${name} must be 64 hex characters`);
    return d.toLowerCase();
  };
  const immutability = trimLower(text("immutability"));
  if (!(IMMUTABILITY as readonly string[]).includes(immutability)) {
    throw envelopeError(where, "immutability must be unknown, mutable or immutable");
  }
  const record: ContextReferenceRecord = {
    ref_id: text("ref_id"),
    source_type: text("source_type"),
    source_locator: text("source_locator"),
    query_digest: digest("query_digest"),
    content_digest: digest("content_digest"),
    retrieved_at: time(value.retrieved_at, "retrieved_at", where),
    redaction_mode: trimLower(text("redaction_mode")),
    immutability: immutability as ContextReferenceRecord["immutability"],
  };
  const label = value.sensitivity_label;
  if (label !== undefined) {
    if (typeof label !== "string") throw envelopeError(where, "sensitivity_label must be a string");
    if (trimSpace(label) !== "") record.sensitivity_label = trimSpace(label);
  }
  const sla = value.freshness_sla_seconds;
  if (sla !== undefined) {
    if (typeof sla !== "number" || !Number.isSafeInteger(sla) || sla < 0) {
      throw envelopeError(where, "freshness_sla_seconds must be a whole number of seconds, 0 or more");
    }
    if (sla > 0) record.freshness_sla_seconds = sla;
  }
  const params = value.retrieval_params;
  if (params !== undefined) {
    if (!isJsonObject(params)) throw envelopeError(where, "retrieval_params must be a JSON object");
    if (Object.keys(params).length > 0) record.retrieval_params = params;
  }
  return record;
}

function requiredText(value: JsonValue | unknown, name: string, where: string): string {
  if (typeof value !== "string" || trimSpace(value) === "") {
    throw envelopeError(where, `${name} must be a non-empty string`);
  }
  return trimSpace(value);
}

function time(value: unknown, name: string, where: string): string {
  if (typeof value !== "string") throw envelopeError(where, `${name} must be an RFC 3339 time`);
  try {
    return Timestamp.parse(value).utc().toString();
  } catch {
    throw envelopeError(where, `${name} must be an RFC 3339 time, got ${JSON.stringify(value)}`);
  }
}

/** What a verified envelope vouches for in an intent's context. */
export interface ContextEvidence {
  setDigest: string;
  mode: ContextEvidenceMode;
  /** The records' ref_ids, sorted. */
  refs: string[];
  /**
   * When the oldest record was retrieved (the envelope's creation when it has none): the
   * context's age at evaluation time is measured from it (`max_context_age_seconds`).
   */
  oldestAt: string;
  /** Where the evidence came from (the gate's `context_source`). */
  source: "envelope";
}

export function contextEvidenceFor(envelope: ContextEnvelope): ContextEvidence {
  const times = envelope.records.map((r) => Timestamp.parse(r.retrieved_at));
  const earlier = (a: Timestamp, b: Timestamp) => (b.compare(a) < 0 ? b : a);
  const oldest = times.length > 0 ? times.reduce(earlier) : Timestamp.parse(envelope.created_at);
  return {
    setDigest: envelope.context_set_digest,
    mode: envelope.evidence_mode,
    refs: envelope.records.map((r) => r.ref_id),
    oldestAt: oldest.toString(),
    source: "envelope",
  };
}
