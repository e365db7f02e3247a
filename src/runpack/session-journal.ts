/**
 * The session journal's pure core: how a journal is written line by line, read back strictly,
 * summarised, checkpointed and compacted. No file system here (src/runpack/session.ts is the I/O).
 *
 * A journal is JSONL, one canonical JSON object per line, each line a v1 artifact of its own:
 * line 1 is the header (a `gait.runpack.session_journal` with no events), then
 * `gait.runpack.session_event` lines (sequence 1, 2, 3...) and, where checkpoints were taken,
 * `gait.runpack.session_checkpoint` lines. Only appends ever happen, except compaction, which drops
 * event lines a checkpoint runpack already holds. Reading is strict: every line must parse and
 * conform, sequences must follow one another and checkpoints must link, or the read fails with a
 * coded error naming the line.
 */
import {
  canonicalize,
  isJsonObject,
  type JsonObject,
  parseJsonStrict,
  sha256Hex,
} from "../contract/canonical.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { type ErrorFactory, FieldReader } from "./input.ts";
import {
  SESSION_VERDICTS,
  type SessionCheckpoint,
  type SessionEvent,
  type SessionJournal,
  SessionSchemaIds,
  type SessionStatus,
  type SessionVerdict,
} from "./session-types.ts";
import { RUNPACK_SCHEMA_VERSION, runIdPattern } from "./types.ts";

/** A journal as read: the header, then events and checkpoints in file order, and each line's text. */
export interface ParsedJournal {
  header: SessionJournal;
  events: SessionEvent[];
  checkpoints: SessionCheckpoint[];
  /** Each event's line as stored (compaction keeps these bytes). */
  eventLines: string[];
  /** Each checkpoint's line as stored. */
  checkpointLines: string[];
  headerLine: string;
  /** The highest sequence the session has reached (an event's, or a checkpoint's end after compaction). */
  lastSequence: number;
}

const DIGEST = /^[a-fA-F0-9]{64}$/;

/** sha256 hex of `<manifest_digest>:<prev_checkpoint_digest>:<index>:<sequence_start>:<sequence_end>` (CONTRACTS.md §8). */
export function checkpointDigest(
  manifestDigest: string,
  prevCheckpointDigest: string,
  index: number,
  sequenceStart: number,
  sequenceEnd: number,
): string {
  return sha256Hex(`${manifestDigest}:${prevCheckpointDigest}:${index}:${sequenceStart}:${sequenceEnd}`);
}

/** The run id of a checkpoint's runpack: `<run_id>_cp_NNNN` (CONTRACTS.md §3.4). */
export function checkpointRunId(runId: string, index: number): string {
  return `${runId}_cp_${String(index).padStart(4, "0")}`;
}

export function journalLine(record: SessionJournal | SessionEvent | SessionCheckpoint): string {
  return `${canonicalize(record)}\n`;
}

export interface SessionHeaderInput {
  sessionId: string;
  runId: string;
  createdAt: string;
  producerVersion: string;
}

/** The header line's record; the run id must make valid checkpoint run ids. */
export function journalHeader(input: SessionHeaderInput): SessionJournal {
  const sessionId = input.sessionId.trim();
  const runId = input.runId.trim();
  if (sessionId === "")
    throw invalidInput("session_input_invalid", "a session id is required", {
      hint: "pass --session-id sess_<name>",
    });
  if (!runIdPattern.test(runId))
    throw invalidInput("invalid_run_id", `run_id ${JSON.stringify(runId)} must match ^run_[A-Za-z0-9_-]+$`, {
      hint: "checkpoint runpacks are named <run_id>_cp_NNNN, so the run id must be a runpack run id, e.g. run_agent_2026",
    });
  return {
    schema_id: SessionSchemaIds.journal,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: input.createdAt,
    producer_version: input.producerVersion,
    session_id: sessionId,
    run_id: runId,
    started_at: input.createdAt,
    events: [],
  };
}

/** What a caller says about one tool call; the journal adds the header fields and the sequence. */
export interface SessionEventInput {
  intent_id?: string;
  tool_name: string;
  intent_digest?: string;
  policy_digest?: string;
  policy_id?: string;
  policy_version?: string;
  matched_rule_ids?: string[];
  trace_id?: string;
  trace_path?: string;
  verdict?: string;
  reason_codes?: string[];
  violations?: string[];
  safety_invariant_version?: string;
  safety_invariant_hash?: string;
}

/** Builds the next event record; throws a coded invalid-input error for a bad field. */
export function sessionEvent(
  header: SessionJournal,
  sequence: number,
  input: SessionEventInput,
  meta: { createdAt: string; producerVersion: string },
): SessionEvent {
  const event: SessionEvent = {
    schema_id: SessionSchemaIds.event,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: meta.createdAt,
    producer_version: meta.producerVersion,
    session_id: header.session_id,
    run_id: header.run_id,
    sequence,
  };
  const problem = (message: string) =>
    invalidInput("session_input_invalid", message, { hint: "fix the named field and append again" });
  const toolName = input.tool_name.trim();
  if (toolName === "") throw problem("tool_name is required (--tool)");
  const text = (key: keyof SessionEventInput, value: string | undefined, required = false) => {
    const trimmed = value?.trim() ?? "";
    if (trimmed !== "") (event as Record<string, unknown>)[key] = trimmed;
    else if (required) throw problem(`${key} is required`);
  };
  const digest = (
    key: "intent_digest" | "policy_digest" | "safety_invariant_hash",
    value: string | undefined,
  ) => {
    const trimmed = value?.trim().toLowerCase() ?? "";
    if (trimmed === "") return;
    if (!DIGEST.test(trimmed)) throw problem(`${key} must be 64 hex characters`);
    event[key] = trimmed;
  };
  const list = (key: "matched_rule_ids" | "reason_codes" | "violations", values: string[] | undefined) => {
    const kept = (values ?? []).map((v) => v.trim()).filter((v) => v !== "");
    if (kept.length > 0) event[key] = kept;
  };
  text("intent_id", input.intent_id);
  event.tool_name = toolName;
  digest("intent_digest", input.intent_digest);
  digest("policy_digest", input.policy_digest);
  text("policy_id", input.policy_id);
  text("policy_version", input.policy_version);
  list("matched_rule_ids", input.matched_rule_ids);
  text("trace_id", input.trace_id);
  text("trace_path", input.trace_path);
  const verdict = input.verdict?.trim().toLowerCase() ?? "";
  if (verdict !== "") {
    if (!(SESSION_VERDICTS as readonly string[]).includes(verdict))
      throw problem(
        `verdict must be one of ${SESSION_VERDICTS.join(", ")}, got ${JSON.stringify(input.verdict)}`,
      );
    event.verdict = verdict as SessionVerdict;
  }
  list("reason_codes", input.reason_codes);
  list("violations", input.violations);
  text("safety_invariant_version", input.safety_invariant_version);
  digest("safety_invariant_hash", input.safety_invariant_hash);
  return event;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses a journal's text strictly. A final line without its newline is a torn append (the
 * writer died mid-write) and fails as `session_journal_truncated`; everything else that is not a
 * well-formed, linked journal fails as `session_journal_invalid` or, for checkpoint links and
 * digests, `session_journal_broken`. `where` names the file in messages.
 */
export function parseSessionJournal(text: string, where: string): ParsedJournal {
  if (text === "")
    throw invalidInput(
      "session_journal_invalid",
      `${where} is empty: a session journal starts with its header line`,
      {
        hint: "start the session with gait run session start",
      },
    );
  if (!text.endsWith("\n")) {
    const lineNo = text.split("\n").length;
    throw invalidInput(
      "session_journal_truncated",
      `${where} line ${lineNo} is incomplete (no final newline): an append was interrupted`,
      {
        hint: "the next gait run session append or checkpoint drops the torn line (it was never acknowledged)",
        details: { line: lineNo },
      },
    );
  }
  const lines = text.slice(0, -1).split("\n");
  const headerLine = `${lines[0]}\n`;
  const header = parseHeader(lineReader(lines[0]!, where, 1));
  const journal: ParsedJournal = {
    header,
    events: [],
    checkpoints: [],
    eventLines: [],
    checkpointLines: [],
    headerLine,
    lastSequence: 0,
  };
  for (let i = 1; i < lines.length; i++) addLine(journal, lines[i]!, where, i + 1);
  return journal;
}

function addLine(journal: ParsedJournal, line: string, where: string, lineNo: number): void {
  const reader = lineReader(line, where, lineNo);
  const schemaId = reader.string("schema_id");
  if (schemaId === SessionSchemaIds.event) {
    const event = parseEvent(reader);
    sameSession(reader, journal.header, event);
    if (event.sequence !== journal.lastSequence + 1)
      throw reader.error(
        "session_journal_invalid",
        `sequence ${event.sequence} does not follow ${journal.lastSequence} (events are numbered 1, 2, 3... without gaps)`,
      );
    journal.lastSequence = event.sequence;
    journal.events.push(event);
    journal.eventLines.push(`${line}\n`);
    return;
  }
  if (schemaId === SessionSchemaIds.checkpoint) {
    const checkpoint = parseCheckpoint(reader);
    sameSession(reader, journal.header, checkpoint);
    checkLink(reader, journal, checkpoint);
    journal.lastSequence = Math.max(journal.lastSequence, checkpoint.sequence_end);
    journal.checkpoints.push(checkpoint);
    journal.checkpointLines.push(`${line}\n`);
    return;
  }
  throw reader.error(
    "session_journal_invalid",
    `schema_id must be ${SessionSchemaIds.event} or ${SessionSchemaIds.checkpoint}, got ${JSON.stringify(schemaId)}`,
  );
}

/** A checkpoint follows the previous one: next index, next sequences, its digest, recomputed. */
function checkLink(reader: FieldReader, journal: ParsedJournal, checkpoint: SessionCheckpoint): void {
  const previous = journal.checkpoints.at(-1);
  const broken = (message: string) =>
    verificationFailed("session_journal_broken", `${reader.where}: ${message}`, {
      hint: "the journal's checkpoint records were altered; restore the journal from its original",
    });
  const index = (previous?.checkpoint_index ?? 0) + 1;
  if (checkpoint.checkpoint_index !== index)
    throw broken(`checkpoint_index ${checkpoint.checkpoint_index}, expected ${index}`);
  const start = (previous?.sequence_end ?? 0) + 1;
  if (checkpoint.sequence_start !== start)
    throw broken(`sequence_start ${checkpoint.sequence_start}, expected ${start}`);
  if (checkpoint.sequence_end < checkpoint.sequence_start || checkpoint.sequence_end < journal.lastSequence)
    throw broken(
      `sequence_end ${checkpoint.sequence_end} does not cover the events before it (through ${journal.lastSequence})`,
    );
  if ((checkpoint.prev_checkpoint_digest ?? "") !== (previous?.checkpoint_digest ?? ""))
    throw broken("prev_checkpoint_digest does not name the previous checkpoint's digest");
  const digest = digestOf(checkpoint);
  if (checkpoint.checkpoint_digest !== digest)
    throw broken(`checkpoint_digest ${checkpoint.checkpoint_digest} does not match its fields (${digest})`);
}

/** The digest a checkpoint's own fields give (lower case, as stored). */
export function digestOf(checkpoint: SessionCheckpoint): string {
  return checkpointDigest(
    checkpoint.manifest_digest.toLowerCase(),
    (checkpoint.prev_checkpoint_digest ?? "").toLowerCase(),
    checkpoint.checkpoint_index,
    checkpoint.sequence_start,
    checkpoint.sequence_end,
  );
}

function lineReader(line: string, where: string, lineNo: number): FieldReader {
  const at = `${where} line ${lineNo}`;
  const fail: ErrorFactory = (code, message) =>
    invalidInput(
      code === "runpack_input_invalid" || code === "invalid_json" ? "session_journal_invalid" : code,
      message,
      {
        hint: "the journal is damaged at the named line; restore it from a copy, or start a new session",
        details: { line: lineNo },
      },
    );
  let value: unknown;
  try {
    value = parseJsonStrict(line, at);
  } catch (error) {
    throw fail("session_journal_invalid", error instanceof Error ? error.message : String(error));
  }
  if (!isJsonObject(value)) throw fail("session_journal_invalid", `${at}: expected a JSON object`);
  return new FieldReader(value, at, fail);
}

function sameSession(
  reader: FieldReader,
  header: SessionJournal,
  record: { session_id: string; run_id: string },
): void {
  if (record.session_id !== header.session_id || record.run_id !== header.run_id)
    throw reader.error(
      "session_journal_invalid",
      `session ${record.session_id}/${record.run_id} differs from the journal's ${header.session_id}/${header.run_id}`,
    );
}

/** Members every session record has; unknown members are refused (the schemas are closed). */
function recordHeader(reader: FieldReader, schemaId: string, allowed: readonly string[]) {
  for (const key of Object.keys(reader.object)) {
    if (!COMMON_KEYS.includes(key) && !allowed.includes(key))
      throw reader.error("session_journal_invalid", `unknown member ${JSON.stringify(key)}`);
  }
  if (reader.string("schema_id") !== schemaId)
    throw reader.error("session_journal_invalid", `schema_id must be ${schemaId}`);
  if (reader.string("schema_version") !== RUNPACK_SCHEMA_VERSION)
    throw reader.error("session_journal_invalid", `schema_version must be ${RUNPACK_SCHEMA_VERSION}`);
  return {
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: requiredTime(reader, "created_at"),
    producer_version: reader.string("producer_version"),
    session_id: requiredText(reader, "session_id"),
    run_id: requiredText(reader, "run_id"),
  };
}

const COMMON_KEYS = ["schema_id", "schema_version", "created_at", "producer_version", "session_id", "run_id"];

function parseHeader(reader: FieldReader): SessionJournal {
  const header = {
    schema_id: SessionSchemaIds.journal,
    ...recordHeader(reader, SessionSchemaIds.journal, ["started_at", "events", "checkpoints"]),
    started_at: requiredTime(reader, "started_at"),
    events: [],
  } satisfies SessionJournal;
  if (reader.array("events").length > 0 || reader.array("checkpoints").length > 0)
    throw reader.error(
      "session_journal_invalid",
      "the header line carries no events or checkpoints (they follow it, one per line)",
    );
  return header;
}

const EVENT_KEYS = [
  "sequence",
  "intent_id",
  "tool_name",
  "intent_digest",
  "policy_digest",
  "policy_id",
  "policy_version",
  "matched_rule_ids",
  "trace_id",
  "trace_path",
  "verdict",
  "reason_codes",
  "violations",
  "relationship",
  "safety_invariant_version",
  "safety_invariant_hash",
];

function parseEvent(reader: FieldReader): SessionEvent {
  const event: SessionEvent = {
    schema_id: SessionSchemaIds.event,
    ...recordHeader(reader, SessionSchemaIds.event, EVENT_KEYS),
    sequence: positive(reader, "sequence"),
  };
  for (const key of ["intent_id", "tool_name", "trace_id", "trace_path"] as const)
    optional(reader, event, key, "any");
  for (const key of ["policy_id", "policy_version", "safety_invariant_version"] as const)
    optional(reader, event, key, "nonempty");
  for (const key of ["intent_digest", "policy_digest", "safety_invariant_hash"] as const)
    optional(reader, event, key, "digest");
  if (reader.object.verdict !== undefined) {
    const verdict = reader.string("verdict");
    if (!(SESSION_VERDICTS as readonly string[]).includes(verdict))
      throw reader.error("session_journal_invalid", `verdict must be one of ${SESSION_VERDICTS.join(", ")}`);
    event.verdict = verdict as SessionVerdict;
  }
  for (const key of ["matched_rule_ids", "reason_codes", "violations"] as const) {
    if (reader.object[key] === undefined) continue;
    event[key] = reader.array(key).map((value) => {
      if (typeof value !== "string" || (key === "matched_rule_ids" && value === ""))
        throw reader.error(
          "session_journal_invalid",
          `${key} must hold ${key === "matched_rule_ids" ? "non-empty " : ""}strings`,
        );
      return value;
    });
  }
  const relationship = reader.obj("relationship");
  if (relationship) event.relationship = relationship;
  return event;
}

const CHECKPOINT_KEYS = [
  "checkpoint_index",
  "sequence_start",
  "sequence_end",
  "runpack_path",
  "manifest_digest",
  "prev_checkpoint_digest",
  "checkpoint_digest",
  "relationship",
];

/** A checkpoint record (journal line or chain member); `reader`'s factory decides the error. */
export function parseCheckpoint(reader: FieldReader): SessionCheckpoint {
  const checkpoint: SessionCheckpoint = {
    schema_id: SessionSchemaIds.checkpoint,
    ...recordHeader(reader, SessionSchemaIds.checkpoint, CHECKPOINT_KEYS),
    checkpoint_index: positive(reader, "checkpoint_index"),
    sequence_start: positive(reader, "sequence_start"),
    sequence_end: positive(reader, "sequence_end"),
    runpack_path: requiredText(reader, "runpack_path"),
    manifest_digest: requiredDigest(reader, "manifest_digest"),
    checkpoint_digest: requiredDigest(reader, "checkpoint_digest"),
  };
  optional(reader, checkpoint, "prev_checkpoint_digest", "digest");
  const relationship = reader.obj("relationship");
  if (relationship) checkpoint.relationship = relationship;
  return checkpoint;
}

function requiredText(reader: FieldReader, key: string): string {
  const value = reader.string(key);
  if (value === "") throw reader.error("session_journal_invalid", `${key} is required`);
  return value;
}

function requiredTime(reader: FieldReader, key: string): string {
  const text = reader.timeText(key);
  if (text === "") throw reader.error("session_journal_invalid", `${key} is required`);
  return text;
}

function requiredDigest(reader: FieldReader, key: string): string {
  const value = reader.string(key);
  if (!DIGEST.test(value)) throw reader.error("session_journal_invalid", `${key} must be 64 hex characters`);
  return value;
}

function positive(reader: FieldReader, key: string): number {
  const value = reader.object[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1)
    throw reader.error("session_journal_invalid", `${key} must be an integer of at least 1`);
  return value;
}

function optional<T extends object>(
  reader: FieldReader,
  record: T,
  key: keyof T & string,
  kind: "any" | "nonempty" | "digest",
): void {
  if (reader.object[key] === undefined) return;
  const value = reader.string(key);
  if (kind === "nonempty" && value === "")
    throw reader.error("session_journal_invalid", `${key} must not be empty`);
  if (kind === "digest" && !DIGEST.test(value))
    throw reader.error("session_journal_invalid", `${key} must be 64 hex characters`);
  (record as Record<string, unknown>)[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Summaries, checkpoints, compaction

export function sessionStatus(journal: ParsedJournal): SessionStatus {
  const last = journal.checkpoints.at(-1);
  const coveredThrough = last?.sequence_end ?? 0;
  return {
    session_id: journal.header.session_id,
    run_id: journal.header.run_id,
    started_at: journal.header.started_at,
    last_sequence: journal.lastSequence,
    events_in_journal: journal.events.length,
    pending_events: journal.lastSequence - coveredThrough,
    checkpoint_count: journal.checkpoints.length,
    last_checkpoint_index: last?.checkpoint_index ?? 0,
    ...(last ? { last_checkpoint_digest: last.checkpoint_digest } : {}),
    last_checkpoint_sequence_end: coveredThrough,
  };
}

/** The journal as one `gait.runpack.session_journal` document. */
export function journalDocument(journal: ParsedJournal): SessionJournal {
  return {
    ...journal.header,
    events: journal.events,
    ...(journal.checkpoints.length > 0 ? { checkpoints: journal.checkpoints } : {}),
  };
}

/** The events the next checkpoint holds: those after the last checkpoint. */
export function pendingEvents(journal: ParsedJournal): SessionEvent[] {
  const coveredThrough = journal.checkpoints.at(-1)?.sequence_end ?? 0;
  return journal.events.filter((event) => event.sequence > coveredThrough);
}

/**
 * The run record input (as `gait run record` takes it) for a checkpoint's runpack: one intent and
 * one result per event, raw capture (the payloads are the events' own metadata: digests, verdicts,
 * reason codes, never tool arguments), and a `gait.trace` receipt for each event naming its trace.
 */
export function checkpointRunInput(
  journal: ParsedJournal,
  events: readonly SessionEvent[],
  runId: string,
  createdAt: string,
): JsonObject {
  const used = new Set<string>();
  const steps = events.map((event) => {
    if (!event.tool_name)
      throw invalidInput(
        "session_input_invalid",
        `event ${event.sequence} has no tool_name, so it cannot become a runpack intent`,
        {
          hint: "append events with --tool",
        },
      );
    const intentId = uniqueIntentId(event, used);
    const { verdict, reason_codes, violations } = event;
    const args: JsonObject = { session_id: event.session_id, sequence: event.sequence };
    for (const key of ARG_KEYS) if (event[key] !== undefined) args[key] = event[key] as JsonObject[string];
    return {
      intent: { intent_id: intentId, tool_name: event.tool_name, created_at: event.created_at, args },
      result: {
        intent_id: intentId,
        created_at: event.created_at,
        status: verdict === "block" || verdict === "require_approval" ? "error" : "ok",
        result: {
          ...(verdict ? { verdict } : {}),
          ...(reason_codes ? { reason_codes } : {}),
          ...(violations ? { violations } : {}),
        },
      },
      receipt: event.trace_id
        ? {
            ref_id: `trace_${intentId}`,
            source_type: "gait.trace",
            source_locator: event.trace_path ?? event.trace_id,
            retrieved_at: event.created_at,
            redaction_mode: "reference",
          }
        : undefined,
    };
  });
  return {
    capture_mode: "raw",
    run: {
      run_id: runId,
      created_at: createdAt,
      timeline: [{ event: "session_checkpoint", ts: createdAt, ref: journal.header.session_id }],
    },
    intents: steps.map((s) => s.intent),
    results: steps.map((s) => s.result),
    refs: { receipts: steps.flatMap((s) => (s.receipt ? [s.receipt] : [])) },
  };
}

const ARG_KEYS = [
  "intent_id",
  "intent_digest",
  "policy_digest",
  "policy_id",
  "policy_version",
  "matched_rule_ids",
  "trace_id",
  "trace_path",
  "safety_invariant_version",
  "safety_invariant_hash",
] as const;

/** The event's intent id, or `intent_<sequence>`; a repeat within one runpack gets `_seq<sequence>`. */
function uniqueIntentId(event: SessionEvent, used: Set<string>): string {
  let id = event.intent_id?.trim() || `intent_${event.sequence}`;
  if (used.has(id)) id = `${id}_seq${event.sequence}`;
  used.add(id);
  return id;
}

export interface CheckpointFields {
  createdAt: string;
  producerVersion: string;
  runpackPath: string;
  manifestDigest: string;
  sequenceStart: number;
  sequenceEnd: number;
}

/** The next checkpoint record, linked to the last one by digest. */
export function nextCheckpoint(journal: ParsedJournal, fields: CheckpointFields): SessionCheckpoint {
  const previous = journal.checkpoints.at(-1);
  const index = (previous?.checkpoint_index ?? 0) + 1;
  const prev = previous?.checkpoint_digest.toLowerCase() ?? "";
  const manifestDigest = fields.manifestDigest.toLowerCase();
  return {
    schema_id: SessionSchemaIds.checkpoint,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: fields.createdAt,
    producer_version: fields.producerVersion,
    session_id: journal.header.session_id,
    run_id: journal.header.run_id,
    checkpoint_index: index,
    sequence_start: fields.sequenceStart,
    sequence_end: fields.sequenceEnd,
    runpack_path: fields.runpackPath,
    manifest_digest: manifestDigest,
    ...(prev ? { prev_checkpoint_digest: prev } : {}),
    checkpoint_digest: checkpointDigest(
      manifestDigest,
      prev,
      index,
      fields.sequenceStart,
      fields.sequenceEnd,
    ),
  };
}

export interface CompactionPlan {
  text: string;
  events_before: number;
  events_after: number;
  events_dropped: number;
  bytes_before: number;
  bytes_after: number;
}

/**
 * The journal without the event lines its checkpoints cover (their runpacks hold them): header,
 * checkpoints, then the pending events, each line byte for byte as it was.
 */
export function compactJournal(journal: ParsedJournal, bytesBefore: number): CompactionPlan {
  const coveredThrough = journal.checkpoints.at(-1)?.sequence_end ?? 0;
  const kept = journal.eventLines.filter((_, i) => journal.events[i]!.sequence > coveredThrough);
  const text = journal.headerLine + journal.checkpointLines.join("") + kept.join("");
  return {
    text,
    events_before: journal.events.length,
    events_after: kept.length,
    events_dropped: journal.events.length - kept.length,
    bytes_before: bytesBefore,
    bytes_after: Buffer.byteLength(text),
  };
}
