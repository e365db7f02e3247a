/**
 * `gait gate limits show|reset`: the rate-limit and destructive-budget counters of the state file
 * that `gait gate eval` keeps (CONTRACTS.md §5.14), for people: list them, and clear all or some
 * of them under the same lock gate eval takes (docs/gate.md, "Rate limits").
 */
import { resolve } from "node:path";
import { showPath } from "../../contract/paths.ts";
import {
  type Counter,
  type CounterFilter,
  counterMatches,
  DEFAULT_RATE_LIMIT_STATE,
  parseCounterKey,
  readRateLimitState,
  resetRateLimitCounters,
} from "../../gate/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  type OptionSpec,
  type Options,
  stringOption,
} from "../command.ts";
import { projectConfigOptions, withGateDefaults } from "../project-defaults.ts";

const stateOption: OptionSpec = {
  name: "state",
  value: "path",
  description: `rate-limit state file (default gate.rate_limit_state from the config, else ${DEFAULT_RATE_LIMIT_STATE})`,
};

const filterOptions: OptionSpec[] = [
  {
    name: "key",
    value: "key",
    description: "only the counter with exactly this key (repeatable)",
    repeatable: true,
  },
  {
    name: "tool",
    value: "name",
    description: "only counters of this tool (its rate limits and destructive budgets)",
  },
  { name: "identity", value: "id", description: "only counters of this identity" },
];

/** One counter as shown: its key taken apart (null parts for a malformed key). */
interface CounterView {
  key: string;
  window: string | null;
  scope: string | null;
  bucket_start: string | null;
  scope_key: string | null;
  count: number;
}

const limitsShowCommand = command({
  name: "show",
  explain:
    "List the rate-limit and destructive-budget counters in the gate's state file (window, scope, bucket start, scope key, count).",
  options: [stateOption, ...filterOptions, ...projectConfigOptions],
  examples: [
    "gait gate limits show",
    "gait gate limits show --tool tool.write --json",
    "gait gate limits show --state ci/limits.json",
  ],
  run: runShow,
});

const limitsResetCommand = command({
  name: "reset",
  explain:
    "Clear rate-limit counters from the gate's state file (all, or those selected by --key, --tool and --identity) under the lock gate eval uses.",
  options: [
    stateOption,
    ...filterOptions,
    { name: "dry-run", description: "show what would be removed; change nothing" },
    ...projectConfigOptions,
  ],
  examples: [
    "gait gate limits reset",
    "gait gate limits reset --tool tool.write --dry-run",
    "gait gate limits reset --key 'minute|identity|2026-02-18T12:00:00Z|agent.a' --json",
  ],
  run: runReset,
});

export const gateLimitsGroup = group({
  name: "limits",
  explain: "See and reset the rate-limit counters that gait gate eval keeps.",
  commands: [limitsShowCommand, limitsResetCommand],
});

async function runShow(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const statePath = await resolveStatePath(flags, ctx);
  const filter = readFilter(flags);
  const state = await readRateLimitState(statePath);
  const counters = state.counters.filter((c) => counterMatches(c.key, filter)).map(viewOf);
  warnIgnored(state.ignored, ctx);
  const shown = showPath(ctx.cwd, statePath);
  const head = state.exists
    ? `rate-limit state ${shown}: ${counters.length} counter(s)${filtered(filter) ? ` selected of ${state.counters.length}` : ""}`
    : `rate-limit state ${shown} does not exist: no counters`;
  return {
    output: { state_path: shown, exists: state.exists, counters },
    human: [head, ...table(counters)],
  };
}

async function runReset(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const statePath = await resolveStatePath(flags, ctx);
  const dryRun = flags["dry-run"] === true;
  const result = await resetRateLimitCounters(statePath, readFilter(flags), { dryRun });
  warnIgnored(result.ignored, ctx);
  const shown = showPath(ctx.cwd, statePath);
  const removed = result.removed.map(viewOf);
  const total = result.removed.length + result.kept.length;
  let head: string;
  if (!result.exists) head = `rate-limit state ${shown} does not exist: nothing to reset`;
  else if (removed.length === 0) head = `no counter selected of ${total} in ${shown}; nothing changed`;
  else if (dryRun) {
    head = `would remove ${removed.length} of ${total} counter(s) from ${shown} (dry run, nothing written)`;
  } else head = `removed ${removed.length} of ${total} counter(s) from ${shown}; ${result.kept.length} left`;
  return {
    output: {
      state_path: shown,
      exists: result.exists,
      dry_run: dryRun,
      removed,
      remaining: result.kept.length,
    },
    human: [head, ...table(removed)],
  };
}

/** `--state`, else gate.rate_limit_state from the project config (as gate eval reads it), else the default. */
async function resolveStatePath(flags: Options, ctx: CommandContext): Promise<string> {
  let path = stringOption(flags, "state");
  if (path === undefined) {
    const { options } = await withGateDefaults(flags, ctx);
    path = stringOption(options, "rate-limit-state") ?? DEFAULT_RATE_LIMIT_STATE;
  }
  return resolve(ctx.cwd, path);
}

function readFilter(flags: Options): CounterFilter {
  // Not listOption: a key is taken whole, commas and all.
  const given = flags.key;
  const keys = (Array.isArray(given) ? given : typeof given === "string" ? [given] : []).filter(
    (k) => k !== "",
  );
  const tool = stringOption(flags, "tool");
  const identity = stringOption(flags, "identity");
  return {
    ...(keys.length > 0 && { keys }),
    ...(tool !== undefined && { tool }),
    ...(identity !== undefined && { identity }),
  };
}

function filtered(filter: CounterFilter): boolean {
  return filter.keys !== undefined || filter.tool !== undefined || filter.identity !== undefined;
}

function viewOf(counter: Counter): CounterView {
  const parts = parseCounterKey(counter.key);
  return {
    key: counter.key,
    window: parts?.window ?? null,
    scope: parts?.scope ?? null,
    bucket_start: parts?.bucketStart ?? null,
    scope_key: parts?.scopeKey ?? null,
    count: counter.count,
  };
}

function warnIgnored(ignored: number, ctx: CommandContext): void {
  if (ignored === 1)
    ctx.warn("1 entry of counters[] is not {key, count} and is ignored (gate eval drops it)");
  else if (ignored > 1) {
    ctx.warn(`${ignored} entries of counters[] are not {key, count} and are ignored (gate eval drops them)`);
  }
}

/** Aligned columns, a header first; nothing for no counters. A malformed key is shown whole. */
function table(counters: CounterView[]): string[] {
  if (counters.length === 0) return [];
  const rows = [
    ["WINDOW", "SCOPE", "BUCKET START", "SCOPE KEY", "COUNT"],
    ...counters.map((c) =>
      c.window === null
        ? ["-", "-", "-", `(malformed key) ${c.key}`, String(c.count)]
        : [c.window, c.scope!, c.bucket_start!, c.scope_key!, String(c.count)],
    ),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  "),
  );
}
