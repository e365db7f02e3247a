/**
 * Per-tool stub selection for `gait run replay` (`--stub tool=kind`, `--stub-file`): which tools
 * replay with a deterministic synthetic stub of a chosen kind in place of their recorded result,
 * and which never get one (`none`). Parsing is pure; reading the file is the one I/O step.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { invalidInput } from "./error-codes.ts";

export const STUB_TYPES = ["http", "file", "db", "queue"] as const;
export type StubType = (typeof STUB_TYPES)[number];
/** A stub kind, or `none`: the tool keeps its recorded result and never gets a synthetic one. */
export type StubChoice = StubType | "none";
/** Tool name → the stub chosen for it. */
export type StubSelection = ReadonlyMap<string, StubChoice>;

const CHOICES: readonly string[] = [...STUB_TYPES, "none"];
const HINT = `write tool.name=kind with kind one of ${CHOICES.join(", ")} (e.g. --stub crm.lookup=db)`;

/** `--stub` values (`tool=kind`, repeatable or comma-separated) as a selection. */
export function parseStubFlags(entries: readonly string[]): Map<string, StubChoice> {
  const selection = new Map<string, StubChoice>();
  for (const entry of entries) {
    const at = entry.lastIndexOf("=");
    if (at <= 0) throw stubInvalid(`--stub ${JSON.stringify(entry)} is not tool=kind`);
    select(selection, entry.slice(0, at), entry.slice(at + 1), "--stub");
  }
  return selection;
}

/** A stub file's text: one JSON object `{"tool.name": "kind", ...}`. */
export function parseStubFile(text: string, source: string): Map<string, StubChoice> {
  let value: unknown;
  try {
    value = parseJsonStrict(text, source);
  } catch {
    throw stubInvalid(`${source} is not valid JSON`);
  }
  if (!isJsonObject(value)) throw stubInvalid(`${source} must be a JSON object {"tool.name": "kind"}`);
  const selection = new Map<string, StubChoice>();
  for (const [tool, kind] of Object.entries(value)) {
    if (typeof kind !== "string") throw stubInvalid(`${source}: the stub for ${tool} must be a string`);
    select(selection, tool, kind, source);
  }
  return selection;
}

/** Reads `--stub-file` (relative to cwd); the flags' choices are merged in and must not contradict it. */
export async function loadStubSelection(
  flags: readonly string[],
  file: string | undefined,
  cwd: string,
): Promise<Map<string, StubChoice>> {
  const selection = file === undefined ? new Map<string, StubChoice>() : await readStubFile(file, cwd);
  for (const [tool, choice] of parseStubFlags(flags)) select(selection, tool, choice, "--stub");
  return selection;
}

async function readStubFile(file: string, cwd: string): Promise<Map<string, StubChoice>> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw stubInvalid(`cannot read --stub-file ${file} (${code})`);
  }
  return parseStubFile(text, file);
}

function select(selection: Map<string, StubChoice>, rawTool: string, rawKind: string, source: string): void {
  const tool = rawTool.trim();
  const kind = rawKind.trim().toLowerCase();
  if (!tool) throw stubInvalid(`${source}: a stub needs a tool name`);
  if (!CHOICES.includes(kind)) throw stubInvalid(`${source}: ${JSON.stringify(rawKind)} is not a stub kind`);
  const earlier = selection.get(tool);
  if (earlier !== undefined && earlier !== kind) {
    throw stubInvalid(`${source}: ${tool} is stubbed both as ${earlier} and as ${kind}`);
  }
  selection.set(tool, kind as StubChoice);
}

function stubInvalid(message: string) {
  return invalidInput("replay_stub_invalid", message, { hint: HINT });
}
