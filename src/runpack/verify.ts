/**
 * Runpack verification (CONTRACTS.md §3.5): duplicate entries, manifest schema, every declared
 * file hash, the four required files, no undeclared entries, the recomputed manifest digest and
 * the signatures. `verifyRunpackEntries` is the pure core over uncompressed entries;
 * `verifyRunpack` reads a zip through the strict reader, buffering only the manifest.
 */

import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import { canonicalize, type JsonObject, parseJsonObject, sha256Hex } from "../contract/canonical.ts";
import {
  checkSignatureList,
  type SignatureCheck,
  type SignatureStatus,
  signatureAccepted,
  signatureFields,
} from "../contract/signature-status.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { duplicateEntries, entryName, withRunpackZip } from "./archive.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { manifestDigest, manifestInvalid, projectManifest, signableManifest } from "./manifest.ts";
import {
  LISTED_FILES,
  type Manifest,
  RUNPACK_SCHEMA_VERSION,
  type RunpackEntry,
  RunpackFiles,
  SchemaIds,
} from "./types.ts";

export type { SignatureStatus } from "../contract/signature-status.ts";

export interface HashMismatch {
  path: string;
  expected: string;
  actual: string;
}

export interface RunpackVerification {
  ok: boolean;
  run_id: string;
  manifest_digest: string;
  files_checked: number;
  missing_files: string[];
  hash_mismatches: HashMismatch[];
  /** Zip entries that are neither manifest.json nor listed in its `files` (sorted). */
  undeclared_files: string[];
  signature_status: SignatureStatus;
  signature_errors: string[];
  signatures_total: number;
  signatures_valid: number;
  signature_note: string;
}

export interface VerifyOptions {
  /** Key the manifest signatures are checked with; without one they are `skipped`. */
  verifyKey?: VerifyKey;
  /**
   * A key found rather than given (the project's dev key): used, when no verifyKey is given, only
   * if a signature names it (key_id); a runpack signed by anyone else stays `skipped`.
   */
  defaultKey?: VerifyKey;
  /** Strict profile: a `verified` signature is required (and so is a key). */
  requireSignature?: boolean;
  /**
   * Accept a manifest.json whose bytes are not the canonical (JCS) encoding of its content.
   * Only migration sets this: everywhere else such a manifest is refused, because bytes the
   * digest does not cover (whitespace, key order, timestamp spelling) could change unnoticed.
   */
  allowNonCanonicalManifest?: boolean;
}

/**
 * Verifies a runpack zip (path or bytes). Structural failures throw coded errors (exit 2 / 6).
 * Only manifest.json is held in memory; declared files are hashed as they stream, and
 * undeclared entries are reported by name without being read.
 */
export async function verifyRunpack(
  source: string | Buffer,
  options: VerifyOptions = {},
): Promise<RunpackVerification> {
  assertKeyForStrict(options);
  return withRunpackZip(source, async (zip) => {
    // The reader's names are unique and already in normal form (entryName(path) === path).
    const names = new Set(zip.entries.map((entry) => entry.path));
    const manifestEntry = names.has(RunpackFiles.manifest)
      ? await zip.read(RunpackFiles.manifest)
      : undefined;
    const parsed = readManifest(manifestEntry?.data, options);
    const digests = new Map<string, string>();
    for (const name of listedNames(parsed.manifest)) {
      if (names.has(name)) digests.set(name, await zip.sha256(name));
    }
    return assess(parsed, names, (name) => digests.get(name), options);
  });
}

function assertKeyForStrict(options: VerifyOptions): void {
  if (options.requireSignature && !options.verifyKey) {
    throw invalidInput(
      "verify_key_required",
      "--require-signature needs a public key to check signatures with",
      {
        hint: "pass --public-key <path> or --public-key-env <VAR> (a private key also works)",
      },
    );
  }
}

/** The pure verification core over uncompressed entries. */
export function verifyRunpackEntries(
  entries: readonly RunpackEntry[],
  options: VerifyOptions = {},
): RunpackVerification {
  const byName = indexEntries(entries);
  const parsed = readManifest(byName.get(RunpackFiles.manifest)?.data, options);
  const digestOf = (name: string) => {
    const entry = byName.get(name);
    return entry && (entry.sha256 ?? sha256Hex(entry.data));
  };
  return assess(parsed, new Set(byName.keys()), digestOf, options);
}

interface ParsedManifest {
  raw: JsonObject;
  manifest: Manifest;
}

/** Normalized names of the files the manifest lists. */
function listedNames(manifest: Manifest): Set<string> {
  return new Set((manifest.files ?? []).map((file) => entryName(file.path)));
}

/**
 * Checks the listed files against the entries present (`names`, normalized; `digestOf` gives
 * the sha256 of a present, listed one), then the manifest digest and the signatures.
 */
function assess(
  { raw, manifest }: ParsedManifest,
  names: ReadonlySet<string>,
  digestOf: (name: string) => string | undefined,
  options: VerifyOptions,
): RunpackVerification {
  const missing: string[] = [];
  const mismatches: HashMismatch[] = [];
  const files = manifest.files ?? [];
  for (const file of files) {
    const actual = digestOf(entryName(file.path));
    if (actual === undefined) {
      missing.push(file.path);
      continue;
    }
    if (actual !== file.sha256.toLowerCase())
      mismatches.push({ path: file.path, expected: file.sha256, actual });
  }
  const listed = listedNames(manifest);
  for (const required of LISTED_FILES) if (!listed.has(required)) missing.push(required);
  // Every entry must be accounted for: another reader could otherwise be shown files no one signed.
  const undeclared = sortedUnique([...names].filter((n) => n !== RunpackFiles.manifest && !listed.has(n)));
  const recomputed = manifestDigest(manifest);
  if (recomputed !== manifest.manifest_digest) {
    mismatches.push({ path: RunpackFiles.manifest, expected: manifest.manifest_digest, actual: recomputed });
  }
  const signatures = checkSignatures(raw, options);
  const signatureOk = signatureAccepted(signatures.status, options.requireSignature);
  const missingFiles = sortedUnique(missing);
  mismatches.sort((a, b) => compareBytes(a.path, b.path));
  return {
    ok: missingFiles.length === 0 && mismatches.length === 0 && undeclared.length === 0 && signatureOk,
    run_id: manifest.run_id,
    manifest_digest: manifest.manifest_digest,
    files_checked: files.length,
    missing_files: missingFiles,
    hash_mismatches: mismatches,
    undeclared_files: undeclared,
    ...signatureFields(signatures),
  };
}

/** Entry names as the reference compares them: trimmed, slash-normalized; duplicates are fatal. */
function indexEntries(entries: readonly RunpackEntry[]): Map<string, RunpackEntry> {
  const byName = new Map<string, RunpackEntry>();
  for (const entry of entries) {
    const name = entryName(entry.path);
    if (byName.has(name)) throw duplicateEntries(name);
    byName.set(name, entry);
  }
  return byName;
}

function readManifest(data: Buffer | undefined, options: VerifyOptions): ParsedManifest {
  if (!data) {
    throw verificationFailed("runpack_manifest_missing", "runpack has no manifest.json", {
      hint: "the file is not a runpack or is damaged; re-record it from its source",
    });
  }
  let raw: JsonObject;
  try {
    raw = parseJsonObject(data.toString("utf8"), RunpackFiles.manifest);
  } catch (error) {
    throw manifestInvalid(error instanceof Error ? error.message : String(error));
  }
  const manifest = projectManifest(raw);
  if (manifest.schema_id !== SchemaIds.manifest)
    throw manifestInvalid(
      `schema_id must be ${SchemaIds.manifest}, got ${JSON.stringify(manifest.schema_id)}`,
    );
  if (manifest.schema_version !== RUNPACK_SCHEMA_VERSION)
    throw manifestInvalid(`schema_version must be ${RUNPACK_SCHEMA_VERSION}`);
  if (manifest.run_id.trim() === "") throw manifestInvalid("run_id is empty");
  if (!options.allowNonCanonicalManifest) assertCanonical(data, raw, manifest);
  return { raw, manifest };
}

/** manifest.json must be the JCS bytes of the manifest the digest was computed from (§3.1). */
function assertCanonical(bytes: Buffer, raw: JsonObject, manifest: Manifest): void {
  const expected = raw.signatures === undefined ? manifest : { ...manifest, signatures: raw.signatures };
  if (!Buffer.from(canonicalize(expected)).equals(bytes)) {
    throw verificationFailed(
      "runpack_manifest_not_canonical",
      "runpack manifest.json is not the canonical (RFC 8785) encoding of its content",
      { hint: "the manifest was edited or damaged; gait migrate re-records a non-canonical runpack" },
    );
  }
}

function checkSignatures(raw: JsonObject, options: VerifyOptions): SignatureCheck {
  const signatures = raw.signatures ?? [];
  if (!Array.isArray(signatures)) throw manifestInvalid("signatures must be an array");
  return checkSignatureList(signatures, signableManifest(raw), {
    ...options,
    subject: "runpack",
    unsignedBasis: "the file hashes and the manifest digest",
  });
}
