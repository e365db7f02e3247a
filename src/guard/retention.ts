/**
 * `gait guard retain` (docs/retention.md, REFERENCE §3 v1.4-4): finds traces and packs under a
 * root by file name (encrypted `.age` and reference `.gaitenc` variants included), judges their
 * age by mtime against the TTLs, deletes the expired ones unless it is a dry run, and reports
 * every decision in a deterministic `gait.guard.retention_report` (paths sorted, time from the
 * injected clock) signed in a detached file.
 *
 * A file that is locked (its `<file>.lock` is held, the convention of Gait's lock files) or open
 * in a process on this host is kept and listed, never half deleted: deletion is one unlink done
 * while holding the file's lock.
 */
import { type Dirent, existsSync } from "node:fs";
import { lstat, readdir, readlink, unlink } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { compareBytes } from "../contract/bytes.ts";
import { digestJcs, sha256Hex } from "../contract/canonical.ts";
import { fromFsError, GaitError } from "../contract/errors.ts";
import { acquireFileLock } from "../contract/files.ts";
import { type SigningKey, signDigest } from "../contract/signing.ts";
import { type Clock, parseGoDuration, Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { writeArtifactAtomic } from "../store/index.ts";
import { invalidInput } from "./error-codes.ts";
import {
  RETENTION_REPORT_SCHEMA_ID,
  RETENTION_SIGNATURE_SCHEMA_ID,
  type RetentionEvent,
  type RetentionKind,
  type RetentionReport,
  type RetentionSignature,
} from "./retention-types.ts";

/** Profiles (REFERENCE §3 v1.4-4, trace TTLs); packs and runpacks are kept as long as sessions. */
export const RETENTION_PROFILE_TTLS = {
  short: { trace: "24h", pack: "72h" },
  medium: { trace: "168h", pack: "336h" },
  long: { trace: "720h", pack: "1440h" },
} as const;
export type RetentionProfileName = keyof typeof RETENTION_PROFILE_TTLS;
/** The reference's defaults when neither a flag, the config nor a profile sets a TTL. */
export const DEFAULT_TRACE_TTL = "168h";
export const DEFAULT_PACK_TTL = "720h";

const ENCRYPTED_VARIANTS = "(?:\\.age|\\.gaitenc)?";
const TRACE_NAME = new RegExp(`^trace_[^/\\\\]+\\.json${ENCRYPTED_VARIANTS}$`);
const PACK_NAME = new RegExp(
  `^(?:evidence_pack|incident_pack|pack|runpack)_[^/\\\\]+\\.zip${ENCRYPTED_VARIANTS}$`,
);
/** Never descended into: version control, dependencies, and the project's keys and state. */
const SKIPPED_DIRS = new Set([".git", "node_modules", ".gait"]);

/** The kind a file name has, or undefined when retention does not manage it. */
export function retentionKindOf(name: string): RetentionKind | undefined {
  if (TRACE_NAME.test(name)) return "trace";
  if (PACK_NAME.test(name)) return "pack";
  return undefined;
}

/** A TTL in whole seconds from a Go duration (positive). */
export function ttlSeconds(text: string, what: string): number {
  const nanos = parseGoDuration(text, what);
  if (nanos <= 0n) {
    throw invalidInput("retention_ttl_invalid", `${what} must be positive, not ${JSON.stringify(text)}`, {
      hint: "use Go duration syntax such as 24h or 720h",
    });
  }
  return Number(nanos / 1_000_000_000n);
}

export interface RetentionCandidate {
  /** Relative to the root, `/`-separated. */
  path: string;
  kind: RetentionKind;
  /** Whole seconds since the epoch. */
  modifiedSeconds: number;
}

export interface RetentionPlanOptions {
  now: Timestamp;
  traceTtlSeconds: number;
  packTtlSeconds: number;
}

export interface PlannedFile extends RetentionCandidate {
  ageSeconds: number;
  expired: boolean;
}

/** Pure: each candidate's age and whether it outlived its kind's TTL, sorted by path bytes. */
export function planRetention(
  candidates: readonly RetentionCandidate[],
  options: RetentionPlanOptions,
): PlannedFile[] {
  return [...candidates]
    .sort((a, b) => compareBytes(a.path, b.path))
    .map((candidate) => {
      const ageSeconds = Math.max(0, options.now.seconds - candidate.modifiedSeconds);
      const ttl = candidate.kind === "trace" ? options.traceTtlSeconds : options.packTtlSeconds;
      return { ...candidate, ageSeconds, expired: ageSeconds > ttl };
    });
}

export interface RetentionRunOptions {
  /** As given by the user; reported as `root_path`. */
  root: string;
  cwd: string;
  traceTtl: string;
  packTtl: string;
  dryRun: boolean;
  clock: Clock;
}

export interface RetentionOutcome {
  report: RetentionReport;
  /** Expired files kept because they were locked or open (their paths, as in the report). */
  busy: string[];
}

/** Scans, deletes (unless dry run) and reports. */
export async function runRetention(options: RetentionRunOptions): Promise<RetentionOutcome> {
  const traceTtlSeconds = ttlSeconds(options.traceTtl, "--trace-ttl");
  const packTtlSeconds = ttlSeconds(options.packTtl, "--pack-ttl");
  const rootAbs = resolve(options.cwd, options.root);
  const info = await lstat(rootAbs).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw invalidInput("retention_root_invalid", `retention root ${options.root} is not a directory`, {
      hint: "pass --root with the directory that holds the traces and packs (default .)",
      details: { root: options.root },
    });
  }
  const now = options.clock();
  const planned = planRetention(await scanRetentionRoot(rootAbs), { now, traceTtlSeconds, packTtlSeconds });
  const openFiles = planned.some((file) => file.expired) ? await filesOpenOnThisHost() : new Set<string>();
  const deleted: RetentionEvent[] = [];
  const kept: RetentionEvent[] = [];
  const busy: string[] = [];
  for (const file of planned) {
    const event = (action: RetentionEvent["action"]): RetentionEvent => ({
      path: file.path,
      kind: file.kind,
      modified_at: Timestamp.of(file.modifiedSeconds).toString(),
      age_seconds: file.ageSeconds,
      action,
    });
    if (!file.expired) {
      kept.push(event("kept"));
      continue;
    }
    const abs = join(rootAbs, ...file.path.split("/"));
    const removed = options.dryRun ? !isBusy(abs, openFiles) : await deleteUnlessBusy(abs, openFiles);
    if (removed) {
      deleted.push(event("deleted"));
    } else {
      kept.push(event("kept"));
      busy.push(file.path);
    }
  }
  const report: RetentionReport = {
    schema_id: RETENTION_REPORT_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: now.toString(),
    producer_version: PRODUCER_VERSION,
    root_path: options.root,
    dry_run: options.dryRun,
    trace_ttl_seconds: traceTtlSeconds,
    pack_ttl_seconds: packTtlSeconds,
    scanned_files: planned.length,
    deleted_files: deleted,
    kept_files: kept,
  };
  return { report, busy };
}

/** Every trace and pack under `root` (symlinks are neither followed nor deleted). */
export async function scanRetentionRoot(root: string): Promise<RetentionCandidate[]> {
  const found: RetentionCandidate[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw fromFsError(error, "scan retention root", dir);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(path);
        continue;
      }
      const kind = entry.isFile() ? retentionKindOf(entry.name) : undefined;
      if (!kind) continue;
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile()) continue; // gone, or replaced, since the listing
      found.push({
        path: relative(root, path).split(sep).join("/"),
        kind,
        modifiedSeconds: Math.floor(info.mtimeMs / 1000),
      });
    }
  };
  await walk(root);
  return found;
}

function isBusy(abs: string, openFiles: ReadonlySet<string>): boolean {
  return existsSync(`${abs}.lock`) || openFiles.has(abs);
}

/**
 * Deletes `abs` while holding its lock, unless another holder has the lock or a process has the
 * file open; true when it was deleted (or was already gone).
 */
async function deleteUnlessBusy(abs: string, openFiles: ReadonlySet<string>): Promise<boolean> {
  if (openFiles.has(abs)) return false;
  let lock: Awaited<ReturnType<typeof acquireFileLock>>;
  try {
    lock = await acquireFileLock(`${abs}.lock`, { timeoutMs: 0, schemaId: "gait.guard.retention_lock" });
  } catch (error) {
    if (error instanceof GaitError && error.code === "state_contention") return false;
    throw error;
  }
  try {
    await unlink(abs);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw fromFsError(error, "delete expired file", abs);
  } finally {
    await lock.release();
  }
}

/**
 * Files open in processes this user may inspect (Linux /proc; elsewhere none are known, and only
 * lock files protect a file in use).
 */
async function filesOpenOnThisHost(): Promise<Set<string>> {
  const open = new Set<string>();
  if (process.platform !== "linux") return open;
  const pids = await readdir("/proc").catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (target?.startsWith("/")) open.add(target);
    }
  }
  return open;
}

/** The report's file text: pretty JSON, as deterministic as the report itself. */
export function retentionReportText(report: RetentionReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The detached signature of a report's text (JCS digest signed; the file's bytes pinned by SHA-256). */
export function signRetentionReport(
  report: RetentionReport,
  text: string,
  key: SigningKey,
): RetentionSignature {
  return {
    schema_id: RETENTION_SIGNATURE_SCHEMA_ID,
    schema_version: "1.0.0",
    report_schema_id: RETENTION_REPORT_SCHEMA_ID,
    report_sha256: sha256Hex(text),
    signature: signDigest(key, digestJcs(report)),
  };
}

/** Writes the report and `<report>.sig.json` (through the artifact store); returns both paths. */
export async function writeRetentionReport(
  path: string,
  report: RetentionReport,
  key: SigningKey,
): Promise<{ reportPath: string; signaturePath: string }> {
  const text = retentionReportText(report);
  const signature = signRetentionReport(report, text, key);
  const reportPath = await writeArtifactAtomic(path, text, { mode: 0o600 });
  const signaturePath = await writeArtifactAtomic(
    `${path}.sig.json`,
    `${JSON.stringify(signature, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
  return { reportPath, signaturePath };
}
