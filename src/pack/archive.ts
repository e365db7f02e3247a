/**
 * The zip edge of packs: opening one through the contract's strict reader (duplicates, traversal,
 * links, headers that disagree, stray bytes and bombs are all refused there) and mapping its
 * errors, and writing the entries deterministically.
 */
import { open } from "node:fs/promises";
import { GaitError } from "../contract/errors.ts";
import { withZip, writeZip, type ZipReader } from "../contract/zip.ts";
import { openArtifact } from "../store/index.ts";
import { invalidInput } from "./error-codes.ts";
import type { PackFile } from "./types.ts";

const LOCAL_HEADER_SIGNATURE = Buffer.from("PK\x03\x04", "latin1");

/**
 * Opens a pack zip for `use` (decrypted in memory first when it is encrypted). Damage is a verification failure (exit 2) — a file that starts as
 * a zip but has no readable end record was truncated or altered — and only a file that is not a
 * zip at all is bad input (`pack_not_zip`, exit 6).
 */
export async function withPackZip<T>(
  source: string | Buffer,
  use: (zip: ZipReader) => Promise<T>,
): Promise<T> {
  try {
    return await withZip(await openArtifact(source), {}, use);
  } catch (error) {
    throw await packZipError(error, source);
  }
}

async function packZipError(error: unknown, source: string | Buffer): Promise<unknown> {
  if (!(error instanceof GaitError) || !error.code.startsWith("zip_")) return error;
  if (error.code === "zip_invalid" && !(await startsLikeZip(source))) {
    return invalidInput("pack_not_zip", `not a pack: ${error.message}`, {
      hint: "pass a pack_<pack_id>.zip written by gait pack build (or a runpack zip)",
      cause: error,
    });
  }
  if (error.category === "verification_failed") return error;
  return new GaitError("verification_failed", error.code, error.message, {
    hint: "the pack is damaged or was altered; get the original file or rebuild it from its source",
    details: error.details,
    cause: error,
  });
}

async function startsLikeZip(source: string | Buffer): Promise<boolean> {
  if (typeof source !== "string") return source.subarray(0, 4).equals(LOCAL_HEADER_SIGNATURE);
  try {
    const handle = await open(source, "r");
    try {
      const head = Buffer.alloc(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      return bytesRead === 4 && head.equals(LOCAL_HEADER_SIGNATURE);
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/** The pack zip bytes (sorted, fixed time and mode: same entries → same bytes). */
export function packZip(files: readonly PackFile[]): Promise<Buffer> {
  return writeZip(files.map((file) => ({ path: file.path, data: file.data })));
}
