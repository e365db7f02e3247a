/**
 * The kill-switch state file and its journal (I/O around kill-switch.ts). Changes are made under
 * the lock `<state>.lock`, written atomically, and journalled (`<state base>.journal.jsonl`, one
 * JSON event per line); a decision that a kill switch blocked is journalled too. The gate reads
 * the state through a KillSwitchSource, which re-reads the file only when it changed, so a
 * long-running gate (the sidecar, an SDK Gate) sees a new entry on its next decision.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError, type GaitError, isGaitError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import type { Clock, Timestamp } from "../contract/time.ts";
import { invalidInput } from "./error-codes.ts";
import { failsClosedOnMissingInput } from "./fail-closed-inputs.ts";
import type { KillSwitchCheck } from "./gate-eval.ts";
import type { NormalizedIntent } from "./intent-model.ts";
import {
  checkKillSwitch,
  emptyKillSwitchState,
  type KillSwitchEntry,
  type KillSwitchState,
  parseKillSwitchState,
  unavailableKillSwitch,
} from "./kill-switch.ts";
import type { GateProfile } from "./setup.ts";
import { prettyJson } from "./trace.ts";

export const KILL_SWITCH_JOURNAL_SCHEMA_ID = "gait.gate.kill_switch_journal_event";
const KILL_SWITCH_LOCK_SCHEMA_ID = "gait.gate.kill_switch_lock";

/** One line of the journal: a change to the state, or a decision a kill switch blocked. */
export interface KillSwitchJournalEvent {
  schema_id: typeof KILL_SWITCH_JOURNAL_SCHEMA_ID;
  schema_version: "1.0.0";
  at: string;
  action: "add" | "disable" | "expire" | "fired";
  entry_ids: string[];
  actor?: string;
  reason?: string;
  expires_at?: string;
  trace_id?: string;
  tool_name?: string;
  intent_digest?: string;
  reason_codes?: string[];
}

/** `kill_switch_state.json` → `kill_switch_state.journal.jsonl`, beside it. */
export function killSwitchJournalPath(statePath: string): string {
  return join(dirname(statePath), `${basename(statePath).replace(/\.json$/i, "")}.journal.jsonl`);
}

export interface KillSwitchStateRead {
  exists: boolean;
  state: KillSwitchState;
}

/** Reads the state; a missing file is an empty state (no kill switch was ever added). */
export function readKillSwitchStateFile(statePath: string, at: Timestamp): KillSwitchStateRead {
  let text: string;
  try {
    text = readFileSync(statePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { exists: false, state: emptyKillSwitchState(at) };
    }
    throw fromFsError(error, "read kill-switch state", statePath);
  }
  return { exists: true, state: parseKillSwitchState(parseJsonStrict(text, statePath), statePath) };
}

export type KillSwitchChange = (state: KillSwitchState) => { state: KillSwitchState; entry: KillSwitchEntry };

/**
 * Applies `change` to the state under its lock, writes it atomically and journals `event` (with
 * the changed entry's id). Returns the changed entry and whether the state changed at all.
 */
export async function changeKillSwitchState(
  statePath: string,
  change: KillSwitchChange,
  event: Pick<KillSwitchJournalEvent, "action" | "actor" | "reason">,
  clock: Clock,
): Promise<{ entry: KillSwitchEntry; changed: boolean }> {
  return withFileLock(
    `${statePath}.lock`,
    async () => {
      const at = clock();
      const before = readKillSwitchStateFile(statePath, at).state;
      const { state, entry } = change(before);
      const changed = state !== before;
      if (changed) {
        await writeFileAtomic(statePath, prettyJson(state), { mode: 0o600 });
        appendKillSwitchJournal(statePath, {
          ...journalHeader(at),
          ...event,
          entry_ids: [entry.entry_id],
          ...(entry.expires_at ? { expires_at: entry.expires_at } : {}),
        });
      }
      return { entry, changed };
    },
    { schemaId: KILL_SWITCH_LOCK_SCHEMA_ID, clock },
  );
}

function journalHeader(at: Timestamp) {
  return {
    schema_id: KILL_SWITCH_JOURNAL_SCHEMA_ID as typeof KILL_SWITCH_JOURNAL_SCHEMA_ID,
    schema_version: "1.0.0" as const,
    at: at.utc().toString(),
  };
}

/**
 * Appends one event. A single O_APPEND write per line, so concurrent writers (gate decisions
 * beside a `kill-switch add`) never interleave within a line.
 */
export function appendKillSwitchJournal(statePath: string, event: KillSwitchJournalEvent): void {
  const path = killSwitchJournalPath(statePath);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    appendFileSync(path, `${JSON.stringify(event)}\n`, { mode: 0o600 });
  } catch (error) {
    throw fromFsError(error, "append to the kill-switch journal", path);
  }
}

/** A decision that active kill-switch entries blocked. */
export interface KillSwitchFired {
  at: Timestamp;
  entryIds: string[];
  traceId: string;
  toolName: string;
  intentDigest: string;
  reasonCodes: string[];
}

/** Journals a decision that active kill-switch entries blocked. */
export function journalKillSwitchFired(statePath: string, fired: KillSwitchFired): void {
  appendKillSwitchJournal(statePath, {
    ...journalHeader(fired.at),
    action: "fired",
    entry_ids: fired.entryIds,
    trace_id: fired.traceId,
    tool_name: fired.toolName,
    intent_digest: fired.intentDigest,
    reason_codes: fired.reasonCodes,
  });
}

/**
 * The gate's view of a state file: each check re-reads it only when its identity (inode, size,
 * mtime) changed. An unreadable state blocks the decisions that fail closed (high or critical
 * risk, oss-prod) with `kill_switch_state_unavailable`, and fails the others with a coded error
 * (exit 6 from gate eval; a fail-closed block from an SDK Gate).
 */
export function killSwitchCheckFor(statePath: string, profile: GateProfile): KillSwitchCheck {
  let cached: { key: string; read: () => KillSwitchState } | undefined;
  const current = (at: Timestamp): KillSwitchState => {
    const key = fileKey(statePath);
    if (cached?.key !== key) {
      try {
        const state = readKillSwitchStateFile(statePath, at).state;
        cached = { key, read: () => state };
      } catch (error) {
        const failure = unavailable(statePath, error);
        cached = {
          key,
          read: () => {
            throw failure;
          },
        };
      }
    }
    return cached.read();
  };
  return (intent: NormalizedIntent, at: Timestamp) => {
    try {
      return checkKillSwitch(current(at), intent, at);
    } catch (error) {
      if (failsClosedOnMissingInput(profile, intent.context.risk_class)) return unavailableKillSwitch(at);
      throw error;
    }
  };
}

/** Identifies the file's current content cheaply; `missing` when there is none. */
function fileKey(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : `error:${String(error)}`;
  }
}

function unavailable(statePath: string, error: unknown): GaitError {
  const message = isGaitError(error) || error instanceof Error ? error.message : String(error);
  return invalidInput("kill_switch_state_unavailable", `kill-switch state unavailable: ${message}`, {
    hint: `fix or remove ${statePath} (gait kill-switch list reads it); decisions of high or critical risk are blocked meanwhile`,
    cause: error,
  });
}
