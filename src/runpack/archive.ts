/**
 * The zip edge of runpacks: opening one with the contract's limits and mapping zip-level
 * problems onto runpack errors, and writing the five entries deterministically.
 */
import { GaitError } from "../contract/errors.ts";
import { readZip, withZip, writeZip, type ZipReader } from "../contract/zip.ts";
import { openArtifact } from "../store/index.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import type { RunpackEntry } from "./types.ts";

/** Per-entry cap for runpacks (CONTRACTS.md §3.5). */
const RUNPACK_MAX_ENTRY_BYTES = 100 * 1024 * 1024;
const RUNPACK_ZIP_LIMITS = { maxEntryBytes: RUNPACK_MAX_ENTRY_BYTES };

/** Entry names as the reference compares them: trimmed and slash-normalized. */
export function entryName(name: string): string {
  return name.trim().replaceAll("\\", "/");
}

export function duplicateEntries(name: string): GaitError {
  return verificationFailed(
    "runpack_duplicate_entries",
    `runpack has duplicate zip entries named ${JSON.stringify(name)}`,
    {
      hint: "a runpack with duplicate entries is ambiguous evidence; re-record it from its source",
      details: { path: name },
    },
  );
}

/**
 * Opens a runpack zip and returns its entries, all read into memory (within the zip limits). An
 * encrypted runpack (age) is decrypted in memory first, with the artifact store's identity.
 * Zip-level problems become runpack errors: duplicate names → `runpack_duplicate_entries`
 * (exit 2), "not a zip" → exit 6, other damage (corruption, traversal, links, bombs, oversized
 * entries, headers that disagree, overlapping entries) → verification failure (exit 2).
 */
export async function loadRunpackEntries(source: string | Buffer): Promise<RunpackEntry[]> {
  try {
    const { entries } = await readZip(await openArtifact(source), RUNPACK_ZIP_LIMITS);
    return entries.map((entry) => ({ path: entry.path, data: entry.data, sha256: entry.sha256 }));
  } catch (error) {
    throw runpackZipError(error);
  }
}

/** Opens a runpack zip for `use` (reading only what it needs), with the same error mapping. */
export async function withRunpackZip<T>(
  source: string | Buffer,
  use: (zip: ZipReader) => Promise<T>,
): Promise<T> {
  try {
    return await withZip(await openArtifact(source), RUNPACK_ZIP_LIMITS, use);
  } catch (error) {
    throw runpackZipError(error);
  }
}

function runpackZipError(error: unknown): unknown {
  if (!(error instanceof GaitError)) return error;
  if (error.code === "zip_duplicate_entry") {
    const name = error.details?.entry ?? error.details?.path ?? "";
    return duplicateEntries(String(name));
  }
  if (error.code === "zip_invalid") {
    return invalidInput("runpack_not_zip", `not a runpack: ${error.message}`, {
      hint: "pass a runpack_<run_id>.zip written by gait run record or gait demo",
      cause: error,
    });
  }
  if (error.code.startsWith("zip_") && error.category !== "verification_failed") {
    return new GaitError("verification_failed", error.code, error.message, {
      hint: error.hint,
      details: error.details,
      cause: error,
    });
  }
  return error;
}

/** The runpack zip bytes for its entries (sorted, fixed time and mode: same entries → same bytes). */
export function runpackZip(entries: readonly RunpackEntry[]): Promise<Buffer> {
  return writeZip(entries.map((entry) => ({ path: entry.path, data: entry.data })));
}
