/** Small input helpers shared by commands: read a JSON file (or stdin for "-") strictly. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type JsonValue, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";

export async function readJsonInput(path: string, cwd: string, what: string): Promise<JsonValue> {
  if (path === "-") return parseJsonStrict(await readStdin(), `${what} (stdin)`);
  const full = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(full, "utf8");
  } catch (error) {
    throw fromFsError(error, `read ${what}`, path);
  }
  return parseJsonStrict(text, path);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
