/**
 * The only I/O of the MCP config readers: read one config file (missing is not an error; too
 * large or unreadable is a finding). Which project files are read comes from the core walker's
 * listing (see project.ts); user-level files sit at fixed locations (locations.ts).
 */
import { readFile, stat } from "node:fs/promises";

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
