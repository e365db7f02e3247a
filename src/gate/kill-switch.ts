/**
 * Kill switches (`gait.gate.kill_switch_state`): entries that stop matching tool calls at once,
 * whatever the policy says, until disabled or expired. This file is the pure core: read and
 * validate a state, change it, and match an intent against it. kill-switch-store.ts does the
 * file I/O (lock, atomic writes, journal).
 *
 * An entry matches an intent when every selector it sets matches (selectors AND-ed; a list
 * selector matches when any element does). An entry that sets none matches every intent (an
 * emergency stop for everything; `gait kill-switch add --all`).
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import { canonicalize, isJsonObject, sha256Hex } from "../contract/canonical.ts";
import { lowerCase, trimLower, trimSpace } from "../contract/text.ts";
import { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { KillSwitchOutcome } from "./decision.ts";
import { invalidInput } from "./error-codes.ts";
import type { NormalizedIntent, Target } from "./intent-model.ts";

export const KILL_SWITCH_STATE_SCHEMA_ID = "gait.gate.kill_switch_state";
export const DEFAULT_KILL_SWITCH_STATE = ".gait-out/kill_switch_state.json";

/** What an entry selects; every member it sets must match. */
export interface KillSwitchSelectors {
  agent_id?: string;
  identity?: string;
  tool_name?: string;
  target_kind?: string;
  target_value?: string;
  environment?: string;
  path_prefixes?: string[];
  workspace_prefixes?: string[];
}

export interface KillSwitchEntry extends KillSwitchSelectors {
  entry_id: string;
  enabled: boolean;
  reason?: string;
  actor?: string;
  created_at: string;
  expires_at?: string;
}

export interface KillSwitchState {
  schema_id: typeof KILL_SWITCH_STATE_SCHEMA_ID;
  schema_version: "1.0.0";
  created_at: string;
  updated_at: string;
  producer_version: string;
  entries: KillSwitchEntry[];
}

export type KillSwitchEntryStatus = "active" | "disabled" | "expired";

const TEXT_SELECTORS = [
  "agent_id",
  "identity",
  "tool_name",
  "target_kind",
  "target_value",
  "environment",
] as const;
const LIST_SELECTORS = ["path_prefixes", "workspace_prefixes"] as const;
const ENTRY_FIELDS = new Set<string>([
  ...TEXT_SELECTORS,
  ...LIST_SELECTORS,
  "entry_id",
  "enabled",
  "reason",
  "actor",
  "created_at",
  "expires_at",
]);
const STATE_FIELDS = new Set([
  "schema_id",
  "schema_version",
  "created_at",
  "updated_at",
  "producer_version",
  "entries",
]);

const STATE_HINT = `a kill-switch state is written by gait kill-switch add (default ${DEFAULT_KILL_SWITCH_STATE}); fix or remove the file`;

function stateError(source: string, message: string) {
  return invalidInput("kill_switch_state_invalid", `kill-switch state ${source}: ${message}`, {
    hint: STATE_HINT,
  });
}

export function emptyKillSwitchState(at: Timestamp): KillSwitchState {
  const now = at.utc().toString();
  return {
    schema_id: KILL_SWITCH_STATE_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: now,
    updated_at: now,
    producer_version: PRODUCER_VERSION,
    entries: [],
  };
}

/** Validates a parsed state file (closed, as its public schema); throws kill_switch_state_invalid. */
export function parseKillSwitchState(raw: unknown, source: string): KillSwitchState {
  if (!isJsonObject(raw)) throw stateError(source, "must be a JSON object");
  const unknown = Object.keys(raw).filter((k) => !STATE_FIELDS.has(k));
  if (unknown.length > 0) throw stateError(source, `unknown member(s) ${unknown.sort().join(", ")}`);
  if (raw.schema_id !== KILL_SWITCH_STATE_SCHEMA_ID) {
    throw stateError(source, `schema_id must be ${KILL_SWITCH_STATE_SCHEMA_ID}`);
  }
  if (raw.schema_version !== "1.0.0") throw stateError(source, "schema_version must be 1.0.0");
  if (typeof raw.producer_version !== "string") throw stateError(source, "producer_version must be a string");
  if (!Array.isArray(raw.entries)) throw stateError(source, "entries must be an array");
  const entries = raw.entries.map((e, i) => parseEntry(e, `${source} entries[${i}]`));
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.entry_id)) throw stateError(source, `entry_id ${entry.entry_id} appears twice`);
    ids.add(entry.entry_id);
  }
  return {
    schema_id: KILL_SWITCH_STATE_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: time(raw.created_at, "created_at", source),
    updated_at: time(raw.updated_at, "updated_at", source),
    producer_version: raw.producer_version,
    entries,
  };
}

function parseEntry(raw: unknown, where: string): KillSwitchEntry {
  if (!isJsonObject(raw)) throw stateError(where, "must be a JSON object");
  const unknown = Object.keys(raw).filter((k) => !ENTRY_FIELDS.has(k));
  if (unknown.length > 0) throw stateError(where, `unknown member(s) ${unknown.sort().join(", ")}`);
  const id = raw.entry_id;
  if (typeof id !== "string" || trimSpace(id) === "")
    throw stateError(where, "entry_id must be a non-empty string");
  if (typeof raw.enabled !== "boolean") throw stateError(where, "enabled must be true or false");
  const entry: KillSwitchEntry = {
    entry_id: trimSpace(id),
    enabled: raw.enabled,
    created_at: time(raw.created_at, "created_at", where),
  };
  const selectors = readSelectors(raw, (message) => stateError(where, message));
  Object.assign(entry, selectors);
  for (const name of ["reason", "actor"] as const) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== "string") throw stateError(where, `${name} must be a string`);
    entry[name] = value;
  }
  if (raw.expires_at !== undefined) entry.expires_at = time(raw.expires_at, "expires_at", where);
  return entry;
}

/**
 * Reads and normalizes the selectors of an entry or of `kill-switch add` (trimmed; tool names,
 * target kinds and environments lower-cased; prefixes with `/` separators, de-duplicated and
 * sorted). Empty selectors are errors, not wildcards.
 */
export function readSelectors(
  raw: Record<string, unknown>,
  fail: (message: string) => Error,
): KillSwitchSelectors {
  const selectors: KillSwitchSelectors = {};
  for (const name of TEXT_SELECTORS) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || trimSpace(value) === "")
      throw fail(`${name} must be a non-empty string`);
    const caseless = name === "tool_name" || name === "target_kind" || name === "environment";
    selectors[name] = caseless ? trimLower(value) : trimSpace(value);
  }
  for (const name of LIST_SELECTORS) {
    const value = raw[name];
    if (value === undefined) continue;
    if (!Array.isArray(value) || value.length === 0)
      throw fail(`${name} must be a non-empty list of strings`);
    const prefixes = value.map((p) => {
      if (typeof p !== "string" || trimSpace(p) === "") throw fail(`${name} must hold non-empty strings`);
      return trimSpace(p).replace(/\\/g, "/");
    });
    selectors[name] = sortedUnique(prefixes);
  }
  return selectors;
}

function time(value: unknown, name: string, where: string): string {
  if (typeof value !== "string") throw stateError(where, `${name} must be an RFC 3339 time`);
  try {
    return Timestamp.parse(value).utc().toString();
  } catch {
    throw stateError(where, `${name} must be an RFC 3339 time, got ${JSON.stringify(value)}`);
  }
}

export function hasSelectors(selectors: KillSwitchSelectors): boolean {
  return [...TEXT_SELECTORS, ...LIST_SELECTORS].some((name) => selectors[name] !== undefined);
}

export function entryStatus(entry: KillSwitchEntry, at: Timestamp): KillSwitchEntryStatus {
  if (!entry.enabled) return "disabled";
  if (entry.expires_at && Timestamp.parse(entry.expires_at).compare(at) <= 0) return "expired";
  return "active";
}

// ---------------------------------------------------------------------------------------------
// changes (each returns a new state; the store writes it and journals the change)

export interface NewKillSwitchEntry {
  selectors: KillSwitchSelectors;
  reason?: string;
  actor?: string;
  expiresAt?: Timestamp;
  at: Timestamp;
}

/**
 * Adds an entry. Its id is `ks_` + 16 hex of the sha256 of what it says and when it was made, so
 * the same command run twice in the same instant yields one entry, not two.
 */
export function addKillSwitchEntry(
  state: KillSwitchState,
  input: NewKillSwitchEntry,
): { state: KillSwitchState; entry: KillSwitchEntry } {
  const createdAt = input.at.utc().toString();
  if (input.expiresAt && input.expiresAt.compare(input.at) <= 0) {
    throw invalidInput("kill_switch_entry_invalid", "the kill switch would expire before it starts", {
      hint: "give an expiry in the future (--expires-in 2h or --expires-at <RFC 3339 time>)",
    });
  }
  const entry: KillSwitchEntry = { entry_id: "", enabled: true, ...input.selectors, created_at: createdAt };
  if (input.reason) entry.reason = input.reason;
  if (input.actor) entry.actor = input.actor;
  if (input.expiresAt) entry.expires_at = input.expiresAt.utc().toString();
  entry.entry_id = `ks_${sha256Hex(canonicalize(entry)).slice(0, 16)}`;
  const existing = state.entries.find((e) => e.entry_id === entry.entry_id);
  if (existing) return { state, entry: existing };
  const entries = [...state.entries, entry].sort((a, b) => compareBytes(a.entry_id, b.entry_id));
  return { state: { ...state, entries, updated_at: createdAt, producer_version: PRODUCER_VERSION }, entry };
}

/** Turns an entry off (kept in the state, and in the journal, as evidence). */
export function disableKillSwitchEntry(
  state: KillSwitchState,
  entryId: string,
  at: Timestamp,
): { state: KillSwitchState; entry: KillSwitchEntry } {
  return changeEntry(state, entryId, at, (entry) => ({ ...entry, enabled: false }));
}

/** Sets when an entry stops applying: now (the default) or a given time. */
export function expireKillSwitchEntry(
  state: KillSwitchState,
  entryId: string,
  expiresAt: Timestamp,
  at: Timestamp,
): { state: KillSwitchState; entry: KillSwitchEntry } {
  return changeEntry(state, entryId, at, (entry) => ({ ...entry, expires_at: expiresAt.utc().toString() }));
}

function changeEntry(
  state: KillSwitchState,
  entryId: string,
  at: Timestamp,
  change: (entry: KillSwitchEntry) => KillSwitchEntry,
): { state: KillSwitchState; entry: KillSwitchEntry } {
  const id = trimSpace(entryId);
  const index = state.entries.findIndex((e) => e.entry_id === id);
  if (index < 0) {
    throw invalidInput("kill_switch_entry_not_found", `no kill-switch entry ${JSON.stringify(id)}`, {
      hint: "list the entries with gait kill-switch list",
    });
  }
  const entry = change(state.entries[index]!);
  const entries = state.entries.toSpliced(index, 1, entry);
  return {
    state: { ...state, entries, updated_at: at.utc().toString(), producer_version: PRODUCER_VERSION },
    entry,
  };
}

// ---------------------------------------------------------------------------------------------
// matching

/** Checks an intent against the state's active entries at `at`. */
export function checkKillSwitch(
  state: KillSwitchState,
  intent: NormalizedIntent,
  at: Timestamp,
): KillSwitchOutcome {
  const matched: string[] = [];
  const reasons: string[] = [];
  for (const entry of state.entries) {
    if (entryStatus(entry, at) !== "active") continue;
    const selectorCodes = matchEntry(entry, intent);
    if (!selectorCodes) continue;
    matched.push(entry.entry_id);
    reasons.push(...selectorCodes);
  }
  const evaluatedAt = at.utc().toString();
  if (matched.length === 0) return { status: "inactive", reasonCodes: [], matchedEntryIds: [], evaluatedAt };
  return {
    status: "active",
    reasonCodes: sortedUnique(["kill_switch_active", ...reasons]),
    matchedEntryIds: sortedUnique(matched),
    evaluatedAt,
  };
}

/** The outcome when the state could not be read and the decision fails closed. */
export function unavailableKillSwitch(at: Timestamp): KillSwitchOutcome {
  return {
    status: "unavailable",
    reasonCodes: ["kill_switch_state_unavailable"],
    matchedEntryIds: [],
    evaluatedAt: at.utc().toString(),
  };
}

/** The selector reason codes of an entry that matches the intent, or undefined when it does not. */
function matchEntry(entry: KillSwitchEntry, intent: NormalizedIntent): string[] | undefined {
  const codes: string[] = [];
  const check = (set: unknown, matches: () => boolean, code: string) => {
    if (set === undefined) return true;
    if (!matches()) return false;
    codes.push(code);
    return true;
  };
  const ctx = intent.context;
  const targets = allTargets(intent);
  const matches =
    check(entry.agent_id, () => ctx.agent_id === entry.agent_id, "kill_switch_agent_id_active") &&
    check(entry.identity, () => ctx.identity === entry.identity, "kill_switch_identity_active") &&
    check(entry.tool_name, () => toolNames(intent).has(entry.tool_name!), "kill_switch_tool_name_active") &&
    check(
      entry.target_kind ?? entry.target_value,
      () => targets.some((t) => targetMatches(entry, t)),
      "kill_switch_target_active",
    ) &&
    check(
      entry.path_prefixes,
      () =>
        targets.some(
          (t) =>
            t.kind === "path" && entry.path_prefixes!.some((p) => t.value.replace(/\\/g, "/").startsWith(p)),
        ),
      "kill_switch_path_active",
    ) &&
    check(
      entry.workspace_prefixes,
      () => entry.workspace_prefixes!.some((p) => ctx.workspace.startsWith(p)),
      "kill_switch_workspace_active",
    ) &&
    check(
      entry.environment,
      () => lowerCase(ctx.environment ?? "") === entry.environment,
      "kill_switch_environment_active",
    );
  return matches ? codes : undefined;
}

function targetMatches(entry: KillSwitchEntry, target: Target): boolean {
  return (
    (entry.target_kind === undefined || target.kind === entry.target_kind) &&
    (entry.target_value === undefined || target.value === entry.target_value)
  );
}

/** The tool and, for a script, every step's tool: a kill switch on a tool stops scripts using it. */
function toolNames(intent: NormalizedIntent): Set<string> {
  return new Set([intent.tool_name, ...(intent.script?.steps ?? []).map((s) => s.tool_name)]);
}

function allTargets(intent: NormalizedIntent): Target[] {
  return [...intent.targets, ...(intent.script?.steps ?? []).flatMap((s) => s.targets ?? [])];
}
