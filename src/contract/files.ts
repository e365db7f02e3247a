/**
 * Crash-safe file writes and advisory lock files for shared state (CONTRACTS.md §3.1, §5.14).
 *
 * Atomic write: the data goes to a temp file `.<name>.tmp-<random>` in the target's directory, is
 * fsynced, then renamed over the target, so readers see either the old or the new content, never
 * a torn file. Lock: a lock file created exclusively (`wx`); whoever creates it holds the lock.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fsync as fsyncCallback,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { type FileHandle, lstat, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { fromFsError, GaitError } from "./errors.ts";
import { type Clock, systemClock } from "./time.ts";

export interface AtomicWriteOptions {
  /** Permission bits of the final file (applied with fchmod, so the umask cannot widen or narrow them). */
  mode?: number;
  /** fsync the file before the rename and the directory after it (default true). */
  fsync?: boolean;
}

/** Parent directories created on demand are private to the user's group. */
const DIR_MODE = 0o750;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString("hex")}`);
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { mode = 0o600, fsync = true } = options;
  const temp = tempPathFor(path);
  let created = false;
  try {
    await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
    const handle = await open(temp, "wx", mode);
    created = true;
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    created = false;
    if (fsync) await fsyncDirectory(dirname(path));
  } catch (error) {
    if (created) await unlink(temp).catch(() => undefined);
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

export interface FileToWrite {
  path: string;
  data: string | Uint8Array;
}

/**
 * Writes many files atomically as one group commit: every temp file is written, then all are
 * fsynced at once (so the file system can fold them into shared journal commits), then each is
 * renamed into place and each directory is fsynced once. Same guarantee per file as
 * writeFileAtomic at a fraction of the flushes, which is what a steady stream of small evidence
 * files needs. Never rejects; resolves to one entry per file, undefined when that file was
 * written, its coded error otherwise.
 */
export async function writeFilesAtomic(
  files: readonly FileToWrite[],
  options: AtomicWriteOptions = {},
): Promise<Array<GaitError | undefined>> {
  const { mode = 0o600, fsync = true } = options;
  const outcomes: Array<GaitError | undefined> = [];
  const staged: Array<{ index: number; fd: number; temp: string }> = [];
  const dirErrors = new Map<string, unknown>();
  for (const [index, file] of files.entries()) {
    const dir = dirname(file.path);
    if (!dirErrors.has(dir))
      dirErrors.set(
        dir,
        errorOf(() => mkdirSync(dir, { recursive: true, mode: DIR_MODE })),
      );
    const temp = tempPathFor(file.path);
    const error =
      dirErrors.get(dir) ??
      errorOf(() => staged.push({ index, fd: writeTempSync(temp, file.data, mode), temp }));
    outcomes.push(error ? fromFsError(error, "write file", file.path) : undefined);
  }
  const synced = await Promise.all(
    staged.map(({ fd }) =>
      fsync
        ? fsyncFd(fd).then(
            () => undefined,
            (error: unknown) => error,
          )
        : undefined,
    ),
  );
  const renamedDirs = new Set<string>();
  for (const [position, { index, fd, temp }] of staged.entries()) {
    const path = files[index]!.path;
    const error = synced[position] ?? errorOf(() => closeSync(fd)) ?? errorOf(() => renameSync(temp, path));
    if (synced[position] !== undefined) ignoreErrors(() => closeSync(fd));
    if (error) {
      ignoreErrors(() => unlinkSync(temp));
      outcomes[index] = fromFsError(error, "write file", path);
    } else renamedDirs.add(dirname(path));
  }
  if (fsync) for (const dir of renamedDirs) fsyncDirectorySync(dir);
  return outcomes;
}

const fsyncFd = promisify(fsyncCallback);

/** Creates `temp` exclusively with `data` and returns its open descriptor; leaves nothing behind on failure. */
function writeTempSync(temp: string, data: string | Uint8Array, mode: number): number {
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

/** The error `action` threw, or undefined. */
function errorOf(action: () => unknown): unknown {
  try {
    action();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Makes the rename durable; best effort because some filesystems refuse to fsync directories. */
async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Durability of the directory entry is a bonus, not a requirement.
  } finally {
    await handle?.close().catch(() => undefined);
  }
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
  /** A lock whose mtime is older than this is abandoned and taken over (default 15000 ms). */
  staleMs?: number;
  /** `schema_id` written into the lock file (default `gait.lock`). */
  schemaId?: string;
  /** Source of the lock's `created_at`. Staleness is judged by wall time against the file mtime. */
  clock?: Clock;
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
  const held = await acquireLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await releaseLock(lockPath, held);
  }
}

async function acquireLock(lockPath: string, options: FileLockOptions): Promise<HeldLock> {
  const { timeoutMs = 3000, retryMs = 15, staleMs = 15_000, schemaId = "gait.lock" } = options;
  const clock = options.clock ?? systemClock;
  const deadline = Date.now() + timeoutMs;
  try {
    await mkdir(dirname(lockPath), { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw fromFsError(error, "create lock directory", lockPath);
  }
  for (;;) {
    const content = `${JSON.stringify({
      schema_id: schemaId,
      schema_version: "1.0.0",
      pid: process.pid,
      created_at: clock().toString(),
    })}\n`;
    const held = await tryCreateLock(lockPath, content);
    if (held) return held;
    if (await removeIfStale(lockPath, staleMs)) continue;
    if (Date.now() >= deadline) throw contentionError(lockPath, timeoutMs);
    await sleep(retryMs);
  }
}

/** Exclusive creation is the whole mutual exclusion: only one creator can succeed. */
async function tryCreateLock(lockPath: string, content: string): Promise<HeldLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw fromFsError(error, "create lock", lockPath);
  }
  try {
    await handle.writeFile(content);
    const info = await handle.stat();
    return { content, ino: info.ino, dev: info.dev };
  } catch (error) {
    await unlink(lockPath).catch(() => undefined);
    throw fromFsError(error, "write lock", lockPath);
  } finally {
    await handle.close();
  }
}

/**
 * Removes an abandoned lock. The file is stat'ed twice and removed only if it is still the same
 * stale file, which keeps a competing taker from deleting a lock that was just re-created.
 */
async function removeIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const seen = await stat(lockPath);
    if (Date.now() - seen.mtimeMs <= staleMs) return false;
    const again = await stat(lockPath);
    if (again.ino !== seen.ino || again.dev !== seen.dev || again.mtimeMs !== seen.mtimeMs) return false;
    await unlink(lockPath);
    return true;
  } catch (error) {
    // The holder released it in the meantime: simply retry creating it.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw fromFsError(error, "inspect lock", lockPath);
  }
}

/** Removes the lock only while it is still ours (it may have been taken over as stale). */
async function releaseLock(lockPath: string, held: HeldLock): Promise<void> {
  try {
    const info = await lstat(lockPath);
    if (info.ino !== held.ino || info.dev !== held.dev) return;
    if ((await readFile(lockPath, "utf8")) !== held.content) return;
    await unlink(lockPath);
  } catch {
    // Already gone, or unreadable: a leftover lock turns stale and is taken over later.
  }
}

function contentionError(lockPath: string, timeoutMs: number): GaitError {
  return new GaitError(
    "state_contention",
    "state_contention",
    `timed out after ${timeoutMs}ms waiting for lock ${lockPath}`,
    {
      hint: `another gait process holds ${lockPath}; retry, or remove it if no gait process is running`,
      details: { lock_path: lockPath },
    },
  );
}
