/**
 * Verifying a Guard evidence pack offline (CONTRACTS.md §7.2): the strict zip reader (duplicate,
 * traversing, linked, disagreeing or bomb entries refused) → the manifest, read strictly → every
 * declared entry present and matching its sha256 → signatures (missing / skipped / verified /
 * failed, shared with every other verifier). As the contract says, files the manifest does not
 * declare are not a failure; they are reported, and no signature covers them. The pack_id
 * (`pack_` + 16 hex of the digest of run_id and contents) is checked too, but as the reference's
 * verifier does not check it, a mismatch is a warning.
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import { checkSignatureList } from "../contract/signature-status.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { type PackVerification, withPackZip } from "../pack/index.ts";
import type { HashMismatch } from "../runpack/index.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { guardPackIdOf, parseGuardManifest, signableGuardManifest } from "./manifest.ts";
import { GuardFiles, type GuardPackManifest } from "./types.ts";

export interface GuardVerifyOptions {
  /** Key the signatures are checked with; without one they are `skipped`. */
  verifyKey?: VerifyKey | undefined;
  /** A key found rather than given (the project's dev key): used only if a signature names it. */
  defaultKey?: VerifyKey | undefined;
  /** Strict profile: a `verified` signature required; needs a key. */
  requireSignature?: boolean | undefined;
}

/**
 * A PackVerification (so `gait pack verify` reports guard packs in its own shape) with the guard
 * manifest's own facts. `pack_type` is `evidence`, `source_ref` the run_id; `undeclared_files`
 * lists files no signature covers without failing the pack.
 */
export interface GuardVerification extends PackVerification {
  pack_type: "evidence";
  run_id: string;
  case_id?: string;
  /** Things worth knowing that do not fail the pack (undeclared files, a pack_id off the rule). */
  warnings: string[];
  manifest: GuardPackManifest;
}

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** Verifies an evidence pack zip (path or bytes). */
export async function verifyEvidencePack(
  source: string | Buffer,
  options: GuardVerifyOptions = {},
): Promise<GuardVerification> {
  if (options.requireSignature && !options.verifyKey) {
    throw invalidInput(
      "guard_verify_key_required",
      "--require-signature needs a public key to check signatures with",
      {
        hint: "pass --public-key <path> or --public-key-env <VAR> (a private key also works)",
      },
    );
  }
  return withPackZip(source, async (zip) => {
    const sizes = new Map(zip.entries.map((entry) => [entry.path, entry.size]));
    if (!sizes.has(GuardFiles.manifest)) {
      throw verificationFailed("guard_manifest_missing", `the zip has no ${GuardFiles.manifest}`, {
        hint: "pass an evidence_pack_<pack_id>.zip written by gait guard pack",
      });
    }
    const manifestData = (await zip.read(GuardFiles.manifest, { maxBytes: MAX_MANIFEST_BYTES })).data;
    const manifest = parseGuardManifest(manifestData);
    const missing: string[] = [];
    const mismatches: HashMismatch[] = [];
    for (const entry of manifest.contents) {
      if (!sizes.has(entry.path)) {
        missing.push(entry.path);
        continue;
      }
      const sha256 = await zip.sha256(entry.path);
      if (sha256 !== entry.sha256.toLowerCase())
        mismatches.push({ path: entry.path, expected: entry.sha256, actual: sha256 });
    }
    const declared = new Set(manifest.contents.map((entry) => entry.path));
    const undeclared = sortedUnique(
      [...sizes.keys()].filter((name) => name !== GuardFiles.manifest && !declared.has(name)),
    );
    const warnings = undeclared.map(
      (name) =>
        `${name} is in the zip but not declared in the manifest: accepted (CONTRACTS.md §7.2), but nothing vouches for it`,
    );
    const expectedId = guardPackIdOf(manifest.run_id, manifest.contents);
    if (manifest.pack_id !== expectedId) {
      warnings.push(
        `pack_id ${manifest.pack_id} does not follow the guard rule (pack_ + 16 hex of the digest of run_id and contents = ${expectedId})`,
      );
    }
    const signatures = checkSignatureList(manifest.signatures ?? [], signableGuardManifest(manifest), {
      ...options,
      foldAlgCase: true,
      subject: "evidence pack",
      unsignedBasis: "the file hashes in its manifest",
    });
    const intact = missing.length === 0 && mismatches.length === 0;
    const signatureOk =
      signatures.status === "verified" || (!options.requireSignature && signatures.status !== "failed");
    return {
      ok: intact && signatureOk,
      pack_id: manifest.pack_id,
      pack_type: "evidence",
      source_ref: manifest.run_id,
      run_id: manifest.run_id,
      ...(manifest.case_id ? { case_id: manifest.case_id } : {}),
      files_checked: manifest.contents.length,
      missing_files: sortedUnique(missing),
      hash_mismatches: mismatches.sort((a, b) => compareBytes(a.path, b.path)),
      undeclared_files: undeclared,
      signature_status: signatures.status,
      signature_errors: signatures.errors,
      signatures_total: signatures.total,
      signatures_valid: signatures.valid,
      signature_note: signatures.note,
      warnings,
      manifest,
    };
  });
}
