/**
 * Reading policy test inputs from disk (the I/O edge of this module). A path names either one
 * intent (a JSON file), or fixtures: a JSONL file (one intent per line) or a directory whose
 * `*.json` files are one intent each, taken in byte order of their names (not recursive).
 */
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { compareBytes } from "../contract/bytes.ts";
import { type JsonValue, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { invalidInput } from "./error-codes.ts";
import { parseJsonFixture, parseJsonlFixtures } from "./fixtures.ts";
import type { Fixture } from "./types.ts";

export type PolicyTestInput =
  | { kind: "intent"; document: JsonValue }
  | { kind: "fixtures"; fixtures: Fixture[] };

/**
 * `path` is what we read; `name` is how fixtures are named in reports (the path as the user gave
 * it, so names do not depend on the working directory).
 */
export async function readPolicyTestInput(path: string, name: string): Promise<PolicyTestInput> {
  if (isJsonl(path) || (await isDirectory(path, name))) {
    return { kind: "fixtures", fixtures: await readFixtures(path, name) };
  }
  return { kind: "intent", document: parseJsonStrict(await readText(path, name, "read intent"), name) };
}

/** The fixtures at one path: a directory, a JSONL file, or a single JSON intent. */
export async function readFixtures(path: string, name: string): Promise<Fixture[]> {
  let fixtures: Fixture[];
  if (await isDirectory(path, name)) fixtures = await readFixtureDirectory(path, name);
  else if (isJsonl(path)) fixtures = parseJsonlFixtures(name, await readText(path, name, "read fixtures"));
  else fixtures = [parseJsonFixture(name, await readText(path, name, "read fixture"))];
  if (fixtures.length === 0) {
    throw invalidInput("fixtures_empty", `${name} holds no fixture intents`, {
      hint: "a fixtures directory needs *.json intent files; a JSONL file needs one intent per line",
    });
  }
  return fixtures;
}

/** Fixtures from several paths, in the order given; a path listed twice is read once. */
export async function readFixtureSources(sources: readonly { path: string; name: string }[]) {
  const seen = new Set<string>();
  const fixtures: Fixture[] = [];
  for (const source of sources) {
    if (seen.has(source.path)) continue;
    seen.add(source.path);
    fixtures.push(...(await readFixtures(source.path, source.name)));
  }
  return fixtures;
}

async function readFixtureDirectory(path: string, name: string): Promise<Fixture[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    throw fromFsError(error, "read fixtures directory", name);
  }
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => entry.name)
    .sort(compareBytes);
  const fixtures: Fixture[] = [];
  for (const file of files) {
    const fixtureName = join(name, file);
    fixtures.push(
      parseJsonFixture(fixtureName, await readText(join(path, file), fixtureName, "read fixture")),
    );
  }
  return fixtures;
}

function isJsonl(path: string): boolean {
  return path.endsWith(".jsonl");
}

async function isDirectory(path: string, name: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    throw fromFsError(error, "read policy test input", name);
  }
}

async function readText(path: string, name: string, action: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw fromFsError(error, action, name);
  }
}
