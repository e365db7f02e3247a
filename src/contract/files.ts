/**
 * Crash-safe file writes and advisory lock files for shared state (CONTRACTS.md §3.1, §5.14).
 *
 * Atomic write: the data goes to a temp file `.<name>.tmp-<random>` in the target's directory, is
 * fsynced, then renamed over the target, so readers see either the old or the new content, never
 * a torn file. New file (evidence): the same temp file is hard-linked under its final name, which
 * fails instead of replacing a file that exists, so evidence is never overwritten. Lock: a lock
 * file created exclusively (`wx`); whoever creates it holds the lock.
 */
import type { Stats } from "node:fs";
import {
  closeSync,
  existsSync,
  fchmodSync,
  promises as fsp,
  fsync as fsyncCallback,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fromFsError, type GaitError, gaitError, invalidInput } from "./errors.ts";
import { type Clock, systemClock } from "./time.ts";

export interface AtomicWriteOptions {
  /** Permission bits of the final file (applied with fchmod, so the umask cannot widen or narrow them). */
  mode?: number;
  /** fsync the file before the rename and the directory after it (default true). */
  fsync?: boolean;
}

/** Parent directories created on demand are private to the user's group. */
const DIR_MODE = 0o750;

let tempCounter = 0;

/**
 * A temp name beside `path`, unique to this process and call. It is created with O_EXCL, so it
 * never replaces a file; not from the CSPRNG, whose first use costs milliseconds of a CLI call.
 */
export function tempPathFor(path: string): string {
  const unique = `${process.pid}-${++tempCounter}-${Math.random().toString(36).slice(2, 8)}`;
  return join(dirname(path), `.${basename(path)}.tmp-${unique}`);
}

/** Replaces `path` atomically (temp file, fsync, rename, directory fsync); throws its coded error. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  return writeThroughTemp(path, data, options, (temp) => renameSync(temp, path));
}

/**
 * Writes `data` to a new temp file beside `path` (synced unless told not to), lets `place` give it
 * its final name and leave no temp name behind, then syncs the directory; on failure the temp
 * file is removed. The metadata calls (create, write, link or rename, unlink) are synchronous:
 * each costs microseconds, where a round trip through the thread pool costs 0.1–0.2 ms on a
 * virtual machine (and a CLI call that writes its evidence made a dozen). Only the syncs, which
 * wait for the disk, leave the event loop.
 */
async function writeThroughTemp<T>(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
  place: (temp: string) => T,
): Promise<T> {
  const { mode = 0o600, fsync = true } = options;
  const temp = tempPathFor(path);
  let fd: number | undefined;
  let created = false;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
    fd = writeTempSync(temp, data, mode);
    created = true;
    if (fsync) await fsyncDescriptor(fd);
    closeSync(fd);
    fd = undefined;
    const placed = place(temp);
    created = false;
    if (fsync) await fsyncDirectory(dirname(path));
    return placed;
  } catch (error) {
    if (fd !== undefined) ignoreErrors(() => closeSync(fd as number));
    if (created) ignoreErrors(() => unlinkSync(temp));
    throw fromFsError(error, "write file", path);
  }
}

export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const { mode = 0o600, fsync = true } = options;
  const temp = tempPathFor(path);
  let created = false;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
    const fd = openSync(temp, "wx", mode);
    created = true;
    try {
      writeFileSync(fd, data);
      fchmodSync(fd, mode);
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    created = false;
    if (fsync) fsyncDirectorySync(dirname(path));
  } catch (error) {
    if (created) ignoreErrors(() => unlinkSync(temp));
    throw fromFsError(error, "write file", path);
  }
}

/**
 * The names a new file may take, tried in order: attempt 0, 1, 2, ... until one is free;
 * undefined ends the search. All must be in the directory of the first name.
 */
export type NewFileNames = (attempt: number) => string | undefined;

export interface NewFileToWrite {
  /** One exact path, or the names to try. */
  names: string | NewFileNames;
  data: string | Uint8Array;
}

export interface NewFileWritten {
  path: string;
  /** Which of the names it took (0: the first). */
  attempt: number;
}

/** One new file under the first free name, never replacing a file; throws its coded error. */
export async function writeFileNew(
  names: string | NewFileNames,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<NewFileWritten> {
  const candidates = namesOf(names);
  return writeThroughTemp(firstNewFileName(candidates), data, options, (temp) => {
    const written = claimNameSync(temp, candidates, likelyFreeAttempt(candidates));
    // The temp name goes before the directory fsync, so a crash cannot bring it back.
    ignoreErrors(() => unlinkSync(temp));
    return written;
  });
}

/** An exact path has no alternative: if it exists, the write fails. */
export function namesOf(names: string | NewFileNames): NewFileNames {
  return typeof names === "string" ? (attempt) => (attempt === 0 ? names : undefined) : names;
}

/** The first name a new file would take (where it goes unless that is taken). */
export function firstNewFileName(names: string | NewFileNames): string {
  if (typeof names === "string") return names;
  const path = names(0);
  if (path === undefined) throw new TypeError("a new file needs at least one name");
  return path;
}

/**
 * Where to start trying names: past the run of names already taken from the first, found with a
 * doubling then halving search of existence checks (a repeated decision's traces fill
 * `trace_<id>.json`, `.2`, `.3`, …: a thousand repeats cost about twenty checks, not a thousand
 * links). Only a starting point: the link decides, and a name freed below it is left free.
 */
function likelyFreeAttempt(names: NewFileNames): number {
  const taken = (attempt: number) => {
    const path = names(attempt);
    return path !== undefined && existsSync(path);
  };
  if (!taken(0)) return 0;
  let free = 1;
  while (taken(free)) free *= 2;
  let known = free / 2; // taken; everything between it and `free` is unknown
  while (free - known > 1) {
    const middle = Math.floor((known + free) / 2);
    if (taken(middle)) known = middle;
    else free = middle;
  }
  return free;
}

/** Links `temp` under the first free name, trying from attempt `from`. */
export function claimNameSync(temp: string, names: NewFileNames, from = 0): NewFileWritten {
  for (let attempt = from; ; attempt++) {
    const path = names(attempt);
    if (path === undefined) throw fileExists(firstNewFileName(names));
    try {
      linkSync(temp, path);
      return { path, attempt };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

function fileExists(path: string): GaitError {
  return invalidInput("file_exists", `${path} already exists; gait does not overwrite evidence`, {
    hint: "choose another output path, or move the existing file away first",
    details: { path },
  });
}

/** Creates `temp` exclusively with `data` and returns its open descriptor; leaves nothing behind on failure. */
export function writeTempSync(temp: string, data: string | Uint8Array, mode: number): number {
  const fd = openSync(temp, "wx", mode);
  try {
    writeFileSync(fd, data);
    fchmodSync(fd, mode);
    return fd;
  } catch (error) {
    ignoreErrors(() => closeSync(fd));
    ignoreErrors(() => unlinkSync(temp));
    throw error;
  }
}

/** Makes the rename durable; best effort because some filesystems refuse to fsync directories. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    await fsyncDescriptor(fd);
  } catch {
    // Durability of the directory entry is a bonus, not a requirement.
  } finally {
    if (fd !== undefined) ignoreErrors(() => closeSync(fd as number));
  }
}

/** fsync on the thread pool: the disk may take milliseconds, which the event loop does not wait out. */
function fsyncDescriptor(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsyncCallback(fd, (error) => (error ? reject(error) : resolve())));
}

function fsyncDirectorySync(dir: string): void {
  ignoreErrors(() => {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {
    // Cleanup paths must not mask the original error.
  }
}

export interface FileLockOptions {
  /** Give up after this long (default 3000 ms, CONTRACTS.md §5.14). */
  timeoutMs?: number;
  /** Pause between attempts (default 15 ms). */
  retryMs?: number;
  /**
   * A lock whose owner cannot be told (no readable pid, or another host's) is abandoned and taken
   * over once its mtime is older than this (default 15000 ms). A lock whose owner pid is dead on
   * this host is taken over at once.
   */
  staleMs?: number;
  /** `schema_id` written into the lock file (default `gait.lock`). */
  schemaId?: string;
  /** Source of the lock's `created_at`. Staleness is judged by wall time against the file mtime. */
  clock?: Clock;
}

/** A lock held by this process until release() (which is idempotent). */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

interface HeldLock {
  content: string;
  ino: number;
  dev: number;
}

/**
 * Runs `fn` while holding the lock file `lockPath`, waiting up to `timeoutMs` for another holder.
 * Throws a retryable `state_contention` error on timeout. The lock is always released afterwards.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T> | T,
  options: FileLockOptions = {},
): Promise<T> {
  const lock = await acquireFileLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Takes the lock file `lockPath` for as long as the caller needs it (a long-lived owner such as
 * the sidecar holds it for its whole life), waiting up to `timeoutMs` as withFileLock does.
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<FileLock> {
  const held = await acquireLock(lockPath, options);
  let released: Promise<void> | undefined;
  return {
    path: lockPath,
    release: () => {
      released ??= releaseLock(lockPath, held);
      return released;
    },
  };
}

async function acquireLock(lockPath: string, options: FileLockOptions): Promise<HeldLock> {
  const { timeoutMs = 3000, retryMs = 15, staleMs = 15_000, schemaId = "gait.lock" } = options;
  const clock = options.clock ?? systemClock;
  const deadline = Date.now() + timeoutMs;
  try {
    await fsp.mkdir(dirname(lockPath), { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw fromFsError(error, "create lock directory", lockPath);
  }
  for (;;) {
    const content = `${JSON.stringify({
      schema_id: schemaId,
      schema_version: "1.0.0",
      pid: process.pid,
      host: hostname(),
      created_at: clock().toString(),
    })}\n`;
    const held = await tryCreateLock(lockPath, content);
    if (held) return held;
    if (await removeIfAbandoned(lockPath, staleMs)) continue;
    if (Date.now() >= deadline) throw await contentionError(lockPath, timeoutMs);
    await sleep(retryMs);
  }
}

/** Exclusive creation is the whole mutual exclusion: only one creator can succeed. */
async function tryCreateLock(lockPath: string, content: string): Promise<HeldLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(lockPath, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw fromFsError(error, "create lock", lockPath);
  }
  try {
    await handle.writeFile(content);
    const info = await handle.stat();
    return { content, ino: info.ino, dev: info.dev };
  } catch (error) {
    await fsp.unlink(lockPath).catch(() => undefined);
    throw fromFsError(error, "write lock", lockPath);
  } finally {
    await handle.close();
  }
}

/**
 * Removes a lock its owner left behind: one whose owner pid is not alive on this host (a killed
 * process), or, when the owner cannot be told, one older than `staleMs`. The file is read and
 * stat'ed, then stat'ed again and removed only if it is still the same file, which keeps a
 * competing taker from deleting a lock that was just re-created.
 */
async function removeIfAbandoned(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const seen = await readLock(lockPath);
    const owner = ownerState(seen.record);
    if (owner === "alive") return false;
    if (owner === "unknown" && Date.now() - seen.info.mtimeMs <= staleMs) return false;
    const again = await fsp.stat(lockPath);
    if (again.ino !== seen.info.ino || again.dev !== seen.info.dev || again.mtimeMs !== seen.info.mtimeMs) {
      return false;
    }
    await fsp.unlink(lockPath);
    return true;
  } catch (error) {
    // The holder released it in the meantime: simply retry creating it.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw fromFsError(error, "inspect lock", lockPath);
  }
}

interface LockRecord {
  pid?: number;
  host?: string;
}

/** The lock's content (parsed when it can be) and the identity of the file it was read from. */
async function readLock(lockPath: string): Promise<{ record: LockRecord | undefined; info: Stats }> {
  const handle = await fsp.open(lockPath, "r");
  try {
    const info = await handle.stat();
    const text = await handle.readFile("utf8");
    return { record: parseLockRecord(text), info };
  } finally {
    await handle.close();
  }
}

function parseLockRecord(text: string): LockRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { pid, host } = value as Record<string, unknown>;
    return {
      ...(Number.isSafeInteger(pid) && (pid as number) > 0 ? { pid: pid as number } : {}),
      ...(typeof host === "string" ? { host } : {}),
    };
  } catch {
    // Half-written (the owner is between creating and writing it) or foreign: judged by age.
    return undefined;
  }
}

/**
 * Whether the lock's owner still runs. Only a pid on this host can be asked (a lock without
 * `host`, as older writers leave, is taken to be from this host); signal 0 checks without
 * signalling, and EPERM means the process exists under another user.
 */
function ownerState(record: LockRecord | undefined): "alive" | "dead" | "unknown" {
  if (record?.pid === undefined) return "unknown";
  if (record.host !== undefined && record.host !== hostname()) return "unknown";
  try {
    process.kill(record.pid, 0);
    return "alive";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH" ? "dead" : "alive";
  }
}

/** Removes the lock only while it is still ours (it may have been taken over as stale). */
async function releaseLock(lockPath: string, held: HeldLock): Promise<void> {
  try {
    const info = await fsp.lstat(lockPath);
    if (info.ino !== held.ino || info.dev !== held.dev) return;
    if ((await fsp.readFile(lockPath, "utf8")) !== held.content) return;
    await fsp.unlink(lockPath);
  } catch {
    // Already gone, or unreadable: a leftover lock turns stale and is taken over later.
  }
}

async function contentionError(lockPath: string, timeoutMs: number): Promise<GaitError> {
  const owner = await readLock(lockPath).then(
    (seen) => seen.record?.pid,
    () => undefined,
  );
  const holder = owner === undefined ? "another gait process" : `gait process ${owner}`;
  return gaitError(
    "state_contention",
    "state_contention",
    `timed out after ${timeoutMs}ms waiting for lock ${lockPath}`,
    {
      hint: `${holder} holds ${lockPath}; retry once it is done, or stop that process`,
      details: { lock_path: lockPath, ...(owner !== undefined ? { lock_pid: owner } : {}) },
    },
  );
}
