/**
 * Skill folders on disk: where the shipped skills are, reading a folder of skills (or one skill)
 * into memory, and the digest that tells an installed copy from the shipped one.
 */
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { compareBytes } from "../contract/bytes.ts";
import { sha256Hex } from "../contract/canonical.ts";
import { gaitError, invalidInput } from "./error-codes.ts";

export const SKILL_FILE = "SKILL.md";
/** Written by `gait skills install` into each copy: the digest of the files as installed. */
export const INSTALL_MARKER = ".gait-skill.json";
/** Far above any real skill file; a bigger one is not read. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface SkillFile {
  /** Path inside the skill folder, with `/` separators. */
  path: string;
  data: Buffer;
  executable: boolean;
}

export interface SkillFolder {
  /** The folder's name, which the front matter's `name` must equal. */
  name: string;
  dir: string;
  files: SkillFile[];
  /** Files left out: too large to be a skill file. */
  skipped: string[];
}

/**
 * The skills shipped in the package (`skills/` beside `dist/`): found by walking up from this
 * code, bundled in dist/cli.cjs or run from src/, to the package's root.
 */
export function shippedSkillsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isGaitPackageRoot(dir) && existsSync(join(dir, "skills"))) return join(dir, "skills");
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw gaitError(
    "dependency_missing",
    "skills_shipped_missing",
    "the skills shipped with gait were not found",
    {
      hint: "reinstall gait: its package has a skills/ folder beside dist/",
    },
  );
}

function isGaitPackageRoot(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown }).name === "gait"
    );
  } catch {
    return false;
  }
}

/**
 * The skills in `dir`: `dir` itself when it holds a SKILL.md, else each sub-folder (hidden ones
 * aside), in byte order of their names.
 */
export async function readSkillFolders(dir: string): Promise<SkillFolder[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw invalidInput("skills_dir_missing", `${dir} is not a directory`, {
      hint: "pass a folder of skills (each a folder with a SKILL.md) or one skill folder",
    });
  if (existsSync(join(dir, SKILL_FILE))) return [await readSkillFolder(dir)];
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort(compareBytes);
  if (names.length === 0)
    throw invalidInput("skills_not_found", `${dir} holds no skill folders`, {
      hint: "a skill is a folder with a SKILL.md whose front matter names it",
    });
  return Promise.all(names.map((name) => readSkillFolder(join(dir, name))));
}

/** One skill folder's files (dotfiles aside: the install marker, editor files), in byte order. */
export async function readSkillFolder(dir: string): Promise<SkillFolder> {
  const files: SkillFile[] = [];
  const skipped: string[] = [];
  for (const path of await listFiles(dir)) {
    const rel = relative(dir, path).split(sep).join("/");
    const info = await stat(path);
    if (info.size > MAX_FILE_BYTES) {
      skipped.push(rel);
      continue;
    }
    files.push({ path: rel, data: await readFile(path), executable: (info.mode & 0o111) !== 0 });
  }
  files.sort((a, b) => compareBytes(a.path, b.path));
  return { name: dir.split(sep).filter(Boolean).pop() ?? dir, dir, files, skipped };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** SHA-256 over each file's path and content digest, in byte order of the paths. */
export function skillDigest(files: readonly SkillFile[]): string {
  const lines = [...files]
    .sort((a, b) => compareBytes(a.path, b.path))
    .map((file) => `${file.path}\0${sha256Hex(file.data)}\n`);
  return sha256Hex(lines.join(""));
}
