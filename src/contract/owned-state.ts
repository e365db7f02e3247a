/**
 * A small state file owned by one long-running process (the sidecar's rate-limit counters and
 * spent approvals). The file's lock is held from open() to close(), so the state lives in memory
 * and changes synchronously with no lock per decision; every change is saved by an atomic write of
 * the whole state, coalesced so one write covers every change made before it started.
 * persisted() resolves once the changes made so far are on disk, so a caller can answer only after
 * its change is durable. Meanwhile another process waits for the lock and fails with
 * state_contention instead of changing the file behind the owner's back; a killed owner's lock is
 * taken over at once (its pid is dead).
 */
import { asError, invalidInput } from "./errors.ts";
import { acquireFileLock, type FileLock, writeFileAtomic } from "./files.ts";

export interface OwnedStateOptions<T> {
  /** schema_id written in the lock file. */
  lockSchemaId: string;
  /** Reads the state at open (the file may be missing). */
  read: (path: string) => Promise<T>;
  /** The file's whole text for a state. */
  render: (state: T) => string;
  /** fsync each saved state (default true). */
  fsync?: boolean | undefined;
  /** How long open() waits for another holder of the lock (default as gate eval, 3000 ms). */
  lockTimeoutMs?: number | undefined;
  /** A state that could not be saved (the state stays in memory; the next change retries). */
  onError?: ((error: Error) => void) | undefined;
}

export class OwnedStateFile<T> {
  private current: T;
  private changes = 0;
  /** Changes covered by the last state written. */
  private saved = 0;
  private writing = false;
  private closed = false;
  private readonly waiters: Array<{ upTo: number; resolve: () => void; reject: (error: Error) => void }> = [];

  private constructor(
    readonly path: string,
    private readonly lock: FileLock,
    state: T,
    private readonly options: OwnedStateOptions<T>,
  ) {
    this.current = state;
  }

  /** Takes the file's lock and reads its state. */
  static async open<T>(path: string, options: OwnedStateOptions<T>): Promise<OwnedStateFile<T>> {
    const lock = await acquireFileLock(`${path}.lock`, {
      schemaId: options.lockSchemaId,
      ...(options.lockTimeoutMs !== undefined ? { timeoutMs: options.lockTimeoutMs } : {}),
    });
    try {
      return new OwnedStateFile(path, lock, await options.read(path), options);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get state(): T {
    return this.current;
  }

  /** Replaces the state in memory and schedules its save. */
  update(next: T): void {
    if (this.closed) {
      throw invalidInput("state_file_closed", `the state file ${this.path} was closed`, {
        hint: "open it again",
      });
    }
    this.current = next;
    this.changes++;
    this.scheduleSave();
  }

  /** Resolves once every change made so far is in the file; rejects if that write failed. */
  persisted(): Promise<void> {
    if (this.saved >= this.changes) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) =>
      this.waiters.push({ upTo: this.changes, resolve, reject }),
    );
    this.scheduleSave();
    return done;
  }

  /** Saves what is left, then releases the lock. Later updates fail. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.persisted();
    } finally {
      await this.lock.release();
    }
  }

  /** One save loop at a time, started on a later turn so the changes of this turn share it. */
  private scheduleSave(): void {
    if (this.writing) return;
    this.writing = true;
    setImmediate(() => void this.save());
  }

  private async save(): Promise<void> {
    try {
      while (this.saved < this.changes) {
        const upTo = this.changes;
        try {
          await writeFileAtomic(this.path, this.options.render(this.current), {
            fsync: this.options.fsync ?? true,
          });
        } catch (error) {
          this.settle(upTo, asError(error));
          this.options.onError?.(asError(error));
          return;
        }
        this.saved = upTo;
        this.settle(upTo);
      }
    } finally {
      this.writing = false;
    }
  }

  private settle(upTo: number, error?: Error): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.upTo > upTo) continue;
      this.waiters.splice(i, 1);
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }
}
