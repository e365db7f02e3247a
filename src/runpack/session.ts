/**
 * Run sessions, the I/O edge (`gait run session start|append|status|checkpoint|compact`): a run too
 * long to record in one go is journaled call by call and cut into checkpoint runpacks linked by
 * digest (session-journal.ts is the pure core).
 *
 * Next to a journal `<dir>/<name>.jsonl` live its lock `<name>.jsonl.lock`, its state index
 * `<name>.jsonl.state.json` and its chain `<dir>/<name>_chain.json` (REFERENCE.md §1.8).
 * Every change happens under the lock. An append is one `O_APPEND` write of a whole line, fsynced
 * before it is acknowledged. The state index caches the journal's size and summary so an append
 * does not re-read the journal; it is a cache, written without fsync: when its size disagrees with
 * the journal's (a crash between the two writes), the journal is read again and the index rebuilt.
 * A final line without its newline is an append that died mid-write, never acknowledged: the next
 * writer cuts it off (with a warning) before writing.
 *
 * A checkpoint writes its runpack as a new file (evidence is never overwritten) and re-verifies it,
 * then appends its record to the journal (the commit point), then rewrites the chain from the
 * journal's checkpoints. A crash before the commit leaves an unreferenced runpack file behind
 * (the retry names it); after it, the next checkpoint rewrites the chain.
 */
import { open, readFile, stat, truncate } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { canonicalize, isJsonObject, type JsonObject, parseJsonObject } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { type FileLockOptions, withFileLock, writeFileAtomic, writeFileNew } from "../contract/files.ts";
import { resolveSigningKey, type SigningKeyRequest } from "../contract/keys.ts";
import { showPath } from "../contract/paths.ts";
import { signJson, verifyKeyFor } from "../contract/signing.ts";
import { type Clock, parseGoDuration } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { runpackZip } from "./archive.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { runpackFileName } from "./paths.ts";
import { buildRunpack } from "./record.ts";
import {
  type CompactionPlan,
  checkpointRunId,
  checkpointRunInput,
  compactJournal,
  journalHeader,
  journalLine,
  nextCheckpoint,
  type ParsedJournal,
  parseSessionJournal,
  pendingEvents,
  type SessionEventInput,
  sessionEvent,
  sessionStatus,
} from "./session-journal.ts";
import {
  SESSION_STATE_SCHEMA_ID,
  type SessionChain,
  type SessionCheckpoint,
  type SessionEvent,
  type SessionJournal,
  SessionSchemaIds,
  type SessionState,
  type SessionStatus,
} from "./session-types.ts";
import { RUNPACK_SCHEMA_VERSION } from "./types.ts";
import { verifyRunpack } from "./verify.ts";

export interface SessionPaths {
  journal: string;
  lock: string;
  state: string;
  chain: string;
}

/** The files that belong to a journal. */
export function sessionPaths(journal: string): SessionPaths {
  const base = basename(journal, extname(journal));
  return {
    journal,
    lock: `${journal}.lock`,
    state: `${journal}.state.json`,
    chain: join(dirname(journal), `${base}_chain.json`),
  };
}

export interface SessionContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
}

/** Lock timing per profile; `swarm` is for many concurrent appenders (REFERENCE.md §4). */
const LOCK_PROFILES: Record<string, Required<Pick<FileLockOptions, "timeoutMs" | "retryMs" | "staleMs">>> = {
  standard: { timeoutMs: 5_000, retryMs: 15, staleMs: 30_000 },
  swarm: { timeoutMs: 30_000, retryMs: 5, staleMs: 30_000 },
};

/**
 * The lock options from GAIT_SESSION_LOCK_PROFILE (standard|swarm) and the Go durations in
 * GAIT_SESSION_LOCK_TIMEOUT, _RETRY and _STALE_AFTER, which override the profile's.
 */
export function sessionLockOptions(env: SessionContext["env"], clock: Clock): FileLockOptions {
  const profileName = env.GAIT_SESSION_LOCK_PROFILE?.trim() || "standard";
  const profile = LOCK_PROFILES[profileName];
  if (!profile)
    throw invalidInput(
      "session_lock_config_invalid",
      `GAIT_SESSION_LOCK_PROFILE=${profileName} is not a lock profile`,
      {
        hint: `use one of ${Object.keys(LOCK_PROFILES).join(", ")}`,
      },
    );
  const ms = (name: string, fallback: number) => {
    const text = env[name]?.trim();
    if (!text) return fallback;
    const nanos = parseGoDuration(text, name);
    if (nanos <= 0n)
      throw invalidInput("session_lock_config_invalid", `${name}=${text} must be a positive duration`, {
        hint: "use Go duration syntax such as 5s or 20ms",
      });
    return Number(nanos / 1_000_000n) || 1;
  };
  return {
    timeoutMs: ms("GAIT_SESSION_LOCK_TIMEOUT", profile.timeoutMs),
    retryMs: ms("GAIT_SESSION_LOCK_RETRY", profile.retryMs),
    staleMs: ms("GAIT_SESSION_LOCK_STALE_AFTER", profile.staleMs),
    schemaId: "gait.runpack.session_lock",
    clock,
  };
}

/** Runs `work` holding the session's lock, with the lock timing sessionLockOptions reads. */
function withSessionLock<T>(paths: SessionPaths, ctx: SessionContext, work: () => Promise<T>): Promise<T> {
  return withFileLock(paths.lock, work, sessionLockOptions(ctx.env, ctx.clock));
}

// ---------------------------------------------------------------------------------------------
// start, append, status

export interface SessionOutcome {
  journal: string;
  status: SessionStatus;
  warnings: string[];
}

export async function startSession(
  request: { journal: string; sessionId: string; runId: string },
  ctx: SessionContext,
): Promise<SessionOutcome> {
  const paths = sessionPaths(resolve(ctx.cwd, request.journal));
  const header = journalHeader({
    sessionId: request.sessionId,
    runId: request.runId,
    createdAt: ctx.clock().utc().toString(),
    producerVersion: PRODUCER_VERSION,
  });
  const line = journalLine(header);
  return withSessionLock(paths, ctx, async () => {
    await writeFileNew(paths.journal, line);
    const journal = parseSessionJournal(line, showPath(ctx.cwd, paths.journal));
    await writeState(paths, Buffer.byteLength(line), journal.header, sessionStatus(journal), ctx.clock);
    return { journal: paths.journal, status: sessionStatus(journal), warnings: [] };
  });
}

export interface AppendOutcome extends SessionOutcome {
  event: SessionEvent;
}

export async function appendSessionEvent(
  request: { journal: string; event: SessionEventInput },
  ctx: SessionContext,
): Promise<AppendOutcome> {
  const paths = sessionPaths(resolve(ctx.cwd, request.journal));
  return withSessionLock(paths, ctx, async () => {
    const warnings: string[] = [];
    const current = await currentStatus(paths, ctx, warnings);
    const event = sessionEvent(current.header, current.status.last_sequence + 1, request.event, {
      createdAt: ctx.clock().utc().toString(),
      producerVersion: PRODUCER_VERSION,
    });
    const bytes = await appendLine(paths.journal, journalLine(event));
    const status: SessionStatus = {
      ...current.status,
      last_sequence: event.sequence,
      events_in_journal: current.status.events_in_journal + 1,
      pending_events: current.status.pending_events + 1,
    };
    await writeState(paths, current.bytes + bytes, current.header, status, ctx.clock);
    return { journal: paths.journal, event, status, warnings };
  });
}

/** Reads the whole journal (under the lock, so no append is half-way) and summarises it. */
export async function readSessionStatus(
  request: { journal: string },
  ctx: SessionContext,
): Promise<SessionOutcome> {
  const paths = sessionPaths(resolve(ctx.cwd, request.journal));
  return withSessionLock(paths, ctx, async () => {
    const warnings: string[] = [];
    const loaded = await loadJournal(paths, ctx, warnings);
    const status = sessionStatus(loaded.journal);
    await writeState(paths, loaded.bytes, loaded.journal.header, status, ctx.clock);
    return { journal: paths.journal, status, warnings };
  });
}

interface CurrentStatus {
  header: SessionJournal;
  status: SessionStatus;
  bytes: number;
}

/** The journal's summary: from the state index when it matches the journal's size, else from the journal. */
async function currentStatus(
  paths: SessionPaths,
  ctx: SessionContext,
  warnings: string[],
): Promise<CurrentStatus> {
  const size = await fileSize(paths.journal);
  const state = await readState(paths.state);
  if (state && state.journal_bytes === size) {
    const { header, status } = state;
    return { header, status, bytes: size };
  }
  const loaded = await loadJournal(paths, ctx, warnings);
  return { header: loaded.journal.header, status: sessionStatus(loaded.journal), bytes: loaded.bytes };
}

interface LoadedJournal {
  journal: ParsedJournal;
  bytes: number;
}

/** Reads and parses the journal, first cutting off a torn final line (the lock is held). */
async function loadJournal(
  paths: SessionPaths,
  ctx: SessionContext,
  warnings: string[],
): Promise<LoadedJournal> {
  let text: string;
  try {
    text = await readFile(paths.journal, "utf8");
  } catch (error) {
    throw fromFsError(error, "read session journal", paths.journal);
  }
  if (text !== "" && !text.endsWith("\n")) {
    const keep = text.lastIndexOf("\n") + 1;
    const kept = Buffer.byteLength(text.slice(0, keep));
    try {
      await truncate(paths.journal, kept);
    } catch (error) {
      throw fromFsError(error, "repair session journal", paths.journal);
    }
    warnings.push(
      `${showPath(ctx.cwd, paths.journal)}: dropped a torn final line (${Buffer.byteLength(text) - kept} bytes) left by an interrupted append; it was never acknowledged`,
    );
    text = text.slice(0, keep);
  }
  return {
    journal: parseSessionJournal(text, showPath(ctx.cwd, paths.journal)),
    bytes: Buffer.byteLength(text),
  };
}

/** Appends one line durably; returns the bytes written. */
async function appendLine(path: string, line: string): Promise<number> {
  const data = Buffer.from(line);
  try {
    const handle = await open(path, "a");
    try {
      await handle.write(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fromFsError(error, "append to session journal", path);
  }
  return data.length;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw fromFsError(error, "read session journal", path);
  }
}

/** The state index, or undefined when it is absent or not one we can use (it is then rebuilt). */
async function readState(path: string): Promise<SessionState | undefined> {
  try {
    const state = parseJsonObject(await readFile(path, "utf8"), path);
    const status = state.status;
    const header = state.header;
    if (
      state.schema_id !== SESSION_STATE_SCHEMA_ID ||
      typeof state.journal_bytes !== "number" ||
      !isJsonObject(status) ||
      !isJsonObject(header) ||
      typeof status.last_sequence !== "number" ||
      typeof header.session_id !== "string"
    )
      return undefined;
    return state as unknown as SessionState;
  } catch {
    return undefined;
  }
}

/** A cache of the journal: not fsynced (a stale one is detected by size and rebuilt). */
async function writeState(
  paths: SessionPaths,
  bytes: number,
  header: SessionJournal,
  status: SessionStatus,
  clock: Clock,
): Promise<void> {
  const state: SessionState = {
    schema_id: SESSION_STATE_SCHEMA_ID,
    schema_version: RUNPACK_SCHEMA_VERSION,
    updated_at: clock().utc().toString(),
    journal_bytes: bytes,
    header,
    status,
  };
  await writeFileAtomic(paths.state, `${canonicalize(state)}\n`, { fsync: false });
}

// ---------------------------------------------------------------------------------------------
// checkpoint

export interface CheckpointRequest {
  journal: string;
  /** The checkpoint runpack's path (default `<journal dir>/runpack_<run_id>_cp_NNNN.zip`). */
  out?: string;
  /** Key mode and sources; omitted → unsigned. */
  signing?: SigningKeyRequest;
}

export interface CheckpointOutcome extends SessionOutcome {
  checkpoint: SessionCheckpoint;
  /** Absolute paths of the checkpoint runpack and of the chain. */
  runpackPath: string;
  chainPath: string;
  signatureStatus: "signed" | "missing";
  signatureKeyId?: string;
}

/** Cuts the events since the last checkpoint into a runpack and links it into the chain. */
export async function checkpointSession(
  request: CheckpointRequest,
  ctx: SessionContext,
): Promise<CheckpointOutcome> {
  const paths = sessionPaths(resolve(ctx.cwd, request.journal));
  const signing = request.signing ? await resolveSigningKey(request.signing, ctx) : undefined;
  const key = signing?.key;
  return withSessionLock(paths, ctx, async () => {
    const warnings = [...(signing?.warnings ?? [])];
    const { journal, bytes } = await loadJournal(paths, ctx, warnings);
    const events = pendingEvents(journal);
    const shown = showPath(ctx.cwd, paths.journal);
    if (events.length === 0)
      throw invalidInput("session_checkpoint_empty", `${shown} has no events since the last checkpoint`, {
        hint: "append events with gait run session append, then checkpoint",
      });
    const index = (journal.checkpoints.at(-1)?.checkpoint_index ?? 0) + 1;
    const runId = checkpointRunId(journal.header.run_id, index);
    const createdAt = ctx.clock().utc().toString();
    // Raw capture keeps the events' verdicts readable; its sensitivity warning does not apply:
    // the payloads are the events' own metadata, never tool arguments or results.
    const built = buildRunpack(checkpointRunInput(journal, events, runId, createdAt), {
      clock: ctx.clock,
      ...(key ? { sign: (signable: JsonObject) => signJson(key, signable) } : {}),
    });
    const runpackPath = request.out
      ? resolve(ctx.cwd, request.out)
      : join(dirname(paths.journal), runpackFileName(runId));
    await writeCheckpointRunpack(runpackPath, await runpackZip(built.entries), ctx.cwd);
    const verification = await verifyRunpack(runpackPath, key ? { verifyKey: verifyKeyFor(key) } : {});
    if (!verification.ok)
      throw verificationFailed(
        "runpack_verify_failed",
        `checkpoint runpack ${runpackPath} failed re-verification`,
        {
          hint: "the written file does not match what was built; check the disk and retry",
        },
      );
    const checkpoint = nextCheckpoint(journal, {
      createdAt,
      producerVersion: PRODUCER_VERSION,
      runpackPath: portablePath(relative(dirname(paths.journal), runpackPath)),
      manifestDigest: built.manifestDigest,
      sequenceStart: events[0]!.sequence,
      sequenceEnd: events.at(-1)!.sequence,
    });
    const appended = await appendLine(paths.journal, journalLine(checkpoint));
    journal.checkpoints.push(checkpoint);
    await writeChain(paths.chain, journal, createdAt);
    const status = sessionStatus(journal);
    await writeState(paths, bytes + appended, journal.header, status, ctx.clock);
    return {
      journal: paths.journal,
      status,
      warnings,
      checkpoint,
      runpackPath,
      chainPath: paths.chain,
      signatureStatus: key ? "signed" : "missing",
      ...(key ? { signatureKeyId: key.keyId } : {}),
    };
  });
}

/** A new file; one left by a checkpoint that died before its commit is named in the error. */
async function writeCheckpointRunpack(path: string, zip: Buffer, cwd: string): Promise<void> {
  try {
    await writeFileNew(path, zip);
  } catch (error) {
    if ((error as { code?: string }).code !== "file_exists") throw error;
    throw invalidInput(
      "file_exists",
      `${showPath(cwd, path)} already exists; gait does not overwrite evidence`,
      {
        hint: "if no checkpoint in the journal names it, an earlier checkpoint was interrupted before its commit: move the file away and retry; otherwise pass --out <new path>",
        details: { path },
      },
    );
  }
}

/** Chain files are shared between machines: `/` separators whatever the platform. */
function portablePath(path: string): string {
  return path.split("\\").join("/");
}

/** The chain is derived from the journal's checkpoints, so it is rewritten whole each time. */
async function writeChain(path: string, journal: ParsedJournal, createdAt: string): Promise<void> {
  const chain: SessionChain = {
    schema_id: SessionSchemaIds.chain,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: createdAt,
    producer_version: PRODUCER_VERSION,
    session_id: journal.header.session_id,
    run_id: journal.header.run_id,
    checkpoints: journal.checkpoints,
  };
  await writeFileAtomic(path, `${JSON.stringify(chain, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// compact

export interface Compaction extends Omit<CompactionPlan, "text"> {
  compacted: boolean;
  dry_run: boolean;
}

export interface CompactOutcome extends SessionOutcome {
  compaction: Compaction;
}

/** Drops the event lines checkpoint runpacks already hold; `dryRun` only reports what would go. */
export async function compactSession(
  request: { journal: string; dryRun?: boolean },
  ctx: SessionContext,
): Promise<CompactOutcome> {
  const paths = sessionPaths(resolve(ctx.cwd, request.journal));
  return withSessionLock(paths, ctx, async () => {
    const warnings: string[] = [];
    const loaded = await loadJournal(paths, ctx, warnings);
    const { text, ...plan } = compactJournal(loaded.journal, loaded.bytes);
    const dryRun = request.dryRun === true;
    const compacted = plan.events_dropped > 0 && !dryRun;
    let journal = loaded.journal;
    if (compacted) {
      await writeFileAtomic(paths.journal, text);
      journal = parseSessionJournal(text, showPath(ctx.cwd, paths.journal));
    }
    const status = sessionStatus(journal);
    await writeState(paths, compacted ? plan.bytes_after : loaded.bytes, journal.header, status, ctx.clock);
    return {
      journal: paths.journal,
      status,
      warnings,
      compaction: { ...plan, compacted, dry_run: dryRun },
    };
  });
}
