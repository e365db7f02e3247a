/**
 * The input edge of `buildEvidencePack`: reading the artifacts a pack is built from and checking
 * each against its v1 schema before anything is derived from it — gate traces (and their
 * signatures, when a key can check them), regress results, approval audit records and scout
 * inventory snapshots. A file that is not what it claims to be is refused with a coded error
 * naming it (exit 6); a trace whose signature fails is refused as a verification failure (exit 2).
 */
import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { BrokerCredentialRecordSchema } from "../broker/index.ts";
import { isJsonObject, type JsonObject, parseJsonStrict, sha256Hex } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { createSchemaRegistry, type SchemaValidator } from "../contract/schema.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { verifyTrace } from "../gate/index.ts";
import { gateWireSchemas } from "../gate/wire.ts";
import { type RegressResult, RegressResultSchema } from "../regress/index.ts";
import { type GuardErrorCode, invalidInput, verificationFailed } from "./error-codes.ts";
import type { ApprovalAuditInput, InventoryInput, RegressInput, TraceInput } from "./summaries.ts";
import {
  type CopiedEntryPrefix,
  type InventorySnapshot,
  InventorySnapshotSchema,
  numberedEntry,
  type SourceFile,
} from "./types.ts";

/** Largest input file read (a snapshot of a large monorepo stays well below it). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

const SCHEMAS = {
  trace: "gate/trace_record",
  regress: "regress/regress_result",
  approvalAudit: "gate/approval_audit_record",
  inventory: "scout/inventory_snapshot",
  credentialEvidence: "gate/broker_credential_record",
  delegationAudit: "gate/delegation_audit_record",
} as const;

let validator: Promise<SchemaValidator> | undefined;

/** The input schemas, loaded once per process (Ajv is imported on first use). */
function inputValidator(): Promise<SchemaValidator> {
  validator ??= createSchemaRegistry([
    { key: SCHEMAS.trace, schema: gateWireSchemas["gate/trace_record"] },
    { key: SCHEMAS.regress, schema: RegressResultSchema },
    { key: SCHEMAS.approvalAudit, schema: gateWireSchemas["gate/approval_audit_record"] },
    { key: SCHEMAS.inventory, schema: InventorySnapshotSchema },
    { key: SCHEMAS.credentialEvidence, schema: BrokerCredentialRecordSchema },
    { key: SCHEMAS.delegationAudit, schema: gateWireSchemas["gate/delegation_audit_record"] },
  ]).load();
  return validator;
}

/** An input file's bytes and where it came from (its name, not its directory: packs travel). */
export interface InputFile {
  /** The path as the user gave it, for messages. */
  given: string;
  /** Absolute path. */
  path: string;
  data: Buffer;
  source: SourceFile;
}

export async function readInputFile(
  cwd: string,
  given: string,
  what: string,
  maxBytes = MAX_INPUT_BYTES,
): Promise<InputFile> {
  const path = resolve(cwd, given);
  let data: Buffer;
  try {
    const size = (await stat(path)).size;
    if (size > maxBytes) {
      throw invalidInput("guard_input_too_large", `${what} ${given} is larger than ${maxBytes} bytes`, {
        hint: `check that ${given} is the ${what} you meant`,
      });
    }
    data = await readFile(path);
  } catch (error) {
    throw fromFsError(error, `read ${what}`, given);
  }
  return { given, path, data, source: { file: basename(path), sha256: sha256Hex(data) } };
}

/** An input kind, checked against its v1 schema. */
export interface Kind {
  what: string;
  schema: (typeof SCHEMAS)[keyof typeof SCHEMAS];
  code: GuardErrorCode;
  hint: string;
}

export const KINDS = {
  trace: {
    what: "trace",
    schema: SCHEMAS.trace,
    code: "guard_trace_invalid",
    hint: "pass trace_<trace_id>.json files written by gait gate eval (or an SDK or the sidecar)",
  },
  regress: {
    what: "regress result",
    schema: SCHEMAS.regress,
    code: "guard_regress_invalid",
    hint: "pass the regress_result.json written by gait regress run",
  },
  approvalAudit: {
    what: "approval audit",
    schema: SCHEMAS.approvalAudit,
    code: "guard_approval_audit_invalid",
    hint: "pass approval_audit_<trace_id>.json files written by gait gate eval",
  },
  inventory: {
    what: "inventory snapshot",
    schema: SCHEMAS.inventory,
    code: "guard_inventory_invalid",
    hint: "pass gait.scout.inventory_snapshot files written by gait scout snapshot",
  },
  credentialEvidence: {
    what: "broker credential record",
    schema: SCHEMAS.credentialEvidence,
    code: "guard_credential_evidence_invalid",
    hint: "pass the gait.gate.broker_credential_record files written beside the traces of brokered calls",
  },
  delegationAudit: {
    what: "delegation audit",
    schema: SCHEMAS.delegationAudit,
    code: "guard_delegation_audit_invalid",
    hint: "pass the gait.gate.delegation_audit_record files written by gait gate eval",
  },
} as const satisfies Record<string, Kind>;

/** Reads and parses `given`, and checks it against its schema; refuses it naming the file. */
async function readDocument(
  cwd: string,
  given: string,
  kind: Kind,
): Promise<{ file: InputFile; doc: JsonObject }> {
  const file = await readInputFile(cwd, given, kind.what);
  return { file, doc: await checkDocument(file, kind) };
}

/** Parses a read file and checks it against its kind's schema; refuses it naming the file. */
export async function checkDocument(file: InputFile, kind: Kind): Promise<JsonObject> {
  const refuse = (detail: string) =>
    invalidInput(kind.code, `${kind.what} ${file.given} ${detail}`, {
      hint: kind.hint,
      details: { path: file.given },
    });
  let doc: unknown;
  try {
    doc = parseJsonStrict(new TextDecoder("utf-8", { fatal: true }).decode(file.data), file.given);
  } catch (error) {
    throw refuse(`is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(doc)) throw refuse("is not a JSON object");
  const result = (await inputValidator()).validate(kind.schema, doc);
  if (!result.ok)
    throw refuse(`is not a valid ${kind.schema.split("/")[1]}: ${result.errors.slice(0, 3).join("; ")}`);
  return doc;
}

/** Inputs given twice (the same bytes) count once; the caller is told which. */
function distinct<T extends { source: SourceFile }>(
  items: readonly T[],
  given: readonly string[],
  warn: (message: string) => void,
): T[] {
  const seen = new Map<string, string>();
  return items.filter((item, i) => {
    const first = seen.get(item.source.sha256);
    if (first !== undefined) {
      warn(`${given[i]} has the same content as ${first}; it is included once`);
      return false;
    }
    seen.set(item.source.sha256, given[i]!);
    return true;
  });
}

export interface TraceKeys {
  /** Checks every signed trace. */
  verifyKey?: VerifyKey | undefined;
  /** A key found rather than given (the project's dev key): checks only the traces it signed. */
  defaultKey?: VerifyKey | undefined;
}

export async function readTraces(
  cwd: string,
  paths: readonly string[],
  keys: TraceKeys,
  warn: (message: string) => void,
): Promise<TraceInput[]> {
  const traces: TraceInput[] = [];
  for (const given of paths) {
    const { file, doc } = await readDocument(cwd, given, KINDS.trace);
    traces.push(traceInputOf(file, doc, keys));
  }
  return distinct(traces, paths, warn);
}

/** A checked trace document as a pack input; its signature checked when a key can (a failure refuses it). */
export function traceInputOf(file: InputFile, doc: JsonObject, keys: TraceKeys): TraceInput {
  return {
    record: doc,
    signatureStatus: traceSignature(doc, file.given, keys),
    source: file.source,
    data: file.data,
  };
}

function traceSignature(trace: JsonObject, given: string, keys: TraceKeys): TraceInput["signatureStatus"] {
  const signature = isJsonObject(trace.signature) ? trace.signature : undefined;
  if (!signature) return "missing";
  const key =
    keys.verifyKey ??
    (keys.defaultKey && signature.key_id === keys.defaultKey.keyId ? keys.defaultKey : undefined);
  if (!key) return "skipped";
  const checked = verifyTrace(trace, key);
  if (checked.ok) return "verified";
  throw verificationFailed(
    "guard_trace_signature_failed",
    `trace ${given} does not verify with key ${key.keyId}: ${checked.reason ?? checked.signatureStatus}`,
    {
      hint: "an evidence pack includes only traces whose signatures hold: check the file, or give the signer's key with --trace-public-key",
      details: { path: given, trace_id: checked.traceId },
    },
  );
}

export async function readRegressResults(
  cwd: string,
  paths: readonly string[],
  warn: (message: string) => void,
): Promise<RegressInput[]> {
  const results: RegressInput[] = [];
  for (const given of paths) {
    const { file, doc } = await readDocument(cwd, given, KINDS.regress);
    results.push(regressInputOf(file, doc));
  }
  return distinct(results, paths, warn);
}

export function regressInputOf(file: InputFile, doc: JsonObject): RegressInput {
  return { result: doc as unknown as RegressResult, source: file.source, data: file.data };
}

/** A copied input: its document, its bytes as given (copied verbatim), and its entry name. */
export interface CopiedInput<T> {
  data: Buffer;
  input: T;
}

/** Reads inputs that are copied into the pack verbatim, numbered in the order given. */
async function readCopies<T>(
  cwd: string,
  paths: readonly string[],
  kind: Kind,
  prefix: CopiedEntryPrefix,
  input: (doc: JsonObject, entry: string, source: SourceFile) => T,
  warn: (message: string) => void,
): Promise<CopiedInput<T>[]> {
  const read = [];
  for (const given of paths) {
    const { file, doc } = await readDocument(cwd, given, kind);
    read.push({ file, doc, source: file.source });
  }
  return numberCopies(distinct(read, paths, warn), prefix, input);
}

/** Checked documents as copies named `<prefix>_NN.json`, numbered in the order given. */
export function numberCopies<T>(
  read: ReadonlyArray<{ file: InputFile; doc: JsonObject }>,
  prefix: CopiedEntryPrefix,
  input: (doc: JsonObject, entry: string, source: SourceFile) => T,
): CopiedInput<T>[] {
  return read.map(({ file, doc }, i) => ({
    data: file.data,
    input: input(doc, numberedEntry(prefix, i), file.source),
  }));
}

/** A record copied in as it is (approval audits, credential records, delegation audits). */
export const recordInput = (record: JsonObject, entry: string, source: SourceFile): ApprovalAuditInput => ({
  record,
  entry,
  source,
});

export function readCredentialEvidence(
  cwd: string,
  paths: readonly string[],
  warn: (message: string) => void,
): Promise<CopiedInput<ApprovalAuditInput>[]> {
  return readCopies(cwd, paths, KINDS.credentialEvidence, "credential_evidence", recordInput, warn);
}

export function readDelegationAudits(
  cwd: string,
  paths: readonly string[],
  warn: (message: string) => void,
): Promise<CopiedInput<ApprovalAuditInput>[]> {
  return readCopies(cwd, paths, KINDS.delegationAudit, "delegation_audit", recordInput, warn);
}

export function readApprovalAudits(
  cwd: string,
  paths: readonly string[],
  warn: (message: string) => void,
): Promise<CopiedInput<ApprovalAuditInput>[]> {
  return readCopies(cwd, paths, KINDS.approvalAudit, "approval_audit", recordInput, warn);
}

export function readInventories(
  cwd: string,
  paths: readonly string[],
  warn: (message: string) => void,
): Promise<CopiedInput<InventoryInput>[]> {
  return readCopies(
    cwd,
    paths,
    KINDS.inventory,
    "inventory_snapshot",
    (doc, entry, source) => ({ snapshot: doc as unknown as InventorySnapshot, entry, source }),
    warn,
  );
}
