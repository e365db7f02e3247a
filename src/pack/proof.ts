/**
 * `proof_records.jsonl` (CONTRACTS.md §7.1): one proof record per pack entry other than the
 * manifest and this file, in path order, each hash-chained to the one before it
 * (`integrity.previous_record_hash`); lines joined by `\n` with no trailing newline. A signed
 * pack's records are also signed: Ed25519 over the UTF-8 text of the record hash, stored as
 * `base64:<sig>` (§2.2). Pure.
 */
import { compareBytes } from "../contract/bytes.ts";
import {
  canonicalize,
  digestJcs,
  isJsonObject,
  type JsonObject,
  parseJsonStrict,
} from "../contract/canonical.ts";
import { type SigningKey, signMessage, type VerifyKey, verifyMessage } from "../contract/signing.ts";
import { verificationFailed } from "./error-codes.ts";
import { entryType } from "./manifest.ts";
import { PACK_CREATED_AT, PackFiles, type PackManifest, type ProofEvent, type ProofRecord } from "./types.ts";

/** Every entry is written with mode 0644 (src/contract/zip.ts). */
export const ENTRY_PERMISSIONS = "0644";
const SIGNATURE_PREFIX = "base64:";
const HASH_PREFIX = "sha256:";

const FIXED = {
  record_version: "1.0",
  timestamp: PACK_CREATED_AT,
  source: "gait.pack",
  source_product: "gait",
  agent_id: "gait",
  record_type: "tool_invocation",
} as const;

export interface ProofSubject {
  packType: string;
  sourceRef: string;
  producerVersion: string;
}

export interface ProofEntry {
  path: string;
  sha256: string;
  size: number;
}

/** The record hash input: the record without its integrity, plus the link to the one before. */
function recordHash(record: JsonObject, previous: string | undefined): string {
  const input = {
    record_id: record.record_id,
    record_version: record.record_version,
    timestamp: record.timestamp,
    source: record.source,
    source_product: record.source_product,
    agent_id: record.agent_id,
    record_type: record.record_type,
    event: record.event,
    controls: record.controls,
    metadata: record.metadata,
    integrity: previous === undefined ? {} : { previous_record_hash: previous },
  };
  return HASH_PREFIX + digestJcs(input);
}

/** `prf-<timestamp>-<first 8 hex of the digest of the record's identity>`. */
function recordId(record: JsonObject): string {
  const identity = {
    timestamp: record.timestamp,
    source: record.source,
    source_product: record.source_product,
    agent_id: record.agent_id,
    record_type: record.record_type,
    event: record.event,
  };
  return `prf-${String(record.timestamp)}-${digestJcs(identity).slice(0, 8)}`;
}

/** The text of proof_records.jsonl for `entries` (any order; written in path order). */
export function buildProofRecords(
  subject: ProofSubject,
  entries: readonly ProofEntry[],
  key?: SigningKey,
): string {
  const lines: string[] = [];
  let previous: string | undefined;
  for (const entry of [...entries].sort((a, b) => compareBytes(a.path, b.path))) {
    const event: ProofEvent = {
      pack_type: subject.packType,
      source_ref: subject.sourceRef,
      producer_version: subject.producerVersion,
      entry_path: entry.path,
      entry_type: entryType(entry.path),
      entry_sha256: entry.sha256,
      entry_size_bytes: entry.size,
      entry_permissions: ENTRY_PERMISSIONS,
    };
    const body: JsonObject = {
      ...FIXED,
      record_id: "",
      event: { ...event },
      controls: { permissions_enforced: false },
      metadata: { artifact_kind: "gait.pack.entry" },
    };
    body.record_id = recordId(body);
    const hash = recordHash(body, previous);
    const integrity: ProofRecord["integrity"] = {
      record_hash: hash,
      ...(previous === undefined ? {} : { previous_record_hash: previous }),
      ...(key
        ? {
            signing_key_id: key.keyId,
            signature: SIGNATURE_PREFIX + signMessage(key, Buffer.from(hash, "utf8")),
          }
        : {}),
    };
    lines.push(canonicalize({ ...body, integrity }));
    previous = hash;
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Verification

const RECORD_MEMBERS = new Set([
  "record_id",
  "record_version",
  "timestamp",
  "source",
  "source_product",
  "agent_id",
  "record_type",
  "event",
  "controls",
  "metadata",
  "integrity",
]);

export interface ProofCheckOptions {
  /** With requireSignature: every record's signature must verify with this key. */
  verifyKey?: VerifyKey | undefined;
  requireSignature?: boolean | undefined;
}

function proofInvalid(line: number, detail: string) {
  return verificationFailed(
    "pack_proof_records_invalid",
    `${PackFiles.proofRecords} line ${line}: ${detail}`,
    {
      hint: "the pack's proof records do not match its entries; rebuild the pack from its source",
      details: { line },
    },
  );
}

/**
 * Checks the records against the manifest: one per declared entry but the proof file itself, in
 * path order, each describing its entry (path, type, sha256, size as stored in the zip), its
 * record id and hash recomputed, chained to the one before; with requireSignature, each signed
 * by the key. Returns the number of records checked; throws `pack_proof_records_invalid`.
 */
export function verifyProofRecords(
  text: string,
  manifest: PackManifest,
  sizes: ReadonlyMap<string, number>,
  options: ProofCheckOptions = {},
): number {
  const expected = manifest.contents
    .filter((entry) => entry.path !== PackFiles.proofRecords)
    .sort((a, b) => compareBytes(a.path, b.path));
  const lines = text === "" ? [] : text.split("\n");
  if (lines.length !== expected.length) {
    throw proofInvalid(
      Math.min(lines.length, expected.length) + 1,
      `${lines.length} record(s) for ${expected.length} declared entries`,
    );
  }
  let previous: string | undefined;
  lines.forEach((line, i) => {
    const n = i + 1;
    const record = parseRecord(line, n);
    const event = record.event as JsonObject;
    const entry = expected[i]!;
    const describes =
      event.entry_path === entry.path &&
      typeof event.entry_sha256 === "string" &&
      event.entry_sha256.toLowerCase() === entry.sha256.toLowerCase() &&
      event.entry_type === entry.type &&
      event.entry_size_bytes === sizes.get(entry.path) &&
      event.pack_type === manifest.pack_type &&
      event.source_ref === manifest.source_ref;
    if (!describes) throw proofInvalid(n, `does not describe entry ${JSON.stringify(entry.path)} as stored`);
    if (record.record_id !== recordId(record)) throw proofInvalid(n, "record_id does not match its content");
    const integrity = record.integrity as JsonObject;
    if (integrity.previous_record_hash !== previous) throw proofInvalid(n, "breaks the hash chain");
    const hash = recordHash(record, previous);
    if (integrity.record_hash !== hash) throw proofInvalid(n, "record_hash does not match its content");
    if (options.requireSignature) checkRecordSignature(integrity, hash, options.verifyKey, n);
    previous = hash;
  });
  return lines.length;
}

function parseRecord(line: string, n: number): JsonObject {
  let value: unknown;
  try {
    value = parseJsonStrict(line, `record ${n}`);
  } catch (error) {
    throw proofInvalid(n, error instanceof Error ? error.message : String(error));
  }
  if (!isJsonObject(value)) throw proofInvalid(n, "expected a JSON object");
  for (const key of Object.keys(value)) {
    if (!RECORD_MEMBERS.has(key)) throw proofInvalid(n, `unknown member ${JSON.stringify(key)}`);
  }
  for (const [key, fixed] of Object.entries(FIXED)) {
    if (value[key] !== fixed) throw proofInvalid(n, `${key} must be ${JSON.stringify(fixed)}`);
  }
  for (const key of ["event", "controls", "metadata", "integrity"]) {
    if (!isJsonObject(value[key])) throw proofInvalid(n, `${key} must be an object`);
  }
  return value;
}

function checkRecordSignature(
  integrity: JsonObject,
  hash: string,
  key: VerifyKey | undefined,
  n: number,
): void {
  const signature = integrity.signature;
  if (typeof signature !== "string" || !signature.startsWith(SIGNATURE_PREFIX))
    throw proofInvalid(n, "is not signed");
  if (!key) throw proofInvalid(n, "no public key to check its signature with");
  if (integrity.signing_key_id !== undefined && integrity.signing_key_id !== key.keyId)
    throw proofInvalid(n, `is signed by another key (${String(integrity.signing_key_id)})`);
  if (!verifyMessage(key, Buffer.from(hash, "utf8"), signature.slice(SIGNATURE_PREFIX.length)))
    throw proofInvalid(n, "signature does not verify");
}
