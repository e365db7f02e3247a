/**
 * The signature status of an artifact that carries a list of signature envelopes (runpack and
 * pack manifests, guard packs), by the rules every verifier shares (CONTRACTS.md §3.5 step 5):
 * none → `missing`; signatures but no key → `skipped`; else each is checked and one that verifies
 * makes it `verified`, otherwise `failed`. Pure: the caller supplies the signable object.
 */
import { isJsonObject } from "./canonical.ts";
import { type VerifyKey, verifyJson } from "./signing.ts";

export type SignatureStatus = "missing" | "skipped" | "verified" | "failed";

export interface SignatureCheck {
  status: SignatureStatus;
  errors: string[];
  total: number;
  valid: number;
  note: string;
}

export interface SignatureCheckOptions {
  /** Key the signatures are checked with; without one (or a named default) they are `skipped`. */
  verifyKey?: VerifyKey | undefined;
  /** A key found rather than given (a project's dev key): used only if a signature names it. */
  defaultKey?: VerifyKey | undefined;
  /** Strict profile: a missing signature is reported as an error. */
  requireSignature?: boolean | undefined;
  /** Lower-case `alg` before comparing, as the reference's pack and guard verifiers do. */
  foldAlgCase?: boolean | undefined;
  /** What is signed, for the notes: `runpack`, `pack`. */
  subject: string;
  /** What an unsigned artifact's integrity rests on, for the note. */
  unsignedBasis: string;
}

function namedDefaultKey(signatures: readonly unknown[], key: VerifyKey | undefined): VerifyKey | undefined {
  if (!key) return undefined;
  return signatures.some((s) => isJsonObject(s) && s.key_id === key.keyId) ? key : undefined;
}

/** Checks every envelope in `signatures` over `signable` (the artifact without its signatures). */
export function checkSignatureList(
  signatures: readonly unknown[],
  signable: unknown,
  options: SignatureCheckOptions,
): SignatureCheck {
  const { subject } = options;
  if (signatures.length === 0) {
    return {
      status: "missing",
      errors: options.requireSignature ? ["manifest has no signatures"] : [],
      total: 0,
      valid: 0,
      note: `${subject} is unsigned: integrity rests on ${options.unsignedBasis}`,
    };
  }
  const key = options.verifyKey ?? namedDefaultKey(signatures, options.defaultKey);
  if (!key) {
    return {
      status: "skipped",
      errors: ["public key not configured"],
      total: signatures.length,
      valid: 0,
      note: `${subject} is signed but no public key was given: pass --public-key or --public-key-env to check it`,
    };
  }
  const errors: string[] = [];
  let valid = 0;
  signatures.forEach((signature, i) => {
    const result = verifyJson(key, signable, signature, { foldAlgCase: options.foldAlgCase === true });
    if (result.ok) valid++;
    else errors.push(`signature ${i + 1}: ${result.reason}`);
  });
  const verified = valid > 0;
  return {
    status: verified ? "verified" : "failed",
    errors,
    total: signatures.length,
    valid,
    note: verified
      ? `signature verified with key ${key.keyId}`
      : `no signature verified with key ${key.keyId}`,
  };
}

/** Whether a status lets a verification pass: `verified`, or anything but `failed` when no signature is required. */
export function signatureAccepted(status: SignatureStatus, requireSignature: boolean | undefined): boolean {
  return status === "verified" || (!requireSignature && status !== "failed");
}

/** The signature members every verification result carries. */
export function signatureFields(check: SignatureCheck) {
  return {
    signature_status: check.status,
    signature_errors: check.errors,
    signatures_total: check.total,
    signatures_valid: check.valid,
    signature_note: check.note,
  };
}
