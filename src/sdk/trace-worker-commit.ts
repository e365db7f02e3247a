/**
 * Group commit of evidence files: the traces (and approval audits) of many decisions reach the
 * disk with a few waits between them, whatever their number. Each file is written as a new file
 * the way contract/files.ts writes one (a temp file in the target directory, fsynced, then
 * hard-linked under the first free name, so a file is never torn and never replaced):
 *
 *   1. as each decision arrives, its temp files are created and written (synchronous calls:
 *      cheap, and handing each to the thread pool would cost a thread wake-up apiece, which on
 *      a virtual machine costs more than the call);
 *   2. at commit, all temp files of the group are fsynced at once, on the thread pool (the file
 *      system folds them into shared commits);
 *   3. the traces are linked under their names, and each directory is fsynced once;
 *   4. only then are the approval audits of the traces that were written linked, and their
 *      directories fsynced again: an audit is never on disk without its trace, even after a
 *      crash, at the cost of one more directory sync, not a second round of file syncs.
 *
 * A GroupCommitter decides when a group commits: at once when no commit is under way (the
 * latency of a lone decision is one round of syncs), else as soon as one finishes (so under
 * load each group holds everything that arrived during the previous commit), or after
 * `lingerMs` when answers do not wait for the disk and fewer, larger commits are cheaper.
 * Nothing here throws: each decision ends with its files placed, or with the coded error of the
 * first that failed.
 */
import { closeSync, fsync as fsyncCallback, mkdirSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { fromFsError, type GaitError } from "../contract/errors.ts";
import {
  claimNameSync,
  firstNewFileName,
  fsyncDirectory,
  type NewFileNames,
  type NewFileToWrite,
  type NewFileWritten,
  namesOf,
  tempPathFor,
  writeTempSync,
} from "../contract/files.ts";

/** Evidence files are private to their owner (as contract/files.ts writes them). */
const FILE_MODE = 0o600;
/** Parent directories created on demand are private to the user's group. */
const DIR_MODE = 0o750;

/** One decision's files: its trace, and the approval audit that may follow it. */
export interface EvidenceFiles {
  trace: NewFileToWrite;
  audit?: NewFileToWrite | undefined;
}

/** Where each file of one decision went, or the error that stopped it (then `failed` names the file). */
export interface EvidenceOutcome {
  written: NewFileWritten[];
  error?: GaitError;
  /** The first name of the file that could not be written. */
  failed?: string;
}

export type EvidenceSettled = (outcome: EvidenceOutcome) => void;

export interface GroupCommitterOptions {
  /** fsync the files and their directories (default true). */
  fsync?: boolean | undefined;
  /** Wait this long for more decisions before a group commits (default 0: commit when the disk is free). */
  lingerMs?: number | undefined;
  /** Commits under way at once (default 2: one waiting for the disk while the next one syncs). */
  maxInFlight?: number | undefined;
  /** Decisions per group: bounds how long the first of them waits for the last (default 64). */
  maxGroup?: number | undefined;
}

/** Gathers decisions into groups and commits them (see the module comment). */
export class GroupCommitter {
  private readonly fsync: boolean;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;
  private readonly maxGroup: number;
  private readonly sealed: EvidenceGroup[] = [];
  private open: EvidenceGroup | undefined;
  /** Commits in their file and trace syncs (what maxInFlight bounds). */
  private inFlight = 0;
  /** Commits not finished, audits included. */
  private unfinished = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly idlers: Array<() => void> = [];

  constructor(options: GroupCommitterOptions = {}) {
    this.fsync = options.fsync ?? true;
    this.lingerMs = options.lingerMs ?? 0;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxGroup = options.maxGroup ?? 64;
  }

  /** Starts writing a decision's files; `settled` is called once, when they are on disk or have failed. */
  write(files: EvidenceFiles, settled: EvidenceSettled): void {
    this.open ??= new EvidenceGroup(this.fsync);
    this.open.add(files, settled);
    if (this.open.size >= this.maxGroup) {
      this.sealed.push(this.open);
      this.open = undefined;
    }
  }

  /**
   * Commits what can be committed now: call it after a run of write() calls (once per turn), so
   * the decisions of one turn share a group.
   */
  kick(): void {
    while (this.inFlight < this.maxInFlight) {
      const group = this.sealed.shift() ?? this.lingered();
      if (!group) return;
      this.inFlight++;
      this.unfinished++;
      // Once its traces are on disk a commit frees its slot: its audits' directory sync then
      // overlaps the next commit's file syncs.
      let slotFreed = false;
      const freeSlot = () => {
        if (slotFreed) return;
        slotFreed = true;
        this.inFlight--;
        this.kick();
      };
      void group
        .commit(freeSlot)
        .catch((error: unknown) => group.failRest(error))
        .finally(() => {
          this.unfinished--;
          freeSlot();
          if (this.isIdle()) for (const resolve of this.idlers.splice(0)) resolve();
        });
    }
  }

  /** Resolves once every decision written so far is settled (a lingering group still lingers). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idlers.push(resolve));
  }

  private isIdle(): boolean {
    return this.unfinished === 0 && !this.open && this.sealed.length === 0;
  }

  /** Commits the open group now, lingering or not (before a shutdown). */
  flush(): void {
    this.clearTimer();
    if (this.open) {
      this.sealed.push(this.open);
      this.open = undefined;
    }
    this.kick();
  }

  /** The open group if it may commit now; otherwise starts its linger timer. */
  private lingered(): EvidenceGroup | undefined {
    const group = this.open;
    if (!group) return undefined;
    if (this.lingerMs > 0 && !group.due) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        group.due = true;
        this.kick();
      }, this.lingerMs);
      return undefined;
    }
    this.clearTimer();
    this.open = undefined;
    return group;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface Staged {
  names: NewFileNames;
  /** Where the file goes unless that name is taken (messages name it). */
  path: string;
  temp: string;
  fd: number;
  /** Set when the file failed; it is then never linked. */
  error: GaitError | undefined;
  written: NewFileWritten | undefined;
}

interface Member {
  trace: Staged;
  audit: Staged | undefined;
  settled: EvidenceSettled;
  done: boolean;
}

/** The decisions of one group commit, their temp files created as they are added. */
class EvidenceGroup {
  /** Set once a lingering group has waited long enough. */
  due = false;
  private readonly fsync: boolean;
  private readonly members: Member[] = [];
  private readonly dirs = new Map<string, unknown>();

  constructor(fsync: boolean) {
    this.fsync = fsync;
  }

  get size(): number {
    return this.members.length;
  }

  add(files: EvidenceFiles, settled: EvidenceSettled): void {
    this.members.push({
      trace: this.stage(files.trace),
      audit: files.audit ? this.stage(files.audit) : undefined,
      settled,
      done: false,
    });
  }

  /** Commits the group; `tracesDone` is called once the traces are placed and synced. */
  async commit(tracesDone: () => void): Promise<void> {
    const members = this.members;
    if (this.fsync) await syncFiles(stagedFilesOf(members));

    const traceDirs = new Set<string>();
    for (const member of members) place(member.trace, traceDirs);
    if (this.fsync) await syncDirectories(traceDirs);
    const waiting: Member[] = [];
    for (const member of members) {
      const { trace, audit } = member;
      if (audit && !audit.error && !trace.error) {
        waiting.push(member);
        continue;
      }
      // An audit whose trace failed is not written: it would be evidence of a decision with no trace.
      if (audit) discard(audit);
      settle(member, audit ? [trace, audit] : [trace]);
    }
    tracesDone();
    if (waiting.length === 0) return;

    const auditDirs = new Set<string>();
    for (const member of waiting) place(member.audit!, auditDirs);
    if (this.fsync) await syncDirectories(auditDirs);
    for (const member of waiting) settle(member, [member.trace, member.audit!]);
  }

  /**
   * A commit that threw (a bug, not an I/O error: those are outcomes) settles the decisions it
   * had not settled yet with that error, so none waits forever and none counts as written.
   */
  failRest(error: unknown): void {
    for (const member of this.members) {
      if (member.done) continue;
      const staged = member.trace;
      member.done = true;
      for (const file of [staged, member.audit]) if (file && !file.written) discard(file);
      const failure = fromFsError(error, "write file", staged.path);
      ignoreErrors(() => member.settled({ written: [], error: failure, failed: staged.path }));
    }
  }

  /** Creates (exclusively) and writes the file's temp file, next to where it goes. */
  private stage(file: NewFileToWrite): Staged {
    const names = namesOf(file.names);
    const path = firstNewFileName(names);
    const dir = dirname(path);
    const temp = tempPathFor(path);
    // Every member set from the start: the objects keep one shape through the commit, so its
    // compiled code stays valid (docs/performance.md, fifth pass).
    const staged: Staged = { names, path, temp, fd: -1, error: undefined, written: undefined };
    try {
      this.createDirectory(dir);
      staged.fd = writeTempSync(temp, file.data, FILE_MODE);
    } catch (error) {
      staged.error = fromFsError(error, "write file", path);
    }
    return staged;
  }

  /** Creates each directory once per group; throws its error for every file in it. */
  private createDirectory(dir: string): void {
    if (!this.dirs.has(dir)) {
      let failure: unknown;
      try {
        mkdirSync(dir, { recursive: true, mode: DIR_MODE });
      } catch (error) {
        failure = error;
      }
      this.dirs.set(dir, failure);
    }
    const failure = this.dirs.get(dir);
    if (failure !== undefined) throw failure;
  }
}

function settle(member: Member, files: Staged[]): void {
  const failed = files.find((file) => file.error);
  member.done = true;
  member.settled(
    failed
      ? { written: [], error: failed.error!, failed: failed.path }
      : { written: files.map((file) => file.written!) },
  );
}

/** The group's files: every trace, then every audit. */
function stagedFilesOf(members: Member[]): Staged[] {
  const files: Staged[] = [];
  for (const member of members) files.push(member.trace);
  for (const member of members) if (member.audit) files.push(member.audit);
  return files;
}

/** fsyncs every staged file at once; a file whose fsync fails is failed (and its temp removed). */
async function syncFiles(files: Staged[]): Promise<void> {
  const live = files.filter((file) => !file.error);
  const errors = await Promise.all(live.map((file) => fsyncFd(file.fd)));
  for (const [i, file] of live.entries()) {
    if (errors[i] === undefined) continue;
    file.error = fromFsError(errors[i], "write file", file.path);
    discard(file);
  }
}

/** Closes the temp file, links it under the first free name, then removes the temp name. */
function place(file: Staged, dirs: Set<string>): void {
  if (file.error) return;
  try {
    const fd = file.fd;
    file.fd = -1;
    // close reports a failed deferred write on some file systems: such a file is not placed.
    closeSync(fd);
    file.written = claimNameSync(file.temp, file.names);
    dirs.add(dirname(file.path));
  } catch (error) {
    file.error = fromFsError(error, "write file", file.path);
  } finally {
    ignoreErrors(() => unlinkSync(file.temp));
  }
}

/** A staged file that will not be placed: closed and its temp removed. */
function discard(file: Staged): void {
  if (file.fd >= 0) ignoreErrors(() => closeSync(file.fd));
  file.fd = -1;
  ignoreErrors(() => unlinkSync(file.temp));
}

/** Resolves with the fsync error, or undefined. */
function fsyncFd(fd: number): Promise<unknown> {
  return new Promise((resolve) => fsyncCallback(fd, (error) => resolve(error ?? undefined)));
}

/** Makes the new names durable (best effort, as contract/files.ts does for one file). */
async function syncDirectories(dirs: Set<string>): Promise<void> {
  await Promise.all([...dirs].map(fsyncDirectory));
}

function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {
    // Cleanup paths must not mask the original error.
  }
}
