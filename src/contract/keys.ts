/**
 * Where signing and verify keys come from (CONTRACTS.md §2.4), and writing key pairs to disk.
 *
 * A key source is a file path or the NAME of an environment variable holding the base64 value;
 * there are no fixed key variables. Modes: `dev` mints an ephemeral key per invocation (with a
 * warning) and refuses explicit sources; `prod` requires a private key source. File and
 * environment access stays in this module; parsing and signing live in signing.ts.
 */
import { promises as fsp, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromFsError, invalidInput, verificationFailed } from "./errors.ts";
import { writeFileAtomic } from "./files.ts";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  parsePrivateKey,
  parsePublicKey,
  type SigningKey,
  type VerifyKey,
  verifyKeyFor,
} from "./signing.ts";
import type { Timestamp } from "./time.ts";

export type KeyMode = "dev" | "prod";
export const KEY_MODES: readonly KeyMode[] = ["dev", "prod"];

export interface KeySource {
  /** Key file, relative to the caller's cwd unless absolute. */
  path?: string;
  /** Name of the environment variable that holds the base64 key. */
  env?: string;
}

export interface KeyIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Receives non-fatal findings (e.g. a private key file readable by others). */
  warn?: (message: string) => void;
}

export interface SigningKeyRequest {
  mode: KeyMode;
  privateKey?: KeySource | undefined;
  publicKey?: KeySource | undefined;
  /** A persistent dev key (a project's), used in dev mode instead of an ephemeral one. */
  devKey?: { key: SigningKey; origin: string } | undefined;
}

export interface VerifyKeyRequest {
  publicKey?: KeySource | undefined;
  /** A private key also works: its public half is used. */
  privateKey?: KeySource | undefined;
}

export interface ResolvedSigningKey {
  key: SigningKey;
  mode: KeyMode;
  warnings: string[];
}

export const DEV_KEY_WARNING =
  "dev mode: ephemeral keypair generated; signatures will not verify across machines";

/**
 * The warning for a dev-mode signature, naming the key that signed: the reference's sentence for
 * an ephemeral key, or where a persistent dev key (a project's) lives.
 */
export function devKeyWarning(key: SigningKey, persistent?: string): string {
  if (!persistent) return `${DEV_KEY_WARNING} (key_id ${key.keyId})`;
  return `dev mode: signed with the dev key ${persistent} (key_id ${key.keyId}); it verifies here, not as shared evidence (use --key-mode prod with your own key for that)`;
}

const SOURCE_HINT = "pass --private-key PATH or --private-key-env VAR, or use --key-mode dev";

type KeyRole = "private key" | "public key";

/**
 * The key mode when none was asked for: a private key source means prod (the caller chose a
 * key), no source means dev (an ephemeral key). An explicit mode is kept as it is.
 */
export function keyModeFor(mode: KeyMode | undefined, privateKey: KeySource | undefined): KeyMode {
  return mode ?? (isKeySourceSet(privateKey) ? "prod" : "dev");
}

/** True when the source names a path or an environment variable. */
function isKeySourceSet(source: KeySource | undefined): source is KeySource {
  return Boolean(source?.path?.trim() || source?.env?.trim());
}

/** The signing key for `request.mode`, plus warnings to surface (dev mode, loose file modes). */
export async function resolveSigningKey(request: SigningKeyRequest, io: KeyIo): Promise<ResolvedSigningKey> {
  const { mode, privateKey, publicKey } = request;
  if (!KEY_MODES.includes(mode)) {
    throw invalidInput("key_mode_invalid", `unknown key mode ${JSON.stringify(mode)}`, {
      hint: "use --key-mode dev or --key-mode prod",
    });
  }
  if (mode === "dev") {
    if (isKeySourceSet(privateKey) || isKeySourceSet(publicKey)) {
      throw invalidInput("key_source_not_allowed", "dev mode does not accept explicit key sources", {
        hint: "drop the key flags, or pass --key-mode prod to sign with them",
      });
    }
    if (request.devKey) {
      return {
        key: request.devKey.key,
        mode,
        warnings: [devKeyWarning(request.devKey.key, request.devKey.origin)],
      };
    }
    const key = generateSigningKey();
    return { key, mode, warnings: [devKeyWarning(key)] };
  }
  checkNoConflict(privateKey, "private key");
  checkNoConflict(publicKey, "public key");
  if (!isKeySourceSet(privateKey)) {
    throw invalidInput("key_source_missing", "prod key mode requires a private key source", {
      hint: SOURCE_HINT,
    });
  }
  const warnings: string[] = [];
  const key = await loadPrivateKey(privateKey, { ...io, warn: (message) => warnings.push(message) });
  if (isKeySourceSet(publicKey)) checkPairMatches(key, await loadPublicKey(publicKey, io));
  return { key, mode, warnings };
}

/**
 * The key to verify signatures with, or undefined when no source is given. A private key source
 * yields its public half; when both are given they must be a pair.
 */
export async function resolveVerifyKey(request: VerifyKeyRequest, io: KeyIo): Promise<VerifyKey | undefined> {
  const { publicKey, privateKey } = request;
  checkNoConflict(privateKey, "private key");
  checkNoConflict(publicKey, "public key");
  const fromPublic = isKeySourceSet(publicKey) ? await loadPublicKey(publicKey, io) : undefined;
  if (!isKeySourceSet(privateKey)) return fromPublic;
  const signing = await loadPrivateKey(privateKey, io);
  if (fromPublic) checkPairMatches(signing, fromPublic);
  return verifyKeyFor(signing);
}

/** Loads and parses a private key; warns through `io.warn` when its file is readable by others. */
export async function loadPrivateKey(source: KeySource, io: KeyIo): Promise<SigningKey> {
  const { text, origin, path } = await readKeyText(source, "private key", io);
  if (path) {
    const loose = await looseModeWarning(path, origin);
    if (loose) io.warn?.(loose);
  }
  return parsePrivateKey(text, origin);
}

export async function loadPublicKey(source: KeySource, io: KeyIo): Promise<VerifyKey> {
  const { text, origin } = await readKeyText(source, "public key", io);
  return parsePublicKey(text, origin);
}

/**
 * Throws a verification failure (exit 2) unless `publicKey` is the public half of `key`;
 * `details` (e.g. the sources) are added to the error envelope next to both key ids.
 */
export function checkPairMatches(
  key: SigningKey,
  publicKey: VerifyKey,
  details: Record<string, unknown> = {},
): void {
  if (key.publicRaw.equals(publicKey.publicRaw)) return;
  throw verificationFailed("key_pair_mismatch", "public key does not match the private key", {
    hint: "pass the public key written next to this private key (same prefix), or derive it from the private key",
    details: { ...details, private_key_id: key.keyId, public_key_id: publicKey.keyId },
  });
}

function checkNoConflict(source: KeySource | undefined, role: KeyRole): void {
  if (source?.path?.trim() && source.env?.trim()) {
    throw invalidInput(
      "key_source_conflict",
      `${role}: give either a path or an environment variable, not both`,
      {
        hint: `drop one of --${role.replace(" ", "-")} and --${role.replace(" ", "-")}-env`,
      },
    );
  }
}

async function readKeyText(
  source: KeySource,
  role: KeyRole,
  io: KeyIo,
): Promise<{ text: string; origin: string; path?: string }> {
  checkNoConflict(source, role);
  const path = source.path?.trim();
  if (path) {
    const absolute = resolve(io.cwd, path);
    try {
      // A key file is small: read it synchronously (a thread-pool round trip costs more).
      return { text: readFileSync(absolute, "utf8").trim(), origin: path, path: absolute };
    } catch (error) {
      throw fromFsError(error, `read ${role}`, path);
    }
  }
  const name = source.env?.trim() ?? "";
  const text = (io.env[name] ?? "").trim();
  if (text === "") {
    throw invalidInput("key_env_unset", `${role}: environment variable ${name} is not set or empty`, {
      hint: `export ${name} with the base64 ${role}, or pass a key file path instead`,
    });
  }
  return { text, origin: `env ${name}` };
}

async function looseModeWarning(path: string, origin: string): Promise<string | undefined> {
  if (process.platform === "win32") return undefined; // POSIX mode bits mean nothing there
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `private key file ${origin} is accessible by group or others (mode ${mode.toString(8).padStart(4, "0")}); run chmod 600 ${origin}`;
}

export interface KeyPairPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

/** `<outDir>/<prefix>_private.key` and `_public.key`, as the reference names them. */
export function keyPairPaths(outDir: string, prefix: string): KeyPairPaths {
  const name = prefix.trim();
  if (name === "" || name === "." || name === ".." || /[/\\]/.test(name)) {
    throw invalidInput(
      "invalid_key_prefix",
      `key prefix ${JSON.stringify(prefix)} is not a plain file name`,
      {
        hint: "use a prefix without path separators, e.g. --prefix gait; put the directory in --out-dir",
      },
    );
  }
  return {
    privateKeyPath: join(outDir, `${name}_private.key`),
    publicKeyPath: join(outDir, `${name}_public.key`),
  };
}

/** `<prefix>_<yyyymmddThhmmssZ>` in UTC: the file prefix `gait keys rotate` uses. */
export function rotationPrefix(prefix: string, at: Timestamp): string {
  const d = new Date(at.utc().seconds * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${String(d.getUTCFullYear()).padStart(4, "0")}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}T${two(
    d.getUTCHours(),
  )}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return `${prefix.trim()}_${stamp}`;
}

/**
 * Writes a key pair atomically: private key mode 0600, public key 0644, each base64 + "\n".
 * Refuses to replace existing files unless `force`; paths are resolved against `cwd`.
 */
export async function writeKeyPair(
  key: SigningKey,
  paths: KeyPairPaths,
  options: { cwd: string; force?: boolean; overwriteHint?: string },
): Promise<void> {
  const privatePath = resolve(options.cwd, paths.privateKeyPath);
  const publicPath = resolve(options.cwd, paths.publicKeyPath);
  if (!options.force) {
    for (const [absolute, shown] of [
      [privatePath, paths.privateKeyPath],
      [publicPath, paths.publicKeyPath],
    ] as const) {
      if (await exists(absolute)) {
        throw invalidInput("key_file_exists", `${shown} already exists; refusing to overwrite it`, {
          hint: options.overwriteHint ?? "pass --force to overwrite, or choose another --prefix or --out-dir",
          details: { path: shown },
        });
      }
    }
  }
  await writeFileAtomic(privatePath, `${encodePrivateKey(key)}\n`, { mode: 0o600 });
  await writeFileAtomic(publicPath, `${encodePublicKey(key)}\n`, { mode: 0o644 });
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fromFsError(error, "inspect key file", path);
  }
}
