/**
 * The file walk under one root: relative POSIX paths in byte order, skipping version control,
 * dependencies, virtualenvs (any directory holding `pyvenv.cfg`), caches and build output, and
 * honouring every `.gitignore` on the way (each read relative to its own directory, as git does)
 * and the caller's include/exclude globs. A root given explicitly is always read, even when it is
 * itself such a directory (point Scout at a package's `dist` to inventory compiled code).
 */
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";
import { compareBytes } from "../contract/bytes.ts";
import type { ScoutFinding } from "./item.ts";

export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  "bower_components",
  "__pycache__",
  ".venv",
  "venv",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  "site-packages",
  ".beads",
  "dist",
  "build",
  "out",
  ".next",
  ".nuxt",
  ".svelte-kit",
  ".turbo",
  ".cache",
  ".parcel-cache",
  "coverage",
  ".gait",
  "gait-out",
]);

export interface WalkOptions {
  /** Globs on the root-relative path; a file must match one when any are given. */
  include: readonly string[];
  exclude: readonly string[];
}

export interface WalkResult {
  /** Root-relative POSIX paths, byte order. */
  files: string[];
  findings: ScoutFinding[];
}

interface IgnoreScope {
  /** Directory of the .gitignore, root-relative with a trailing `/` ("" at the root). */
  base: string;
  rules: Ignore;
}

export async function walkRoot(root: string, options: WalkOptions): Promise<WalkResult> {
  const include = options.include.length > 0 ? picomatch([...options.include], { dot: true }) : undefined;
  const exclude = options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : undefined;
  const files: string[] = [];
  const findings: ScoutFinding[] = [];

  const ignored = (scopes: readonly IgnoreScope[], rel: string, isDir: boolean) =>
    scopes.some((scope) => {
      const local = rel.slice(scope.base.length);
      return local !== "" && scope.rules.ignores(isDir ? `${local}/` : local);
    });

  const visit = async (dir: string, rel: string, scopes: readonly IgnoreScope[]): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (rel === "") throw error;
      findings.push({ path: rel, code: "scout_dir_unreadable", message: errorText(error) });
      return;
    }
    let here = scopes;
    if (entries.some((e) => e.name === ".gitignore" && e.isFile())) {
      try {
        const text = await readFile(join(dir, ".gitignore"), "utf8");
        here = [...scopes, { base: rel === "" ? "" : `${rel}/`, rules: ignore().add(text) }];
      } catch (error) {
        findings.push({
          path: `${rel === "" ? "" : `${rel}/`}.gitignore`,
          code: "scout_file_unreadable",
          message: errorText(error),
        });
      }
    }
    if (rel !== "" && entries.some((e) => e.name === "pyvenv.cfg")) return;
    const subdirs: Promise<void>[] = [];
    for (const entry of entries) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || ignored(here, path, true) || exclude?.(path)) continue;
        subdirs.push(visit(join(dir, entry.name), path, here));
      } else if (entry.isFile()) {
        if (ignored(here, path, false) || exclude?.(path) || (include && !include(path))) continue;
        files.push(path);
      }
    }
    await Promise.all(subdirs);
  };
  await visit(root, "", []);
  files.sort(compareBytes);
  findings.sort((a, b) => compareBytes(a.path, b.path));
  return { files, findings };
}

export function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${code}: cannot read` : error instanceof Error ? error.message : String(error);
}
