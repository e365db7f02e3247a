/**
 * Gait's per-user cache directory (V8 code for the CLI, compiled policies). What is read back
 * from it is trusted (it is code, or decides verdicts), so an entry is only read from a directory
 * and a file that belong to the current user and that no one else can write (a shared or planted
 * entry is ignored, never trusted), and written atomically (temp file, then rename). Any failure
 * only costs the cache: callers go on as if there were none.
 *
 * `GAIT_CACHE_DIR` moves it (default `$XDG_CACHE_HOME/gait`, else `~/.cache/gait`);
 * `GAIT_NO_CACHE=1` turns every cache off. Node built-ins only: the CLI launcher loads this.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Larger files are not entries of ours. */
const MAX_ENTRY_BYTES = 32 * 1024 * 1024;

/** The directory for `kind` ("v8", "policy"), or undefined when caching is off or unsupported (no POSIX owners). */
export function userCacheDir(env: NodeJS.ProcessEnv, kind: string): string | undefined {
  if (["1", "true", "yes", "on"].includes((env.GAIT_NO_CACHE ?? "").toLowerCase())) return undefined;
  if (typeof process.getuid !== "function") return undefined;
  const base = env.GAIT_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "gait");
  return join(base, kind);
}

/** The entry's bytes, when the directory and the file are trusted; undefined otherwise. Never throws. */
export function readCacheEntry(dir: string, name: string): Buffer | undefined {
  return ignoringErrors(() => (trustedDirectory(dir) ? readTrusted(join(dir, name)) : undefined));
}

export interface CacheRetention {
  /** Entries never read again (another build's, say): removed. */
  stale: (entry: string) => boolean;
  /** Most entries kept; the least recently written go first. */
  maxEntries: number;
}

/** Writes the entry atomically (mode 0600, directory 0700), then applies `retention`. Never throws. */
export function writeCacheEntry(
  dir: string,
  name: string,
  data: Buffer | string,
  retention: CacheRetention,
): void {
  ignoringErrors(() => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trustedDirectory(dir)) return;
    writeAtomically(join(dir, name), typeof data === "string" ? Buffer.from(data) : data);
    const kept: Array<{ entry: string; mtimeMs: number }> = [];
    for (const entry of readdirSync(dir)) {
      if (entry.endsWith(".tmp")) continue;
      if (retention.stale(entry)) remove(join(dir, entry));
      else kept.push({ entry, mtimeMs: lstatSync(join(dir, entry)).mtimeMs });
    }
    kept.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { entry } of kept.slice(retention.maxEntries)) remove(join(dir, entry));
  });
}

function remove(path: string): void {
  ignoringErrors(() => unlinkSync(path));
}

/** A real directory (not a link) owned by us that group and others cannot write. */
function trustedDirectory(dir: string): boolean {
  const stats = lstatSync(dir, { throwIfNoEntry: false });
  return stats?.isDirectory() === true && trustedOwnerAndMode(stats);
}

function trustedOwnerAndMode(stats: Stats): boolean {
  return stats.uid === process.getuid?.() && (stats.mode & 0o022) === 0;
}

/** The file's bytes, if it is a regular file (not followed through a link) that we own and only we can write. */
function readTrusted(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || !trustedOwnerAndMode(stats) || stats.size === 0 || stats.size > MAX_ENTRY_BYTES) {
      return undefined;
    }
    const data = Buffer.allocUnsafe(stats.size);
    let offset = 0;
    while (offset < data.length) {
      const read = readSync(fd, data, offset, data.length - offset, offset);
      if (read === 0) return undefined;
      offset += read;
    }
    return data;
  } finally {
    closeSync(fd);
  }
}

function writeAtomically(path: string, data: Buffer): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
}

function ignoringErrors<T>(action: () => T): T | undefined {
  try {
    return action();
  } catch {
    return undefined;
  }
}
