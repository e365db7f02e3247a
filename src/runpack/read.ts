/**
 * Reading runpacks: resolving a `<run_id|path>` reference, opening the zip with the contract's
 * limits, and parsing the verified entries into typed documents for inspect, replay and diff.
 */
import { isJsonObject, type JsonObject, parseJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { entryName, loadRunpackEntries } from "./archive.ts";
import { verificationFailed } from "./error-codes.ts";
import { type ErrorFactory, FieldReader } from "./input.ts";
import { projectManifest } from "./manifest.ts";
import {
  type IntentRecord,
  type Manifest,
  type Receipt,
  type Refs,
  type ResultRecord,
  type Run,
  type Runpack,
  type RunpackEntry,
  RunpackFiles,
  SchemaIds,
} from "./types.ts";
import { type RunpackVerification, type VerifyOptions, verifyRunpackEntries } from "./verify.ts";

export interface LoadedRunpack {
  runpack: Runpack;
  verification: RunpackVerification;
  entries: RunpackEntry[];
  /** The parsed documents as stored (unknown members kept), for migration. */
  documents: {
    run: JsonObject;
    intents: JsonObject[];
    results: JsonObject[];
    refs: JsonObject;
  };
}

export interface ReadOptions extends VerifyOptions {
  /** Also require `context_set_digest` when refs say `context_evidence_mode: required` (replay). */
  requireContextEvidence?: boolean;
}

/** Reads a runpack, refusing it unless its integrity checks pass, and parses its documents. */
export async function readRunpack(
  source: string | Buffer,
  options: ReadOptions = {},
): Promise<LoadedRunpack> {
  return parseRunpackEntries(await loadRunpackEntries(source), options);
}

/** The pure half of readRunpack. */
export function parseRunpackEntries(entries: RunpackEntry[], options: ReadOptions = {}): LoadedRunpack {
  const verification = verifyRunpackEntries(entries, options);
  if (!verification.ok) {
    throw verificationFailed("runpack_verify_failed", describeFailure(verification), {
      hint: `run gait verify ${verification.run_id} for the full report`,
      details: {
        missing_files: verification.missing_files,
        hash_mismatches: verification.hash_mismatches,
        undeclared_files: verification.undeclared_files,
        signature_status: verification.signature_status,
      },
    });
  }
  const text = (path: string) => entries.find((e) => entryName(e.path) === path)!.data.toString("utf8");
  const documents = {
    run: parseDocument(text(RunpackFiles.run), RunpackFiles.run),
    intents: parseJsonl(text(RunpackFiles.intents), RunpackFiles.intents),
    results: parseJsonl(text(RunpackFiles.results), RunpackFiles.results),
    refs: parseDocument(text(RunpackFiles.refs), RunpackFiles.refs),
  };
  const manifestDoc = parseDocument(text(RunpackFiles.manifest), RunpackFiles.manifest);
  const runpack: Runpack = {
    manifest: typedManifest(manifestDoc),
    run: typedRun(documents.run),
    intents: documents.intents.map((doc, i) => typedIntent(doc, `${RunpackFiles.intents} line ${i + 1}`)),
    results: documents.results.map((doc, i) => typedResult(doc, `${RunpackFiles.results} line ${i + 1}`)),
    refs: typedRefs(documents.refs),
  };
  if (options.requireContextEvidence) assertContextEvidence(runpack.refs);
  return { runpack, verification, entries, documents };
}

function describeFailure(v: RunpackVerification): string {
  const parts: string[] = [];
  if (v.missing_files.length > 0) parts.push(`missing files: ${v.missing_files.join(", ")}`);
  if (v.hash_mismatches.length > 0)
    parts.push(`hash mismatches: ${v.hash_mismatches.map((m) => m.path).join(", ")}`);
  if (v.undeclared_files.length > 0) parts.push(`undeclared files: ${v.undeclared_files.join(", ")}`);
  if (v.signature_status === "failed" || (parts.length === 0 && v.signature_status !== "verified"))
    parts.push(`signature ${v.signature_status}`);
  return `runpack ${v.run_id} failed verification (${parts.join("; ")})`;
}

const documentError: ErrorFactory = (code, message) =>
  verificationFailed(code === "runpack_input_invalid" ? "runpack_document_invalid" : code, message, {
    hint: "the runpack's documents are malformed; re-record it from its source",
  });

function parseDocument(text: string, what: string): JsonObject {
  try {
    return parseJsonObject(text, what);
  } catch (error) {
    throw documentError("runpack_document_invalid", error instanceof Error ? error.message : String(error));
  }
}

function parseJsonl(text: string, what: string): JsonObject[] {
  const records: JsonObject[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = parseJsonStrict(line, `${what} line ${i + 1}`);
    } catch (error) {
      throw documentError("runpack_document_invalid", error instanceof Error ? error.message : String(error));
    }
    if (!isJsonObject(value))
      throw documentError("runpack_document_invalid", `${what} line ${i + 1}: expected an object`);
    records.push(value);
  });
  return records;
}

function reader(doc: JsonObject, where: string, schemaId: string): FieldReader {
  const r = new FieldReader(doc, where, documentError);
  const id = r.string("schema_id");
  if (id !== "" && id !== schemaId)
    throw r.error("runpack_document_invalid", `schema_id must be ${schemaId}`);
  return r;
}

/** The manifest as verified (struct projection), signatures kept; no capture mode reads as reference. */
function typedManifest(doc: JsonObject): Manifest {
  const manifest = projectManifest(doc);
  return {
    ...manifest,
    capture_mode: manifest.capture_mode === "raw" ? "raw" : "reference",
    files: manifest.files ?? [],
    ...(Array.isArray(doc.signatures) ? { signatures: doc.signatures as Manifest["signatures"] } : {}),
  };
}

function typedRun(doc: JsonObject): Run {
  const r = reader(doc, RunpackFiles.run, SchemaIds.run);
  const env = r.child("env");
  return {
    schema_id: SchemaIds.run,
    schema_version: r.string("schema_version"),
    created_at: r.timeText("created_at"),
    producer_version: r.string("producer_version"),
    run_id: r.string("run_id"),
    env: { os: env.string("os"), arch: env.string("arch"), runtime: env.string("runtime") },
    timeline: r.array("timeline").map((value, i) => {
      const event = r.at(i, value, "timeline");
      return { event: event.string("event"), ts: event.timeText("ts"), ...optionalString(event, "ref") };
    }),
  };
}

function optionalString(r: FieldReader, key: string): Record<string, string> {
  const value = r.string(key);
  return value === "" ? {} : { [key]: value };
}

function payload(r: FieldReader, key: "args" | "result"): { args?: JsonObject; result?: JsonObject } {
  const value = r.obj(key);
  return value === undefined ? {} : { [key]: value };
}

function typedIntent(doc: JsonObject, where: string): IntentRecord {
  const r = reader(doc, where, SchemaIds.intent);
  return {
    schema_id: SchemaIds.intent,
    schema_version: r.string("schema_version"),
    created_at: r.timeText("created_at"),
    producer_version: r.string("producer_version"),
    run_id: r.string("run_id"),
    intent_id: r.string("intent_id"),
    tool_name: r.string("tool_name"),
    args_digest: r.string("args_digest").toLowerCase(),
    ...payload(r, "args"),
  };
}

function typedResult(doc: JsonObject, where: string): ResultRecord {
  const r = reader(doc, where, SchemaIds.result);
  return {
    schema_id: SchemaIds.result,
    schema_version: r.string("schema_version"),
    created_at: r.timeText("created_at"),
    producer_version: r.string("producer_version"),
    run_id: r.string("run_id"),
    intent_id: r.string("intent_id"),
    status: r.string("status") as ResultRecord["status"],
    result_digest: r.string("result_digest").toLowerCase(),
    ...payload(r, "result"),
  };
}

function typedRefs(doc: JsonObject): Refs {
  const r = reader(doc, RunpackFiles.refs, SchemaIds.refs);
  const refs: Refs = {
    schema_id: SchemaIds.refs,
    schema_version: r.string("schema_version"),
    created_at: r.timeText("created_at"),
    producer_version: r.string("producer_version"),
    run_id: r.string("run_id"),
    receipts: r.array("receipts").map((value, i) => typedReceipt(r.at(i, value, "receipts"))),
  };
  const setDigest = r.string("context_set_digest");
  if (setDigest !== "") refs.context_set_digest = setDigest.toLowerCase();
  const mode = r.string("context_evidence_mode");
  if (mode !== "") refs.context_evidence_mode = mode as Refs["context_evidence_mode"];
  const count = r.count("context_ref_count");
  if (count > 0) refs.context_ref_count = count;
  return refs;
}

function typedReceipt(r: FieldReader): Receipt {
  const receipt: Receipt = {
    ref_id: r.string("ref_id"),
    source_type: r.string("source_type"),
    source_locator: r.string("source_locator"),
    query_digest: r.string("query_digest").toLowerCase(),
    content_digest: r.string("content_digest").toLowerCase(),
    retrieved_at: r.timeText("retrieved_at"),
    redaction_mode: r.string("redaction_mode"),
  };
  const immutability = r.string("immutability");
  if (immutability !== "") receipt.immutability = immutability as Receipt["immutability"];
  const sla = r.count("freshness_sla_seconds");
  if (sla > 0) receipt.freshness_sla_seconds = sla;
  const label = r.string("sensitivity_label");
  if (label !== "") receipt.sensitivity_label = label;
  const params = r.obj("retrieval_params");
  if (params) receipt.retrieval_params = params;
  return receipt;
}

function assertContextEvidence(refs: Refs): void {
  if (refs.context_evidence_mode === "required" && !refs.context_set_digest) {
    throw verificationFailed(
      "context_evidence_missing",
      "runpack requires context evidence (context_evidence_mode=required) but has no context_set_digest",
      { hint: "re-record the run with its context envelope" },
    );
  }
}
