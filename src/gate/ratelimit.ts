/**
 * Rate limits and destructive budgets (CONTRACTS.md §5.14). The counting is pure
 * (`applyLimit`); `enforceLimits` is the I/O edge: read the state file, count, write it back
 * atomically, all under an exclusive lock so concurrent processes never lose an increment.
 */
import { readFile } from "node:fs/promises";
import { compareBytes } from "../contract/bytes.ts";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError, invalidInput } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import { Timestamp } from "../contract/time.ts";
import type { LimitRequirement } from "./decision.ts";
import type { NormalizedIntent } from "./intent-model.ts";
import type { RateLimit } from "./policy-model.ts";
import { prettyJson } from "./trace.ts";

export const RATE_LIMIT_STATE_SCHEMA_ID = "gait.gate.rate_limit_state";
export const DEFAULT_RATE_LIMIT_STATE = ".gait-out/gate_rate_limits.json";

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

export function counterKey(limit: RateLimit, toolName: string, identity: string, now: Timestamp): string {
  return `${limit.window}|${limit.scope}|${bucketStart(limit.window, now)}|${scopeKey(limit, toolName, identity)}`;
}

/**
 * Counts one request against `limit`. Keys of the same window from other buckets (and malformed
 * keys) are pruned first. Over the limit: not allowed and not incremented.
 */
export function applyLimit(
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
export function countLimits(
  counters: Counter[],
  requirements: { rateLimits: LimitRequirement[]; destructiveBudgets: LimitRequirement[] },
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

/** Applies every rate limit and destructive budget of a decision, persisting the counters. */
export async function enforceLimits(
  statePath: string,
  requirements: { rateLimits: LimitRequirement[]; destructiveBudgets: LimitRequirement[] },
  intent: NormalizedIntent,
  now: Timestamp,
): Promise<LimitResult[]> {
  if (requirements.rateLimits.length === 0 && requirements.destructiveBudgets.length === 0) return [];
  return withFileLock(
    `${statePath}.lock`,
    async () => {
      const { counters, results } = countLimits(await readCounters(statePath), requirements, intent, now);
      const state = { schema_id: RATE_LIMIT_STATE_SCHEMA_ID, schema_version: "1.0.0", counters };
      await writeFileAtomic(statePath, prettyJson(state));
      return results;
    },
    { schemaId: "gait.gate.rate_limit_lock" },
  );
}

/**
 * Counters kept in memory, for one process that decides synchronously (the SDK's default):
 * the same counting as the state file, without sharing it with other processes.
 */
export function memoryLimitEnforcer(): (
  requirements: { rateLimits: LimitRequirement[]; destructiveBudgets: LimitRequirement[] },
  intent: NormalizedIntent,
  now: Timestamp,
) => LimitResult[] {
  let counters: Counter[] = [];
  return (requirements, intent, now) => {
    const counted = countLimits(counters, requirements, intent, now);
    counters = counted.counters;
    return counted.results;
  };
}

async function readCounters(statePath: string): Promise<Counter[]> {
  let text: string;
  try {
    text = await readFile(statePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw fromFsError(error, "read rate-limit state", statePath);
  }
  const state = parseJsonStrict(text, statePath);
  if (
    !isJsonObject(state) ||
    state.schema_id !== RATE_LIMIT_STATE_SCHEMA_ID ||
    !Array.isArray(state.counters)
  ) {
    throw invalidInput("rate_limit_state_invalid", `${statePath} is not a gait.gate.rate_limit_state file`, {
      hint: "remove the file to reset the counters, or point --rate-limit-state elsewhere",
    });
  }
  return state.counters.flatMap((c) =>
    isJsonObject(c) && typeof c.key === "string" && typeof c.count === "number"
      ? [{ key: c.key, count: c.count }]
      : [],
  );
}
