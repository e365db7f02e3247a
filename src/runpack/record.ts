/**
 * Recording: turns a run record input (`{run, intents[], results[], refs, capture_mode?,
 * normalization?}`) into the five canonical runpack entries (CONTRACTS.md §3). Building the entries
 * is pure (no clock reads except the injected one, no file system); recordRunpack at the end is the
 * I/O edge that signs, writes and re-verifies the zip.
 */
import { resolve } from "node:path";
import type { ContextEnvelope } from "../context/index.ts";
import { compareBytes } from "../contract/bytes.ts";
import {
  canonicalize,
  canonicalJsonLines,
  digestJcs,
  type JsonObject,
  type JsonValue,
} from "../contract/canonical.ts";
import { resolveSigningKey, type SigningKeyRequest } from "../contract/keys.ts";
import { showPath } from "../contract/paths.ts";
import { signJson, verifyKeyFor } from "../contract/signing.ts";
import { trimLower, trimSpace } from "../contract/text.ts";
import { type Clock, EPOCH_1980 } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { writeArtifactAtomic } from "../store/index.ts";
import { runpackZip } from "./archive.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { FieldReader } from "./input.ts";
import { buildManifest, type ManifestSigner } from "./manifest.ts";
import { runpackFileName } from "./paths.ts";
import { ticketFooter } from "./receipt.ts";
import { parseRedactPath, redactDocument } from "./redact.ts";
import {
  CAPTURE_MODES,
  type CaptureMode,
  CONTEXT_EVIDENCE_MODES,
  type ContextEvidenceMode,
  IMMUTABILITY_VALUES,
  type IntentRecord,
  type Receipt,
  type Refs,
  type ResultRecord,
  RUNPACK_SCHEMA_VERSION,
  type Run,
  type Runpack,
  type RunpackEntry,
  RunpackFiles,
  runIdPattern,
  SchemaIds,
  type TimelineEvent,
} from "./types.ts";
import { verifyRunpack } from "./verify.ts";

export const RAW_CAPTURE_WARNING =
  "raw capture retains raw intent arguments and raw result payloads; handle runpack as sensitive evidence";
export const REFERENCE_STRIP_WARNING =
  "reference capture stripped raw intent arguments and raw result payloads after digesting";

export interface RunEnvironment {
  os: string;
  arch: string;
  runtime: string;
}

export interface BuildOptions {
  clock: Clock;
  /** Overrides `run.run_id` and is copied into every record. */
  runId?: string;
  /** Overrides the input's `capture_mode` (default `reference`). */
  captureMode?: CaptureMode;
  /**
   * Default for `refs.context_evidence_mode` when the input sets none. Omitted: none, the field
   * stays absent, as the reference library writes it; `gait run record` passes `best_effort`, as
   * the reference CLI does (CONTRACTS.md §3.2).
   */
  contextEvidenceMode?: ContextEvidenceMode;
  /** Allows receipts with `redaction_mode: raw`. */
  unsafeContextRaw?: boolean;
  /**
   * A verified context envelope (context/index.ts: parseContextEnvelope) to bind into refs: its
   * records become receipts and its context set digest and evidence mode are the runpack's.
   */
  contextEnvelope?: ContextEnvelope;
  /** Run environment default; the host's (runtime `node`) when omitted. */
  environment?: RunEnvironment;
  /** `producer_version` default when the input carries none. */
  producerVersion?: string;
  sign?: ManifestSigner;
}

export interface BuiltRunpack {
  runpack: Runpack;
  /** The five zip entries, sorted by path. */
  entries: RunpackEntry[];
  manifestDigest: string;
  warnings: string[];
}

const goOs: Record<string, string> = { win32: "windows", sunos: "solaris" };
const goArch: Record<string, string> = { x64: "amd64", ia32: "386", x32: "386" };

/** The host as Go would name it (GOOS/GOARCH spelling), with our honest runtime: `node`. */
function hostEnvironment(): RunEnvironment {
  return {
    os: goOs[process.platform] ?? process.platform,
    arch: goArch[process.arch] ?? process.arch,
    runtime: "node",
  };
}

/** Builds the canonical runpack entries for a record input. Throws coded invalid-input errors. */
export function buildRunpack(input: unknown, options: BuildOptions): BuiltRunpack {
  const root = FieldReader.of(input, "");
  const captureMode = resolveCaptureMode(options.captureMode, root.string("capture_mode"));
  const run = buildRun(root.child("run"), options);
  const normalization = root.child("normalization");
  const payloads = {
    args: payloadMap(normalization.child("intent_args")),
    results: payloadMap(normalization.child("result_payloads")),
  };
  const header = { runId: run.run_id, createdAt: run.created_at, producerVersion: run.producer_version };
  const intents = root.array("intents").map((value, i) => {
    const reader = root.at(i, value, "intents");
    return buildIntent(reader, header, payloads.args, options.runId !== undefined);
  });
  const results = root.array("results").map((value, i) => {
    const reader = root.at(i, value, "results");
    return buildResult(reader, header, payloads.results, options.runId !== undefined);
  });
  rejectDuplicateIds(
    intents.map((r) => r.record.intent_id),
    "intents",
  );
  rejectDuplicateIds(
    results.map((r) => r.record.intent_id),
    "results",
  );
  const refs = buildRefs(root.child("refs"), header, {
    intents: new Map(intents.map((i) => [i.record.intent_id, i.record])),
    results: new Map(results.map((r) => [r.record.intent_id, r.record])),
    ...(options.contextEvidenceMode ? { contextEvidenceMode: options.contextEvidenceMode } : {}),
    unsafeContextRaw: options.unsafeContextRaw === true,
    overrideRunId: options.runId !== undefined,
  });
  if (options.contextEnvelope)
    bindContextEnvelope(refs, options.contextEnvelope, options.unsafeContextRaw === true);

  const warnings: string[] = [];
  if (captureMode === "raw") warnings.push(RAW_CAPTURE_WARNING);
  else if (intents.some((i) => i.hadPayload) || results.some((r) => r.hadPayload))
    warnings.push(REFERENCE_STRIP_WARNING);
  const intentRecords = intents.map((i) => capture(i.record, "args", captureMode));
  const resultRecords = results.map((r) => capture(r.record, "result", captureMode));
  return assemble(
    { run, intents: intentRecords, results: resultRecords, refs },
    captureMode,
    warnings,
    options,
  );
}

function assemble(
  docs: Omit<Runpack, "manifest">,
  captureMode: CaptureMode,
  warnings: string[],
  options: BuildOptions,
): BuiltRunpack {
  const files = {
    "intents.jsonl": Buffer.from(canonicalJsonLines(docs.intents)),
    "refs.json": Buffer.from(canonicalize(docs.refs)),
    "results.jsonl": Buffer.from(canonicalJsonLines(docs.results)),
    "run.json": Buffer.from(canonicalize(docs.run)),
  };
  const manifest = buildManifest(
    {
      createdAt: docs.run.created_at,
      producerVersion: docs.run.producer_version,
      runId: docs.run.run_id,
      captureMode,
      files,
    },
    options.sign,
  );
  const entries: RunpackEntry[] = [
    ...Object.entries(files).map(([path, data]) => ({ path, data })),
    { path: RunpackFiles.manifest, data: Buffer.from(canonicalize(manifest)) },
  ].sort((a, b) => compareBytes(a.path, b.path));
  return {
    runpack: { manifest, ...docs },
    entries,
    manifestDigest: manifest.manifest_digest,
    warnings,
  };
}

function resolveCaptureMode(flag: CaptureMode | undefined, fromInput: string): CaptureMode {
  const mode = flag ?? (trimSpace(fromInput) === "" ? "reference" : trimLower(fromInput));
  if (!(CAPTURE_MODES as readonly string[]).includes(mode)) {
    throw invalidInput(
      "invalid_capture_mode",
      `capture_mode must be reference or raw, got ${JSON.stringify(mode)}`,
      {
        hint: "use --capture-mode reference (default) or --capture-mode raw",
      },
    );
  }
  return mode as CaptureMode;
}

/** Checks a document's schema id/version when given; the defaults fill them when absent. */
function checkSchema(reader: FieldReader, schemaId: string): void {
  const id = reader.string("schema_id");
  const version = reader.string("schema_version");
  if (id !== "" && id !== schemaId)
    throw reader.error("runpack_schema_mismatch", `schema_id must be ${schemaId}, got ${JSON.stringify(id)}`);
  if (version !== "" && version !== RUNPACK_SCHEMA_VERSION)
    throw reader.error(
      "runpack_schema_mismatch",
      `schema_version must be ${RUNPACK_SCHEMA_VERSION}, got ${JSON.stringify(version)}`,
    );
}

export function assertRunId(runId: string): string {
  if (!runIdPattern.test(runId)) {
    throw invalidInput(
      "invalid_run_id",
      runId === ""
        ? "run_id is required (run.run_id in the input or --run-id)"
        : `run_id ${JSON.stringify(runId)} must match ^run_[A-Za-z0-9_-]+$`,
      { hint: "use a run id such as run_checkout_2026_02_05" },
    );
  }
  return runId;
}

function buildRun(reader: FieldReader, options: BuildOptions): Run {
  checkSchema(reader, SchemaIds.run);
  const env = reader.child("env");
  const host = options.environment ?? hostEnvironment();
  return {
    schema_id: SchemaIds.run,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: (reader.time("created_at") ?? options.clock().utc()).toString(),
    producer_version: reader.string("producer_version") || (options.producerVersion ?? PRODUCER_VERSION),
    run_id: assertRunId(options.runId ?? trimSpace(reader.string("run_id"))),
    env: {
      os: env.string("os") || host.os,
      arch: env.string("arch") || host.arch,
      runtime: env.string("runtime") || host.runtime,
    },
    timeline: reader.array("timeline").map((value, i) => buildTimelineEvent(reader.at(i, value, "timeline"))),
  };
}

function buildTimelineEvent(reader: FieldReader): TimelineEvent {
  const event: TimelineEvent = {
    event: reader.string("event"),
    // Go marshals a zero time.Time rather than omitting it.
    ts: reader.timeText("ts") || "0001-01-01T00:00:00Z",
  };
  const ref = reader.string("ref");
  if (ref !== "") event.ref = ref;
  const relationship = reader.obj("relationship");
  if (relationship && Object.keys(relationship).length > 0) event.relationship = relationship;
  return event;
}

interface RecordHeader {
  runId: string;
  createdAt: string;
  producerVersion: string;
}

function inheritHeader(reader: FieldReader, header: RecordHeader, overrideRunId: boolean) {
  const runId = trimSpace(reader.string("run_id"));
  if (!overrideRunId && runId !== "" && runId !== header.runId) {
    throw reader.error(
      "run_id_mismatch",
      `run_id ${JSON.stringify(runId)} differs from the run's ${JSON.stringify(header.runId)}`,
    );
  }
  return {
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: reader.time("created_at")?.toString() ?? header.createdAt,
    producer_version: reader.string("producer_version") || header.producerVersion,
    run_id: header.runId,
  };
}

function payloadMap(reader: FieldReader): Map<string, JsonObject> {
  const map = new Map<string, JsonObject>();
  for (const key of Object.keys(reader.object)) {
    const value = reader.obj(key);
    if (value) map.set(key, value);
  }
  return map;
}

interface Built<T> {
  record: T;
  hadPayload: boolean;
}

/**
 * Resolves a record's payload (inline or from the normalization side-map) and its digest: the
 * digest is computed when absent and must agree with the payload when both are given.
 */
function digestFor(
  reader: FieldReader,
  payloadKey: "args" | "result",
  digestKey: "args_digest" | "result_digest",
  sideMap: Map<string, JsonObject>,
  id: string,
): { digest: string; payload: JsonObject | undefined } {
  const inline = reader.obj(payloadKey);
  const side = sideMap.get(id);
  if (inline && side && digestJcs(inline) !== digestJcs(side))
    throw reader.error("payload_mismatch", `${payloadKey} differs from the normalization payload for ${id}`);
  const payload = inline ?? side;
  const given = trimLower(reader.string(digestKey));
  if (given !== "" && !/^[0-9a-f]{64}$/.test(given))
    throw reader.error("invalid_digest", `${digestKey} must be 64 hex characters`);
  if (payload === undefined) {
    if (given === "")
      throw reader.error(
        "digest_required",
        `${digestKey} is required when no ${payloadKey} payload is given`,
      );
    return { digest: given, payload };
  }
  const computed = digestJcs(payload);
  if (given !== "" && given !== computed)
    throw reader.error(
      "digest_mismatch",
      `${digestKey} ${given} does not match the ${payloadKey} payload (${computed})`,
    );
  return { digest: computed, payload };
}

function requiredId(reader: FieldReader, key: string): string {
  const value = trimSpace(reader.string(key));
  if (value === "") throw reader.error("runpack_input_invalid", `${key} is required`);
  return value;
}

function buildIntent(
  reader: FieldReader,
  header: RecordHeader,
  sideMap: Map<string, JsonObject>,
  overrideRunId: boolean,
): Built<IntentRecord> {
  checkSchema(reader, SchemaIds.intent);
  const intentId = requiredId(reader, "intent_id");
  const toolName = requiredId(reader, "tool_name");
  const { digest, payload } = digestFor(reader, "args", "args_digest", sideMap, intentId);
  const record: IntentRecord = {
    schema_id: SchemaIds.intent,
    ...inheritHeader(reader, header, overrideRunId),
    intent_id: intentId,
    tool_name: toolName,
    args_digest: digest,
  };
  if (payload) record.args = payload;
  return { record, hadPayload: payload !== undefined };
}

function buildResult(
  reader: FieldReader,
  header: RecordHeader,
  sideMap: Map<string, JsonObject>,
  overrideRunId: boolean,
): Built<ResultRecord> {
  checkSchema(reader, SchemaIds.result);
  const intentId = requiredId(reader, "intent_id");
  const status = trimLower(reader.string("status"));
  if (status !== "ok" && status !== "error")
    throw reader.error("invalid_result_status", `status must be ok or error, got ${JSON.stringify(status)}`);
  const { digest, payload } = digestFor(reader, "result", "result_digest", sideMap, intentId);
  const record: ResultRecord = {
    schema_id: SchemaIds.result,
    ...inheritHeader(reader, header, overrideRunId),
    intent_id: intentId,
    status,
    result_digest: digest,
  };
  if (payload) record.result = payload;
  return { record, hadPayload: payload !== undefined };
}

function rejectDuplicateIds(ids: string[], what: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id))
      throw invalidInput("duplicate_intent_id", `${what}: intent_id ${JSON.stringify(id)} appears twice`, {
        hint: "give every intent a unique intent_id and at most one result per intent",
      });
    seen.add(id);
  }
}

/** Reference capture drops the raw payload after digesting; raw capture keeps it. */
function capture<T extends IntentRecord | ResultRecord>(
  record: T,
  key: "args" | "result",
  mode: CaptureMode,
): T {
  if (mode === "raw" || !(key in record)) return record;
  const { [key]: _stripped, ...rest } = record as Record<string, unknown>;
  return rest as T;
}

interface RefsContext {
  intents: ReadonlyMap<string, IntentRecord>;
  results: ReadonlyMap<string, ResultRecord>;
  /** The mode when the input names none; absent: the field stays absent. */
  contextEvidenceMode?: ContextEvidenceMode;
  unsafeContextRaw: boolean;
  overrideRunId: boolean;
}

function buildRefs(reader: FieldReader, header: RecordHeader, context: RefsContext): Refs {
  checkSchema(reader, SchemaIds.refs);
  const receipts = reader
    .array("receipts")
    .map((value, i) => buildReceipt(reader.at(i, value, "receipts"), context))
    .sort((a, b) => compareBytes(a.ref_id, b.ref_id));
  const refs: Refs = {
    schema_id: SchemaIds.refs,
    ...inheritHeader(reader, header, context.overrideRunId),
    receipts,
  };
  const setDigest = trimLower(reader.string("context_set_digest"));
  if (setDigest !== "") {
    if (!/^[0-9a-f]{64}$/.test(setDigest))
      throw reader.error("invalid_digest", "context_set_digest must be 64 hex characters");
    refs.context_set_digest = setDigest;
  }
  const mode = trimSpace(reader.string("context_evidence_mode")) || context.contextEvidenceMode || "";
  if (mode !== "" && !(CONTEXT_EVIDENCE_MODES as readonly string[]).includes(mode))
    throw reader.error(
      "invalid_context_evidence_mode",
      "context_evidence_mode must be best_effort or required",
    );
  if (mode === "required" && setDigest === "")
    throw reader.error(
      "context_set_digest_required",
      "context_evidence_mode required needs a context_set_digest",
    );
  if (mode !== "") refs.context_evidence_mode = mode as ContextEvidenceMode;
  const count = reader.count("context_ref_count") || receipts.length;
  if (count > 0) refs.context_ref_count = count;
  return refs;
}

/**
 * Binds a verified envelope into refs: its records join the receipts (one the input already has
 * must say the same), and its set digest and evidence mode replace the input's, which must not
 * name another set. Raw records are refused as raw receipts are.
 */
function bindContextEnvelope(refs: Refs, envelope: ContextEnvelope, unsafeContextRaw: boolean): void {
  const conflict = (message: string) =>
    invalidInput("context_envelope_conflict", `context envelope ${envelope.context_set_id}: ${message}`, {
      hint: "record the envelope's context set only: drop the input's refs.context_set_digest or the conflicting receipt",
    });
  if (refs.context_set_digest && refs.context_set_digest !== envelope.context_set_digest) {
    throw conflict(`refs.context_set_digest ${refs.context_set_digest} names another context set`);
  }
  const byId = new Map(refs.receipts.map((r) => [r.ref_id, r]));
  for (const record of envelope.records) {
    if (record.redaction_mode === "raw" && !unsafeContextRaw) {
      throw invalidInput(
        "context_raw_refused",
        `context envelope record ${record.ref_id} has redaction_mode raw`,
        {
          hint: "pass --unsafe-context-raw only if raw context may be stored in this runpack",
        },
      );
    }
    const existing = byId.get(record.ref_id);
    if (existing && canonicalize(existing) !== canonicalize(record)) {
      throw conflict(`receipt ${record.ref_id} differs from the envelope's record`);
    }
    byId.set(record.ref_id, record);
  }
  refs.receipts = [...byId.values()].sort((a, b) => compareBytes(a.ref_id, b.ref_id));
  refs.context_set_digest = envelope.context_set_digest;
  refs.context_evidence_mode = envelope.evidence_mode;
  refs.context_ref_count = envelope.records.length;
}

function buildReceipt(reader: FieldReader, context: RefsContext): Receipt {
  const refId = requiredId(reader, "ref_id");
  const redactionMode = reader.string("redaction_mode");
  if (trimLower(redactionMode) === "raw" && !context.unsafeContextRaw) {
    throw invalidInput("context_raw_refused", `${reader.where}: receipt ${refId} has redaction_mode raw`, {
      hint: "pass --unsafe-context-raw only if raw context may be stored in this runpack",
    });
  }
  const derived = traceDigests(reader, refId, context);
  const receipt: Receipt = {
    ref_id: refId,
    source_type: reader.string("source_type"),
    source_locator: reader.string("source_locator"),
    query_digest: receiptDigest(reader, "query_digest", derived?.query),
    content_digest: receiptDigest(reader, "content_digest", derived?.content),
    retrieved_at: (reader.time("retrieved_at")?.utc() ?? EPOCH_1980).toString(),
    redaction_mode: redactionMode,
    immutability: immutability(reader),
  };
  const sla = reader.count("freshness_sla_seconds");
  if (sla > 0) receipt.freshness_sla_seconds = sla;
  const label = reader.string("sensitivity_label");
  if (label !== "") receipt.sensitivity_label = label;
  const params = reader.obj("retrieval_params");
  if (params && Object.keys(params).length > 0) receipt.retrieval_params = params;
  return receipt;
}

/** Trace receipts (`gait.trace`, `trace_<intent_id>`) derive their digests from the intent. */
function traceDigests(reader: FieldReader, refId: string, context: RefsContext) {
  const isTrace = trimLower(reader.string("source_type")) === "gait.trace";
  if (!isTrace || !refId.startsWith("trace_")) return undefined;
  const intentId = refId.slice("trace_".length);
  const intent = context.intents.get(intentId);
  if (!intent) return undefined;
  const result = context.results.get(intentId);
  return {
    query: digestJcs({ tool_name: intent.tool_name, args_digest: intent.args_digest }),
    content: result?.result_digest,
  };
}

function receiptDigest(reader: FieldReader, key: string, derived: string | undefined): string {
  const given = trimLower(reader.string(key));
  if (given !== "" && !/^[0-9a-f]{64}$/.test(given))
    throw reader.error("invalid_digest", `${key} must be 64 hex characters`);
  if (derived !== undefined) {
    if (given !== "" && given !== derived)
      throw reader.error(
        "digest_mismatch",
        `${key} ${given} does not match the derived trace digest ${derived}`,
      );
    return derived;
  }
  if (given === "") throw reader.error("digest_required", `${key} is required for this receipt`);
  return given;
}

function immutability(reader: FieldReader): Receipt["immutability"] {
  const value = trimLower(reader.string("immutability")) || "unknown";
  if (!(IMMUTABILITY_VALUES as readonly string[]).includes(value))
    throw reader.error("runpack_input_invalid", "immutability must be unknown, mutable or immutable");
  return value as Receipt["immutability"];
}

// ---------------------------------------------------------------------------------------------
// The I/O edge: sign, write atomically, re-verify from disk.

export interface RecordRunpackOptions extends Omit<BuildOptions, "sign"> {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Directory for `runpack_<run_id>.zip` (default `./gait-out`, relative to cwd). */
  outDir?: string;
  /** Key mode and sources; omitted → unsigned. */
  signing?: SigningKeyRequest;
  /** JSON paths of the input whose values are replaced by their digest before anything is built (redact.ts). */
  redact?: readonly string[];
}

export interface RecordedRunpack {
  runId: string;
  /** Absolute path of the written zip. */
  path: string;
  /** The path as the user would type it (relative to cwd when below it). */
  bundle: string;
  manifestDigest: string;
  signatureStatus: "signed" | "missing";
  signatureKeyId?: string;
  warnings: string[];
  /** Values replaced by their digest (`redact`). */
  redactedValues: number;
  ticketFooter: string;
}

/** Records a runpack zip from an input document; re-verifies the written file before returning. */
export async function recordRunpack(input: unknown, options: RecordRunpackOptions): Promise<RecordedRunpack> {
  const io = { env: options.env, cwd: options.cwd };
  const signing = options.signing ? await resolveSigningKey(options.signing, io) : undefined;
  const key = signing?.key;
  const { document, redacted } = redactDocument(
    input as JsonValue,
    (options.redact ?? []).map(parseRedactPath),
  );
  const built = buildRunpack(document, {
    ...options,
    ...(key ? { sign: (signable: JsonObject) => signJson(key, signable) } : {}),
  });
  const runId = built.runpack.run.run_id;
  const outDir = options.outDir ?? "gait-out";
  const zip = await runpackZip(built.entries);
  const plainPath = resolve(options.cwd, outDir, runpackFileName(runId));
  const path = await writeArtifactAtomic(plainPath, zip, { mode: 0o600 });
  // An encrypted store holds only the recipients' public keys: the bytes encrypted are checked.
  const written = path === plainPath ? path : zip;
  const verification = await verifyRunpack(written, key ? { verifyKey: verifyKeyFor(key) } : {});
  if (!verification.ok) {
    throw verificationFailed("runpack_verify_failed", `recorded runpack ${path} failed re-verification`, {
      hint: "the written file does not match what was recorded; check the disk and retry",
      details: { missing_files: verification.missing_files, hash_mismatches: verification.hash_mismatches },
    });
  }
  return {
    runId,
    path,
    bundle: showPath(options.cwd, path),
    manifestDigest: built.manifestDigest,
    signatureStatus: key ? "signed" : "missing",
    ...(key ? { signatureKeyId: key.keyId } : {}),
    warnings: [...(signing?.warnings ?? []), ...built.warnings],
    redactedValues: redacted,
    ticketFooter: ticketFooter(runId, built.manifestDigest),
  };
}
