/**
 * `gait guard encrypt|decrypt` (docs/encryption.md): one file to or from age (X25519 recipients
 * or a passphrase), and the reference's `gait.guard.encrypted_artifact` envelope read with
 * `--format gait-aes-gcm`. The key hooks come from the artifact store (flags or config). Outputs
 * are new files: an existing one is never replaced.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fromFsError } from "../contract/errors.ts";
import { writeFileNew } from "../contract/files.ts";
import { showPath } from "../contract/paths.ts";
import {
  ageDecrypt,
  ageEncrypt,
  ENCRYPTED_SUFFIX,
  isAgeCiphertext,
  looksLikeGaitEnvelope,
  openArtifact,
} from "../store/index.ts";
import { invalidInput } from "./error-codes.ts";

export const DECRYPT_FORMATS = ["age", "gait-aes-gcm"] as const;
export type DecryptFormat = (typeof DECRYPT_FORMATS)[number];

export interface EncryptFileRequest {
  input: string;
  out?: string;
  /** age recipients (`age1…`); ignored when a passphrase is given. */
  recipients: readonly string[];
  passphrase?: string;
  cwd: string;
}

export interface CryptFileOutcome {
  inputPath: string;
  outputPath: string;
  shownOutput: string;
  format: DecryptFormat;
  /** Bytes written. */
  size: number;
}

export async function encryptArtifactFile(request: EncryptFileRequest): Promise<CryptFileOutcome> {
  const inputPath = resolve(request.cwd, request.input);
  const plaintext = await readInput(inputPath, request.input);
  const sealed = await ageEncrypt(
    plaintext,
    request.passphrase !== undefined
      ? { passphrase: request.passphrase }
      : { recipients: request.recipients },
  );
  const outputPath = resolve(request.cwd, request.out ?? `${request.input}${ENCRYPTED_SUFFIX}`);
  await writeFileNew(outputPath, sealed, { mode: 0o600 });
  return {
    inputPath,
    outputPath,
    shownOutput: showPath(request.cwd, outputPath),
    format: "age",
    size: sealed.length,
  };
}

export interface DecryptFileRequest {
  input: string;
  out?: string;
  /** Expected format; detected from the content when absent. */
  format?: DecryptFormat;
  passphrase?: string;
  cwd: string;
}

export async function decryptArtifactFile(request: DecryptFileRequest): Promise<CryptFileOutcome> {
  const inputPath = resolve(request.cwd, request.input);
  const sealed = await readInput(inputPath, request.input);
  const format = formatOf(sealed);
  if (!format || (request.format !== undefined && request.format !== format)) {
    const expected = request.format ?? "age or gait-aes-gcm";
    throw invalidInput("guard_not_encrypted", `${request.input} is not ${expected} ciphertext`, {
      hint: format
        ? `it is ${format}; pass --format ${format} or leave --format out`
        : "pass the encrypted file",
      details: { path: request.input, ...(format ? { format } : {}) },
    });
  }
  const plaintext =
    request.passphrase !== undefined && format === "age"
      ? await ageDecrypt(sealed, { passphrases: [request.passphrase] }, request.input)
      : ((await openArtifact(sealed, request.input)) as Buffer);
  const outputPath = resolve(request.cwd, request.out ?? plainName(request.input));
  await writeFileNew(outputPath, plaintext, { mode: 0o600 });
  return {
    inputPath,
    outputPath,
    shownOutput: showPath(request.cwd, outputPath),
    format,
    size: plaintext.length,
  };
}

function formatOf(bytes: Buffer): DecryptFormat | undefined {
  if (isAgeCiphertext(bytes)) return "age";
  if (looksLikeGaitEnvelope(bytes.subarray(0, 256))) return "gait-aes-gcm";
  return undefined;
}

/** `x.json.age` → `x.json`, `x.zip.gaitenc` → `x.zip`; anything else gets `.decrypted`. */
function plainName(input: string): string {
  const match = /^(.+)\.(?:age|gaitenc)$/i.exec(input);
  return match ? match[1]! : `${input}.decrypted`;
}

async function readInput(path: string, shown: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fromFsError(error, "read input", shown);
  }
}
