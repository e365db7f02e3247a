/**
 * Ed25519 keys and Gait signature envelopes (CONTRACTS.md §2).
 *
 * Gait signs the 32 RAW bytes of a SHA-256 digest (the hex digest decoded), never the hex text
 * and never the JSON itself; `signed_digest` carries the hex form. Keys travel as standard base64:
 * private = 64-byte Go/NaCl key (seed || public), public = the raw 32 bytes. Node's crypto only
 * imports DER, so raw keys are wrapped in fixed PKCS#8 / SPKI prefixes.
 *
 * Pure: no file or environment access here (see keys.ts for key sources).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { digestJcs, sha256Hex } from "./canonical.ts";
import { internalFailure, invalidInput } from "./errors.ts";
import { lowerCase, trimSpace } from "./text.ts";

export interface SignatureEnvelope {
  alg: "ed25519";
  /** Lowercase hex SHA-256 of the raw 32-byte public key. */
  key_id: string;
  /** Standard base64 (with padding) of the 64-byte Ed25519 signature. */
  sig: string;
  /** Lowercase hex SHA-256 of the JCS form of the signable object. */
  signed_digest: string;
}

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The raw 32-byte public key. */
  readonly publicRaw: Buffer;
  readonly keyId: string;
}

export interface VerifyKey {
  readonly publicKey: KeyObject;
  readonly publicRaw: Buffer;
  readonly keyId: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string; code: string };

export interface VerifyOptions {
  /**
   * Lower-case `alg` before comparing. The JSON verifier compares exactly (the default); the
   * reference's pack and guard verifiers lower-case first, and set this to copy them.
   */
  foldAlgCase?: boolean;
}

const SEED_LENGTH = 32;
const PUBLIC_LENGTH = 32;
const PRIVATE_LENGTH = SEED_LENGTH + PUBLIC_LENGTH;
const SIGNATURE_LENGTH = 64;
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DIGEST_HEX = /^[0-9a-f]{64}$/;
const ENVELOPE_MEMBERS: readonly string[] = ["alg", "key_id", "sig", "signed_digest"];

/**
 * Decodes standard padded base64; undefined when the text is not exactly that. With `canonical`,
 * also rejects encodings whose unused trailing bits are set, so two different texts can never
 * stand for the same bytes (keeps every character of a signature tamper-evident).
 */
function decodeStdBase64(text: string, canonical: boolean): Buffer | undefined {
  if (!STD_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (canonical && bytes.toString("base64") !== text) return undefined;
  return bytes;
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
}

function privateKeyObject(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/** The last 32 bytes of a DER export are the raw seed (PKCS#8) or raw public key (SPKI). */
function rawTail(der: Buffer, length: number): Buffer {
  return Buffer.from(der.subarray(der.length - length));
}

function seedOf(key: SigningKey): Buffer {
  return rawTail(key.privateKey.export({ format: "der", type: "pkcs8" }), SEED_LENGTH);
}

function signingKeyFromSeed(seed: Buffer): SigningKey {
  return signingKeyFromKeyObject(privateKeyObject(seed));
}

/** The whole SigningKey of an Ed25519 private KeyObject (e.g. one handed to a worker thread). */
export function signingKeyFromKeyObject(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const publicRaw = rawTail(publicKey.export({ format: "der", type: "spki" }), PUBLIC_LENGTH);
  return { privateKey, publicKey, publicRaw, keyId: keyIdFor(publicRaw) };
}

/** Key id: lowercase hex SHA-256 of the raw 32-byte public key. */
export function keyIdFor(publicRaw: Uint8Array): string {
  return sha256Hex(publicRaw);
}

/**
 * Parses a private key: standard base64 of the 64-byte seed || public key (surrounding whitespace
 * trimmed). `source` names where it came from (a path or "env VAR") — error messages never show
 * key material.
 */
export function parsePrivateKey(base64Text: string, source: string): SigningKey {
  const bytes = decodeStdBase64(trimSpace(base64Text), false);
  if (!bytes) {
    throw invalidInput("invalid_private_key", `private key from ${source} is not standard base64`, {
      hint: "a private key is the base64 of 64 bytes (seed followed by public key), as written by `gait keys init`",
    });
  }
  if (bytes.length !== PRIVATE_LENGTH) {
    throw invalidInput(
      "invalid_private_key",
      `private key from ${source}: invalid private key length ${bytes.length} (want ${PRIVATE_LENGTH} bytes)`,
      { hint: "a 32-byte seed alone is not accepted; use the 64-byte key written by `gait keys init`" },
    );
  }
  const key = signingKeyFromSeed(bytes.subarray(0, SEED_LENGTH));
  if (!key.publicRaw.equals(bytes.subarray(SEED_LENGTH))) {
    throw invalidInput(
      "invalid_private_key",
      `private key from ${source}: embedded public key does not match the seed`,
      {
        hint: "the key file is corrupted; restore it or generate a new pair with `gait keys init`",
      },
    );
  }
  return key;
}

/** Parses a public key: standard base64 of the raw 32 bytes (surrounding whitespace trimmed). */
export function parsePublicKey(base64Text: string, source: string): VerifyKey {
  const bytes = decodeStdBase64(trimSpace(base64Text), false);
  if (!bytes || bytes.length !== PUBLIC_LENGTH) {
    const problem = bytes ? `invalid public key length ${bytes.length}` : "not standard base64";
    throw invalidInput("invalid_public_key", `public key from ${source}: ${problem}`, {
      hint: `a public key is the base64 of the raw ${PUBLIC_LENGTH}-byte Ed25519 key, as written by \`gait keys init\``,
    });
  }
  const publicRaw = Buffer.from(bytes);
  return { publicKey: publicKeyObject(publicRaw), publicRaw, keyId: keyIdFor(publicRaw) };
}

/**
 * A new key pair. OpenSSL's key generation measured 0.5 ms faster than importing 32 random bytes
 * as a PKCS#8 seed and deriving the public key (a dev-mode `gait gate eval` makes one per call).
 */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const publicRaw = rawTail(publicKey.export({ format: "der", type: "spki" }), PUBLIC_LENGTH);
  return { privateKey, publicKey, publicRaw, keyId: keyIdFor(publicRaw) };
}

/** The public half of a signing key, for verifying what it signed. */
export function verifyKeyFor(key: SigningKey): VerifyKey {
  return { publicKey: key.publicKey, publicRaw: key.publicRaw, keyId: key.keyId };
}

/** Base64 of seed || public (64 bytes), no newline; the file writer adds it. */
export function encodePrivateKey(key: SigningKey): string {
  return Buffer.concat([seedOf(key), key.publicRaw]).toString("base64");
}

/** Base64 of the raw 32-byte public key, no newline. */
export function encodePublicKey(key: SigningKey | VerifyKey): string {
  return key.publicRaw.toString("base64");
}

function digestBytes(digestHex: string): Buffer {
  if (!DIGEST_HEX.test(digestHex)) {
    throw internalFailure("invalid_digest", "a signed digest must be 64 lowercase hex characters");
  }
  return Buffer.from(digestHex, "hex");
}

/** Signs the 32 raw bytes of `digestHex` (Gait's convention, CONTRACTS.md §2.2). */
export function signDigest(key: SigningKey, digestHex: string): SignatureEnvelope {
  const sig = nodeSign(null, digestBytes(digestHex), key.privateKey);
  return { alg: "ed25519", key_id: key.keyId, sig: sig.toString("base64"), signed_digest: digestHex };
}

/** Signs `sha256(JCS(signable))`; `signable` is the artifact without its signature member. */
export function signJson(key: SigningKey, signable: unknown): SignatureEnvelope {
  return signDigest(key, digestJcs(signable));
}

function fail(code: string, reason: string): VerifyResult {
  return { ok: false, code, reason };
}

/**
 * Checks `envelope` against a digest recomputed by the caller. `envelope` is usually read from
 * an untrusted file, so any shape is accepted and a bad one is a failed result, not a throw.
 * Order and rules follow the reference's VerifyJSON: digest, alg, key id, encoding, signature.
 *
 * Stricter than the reference in one respect, on purpose: the envelope must have the shape the
 * v1 schemas give it (alg, key_id and sig present as strings, no other members). The envelope is not covered by
 * the signature, so otherwise renaming `key_id` would silently skip the key id check; envelopes
 * Gait writes always have this shape. (`signed_digest` is optional in the schema; absent or
 * empty it fails as `signed_digest_missing`, as in the reference.)
 */
export function verifyDigest(
  key: VerifyKey,
  digestHex: string,
  envelope: unknown,
  options: VerifyOptions = {},
): VerifyResult {
  const digest = digestBytes(digestHex);
  if (envelope === undefined || envelope === null) return fail("signature_missing", "signature is missing");
  if (typeof envelope !== "object" || Array.isArray(envelope)) {
    return fail("signature_malformed", "signature is not an object");
  }
  const members = envelope as Record<string, unknown>;
  const unknown = Object.keys(members).find((name) => !ENVELOPE_MEMBERS.includes(name));
  if (unknown !== undefined) {
    return fail("signature_malformed", `signature has unknown member ${JSON.stringify(unknown)}`);
  }
  for (const name of ENVELOPE_MEMBERS) {
    const value = members[name];
    if (typeof value === "string" || (name === "signed_digest" && value === undefined)) continue;
    return fail("signature_malformed", `signature ${name} is missing or not a string`);
  }
  const {
    alg,
    key_id: keyId,
    sig,
    signed_digest: signedDigest = "",
  } = members as {
    alg: string;
    key_id: string;
    sig: string;
    signed_digest?: string;
  };
  if (signedDigest === "") return fail("signed_digest_missing", "signature has no signed_digest");
  if (signedDigest !== digestHex) {
    return fail("signed_digest_mismatch", "signed_digest does not match the recomputed digest");
  }
  const algText = options.foldAlgCase ? lowerCase(alg) : alg;
  if (algText !== "ed25519") return fail("signature_alg_unsupported", "signature alg is not ed25519");
  if (keyId && keyId !== key.keyId) {
    return fail("signature_key_id_mismatch", `signature key_id is not the verify key's id ${key.keyId}`);
  }
  const sigBytes = decodeStdBase64(sig, true);
  if (!sigBytes || sigBytes.length !== SIGNATURE_LENGTH) {
    return fail("signature_encoding_invalid", "signature sig is not base64 of 64 bytes");
  }
  if (!nodeVerify(null, digest, key.publicKey, sigBytes)) {
    return fail("signature_invalid", "ed25519 signature does not verify");
  }
  return { ok: true };
}

/** Verifies `envelope` over `sha256(JCS(signable))`. */
export function verifyJson(
  key: VerifyKey,
  signable: unknown,
  envelope: unknown,
  options: VerifyOptions = {},
): VerifyResult {
  return verifyDigest(key, digestJcs(signable), envelope, options);
}

/**
 * Ed25519 over arbitrary message bytes, standard base64: the style of proof records, which sign
 * the UTF-8 text of their record hash (CONTRACTS.md §2.2, "other signing styles").
 */
export function signMessage(key: SigningKey, message: Uint8Array): string {
  return nodeSign(null, message, key.privateKey).toString("base64");
}

/** Checks a signMessage signature; false for anything that is not canonical base64 of 64 bytes. */
export function verifyMessage(key: VerifyKey, message: Uint8Array, sigBase64: string): boolean {
  const sig = decodeStdBase64(sigBase64, true);
  return (
    sig !== undefined && sig.length === SIGNATURE_LENGTH && nodeVerify(null, message, key.publicKey, sig)
  );
}

/** A shallow copy of `obj` without its signature member: the object that was signed. */
export function withoutSignature<T extends object, K extends string = "signature">(
  obj: T,
  field: K = "signature" as K,
): Omit<T, K> {
  const copy = { ...obj } as Record<string, unknown>;
  delete copy[field];
  return copy as Omit<T, K>;
}
