/**
 * Pack verification, in the order of CONTRACTS.md §7.1: the strict zip reader (duplicate,
 * traversing, linked, disagreeing or bomb entries refused) → legacy dispatch (a runpack zip goes
 * to the runpack verifier, a Guard evidence pack to the guard verifier) → the strict manifest →
 * recomputed pack_id → missing, altered and undeclared files → proof records → payload contracts
 * → signatures. Content failures are reported in the result (ok=false, exit 2); a manifest,
 * pack_id, proof record or payload that does not hold is a thrown verification error (exit 2).
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import {
  canonicalize,
  digestJcs,
  isJsonObject,
  type JsonObject,
  parseJsonObject,
  parseJsonStrict,
} from "../contract/canonical.ts";
import { GaitError } from "../contract/errors.ts";
import { checkSignatureList, signatureAccepted, signatureFields } from "../contract/signature-status.ts";
import type { VerifyKey } from "../contract/signing.ts";
import {
  type HashMismatch,
  type LoadedRunpack,
  type RunpackVerification,
  readRunpack,
  verifyRunpack,
} from "../runpack/index.ts";
import { withPackZip } from "./archive.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { packIdOf, parsePackManifest, signablePackManifest } from "./manifest.ts";
import { jobPayloadFor, runPayloadFor } from "./payload.ts";
import { verifyProofRecords } from "./proof.ts";
import { PAYLOAD_FILES, PackFiles, type PackManifest, PackSchemaIds } from "./types.ts";

/** Which older format a zip turned out to be, when it is not a PackSpec pack. */
export type LegacyType = "runpack" | "evidence_pack";

/** A runpack verification's findings, for a pack: identified by pack_id, type and source. */
export interface PackVerification extends Omit<RunpackVerification, "run_id" | "manifest_digest"> {
  pack_id: string;
  pack_type: string;
  source_ref: string;
  /** Proof records whose hash, chain and entry were checked (absent without proof_records.jsonl). */
  proof_records_verified?: number;
  legacy_type?: LegacyType;
}

/**
 * Verifies a Guard evidence pack (`gait.guard.pack_manifest`, CONTRACTS.md §7.2). The guard
 * module provides it; `gait pack verify` passes it in (src/cli/commands/pack.ts).
 */
export type GuardPackVerifier = (
  source: string | Buffer,
  options: Omit<PackVerifyOptions, "guardVerifier">,
) => Promise<PackVerification>;

export interface PackVerifyOptions {
  /** Key the signatures are checked with; without one they are `skipped`. */
  verifyKey?: VerifyKey | undefined;
  /** A key found rather than given (the project's dev key): used only if a signature names it. */
  defaultKey?: VerifyKey | undefined;
  /** Strict profile: a `verified` signature (and signed proof records) required; needs a key. */
  requireSignature?: boolean | undefined;
  guardVerifier?: GuardPackVerifier | undefined;
}

/** A pack after verification, with what inspect and diff read from it. */
export interface OpenedPack {
  verification: PackVerification;
  /** PackSpec packs only. */
  manifest?: PackManifest;
  /** The declared entries that are present and intact (PackSpec packs). */
  files: ReadonlyMap<string, Buffer>;
  /** Every declared entry's sha256 by path, whatever the kind of pack: what diff compares. */
  declared: ReadonlyMap<string, string>;
  /** Identifies the manifest's content without its signatures (pack_id, a Guard manifest's digest, a runpack's manifest_digest). */
  manifestDigest: string;
  /** The runpack of a run pack (its source/runpack.zip) or of a legacy runpack zip. */
  runpack?: LoadedRunpack;
}

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** Verifies a pack zip (path or bytes). */
export async function verifyPack(
  source: string | Buffer,
  options: PackVerifyOptions = {},
): Promise<PackVerification> {
  return (await openPack(source, options, false)).verification;
}

/**
 * Verifies a pack and returns its content. `content` also loads a legacy runpack's documents
 * (a PackSpec pack's are read by verification anyway).
 */
export async function openPack(
  source: string | Buffer,
  options: PackVerifyOptions = {},
  content = true,
): Promise<OpenedPack> {
  if (options.requireSignature && !options.verifyKey) {
    throw invalidInput(
      "pack_verify_key_required",
      "--require-signature needs a public key to check signatures with",
      {
        hint: "pass --public-key <path> or --public-key-env <VAR> (a private key also works)",
      },
    );
  }
  return withPackZip(source, async (zip) => {
    const sizes = new Map(zip.entries.map((entry) => [entry.path, entry.size]));
    if (!sizes.has(PackFiles.manifest)) {
      if (sizes.has(PackFiles.legacyRunpackManifest)) return openLegacyRunpack(source, options, content);
      throw verificationFailed("pack_manifest_missing", `the zip has no ${PackFiles.manifest}`, {
        hint: "pass a pack_<pack_id>.zip written by gait pack build, or a runpack zip",
      });
    }
    const manifestData = (await zip.read(PackFiles.manifest, { maxBytes: MAX_MANIFEST_BYTES })).data;
    if (isGuardManifest(manifestData)) return openGuardPack(source, options, manifestData);
    const manifest = parsePackManifest(manifestData);
    const recomputed = packIdOf(manifest);
    if (recomputed !== manifest.pack_id.toLowerCase()) {
      throw verificationFailed(
        "pack_id_mismatch",
        `pack_id ${manifest.pack_id} does not match the manifest's content (${recomputed})`,
        {
          hint: "the manifest was altered after the pack was built; get the original file",
          details: { expected: manifest.pack_id, actual: recomputed },
        },
      );
    }
    const files = new Map<string, Buffer>();
    const missing: string[] = [];
    const mismatches: HashMismatch[] = [];
    for (const entry of manifest.contents) {
      if (!sizes.has(entry.path)) {
        missing.push(entry.path);
        continue;
      }
      const { data, sha256 } = await zip.read(entry.path);
      if (sha256 === entry.sha256.toLowerCase()) files.set(entry.path, data);
      else mismatches.push({ path: entry.path, expected: entry.sha256, actual: sha256 });
    }
    const declared = new Set(manifest.contents.map((entry) => entry.path));
    // Every entry must be accounted for: another reader could otherwise be shown files no one signed.
    const undeclared = sortedUnique(
      [...sizes.keys()].filter((name) => name !== PackFiles.manifest && !declared.has(name)),
    );
    const intact = missing.length === 0 && mismatches.length === 0 && undeclared.length === 0;
    let proofRecords: number | undefined;
    let runpack: LoadedRunpack | undefined;
    if (intact) {
      const proof = files.get(PackFiles.proofRecords);
      // Record signatures are checked when signatures are required of a signed pack (an unsigned
      // one fails on its manifest's signature status instead).
      const signed = (manifest.signatures ?? []).length > 0;
      const proofOptions = { ...options, requireSignature: options.requireSignature === true && signed };
      if (proof) proofRecords = verifyProofRecords(proof.toString("utf8"), manifest, sizes, proofOptions);
      runpack = await checkPayload(manifest, files);
    }
    const signatures = checkSignatureList(manifest.signatures ?? [], signablePackManifest(manifest), {
      ...options,
      foldAlgCase: true,
      subject: "pack",
      unsignedBasis: "the file hashes and the pack_id",
    });
    const signatureOk = signatureAccepted(signatures.status, options.requireSignature);
    const verification: PackVerification = {
      ok: intact && signatureOk,
      pack_id: manifest.pack_id,
      pack_type: manifest.pack_type,
      source_ref: manifest.source_ref,
      files_checked: manifest.contents.length,
      ...(proofRecords === undefined ? {} : { proof_records_verified: proofRecords }),
      missing_files: sortedUnique(missing),
      hash_mismatches: mismatches.sort((a, b) => compareBytes(a.path, b.path)),
      undeclared_files: undeclared,
      ...signatureFields(signatures),
    };
    return {
      verification,
      manifest,
      files,
      declared: declaredDigests(manifest.contents),
      manifestDigest: verification.pack_id.toLowerCase(),
      ...(runpack ? { runpack } : {}),
    };
  });
}

function isGuardManifest(data: Buffer): boolean {
  try {
    const value = parseJsonStrict(data.toString("utf8"), PackFiles.manifest);
    return isJsonObject(value) && value.schema_id === PackSchemaIds.guardManifest;
  } catch {
    return false; // the strict parser reports it
  }
}

function declaredDigests(contents: ReadonlyArray<{ path: string; sha256: string }>): Map<string, string> {
  return new Map(contents.map((entry) => [entry.path, entry.sha256.toLowerCase()]));
}

/** A Guard pack: verified by the guard verifier; its declared contents read from the manifest it checked. */
async function openGuardPack(
  source: string | Buffer,
  options: PackVerifyOptions,
  manifestData: Buffer,
): Promise<OpenedPack> {
  const verification = await verifyGuardPack(source, options);
  const { signatures: _signatures, ...manifest } = parseJsonStrict(
    manifestData.toString("utf8"),
    PackFiles.manifest,
  ) as JsonObject;
  const contents = Array.isArray(manifest.contents)
    ? (manifest.contents as Array<{ path: string; sha256: string }>)
    : [];
  return {
    verification,
    files: new Map(),
    declared: declaredDigests(contents),
    manifestDigest: digestJcs(manifest),
  };
}

async function verifyGuardPack(
  source: string | Buffer,
  options: PackVerifyOptions,
): Promise<PackVerification> {
  const { guardVerifier, ...rest } = options;
  if (!guardVerifier) {
    throw invalidInput(
      "guard_pack_not_supported",
      "this zip is a Guard evidence pack (gait.guard.pack_manifest); no guard verifier is available here",
      { hint: "verify it with the gait CLI (gait pack verify), which includes the guard verifier" },
    );
  }
  return { ...(await guardVerifier(source, rest)), legacy_type: "evidence_pack" };
}

async function openLegacyRunpack(
  source: string | Buffer,
  options: PackVerifyOptions,
  content: boolean,
): Promise<OpenedPack> {
  const result = await verifyRunpack(source, {
    ...(options.verifyKey ? { verifyKey: options.verifyKey } : {}),
    ...(options.defaultKey ? { defaultKey: options.defaultKey } : {}),
    ...(options.requireSignature ? { requireSignature: true } : {}),
  });
  const verification: PackVerification = {
    ok: result.ok,
    pack_id: result.manifest_digest,
    pack_type: "run",
    source_ref: result.run_id,
    files_checked: result.files_checked,
    missing_files: result.missing_files,
    hash_mismatches: result.hash_mismatches,
    undeclared_files: result.undeclared_files,
    signature_status: result.signature_status,
    signature_errors: result.signature_errors,
    signatures_total: result.signatures_total,
    signatures_valid: result.signatures_valid,
    signature_note: result.signature_note,
    legacy_type: "runpack",
  };
  const runpack = content && result.ok ? await readRunpack(source) : undefined;
  return {
    verification,
    files: new Map(),
    declared: declaredDigests(runpack?.runpack.manifest.files ?? []),
    manifestDigest: result.manifest_digest.toLowerCase(),
    ...(runpack ? { runpack } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Payload contracts: the payload is what the builder derives from the pack's own sources.

function payloadInvalid(message: string, cause?: unknown) {
  return verificationFailed("pack_payload_invalid", message, {
    hint: "the pack's payload does not match its sources; rebuild the pack with gait pack build",
    ...(cause === undefined ? {} : { cause }),
  });
}

async function checkPayload(
  manifest: PackManifest,
  files: ReadonlyMap<string, Buffer>,
): Promise<LoadedRunpack | undefined> {
  const path = PAYLOAD_FILES[manifest.pack_type];
  const payload = readObject(files, path, manifest.pack_type);
  const schemaId = PackSchemaIds[manifest.pack_type];
  if (payload.schema_id !== schemaId) throw payloadInvalid(`${path}: schema_id must be ${schemaId}`);
  switch (manifest.pack_type) {
    case "run":
      return checkRunPayload(manifest, payload, files);
    case "job":
      checkJobPayload(manifest, payload, files);
      return undefined;
    case "call":
      if (payload.call_id !== manifest.source_ref)
        throw payloadInvalid(
          `${path}: call_id is not the pack's source_ref ${JSON.stringify(manifest.source_ref)}`,
        );
      return undefined;
  }
}

function readObject(files: ReadonlyMap<string, Buffer>, path: string, packType: string): JsonObject {
  const data = files.get(path);
  if (!data) throw payloadInvalid(`a ${packType} pack must contain ${path}`);
  try {
    return parseJsonObject(data.toString("utf8"), path);
  } catch (error) {
    throw payloadInvalid(`${path}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

async function checkRunPayload(
  manifest: PackManifest,
  payload: JsonObject,
  files: ReadonlyMap<string, Buffer>,
): Promise<LoadedRunpack> {
  if (payload.run_id !== manifest.source_ref) {
    throw payloadInvalid(
      `${PackFiles.runPayload}: run_id ${JSON.stringify(payload.run_id)} is not the pack's source_ref ${JSON.stringify(manifest.source_ref)}`,
    );
  }
  const zip = files.get(PackFiles.sourceRunpack);
  if (!zip) throw payloadInvalid(`a run pack must contain ${PackFiles.sourceRunpack}`);
  let loaded: LoadedRunpack;
  try {
    loaded = await readRunpack(zip);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw verificationFailed(
      "pack_source_invalid",
      `${PackFiles.sourceRunpack} is not a valid runpack: ${reason}`,
      {
        hint: "the pack's source runpack is damaged; rebuild the pack from the original runpack",
        ...(error instanceof GaitError ? { details: { source_error_code: error.code } } : {}),
        cause: error,
      },
    );
  }
  // context_privacy_mode comes from a context envelope, which gait does not record.
  const { context_privacy_mode: _privacy, ...stored } = payload;
  assertDerived(PackFiles.runPayload, stored, runPayloadFor(loaded.runpack), PackFiles.sourceRunpack);
  return loaded;
}

function checkJobPayload(
  manifest: PackManifest,
  payload: JsonObject,
  files: ReadonlyMap<string, Buffer>,
): void {
  const state = readObject(files, PackFiles.jobState, "job");
  const eventsData = files.get(PackFiles.jobEvents);
  if (!eventsData) throw payloadInvalid(`a job pack must contain ${PackFiles.jobEvents}`);
  eventsData
    .toString("utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line === "") return;
      let value: unknown;
      try {
        value = parseJsonStrict(line, `${PackFiles.jobEvents} line ${i + 1}`);
      } catch (error) {
        throw payloadInvalid(error instanceof Error ? error.message : String(error), error);
      }
      if (!isJsonObject(value))
        throw payloadInvalid(`${PackFiles.jobEvents} line ${i + 1}: expected an object`);
    });
  const derived = jobPayloadFor({ job_id: manifest.source_ref, state, events: [] }, (message) =>
    payloadInvalid(`${PackFiles.jobState}: ${message}`),
  );
  assertDerived(PackFiles.jobPayload, payload, derived, PackFiles.jobState);
}

/** The stored payload must be exactly the derived one: same members, same values. */
function assertDerived(path: string, stored: JsonObject, derived: object, from: string): void {
  const expected = derived as Record<string, unknown>;
  const keys = sortedUnique([...Object.keys(stored), ...Object.keys(expected)]);
  const differing = keys.filter(
    (key) => canonicalize(stored[key] ?? null) !== canonicalize(expected[key] ?? null),
  );
  if (differing.length > 0) {
    throw payloadInvalid(`${path} disagrees with ${from} on ${differing.join(", ")}`);
  }
}
