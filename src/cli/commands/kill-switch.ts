/**
 * `gait kill-switch add|list|disable|expire`: stop matching tool calls at once, whatever the
 * policy says, through the kill-switch state that `gait gate eval`, `gait gate serve` and SDK
 * Gates check on every decision (docs/kill-switch.md). Changes are locked, atomic and journalled.
 */
import { resolve } from "node:path";
import { showPath } from "../../contract/paths.ts";
import { parseGoDuration, Timestamp } from "../../contract/time.ts";
import {
  addKillSwitchEntry,
  DEFAULT_KILL_SWITCH_STATE,
  disableKillSwitchEntry,
  entryStatus,
  expireKillSwitchEntry,
  hasSelectors,
  type KillSwitchEntry,
  readSelectors,
} from "../../gate/kill-switch.ts";
import {
  changeKillSwitchState,
  killSwitchJournalPath,
  readKillSwitchStateFile,
} from "../../gate/kill-switch-store.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  listOption,
  type OptionSpec,
  type Options,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { projectConfigOptions, withGateDefaults } from "../project-defaults.ts";

const stateOption: OptionSpec = {
  name: "state",
  value: "path",
  description: `kill-switch state file (default gate.kill_switch_state from the config, else ${DEFAULT_KILL_SWITCH_STATE})`,
};
const idOption: OptionSpec = {
  name: "id",
  value: "entry_id",
  description: "the entry (see kill-switch list)",
};
const actorOption: OptionSpec = {
  name: "actor",
  value: "name",
  description: "who makes the change (journalled)",
};
const reasonOption: OptionSpec = { name: "reason", value: "text", description: "why (journalled)" };

const addCommand = command({
  name: "add",
  explain:
    "Add a kill switch: every tool call matching all the given selectors is blocked (kill_switch_active) until the entry is disabled or expires.",
  options: [
    stateOption,
    { name: "agent-id", value: "id", description: "calls whose context.agent_id is this" },
    { name: "identity", value: "id", description: "calls whose context.identity is this" },
    { name: "tool", value: "name", description: "calls of this tool (also scripts with a step of it)" },
    {
      name: "target-kind",
      value: "kind",
      description: "calls with a target of this kind (path, url, host, ...)",
    },
    { name: "target-value", value: "value", description: "calls with a target of this value" },
    {
      name: "path-prefix",
      value: "prefix",
      description: "calls with a path target starting with this (repeatable, comma-separated)",
      repeatable: true,
    },
    {
      name: "workspace-prefix",
      value: "prefix",
      description: "calls whose context.workspace starts with this (repeatable, comma-separated)",
      repeatable: true,
    },
    { name: "environment", value: "name", description: "calls whose context.environment is this" },
    { name: "all", description: "no selector: block every tool call (an emergency stop)" },
    {
      name: "expires-in",
      value: "duration",
      description: "lift the kill switch after this long (Go duration: 30m, 2h)",
    },
    { name: "expires-at", value: "rfc3339", description: "lift the kill switch at this time" },
    actorOption,
    reasonOption,
    ...projectConfigOptions,
  ],
  examples: [
    "gait kill-switch add --tool db.drop --reason 'incident 412' --actor oncall",
    "gait kill-switch add --agent-id agent.billing --expires-in 2h --json",
    "gait kill-switch add --path-prefix /prod/data --environment prod",
    "gait kill-switch add --all --reason 'stop everything' --actor oncall",
  ],
  run: runAdd,
});

const listCommand = command({
  name: "list",
  explain: "List the kill-switch entries with their status (active, disabled, expired) at this time.",
  options: [
    stateOption,
    { name: "active", description: "only the entries in force now" },
    ...projectConfigOptions,
  ],
  examples: ["gait kill-switch list", "gait kill-switch list --active --json"],
  run: runList,
});

const disableCommand = command({
  name: "disable",
  explain: "Turn a kill switch off; the entry stays in the state (and the journal) as evidence.",
  options: [stateOption, idOption, actorOption, reasonOption, ...projectConfigOptions],
  examples: ["gait kill-switch disable --id ks_0123456789abcdef --actor oncall --reason resolved"],
  run: runDisable,
});

const expireCommand = command({
  name: "expire",
  explain:
    "Set when a kill switch stops applying: now, or at --at (a time in the future keeps it until then).",
  options: [
    stateOption,
    idOption,
    { name: "at", value: "rfc3339", description: "expire at this time instead of now" },
    actorOption,
    reasonOption,
    ...projectConfigOptions,
  ],
  examples: [
    "gait kill-switch expire --id ks_0123456789abcdef",
    "gait kill-switch expire --id ks_0123456789abcdef --at 2026-03-01T18:00:00Z --json",
  ],
  run: runExpire,
});

export const killSwitchGroup = group({
  name: "kill-switch",
  explain:
    "Stop matching tool calls at once, whatever the policy says (checked by gate eval, the sidecar and the SDK).",
  commands: [addCommand, listCommand, disableCommand, expireCommand],
});

async function runAdd(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const statePath = await resolveStatePath(flags, ctx);
  const selectors = readSelectors(
    {
      agent_id: stringOption(flags, "agent-id"),
      identity: stringOption(flags, "identity"),
      tool_name: stringOption(flags, "tool"),
      target_kind: stringOption(flags, "target-kind"),
      target_value: stringOption(flags, "target-value"),
      environment: stringOption(flags, "environment"),
      path_prefixes: listed(flags, "path-prefix"),
      workspace_prefixes: listed(flags, "workspace-prefix"),
    },
    (message) => invalidInput("usage", message.replace(/_/g, "-"), { hint: "give each selector a value" }),
  );
  const all = flags.all === true;
  if (hasSelectors(selectors) === all) {
    throw invalidInput(
      "usage",
      all ? "--all blocks every call: give it without selectors" : "give at least one selector, or --all",
      { hint: "e.g. gait kill-switch add --tool db.drop --reason 'incident 412'" },
    );
  }
  const at = ctx.clock();
  const expiresAt = readExpiry(flags, at);
  const actor = stringOption(flags, "actor");
  const reason = stringOption(flags, "reason");
  const { entry, changed } = await changeKillSwitchState(
    statePath,
    (state) =>
      addKillSwitchEntry(state, {
        selectors,
        at,
        ...(actor ? { actor } : {}),
        ...(reason ? { reason } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      }),
    { action: "add", ...(actor ? { actor } : {}), ...(reason ? { reason } : {}) },
    ctx.clock,
  );
  return changeOutcome(ctx, statePath, entry, changed, changed ? "added" : "already present");
}

async function runList(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const statePath = await resolveStatePath(flags, ctx);
  const at = ctx.clock();
  const { exists, state } = readKillSwitchStateFile(statePath, at);
  const entries = state.entries
    .map((entry) => ({ ...entry, status: entryStatus(entry, at) }))
    .filter((entry) => flags.active !== true || entry.status === "active");
  const shown = showPath(ctx.cwd, statePath);
  const head = exists
    ? `kill-switch state ${shown}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}${flags.active === true ? " active" : ""}`
    : `kill-switch state ${shown} does not exist: no kill switches`;
  return {
    output: { state_path: shown, exists, evaluated_at: at.utc().toString(), entries },
    human: [head, ...entries.map((e) => `  ${e.entry_id} ${e.status} ${describe(e)}`)],
  };
}

async function runDisable(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const statePath = await resolveStatePath(flags, ctx);
  const id = requiredId(flags);
  const actor = stringOption(flags, "actor");
  const reason = stringOption(flags, "reason");
  const { entry, changed } = await changeKillSwitchState(
    statePath,
    (state) => disableKillSwitchEntry(state, id, ctx.clock()),
    { action: "disable", ...(actor ? { actor } : {}), ...(reason ? { reason } : {}) },
    ctx.clock,
  );
  return changeOutcome(ctx, statePath, entry, changed, "disabled");
}

async function runExpire(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const statePath = await resolveStatePath(flags, ctx);
  const id = requiredId(flags);
  const atText = stringOption(flags, "at");
  const expiresAt = atText ? Timestamp.parse(atText, "--at") : ctx.clock();
  const actor = stringOption(flags, "actor");
  const reason = stringOption(flags, "reason");
  const { entry, changed } = await changeKillSwitchState(
    statePath,
    (state) => expireKillSwitchEntry(state, id, expiresAt, ctx.clock()),
    { action: "expire", ...(actor ? { actor } : {}), ...(reason ? { reason } : {}) },
    ctx.clock,
  );
  return changeOutcome(ctx, statePath, entry, changed, `expires at ${entry.expires_at}`);
}

function changeOutcome(
  ctx: CommandContext,
  statePath: string,
  entry: KillSwitchEntry,
  changed: boolean,
  what: string,
): CommandOutcome {
  const status = entryStatus(entry, ctx.clock());
  return {
    output: {
      state_path: showPath(ctx.cwd, statePath),
      journal_path: showPath(ctx.cwd, killSwitchJournalPath(statePath)),
      changed,
      entry: { ...entry, status },
    },
    human: [`kill switch ${entry.entry_id} ${what} (${status}): ${describe(entry)}`],
  };
}

/** `--state`, else gate.kill_switch_state from the project config (as gate eval reads it), else the default. */
async function resolveStatePath(flags: Options, ctx: CommandContext): Promise<string> {
  let path = stringOption(flags, "state");
  if (path === undefined) {
    const { options } = await withGateDefaults(flags, ctx);
    path = stringOption(options, "kill-switch-state") ?? DEFAULT_KILL_SWITCH_STATE;
  }
  return resolve(ctx.cwd, path);
}

function listed(flags: Options, name: string): string[] | undefined {
  const values = listOption(flags, name);
  return values.length > 0 ? values : undefined;
}

function requiredId(flags: Options): string {
  const id = stringOption(flags, "id");
  if (!id)
    throw invalidInput("usage", "--id is required", { hint: "see the entry ids with gait kill-switch list" });
  return id;
}

function readExpiry(flags: Options, at: Timestamp): Timestamp | undefined {
  const expiresIn = stringOption(flags, "expires-in");
  const expiresAtText = stringOption(flags, "expires-at");
  if (expiresIn !== undefined && expiresAtText !== undefined) {
    throw invalidInput("usage", "give --expires-in or --expires-at, not both", { hint: "pick one" });
  }
  if (expiresIn !== undefined) return at.addNanos(parseGoDuration(expiresIn, "--expires-in"));
  return expiresAtText !== undefined ? Timestamp.parse(expiresAtText, "--expires-at") : undefined;
}

/** The entry's selectors, reason and expiry in one line. */
function describe(entry: KillSwitchEntry): string {
  const parts: string[] = [];
  const add = (name: string, value: string | string[] | undefined) => {
    if (value !== undefined) parts.push(`${name}=${Array.isArray(value) ? value.join(",") : value}`);
  };
  add("agent_id", entry.agent_id);
  add("identity", entry.identity);
  add("tool", entry.tool_name);
  add("target_kind", entry.target_kind);
  add("target_value", entry.target_value);
  add("path_prefixes", entry.path_prefixes);
  add("workspace_prefixes", entry.workspace_prefixes);
  add("environment", entry.environment);
  if (parts.length === 0) parts.push("all calls");
  add("expires_at", entry.expires_at);
  add("reason", entry.reason ? JSON.stringify(entry.reason) : undefined);
  return parts.join(" ");
}
