/**
 * age (https://age-encryption.org/v1) through the `age-encryption` package, loaded only when
 * something is encrypted or decrypted (ESM-only, kept out of the bundles by scripts/build.mjs), so
 * commands that never meet an encrypted artifact do not pay for it. Everything happens in memory:
 * plaintext is never written anywhere by this file.
 */
import { invalidInput, verificationFailed } from "./error-codes.ts";

type AgeModule = typeof import("age-encryption");

let loaded: Promise<AgeModule> | undefined;

function loadAge(): Promise<AgeModule> {
  loaded ??= import("age-encryption");
  return loaded;
}

/** The binary header line every age file starts with, and the ASCII-armored form's first line. */
const BINARY_HEADER = Buffer.from("age-encryption.org/v1\n", "latin1");
const ARMOR_HEADER = Buffer.from("-----BEGIN AGE ENCRYPTED FILE-----", "latin1");

/** Whether `bytes` is an age file (binary or armored), judged by its first line. */
export function isAgeCiphertext(bytes: Uint8Array): boolean {
  return startsWith(bytes, BINARY_HEADER) || startsWith(bytes, ARMOR_HEADER);
}

function startsWith(bytes: Uint8Array, prefix: Buffer): boolean {
  return (
    bytes.length >= prefix.length && prefix.equals(Buffer.from(bytes.buffer, bytes.byteOffset, prefix.length))
  );
}

/** Bytes needed from the start of a file to tell whether it is age. */
export const AGE_SNIFF_BYTES = ARMOR_HEADER.length;

/** Who can open what we encrypt: X25519 recipients (`age1…`) or one passphrase (scrypt). */
export type AgeSealing = { recipients: readonly string[] } | { passphrase: string };

/** What opens an age file: identities (`AGE-SECRET-KEY-1…`) and/or passphrases. */
export interface AgeOpening {
  identities?: readonly string[];
  passphrases?: readonly string[];
}

const RECIPIENT = /^age1[02-9ac-hj-np-z]+$/;
const IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]+$/;

/** A recipient as age writes it (`age1…`, bech32); anything else is refused before encrypting. */
export function checkRecipient(text: string, source: string): string {
  const recipient = text.trim();
  if (!RECIPIENT.test(recipient)) {
    throw invalidInput(
      "store_recipient_invalid",
      `${source}: ${JSON.stringify(clip(recipient))} is not an age recipient`,
      {
        hint: "an age recipient starts with age1 (print one with: age-keygen -y key.txt)",
        details: { source },
      },
    );
  }
  return recipient;
}

/**
 * The recipients of a recipients file (one per line, `#` comments and blank lines ignored, as
 * `age -R` reads them).
 */
export function parseRecipients(text: string, source: string): string[] {
  return contentLines(text).map((line) => checkRecipient(line, source));
}

/**
 * The identities of an identity file as `age-keygen` writes it (comments and blank lines
 * ignored). No identity in it is an error; the text itself never appears in a message.
 */
export function parseIdentities(text: string, source: string): string[] {
  const lines = contentLines(text);
  const identities = lines.filter((line) => IDENTITY.test(line));
  if (identities.length === 0 || identities.length !== lines.length) {
    throw invalidInput(
      "store_identity_invalid",
      `${source} does not hold age identities (AGE-SECRET-KEY-1…)`,
      {
        hint: "use a key file written by `age-keygen -o key.txt` (comment lines may stay)",
        details: { source },
      },
    );
  }
  return identities;
}

function contentLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function clip(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}

/** Encrypts `plaintext` in memory (binary age format). */
export async function ageEncrypt(plaintext: string | Uint8Array, sealing: AgeSealing): Promise<Uint8Array> {
  const age = await loadAge();
  const encrypter = new age.Encrypter();
  if ("passphrase" in sealing) {
    encrypter.setPassphrase(sealing.passphrase);
  } else {
    if (sealing.recipients.length === 0) {
      throw invalidInput("store_recipient_required", "encryption needs at least one age recipient", {
        hint: "pass --recipient age1… or --recipients-file, or list store.encrypt.recipients in .gait/config.yaml",
      });
    }
    for (const recipient of sealing.recipients) encrypter.addRecipient(recipient);
  }
  return encrypter.encrypt(typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext);
}

/**
 * Decrypts an age file (binary or armored) in memory. A file no identity opens, a damaged header
 * or a payload that fails authentication is a verification failure (exit 2).
 */
export async function ageDecrypt(
  ciphertext: Uint8Array,
  opening: AgeOpening,
  label: string,
): Promise<Buffer> {
  const age = await loadAge();
  const decrypter = new age.Decrypter();
  for (const identity of opening.identities ?? []) decrypter.addIdentity(identity);
  for (const passphrase of opening.passphrases ?? []) decrypter.addPassphrase(passphrase);
  try {
    const binary = startsWith(ciphertext, ARMOR_HEADER)
      ? age.armor.decode(Buffer.from(ciphertext).toString("latin1"))
      : ciphertext;
    return Buffer.from(await decrypter.decrypt(binary));
  } catch (error) {
    throw verificationFailed("store_decrypt_failed", `cannot decrypt ${label}: ${reason(error)}`, {
      hint: "check that the identity is the one the file was encrypted to, and that the file is intact",
      details: { path: label },
    });
  }
}

/** The library's reason, without anything that could echo key material. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/AGE-SECRET-KEY-1[0-9A-Z]+/g, "AGE-SECRET-KEY-1…").slice(0, 200);
}
