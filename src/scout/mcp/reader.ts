/**
 * The only I/O of the MCP config readers: read one config file (missing is not an error; too
 * large or unreadable is a finding), and list the project JSON files that may hold an `mcpServers`
 * map: `*.json` directly in a root and one directory down, skipping hidden directories (`.git`,
 * `.venv`, the clients' own `.cursor`/`.vscode`/`.gemini`, read by their readers), dependency and
 * build directories. Symbolic links to directories are not followed.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { compareBytes } from "../../contract/bytes.ts";

export type ReadResult =
  | { kind: "missing" }
  | { kind: "text"; text: string }
  | { kind: "too_large"; size: number }
  | { kind: "unreadable"; reason: string };

/** ~/.claude.json keeps history and grows; 16 MiB is far above any real config. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export async function readConfigText(path: string, maxBytes = MAX_CONFIG_BYTES): Promise<ReadResult> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { kind: "unreadable", reason: "not a regular file" };
    if (info.size > maxBytes) return { kind: "too_large", size: info.size };
    return { kind: "text", text: await readFile(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    return { kind: "unreadable", reason: code ?? "read failed" };
  }
}

const SKIPPED_DIRECTORIES = new Set([
  "node_modules",
  "bower_components",
  "vendor",
  "venv",
  "env",
  "__pycache__",
  "dist",
  "build",
  "out",
  "target",
  "coverage",
]);

/** Relative paths (`/`-separated, byte order) of candidate JSON files under `root`. */
export async function listProjectJsonFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const top = await entriesOf(root);
  for (const entry of top) {
    if (entry.isFile() && entry.name.endsWith(".json")) files.push(entry.name);
    if (!entry.isDirectory() || entry.name.startsWith(".") || SKIPPED_DIRECTORIES.has(entry.name)) continue;
    for (const inner of await entriesOf(join(root, entry.name))) {
      if (inner.isFile() && inner.name.endsWith(".json")) files.push(`${entry.name}/${inner.name}`);
    }
  }
  return files.sort(compareBytes);
}

async function entriesOf(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
