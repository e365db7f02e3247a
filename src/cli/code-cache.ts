/**
 * The V8 code cache of the CLI bundle. Node 20 keeps no compiled code between runs (no
 * `module.enableCompileCache`), so every call would compile the bundle again; the launcher
 * (launcher.ts) compiles it through `vm.Script` with the `cachedData` kept here, one entry per
 * command word (a cache made after a command ran holds the functions that command compiled), in
 * the per-user cache (contract/user-cache.ts: trusted entries only, atomic writes).
 */
import type { Stats } from "node:fs";
import { readCacheEntry, userCacheDir, writeCacheEntry } from "../contract/user-cache.ts";

export interface CodeCacheKey {
  /** The build (contract/version.ts). */
  buildId: string;
  /** The bundle file's size and modification time: a rebuilt or edited bundle misses. */
  bundleStats: Pick<Stats, "size" | "mtimeMs">;
  /** The command word the cache is for ("gate", "regress", ...). */
  command: string;
}

export interface CodeCache {
  /** The cached data, when a trusted entry exists. */
  readonly data: Buffer | undefined;
  /** Stores `data` as this key's entry and removes entries of other builds. Never throws. */
  save(data: Buffer): void;
}

const SUFFIX = ".v8cache";
/** The command words in use, for a few builds (an entry is under 1 MB). */
const MAX_ENTRIES = 48;

export function openCodeCache(env: NodeJS.ProcessEnv, key: CodeCacheKey): CodeCache {
  const dir = userCacheDir(env, "v8");
  if (!dir) return { data: undefined, save: () => {} };
  const { size, mtimeMs } = key.bundleStats;
  const build = `cli-${key.buildId}-${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}-`;
  const name = `${build}${commandWord(key.command)}${SUFFIX}`;
  return {
    data: readCacheEntry(dir, name),
    save: (data) =>
      writeCacheEntry(dir, name, data, {
        // Several builds may be in use on one machine (a global gait, a project's, a checkout):
        // no build evicts another's entries; the oldest go once there are too many.
        stale: (entry) => !entry.endsWith(SUFFIX),
        maxEntries: MAX_ENTRIES,
      }),
  };
}

function commandWord(word: string): string {
  return /^[a-z][a-z0-9-]{0,31}$/.test(word) ? word : "other";
}
