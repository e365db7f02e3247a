/**
 * The artifact store: the one seam every artifact writer and reader goes through, so encryption
 * at rest is applied in one place (docs/encryption.md). In plain mode it is the contract's atomic
 * writers and nothing else. In encrypted mode (`store.encrypt` in .gait/config.yaml) each
 * artifact is encrypted in memory to the configured age recipients and only the ciphertext is
 * written, atomically, under the artifact's name plus `.age`; plaintext never reaches the disk,
 * not even as a temp file. Readers hand their source to `openArtifact`, which decrypts age files
 * (and the reference's `gait.guard.encrypted_artifact` envelopes) in memory with the identity
 * from the key hook, or fails with exit 2 when none was given.
 *
 * The store's settings come from a resolver installed by the shell (the CLI, for each
 * invocation, from flags and the project config); it runs on first use, so a command that
 * writes no artifact never reads them.
 */
import { promises as fsp, readFileSync } from "node:fs";
import type { GaitError } from "../contract/errors.ts";
import {
  type AtomicWriteOptions,
  type NewFileNames,
  type NewFileWritten,
  namesOf,
  writeFileAtomic,
  writeFileNew,
} from "../contract/files.ts";
import { AGE_SNIFF_BYTES, ageDecrypt, ageEncrypt, isAgeCiphertext, parseIdentities } from "./age.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import {
  looksLikeGaitEnvelope,
  openGaitEnvelope,
  parseEnvelopeKey,
  parseGaitEnvelope,
} from "./gait-envelope.ts";
import { type KeyMaterial, readKeyMaterial } from "./key-hooks.ts";
import { onStoreSettingsChange, storeSettings } from "./settings.ts";

/** The name an encrypted artifact takes: the plain name plus this. */
export const ENCRYPTED_SUFFIX = ".age";

export { type StoreResolver, type StoreSettings, useArtifactStore } from "./settings.ts";

let keyMaterial: Promise<KeyMaterial> | undefined;
onStoreSettingsChange(() => {
  keyMaterial = undefined;
});

/** The recipients artifacts are encrypted to, or undefined in plain mode. */
export async function storeRecipients(): Promise<readonly string[] | undefined> {
  const settings = await storeSettings();
  return settings && settings.recipients.length > 0 ? settings.recipients : undefined;
}

/** `path` as the store names it: with `.age` appended in encrypted mode. */
export async function artifactPath(path: string): Promise<string> {
  return (await storeRecipients()) ? `${path}${ENCRYPTED_SUFFIX}` : path;
}

/**
 * writeFileAtomic for an artifact; returns the path written (`path`, or `path.age` when the store
 * encrypts).
 */
export async function writeArtifactAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<string> {
  const recipients = await storeRecipients();
  if (!recipients) {
    await writeFileAtomic(path, data, options);
    return path;
  }
  const target = `${path}${ENCRYPTED_SUFFIX}`;
  await writeFileAtomic(target, await ageEncrypt(data, { recipients }), options);
  return target;
}

/** writeFileNew for an artifact (evidence is never replaced); every candidate name gets `.age` when the store encrypts. */
export async function writeArtifactNew(
  names: string | NewFileNames,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<NewFileWritten> {
  const recipients = await storeRecipients();
  if (!recipients) return writeFileNew(names, data, options);
  const plainNames = namesOf(names);
  const sealedNames: NewFileNames = (attempt) => {
    const name = plainNames(attempt);
    return name === undefined ? undefined : `${name}${ENCRYPTED_SUFFIX}`;
  };
  return writeFileNew(sealedNames, await ageEncrypt(data, { recipients }), options);
}

/**
 * Refuses an output that cannot be encrypted (a page a browser must open as it is) while the
 * store encrypts: writing it would put the artifact's content on disk in plain.
 */
export async function refusePlaintextOutput(what: string): Promise<void> {
  if (!(await storeRecipients())) return;
  throw invalidInput(
    "store_plaintext_output",
    `${what} would be written in plain, and store.encrypt is set`,
    {
      hint: "leave it out, or render it from a decrypted copy in a place meant for plaintext (gait guard decrypt)",
      details: { output: what },
    },
  );
}

/**
 * What a reader should open: the source itself when it is plain, or its decrypted bytes (in
 * memory) when it is an age file or a reference envelope. A path is sniffed by its first bytes,
 * so a plain artifact is not read twice.
 */
export async function openArtifact(source: string | Buffer, label = "input"): Promise<string | Buffer> {
  if (typeof source !== "string") return (await decryptIfSealed(source, label)) ?? source;
  const head = await readHead(source);
  if (head === undefined || !isSealed(head)) return source;
  return (await decryptIfSealed(await fsp.readFile(source), source)) ?? source;
}

/**
 * Reads a whole artifact file, decrypted when it is sealed. The read is synchronous: the inputs
 * read this way (intents, tokens, keys, reports) are small, and a thread-pool round trip costs
 * more than such a read.
 */
export async function readArtifactFile(path: string): Promise<Buffer> {
  const bytes = readFileSync(path);
  return (await decryptIfSealed(bytes, path)) ?? bytes;
}

/** Whether the bytes are an encrypted artifact (age, or the reference's envelope). */
export function isSealed(head: Uint8Array): boolean {
  return isAgeCiphertext(head) || looksLikeGaitEnvelope(head);
}

/** Enough of the start of a file for isSealed; undefined when it cannot be read (the reader reports that). */
async function readHead(path: string): Promise<Buffer | undefined> {
  try {
    const handle = await fsp.open(path, "r");
    try {
      const buffer = Buffer.alloc(Math.max(AGE_SNIFF_BYTES, 256));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function decryptIfSealed(bytes: Buffer, label: string): Promise<Buffer | undefined> {
  if (isAgeCiphertext(bytes)) {
    const material = await identityFor(label, "age");
    return ageDecrypt(bytes, { identities: parseIdentities(material.text, material.source) }, label);
  }
  if (looksLikeGaitEnvelope(bytes.subarray(0, 256))) {
    const envelope = parseGaitEnvelope(bytes, label);
    const material = await identityFor(label, "gait-aes-gcm");
    return openGaitEnvelope(envelope, parseEnvelopeKey(material.text, material.source), label);
  }
  return undefined;
}

/** The key material of the configured hook (fetched once per settings), or the "identity needed" failure. */
async function identityFor(label: string, format: "age" | "gait-aes-gcm"): Promise<KeyMaterial> {
  const settings = await storeSettings();
  const hook = settings?.identity;
  if (!settings || !hook) throw identityRequired(label, format);
  keyMaterial ??= readKeyMaterial(hook, settings);
  return keyMaterial.catch((error: unknown) => {
    keyMaterial = undefined;
    throw error;
  });
}

function identityRequired(label: string, format: "age" | "gait-aes-gcm"): GaitError {
  const what = format === "age" ? "age-encrypted" : "encrypted (gait.guard.encrypted_artifact)";
  return verificationFailed(
    "store_identity_required",
    `${label} is ${what}; an identity is needed to read it`,
    {
      hint:
        format === "age"
          ? "pass --identity <key file> (or --identity-env VAR, --identity-command CMD), or set store.identity in .gait/config.yaml"
          : "pass --identity-env VAR or --identity-command CMD giving the base64 AES key, or set store.identity in .gait/config.yaml",
      details: { path: label, format },
    },
  );
}
