/**
 * The reference Gait's encrypted artifact (`gait.guard.encrypted_artifact`, REFERENCE §3 v1.4-3),
 * read for compatibility: a JSON envelope holding AES-256-GCM ciphertext (tag appended, as Go's
 * `cipher.AEAD.Seal` writes it), its nonce, and the plaintext's size and SHA-256, with a 32-byte
 * key given as base64 by an environment variable or a command. Gait writes age, not this.
 */
import { createDecipheriv } from "node:crypto";
import { sha256Hex } from "../contract/canonical.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";

export const GAIT_ENVELOPE_SCHEMA_ID = "gait.guard.encrypted_artifact";
const KEY_BYTES = 32;
const TAG_BYTES = 16;
/** Envelopes are JSON documents of whole artifacts; past this it is not one we wrote or read. */
const MAX_ENVELOPE_BYTES = 512 * 1024 * 1024;

export interface GaitEnvelope {
  algorithm: "aes-256-gcm";
  nonce: Buffer;
  ciphertext: Buffer;
  plainSha256: string;
  plainSize: number;
}

/** Cheap test on the first bytes: a JSON object naming the envelope's schema id near its start. */
export function looksLikeGaitEnvelope(head: Uint8Array): boolean {
  const text = Buffer.from(head).toString("utf8");
  return /^\s*\{/.test(text) && text.includes(`"${GAIT_ENVELOPE_SCHEMA_ID}"`);
}

export function parseGaitEnvelope(bytes: Uint8Array, label: string): GaitEnvelope {
  const invalid = (why: string) =>
    verificationFailed(
      "store_envelope_invalid",
      `${label} is not a valid ${GAIT_ENVELOPE_SCHEMA_ID}: ${why}`,
      {
        hint: "the envelope is damaged or was altered; get the original file",
        details: { path: label },
      },
    );
  if (bytes.length > MAX_ENVELOPE_BYTES) throw invalid("too large");
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw invalid("not JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw invalid("not a JSON object");
  const record = doc as Record<string, unknown>;
  if (record.schema_id !== GAIT_ENVELOPE_SCHEMA_ID)
    throw invalid(`schema_id is not ${GAIT_ENVELOPE_SCHEMA_ID}`);
  if (record.algorithm !== "aes-256-gcm")
    throw invalid(`unsupported algorithm ${JSON.stringify(record.algorithm)}`);
  const nonce = base64Field(record.nonce);
  const ciphertext = base64Field(record.ciphertext);
  if (!nonce || nonce.length === 0) throw invalid("nonce is not base64");
  if (!ciphertext || ciphertext.length < TAG_BYTES) throw invalid("ciphertext is not base64 with a GCM tag");
  const plainSha256 = typeof record.plain_sha256 === "string" ? record.plain_sha256.toLowerCase() : "";
  if (!/^[0-9a-f]{64}$/.test(plainSha256)) throw invalid("plain_sha256 is not a hex SHA-256");
  const plainSize = record.plain_size;
  if (typeof plainSize !== "number" || !Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw invalid("plain_size is not a non-negative integer");
  }
  return { algorithm: "aes-256-gcm", nonce, ciphertext, plainSha256, plainSize };
}

function base64Field(value: unknown): Buffer | undefined {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
    return undefined;
  return Buffer.from(value, "base64");
}

/** The 32-byte key from its base64 text (surrounding whitespace allowed, as a command prints it). */
export function parseEnvelopeKey(text: string, source: string): Buffer {
  const key = base64Field(text.trim());
  if (!key || key.length !== KEY_BYTES) {
    throw invalidInput("store_envelope_key_invalid", `${source} is not a base64 ${KEY_BYTES}-byte key`, {
      hint: "the reference's envelope key is 32 random bytes in standard base64 (openssl rand -base64 32)",
      details: { source },
    });
  }
  return key;
}

/** Decrypts and checks the plaintext's size and digest; any mismatch is a verification failure. */
export function openGaitEnvelope(envelope: GaitEnvelope, key: Buffer, label: string): Buffer {
  let plaintext: Buffer;
  try {
    const body = envelope.ciphertext.subarray(0, envelope.ciphertext.length - TAG_BYTES);
    const tag = envelope.ciphertext.subarray(envelope.ciphertext.length - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, envelope.nonce);
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw verificationFailed(
      "store_decrypt_failed",
      `cannot decrypt ${label}: wrong key or altered ciphertext`,
      {
        hint: "check that the key is the one the envelope was written with",
        details: { path: label },
      },
    );
  }
  if (plaintext.length !== envelope.plainSize || sha256Hex(plaintext) !== envelope.plainSha256) {
    throw verificationFailed(
      "store_envelope_digest_mismatch",
      `${label}: the decrypted content does not match plain_size/plain_sha256`,
      { hint: "the envelope was altered after it was written", details: { path: label } },
    );
  }
  return plaintext;
}
