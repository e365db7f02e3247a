/**
 * What can be said about a configured key source without using it: does the file exist (and with
 * which permission bits), is the environment variable set, does the key parse. Shared by
 * `gait check` and `gait doctor`; key material never leaves loadPrivateKey/loadPublicKey.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { isGaitError } from "../contract/errors.ts";
import { type KeySource, loadPrivateKey, loadPublicKey } from "../contract/keys.ts";

export type KeyRole = "private" | "public";

export interface KeyFacts {
  /** The config field that names the source, e.g. `gate.private_key`. */
  field: string;
  role: KeyRole;
  kind: "path" | "env";
  /** The path as configured, or the environment variable NAME. */
  value: string;
  /** File exists / variable set and non-empty. */
  present: boolean;
  /** Permission bits of a key file (POSIX only). */
  mode?: number;
  /** Why the key did not load, when present but unusable. */
  problem?: string;
}

export async function inspectKeySource(
  source: KeySource,
  field: string,
  role: KeyRole,
  io: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<KeyFacts> {
  const kind = source.path !== undefined ? "path" : "env";
  const value = source.path ?? source.env ?? "";
  const facts: KeyFacts = { field, role, kind, value, present: false };
  if (kind === "path") {
    try {
      const info = await stat(resolve(io.cwd, value));
      facts.present = info.isFile();
      if (!info.isFile()) facts.problem = `${value} is not a file`;
      if (process.platform !== "win32") facts.mode = info.mode & 0o777;
    } catch {
      return facts;
    }
  } else {
    facts.present = (io.env[value] ?? "").trim() !== "";
  }
  if (!facts.present || facts.problem) return facts;
  try {
    const keyIo = { cwd: io.cwd, env: io.env };
    await (role === "private" ? loadPrivateKey(source, keyIo) : loadPublicKey(source, keyIo));
  } catch (error) {
    facts.problem = isGaitError(error) ? error.message : String(error);
  }
  return facts;
}

/** True when a private key file can be read by group or others. */
export function isLooseKeyFile(facts: KeyFacts): boolean {
  return facts.role === "private" && facts.mode !== undefined && (facts.mode & 0o077) !== 0;
}

export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/** The `gait keys init` command that creates the file a key path names (or a fresh default pair). */
export function keysInitCommand(keyPath: string): string {
  const match = /^(.+)_(private|public)\.key$/.exec(basename(keyPath));
  if (!match) return "gait keys init";
  return `gait keys init --out-dir ${shellQuote(dirname(keyPath))} --prefix ${shellQuote(match[1]!)}`;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
