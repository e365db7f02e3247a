/** Small input helpers shared by commands: read a JSON file (or stdin for "-") strictly. */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { type JsonValue, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { readArtifactFile } from "../store/index.ts";
import { invalidInput } from "./error-codes.ts";

export interface JsonInputOptions {
  /** Refuse inputs larger than this many bytes (checked before reading the whole input). */
  maxBytes?: number;
}

export async function readJsonInput(
  path: string,
  cwd: string,
  what: string,
  options: JsonInputOptions = {},
): Promise<JsonValue> {
  const limit = options.maxBytes ?? Number.POSITIVE_INFINITY;
  if (path === "-") return parseJsonStrict(await readStdin(limit, what), `${what} (stdin)`);
  const full = resolve(cwd, path);
  let text: string;
  try {
    // Small files are read synchronously: a thread-pool round trip costs more than the read.
    if (statSync(full).size > limit) throw tooLarge(what, path, limit);
    // Encrypted artifacts (age, or the reference's envelope) are opened in memory.
    text = (await readArtifactFile(full)).toString("utf8");
  } catch (error) {
    throw fromFsError(error, `read ${what}`, path);
  }
  return parseJsonStrict(text, path);
}

async function readStdin(limit: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(what, "stdin", limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(what: string, source: string, limit: number) {
  return invalidInput("input_too_large", `${what} ${source} is larger than ${limit} bytes`, {
    hint: `a ${what} is small JSON; check that the right file was given`,
  });
}

export { showPath } from "../contract/paths.ts";
