/**
 * Rate limits and destructive budgets (CONTRACTS.md §5.14). The counting is pure
 * (`applyLimit`); the I/O edges are `enforceLimits` (read the state file, count, write it back
 * atomically, all under an exclusive lock so concurrent processes never lose an increment),
 * `previewLimits` (count against the file without changing it) and `RateLimitLedger` (a
 * long-running owner of the file that counts in memory and persists every change). For people,
 * `readRateLimitState` and `resetRateLimitCounters` (`gait gate limits show|reset`) read the file
 * and clear counters from it under the same lock.
 */
import { promises as fsp } from "node:fs";
import { compareBytes } from "../contract/bytes.ts";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError, GaitError, isGaitError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import { OwnedStateFile } from "../contract/owned-state.ts";
import { Timestamp } from "../contract/time.ts";
import type { LimitRequirement } from "./decision.ts";
import { invalidInput } from "./error-codes.ts";
import type { NormalizedIntent } from "./intent-model.ts";
import type { RateLimit } from "./policy-model.ts";
import { prettyJson } from "./trace.ts";

const RATE_LIMIT_STATE_SCHEMA_ID = "gait.gate.rate_limit_state";
const RATE_LIMIT_LOCK_SCHEMA_ID = "gait.gate.rate_limit_lock";
export const DEFAULT_RATE_LIMIT_STATE = ".gait-out/gate_rate_limits.json";

/** What one decision asks to count: its rate limits and destructive budgets. */
export interface LimitsToCount {
  rateLimits: LimitRequirement[];
  destructiveBudgets: LimitRequirement[];
}

/** `persist: false` counts against the current state without changing it (default true). */
export interface LimitAccess {
  persist?: boolean;
}

export interface Counter {
  key: string;
  count: number;
}

export interface LimitResult {
  kind: "rate_limit" | "destructive_budget";
  rule: string;
  scope: string;
  key: string;
  allowed: boolean;
  used: number;
  remaining: number;
}

function bucketStart(window: RateLimit["window"], now: Timestamp): string {
  const seconds = now.utc().seconds;
  const size = window === "hour" ? 3600 : 60;
  return Timestamp.of(seconds - (((seconds % size) + size) % size)).toString();
}

function scopeKey(limit: RateLimit, toolName: string, identity: string): string {
  if (limit.scope === "tool") return toolName;
  if (limit.scope === "identity") return identity;
  return `${toolName}|${identity}`;
}

function counterKey(limit: RateLimit, toolName: string, identity: string, now: Timestamp): string {
  return `${limit.window}|${limit.scope}|${bucketStart(limit.window, now)}|${scopeKey(limit, toolName, identity)}`;
}

/**
 * Counts one request against `limit`. Keys of the same window from other buckets (and malformed
 * keys) are pruned first. Over the limit: not allowed and not incremented.
 */
function applyLimit(
  counters: Counter[],
  limit: RateLimit,
  toolName: string,
  identity: string,
  now: Timestamp,
): { counters: Counter[]; allowed: boolean; key: string; used: number } {
  const key = counterKey(limit, toolName, identity, now);
  const bucket = bucketStart(limit.window, now);
  const kept = counters.filter((c) => {
    const parts = c.key.split("|");
    if (parts.length < 4) return false;
    return parts[0] !== limit.window || parts[2] === bucket;
  });
  const existing = kept.find((c) => c.key === key);
  const count = existing?.count ?? 0;
  if (count >= limit.requests) return { counters: kept, allowed: false, key, used: count };
  const next = existing
    ? kept.map((c) => (c.key === key ? { key, count: count + 1 } : c))
    : [...kept, { key, count: 1 }];
  return { counters: next.sort((a, b) => compareBytes(a.key, b.key)), allowed: true, key, used: count + 1 };
}

/**
 * Counts one request against every rate limit and destructive budget of a decision (pure): the
 * updated counters and one result per limit.
 */
function countLimits(
  counters: Counter[],
  requirements: LimitsToCount,
  intent: NormalizedIntent,
  now: Timestamp,
): { counters: Counter[]; results: LimitResult[] } {
  let current = counters;
  const results: LimitResult[] = [];
  const identity = intent.context.identity;
  const count = (kind: LimitResult["kind"], req: LimitRequirement, tool: string) => {
    const applied = applyLimit(current, req.limit, tool, identity, now);
    current = applied.counters;
    results.push({
      kind,
      rule: req.rule,
      scope: req.limit.scope,
      key: applied.key,
      allowed: applied.allowed,
      used: applied.used,
      remaining: Math.max(0, req.limit.requests - applied.used),
    });
  };
  for (const req of requirements.rateLimits) count("rate_limit", req, intent.tool_name);
  for (const req of requirements.destructiveBudgets) {
    count("destructive_budget", req, `destructive_budget|${intent.tool_name}`);
  }
  return { counters: current, results };
}

/**
 * Applies every rate limit and destructive budget of a decision, persisting the counters; with
 * `persist: false`, previewLimits instead.
 */
export async function enforceLimits(
  statePath: string,
  requirements: LimitsToCount,
  intent: NormalizedIntent,
  now: Timestamp,
  access: LimitAccess = {},
): Promise<LimitResult[]> {
  if (access.persist === false) return previewLimits(statePath, requirements, intent, now);
  if (requirements.rateLimits.length === 0 && requirements.destructiveBudgets.length === 0) return [];
  try {
    return await withFileLock(
      `${statePath}.lock`,
      async () => {
        const { counters, results } = countLimits(await readCounters(statePath), requirements, intent, now);
        await writeFileAtomic(statePath, stateText(counters));
        return results;
      },
      { schemaId: RATE_LIMIT_LOCK_SCHEMA_ID },
    );
  } catch (error) {
    throw isGaitError(error) && error.code === "state_contention"
      ? ownedElsewhere(error, "stop it, or use another --rate-limit-state file")
      : error;
  }
}

/** The likely long-term holder of a rate-limit state lock is a sidecar: say so. */
function ownedElsewhere(error: GaitError, advice: string): GaitError {
  const pid = error.details?.lock_pid;
  const holder = pid === undefined ? "another gait process" : `process ${String(pid)}`;
  return new GaitError(error.category, error.code, error.message, {
    hint: `${holder} holds the rate-limit state; a running \`gait gate serve --rate-limit-state\` owns the file until it stops: ${advice}`,
    ...(error.details ? { details: error.details } : {}),
  });
}

/**
 * The results enforceLimits would give, counted against the state file as it is, which is
 * neither written nor locked: for a decision that must leave the shared counters alone (one
 * evaluated as of another time). Writers replace the file by rename, so the read sees a whole
 * state.
 */
export async function previewLimits(
  statePath: string,
  requirements: LimitsToCount,
  intent: NormalizedIntent,
  now: Timestamp,
): Promise<LimitResult[]> {
  if (requirements.rateLimits.length === 0 && requirements.destructiveBudgets.length === 0) return [];
  return countLimits(await readCounters(statePath), requirements, intent, now).results;
}

/**
 * Counters kept in memory, for one process that decides synchronously (the SDK's default):
 * the same counting as the state file, without sharing it with other processes.
 */
export function memoryLimitEnforcer(): (
  requirements: LimitsToCount,
  intent: NormalizedIntent,
  now: Timestamp,
  access?: LimitAccess,
) => LimitResult[] {
  let counters: Counter[] = [];
  return (requirements, intent, now, access = {}) => {
    const counted = countLimits(counters, requirements, intent, now);
    if (access.persist !== false) counters = counted.counters;
    return counted.results;
  };
}

export interface RateLimitLedgerOptions {
  /** fsync each saved state (default true). */
  fsync?: boolean;
  /** How long open() waits for another holder of the lock (default 3000 ms, as gate eval). */
  lockTimeoutMs?: number;
  /** A state that could not be saved (the counts stay in memory; the next change retries). */
  onError?: (error: Error) => void;
}

/**
 * Rate-limit counters for a long-running process that owns the state file (the sidecar): counted
 * in memory and synchronously, saved after each change (see OwnedStateFile). While it runs,
 * `gait gate eval` on the same file waits for the lock and fails with state_contention instead of
 * counting behind the owner's back.
 */
export class RateLimitLedger {
  private constructor(private readonly file: OwnedStateFile<Counter[]>) {}

  /** Takes the state file's lock and loads its counters. */
  static async open(statePath: string, options: RateLimitLedgerOptions = {}): Promise<RateLimitLedger> {
    const file = await OwnedStateFile.open(statePath, {
      lockSchemaId: RATE_LIMIT_LOCK_SCHEMA_ID,
      read: readCounters,
      render: stateText,
      fsync: options.fsync,
      lockTimeoutMs: options.lockTimeoutMs,
      onError: options.onError,
    });
    return new RateLimitLedger(file);
  }

  get statePath(): string {
    return this.file.path;
  }

  /**
   * Counts one decision in memory (as enforceLimits does in the file) and schedules the save;
   * with `persist: false` only reports what counting would give.
   */
  count(
    requirements: LimitsToCount,
    intent: NormalizedIntent,
    now: Timestamp,
    access: LimitAccess = {},
  ): LimitResult[] {
    const counted = countLimits(this.file.state, requirements, intent, now);
    if (access.persist !== false) this.file.update(counted.counters);
    return counted.results;
  }

  /** Counters as they are in memory now (sorted by key). */
  snapshot(): Counter[] {
    return this.file.state.map((c) => ({ ...c }));
  }

  /** Resolves once every count made so far is in the state file; rejects if that write failed. */
  persisted(): Promise<void> {
    return this.file.persisted();
  }

  /** Saves what is left, then releases the lock. Later counts fail. */
  close(): Promise<void> {
    return this.file.close();
  }
}

function stateText(counters: Counter[]): string {
  return prettyJson({ schema_id: RATE_LIMIT_STATE_SCHEMA_ID, schema_version: "1.0.0", counters });
}

async function readCounters(statePath: string): Promise<Counter[]> {
  return (await readStateFile(statePath)).counters;
}

/** The state file as it is on disk: a missing file has no counters. */
export interface RateLimitState {
  exists: boolean;
  /** As stored: sorted by key. */
  counters: Counter[];
  /** Entries of `counters` that are not `{key, count}` (skipped here and by every writer). */
  ignored: number;
}

const STATE_INVALID_HINT = "remove the file to reset the counters, or point --rate-limit-state elsewhere";

async function readStateFile(statePath: string, invalidHint = STATE_INVALID_HINT): Promise<RateLimitState> {
  let text: string;
  try {
    text = await fsp.readFile(statePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { exists: false, counters: [], ignored: 0 };
    throw fromFsError(error, "read rate-limit state", statePath);
  }
  const state = parseJsonStrict(text, statePath);
  if (
    !isJsonObject(state) ||
    state.schema_id !== RATE_LIMIT_STATE_SCHEMA_ID ||
    !Array.isArray(state.counters)
  ) {
    throw invalidInput("rate_limit_state_invalid", `${statePath} is not a gait.gate.rate_limit_state file`, {
      hint: invalidHint,
    });
  }
  const counters = state.counters.flatMap((c) =>
    isJsonObject(c) && typeof c.key === "string" && typeof c.count === "number"
      ? [{ key: c.key, count: c.count }]
      : [],
  );
  return { exists: true, counters, ignored: state.counters.length - counters.length };
}

// ---------------------------------------------------------------------------------------------
// For people: see and clear counters (`gait gate limits show|reset`).

const LIMITS_INVALID_HINT =
  "check the state path; to start all counters over, delete the file (the next gate eval recreates it)";

/**
 * Reads the state file for display, without locking it (writers replace it by rename, so a read
 * sees a whole state). Anything that is not a rate-limit state, unparsable JSON included, is
 * rate_limit_state_invalid.
 */
export async function readRateLimitState(statePath: string): Promise<RateLimitState> {
  try {
    return await readStateFile(statePath, LIMITS_INVALID_HINT);
  } catch (error) {
    if (
      !isGaitError(error) ||
      error.category !== "invalid_input" ||
      error.code === "rate_limit_state_invalid"
    ) {
      throw error;
    }
    throw invalidInput(
      "rate_limit_state_invalid",
      // The JSON reader names the file first; say it once.
      `${statePath} is not a gait.gate.rate_limit_state file: ${error.message.replace(`${statePath}: `, "")}`,
      {
        hint: LIMITS_INVALID_HINT,
      },
    );
  }
}

/** A counter key taken apart: `<window>|<scope>|<bucket start>|<scope key>` (CONTRACTS.md §5.14). */
export interface CounterKeyParts {
  window: string;
  scope: string;
  bucketStart: string;
  /** The tool, the identity or `tool|identity`; destructive budgets prefix the tool with `destructive_budget|`. */
  scopeKey: string;
}

/**
 * Splits a counter key at its first three `|` (the scope key may hold more). A key with fewer
 * parts is malformed: undefined, as the gate drops such keys at its next count.
 */
export function parseCounterKey(key: string): CounterKeyParts | undefined {
  const parts = key.split("|");
  if (parts.length < 4) return undefined;
  const [window, scope, bucketStart, ...rest] = parts;
  return { window: window!, scope: scope!, bucketStart: bucketStart!, scopeKey: rest.join("|") };
}

/** Which counters to select; every given criterion must hold, and any of several keys may. */
export interface CounterFilter {
  /** Exact counter keys. */
  keys?: readonly string[];
  /** Counters whose scope key names this tool (its rate limits and destructive budgets). */
  tool?: string;
  /** Counters whose scope key names this identity. */
  identity?: string;
}

/** True when the filter selects the counter key; an empty filter selects every counter. */
export function counterMatches(key: string, filter: CounterFilter): boolean {
  if (filter.keys && filter.keys.length > 0 && !filter.keys.includes(key)) return false;
  if (filter.tool === undefined && filter.identity === undefined) return true;
  const parts = parseCounterKey(key);
  if (!parts) return false;
  const { tool, identity } = filter;
  const named = (scopeKey: string, prefix: string) =>
    scopeKey === prefix || scopeKey === `destructive_budget|${prefix}`;
  switch (parts.scope) {
    case "tool":
      return identity === undefined && named(parts.scopeKey, tool!);
    case "identity":
      return tool === undefined && parts.scopeKey === identity;
    case "tool_identity": {
      const sk = parts.scopeKey.startsWith("destructive_budget|")
        ? parts.scopeKey.slice("destructive_budget|".length)
        : parts.scopeKey;
      if (tool !== undefined && identity !== undefined) return sk === `${tool}|${identity}`;
      if (tool !== undefined) return sk.startsWith(`${tool}|`);
      return sk.endsWith(`|${identity}`);
    }
    default:
      return false;
  }
}

export interface ResetOptions {
  /** Report what would be removed; read without locking, write nothing. */
  dryRun?: boolean;
  /** How long to wait for the state file's lock (default 3000 ms, as gate eval). */
  lockTimeoutMs?: number;
}

export interface ResetResult {
  exists: boolean;
  removed: Counter[];
  /** Counters left in the file. */
  kept: Counter[];
  /** Entries that were not counters (dropped when the file was rewritten). */
  ignored: number;
  /** The file was rewritten (something was removed, and not a dry run). */
  written: boolean;
}

/**
 * Removes the counters the filter selects, under the lock gate eval takes, and rewrites the file
 * atomically (only when something is removed). While a sidecar owns the file this fails with
 * state_contention, as gate eval does. A missing file has nothing to reset and is not created.
 */
export async function resetRateLimitCounters(
  statePath: string,
  filter: CounterFilter,
  options: ResetOptions = {},
): Promise<ResetResult> {
  const partition = (state: RateLimitState) => {
    const removed = state.counters.filter((c) => counterMatches(c.key, filter));
    const kept = state.counters.filter((c) => !counterMatches(c.key, filter));
    return { exists: state.exists, removed, kept, ignored: state.ignored, written: false };
  };
  const current = partition(await readRateLimitState(statePath));
  if (options.dryRun || !current.exists) return current;
  try {
    return await withFileLock(
      `${statePath}.lock`,
      async () => {
        const result = partition(await readRateLimitState(statePath));
        if (result.removed.length === 0) return result;
        const sorted = [...result.kept].sort((a, b) => compareBytes(a.key, b.key));
        await writeFileAtomic(statePath, stateText(sorted));
        return { ...result, kept: sorted, written: true };
      },
      {
        schemaId: RATE_LIMIT_LOCK_SCHEMA_ID,
        ...(options.lockTimeoutMs !== undefined && { timeoutMs: options.lockTimeoutMs }),
      },
    );
  } catch (error) {
    throw isGaitError(error) && error.code === "state_contention"
      ? ownedElsewhere(error, "stop it, then reset")
      : error;
  }
}
