/**
 * Freeze windows: a rule that blocks (or asks for approval) while the wall clock, read in the
 * rule's IANA zone, is inside one of its windows. A window or zone that cannot be read does not
 * stop the policy from loading (the reference loads it too); every call the rule matches then
 * blocks with `freeze_window_invalid_timezone` or `freeze_window_invalid_window`, so a typo
 * fails closed instead of silently never freezing.
 */
import { lowerCase } from "../contract/text.ts";
import { Timestamp, ZERO_TIME } from "../contract/time.ts";
import type { NormalizedIntent } from "./intent-model.ts";
import type { FreezeWindow, FreezeWindowSpan, Policy, Verdict } from "./policy-model.ts";

/** What a freeze rule decided for one intent; the trace records it as `freeze_window`. */
export interface FreezeOutcome {
  status: "active" | "inactive" | "invalid";
  timezone: string;
  /** The time the windows were read at (the evaluation time), UTC. */
  evaluatedAt: string;
  /** The active window, as instants rendered in the zone's offset. */
  window?: { name: string; start: string; end: string };
  effect?: "block" | "require_approval";
  /** Set when status is `invalid`. */
  reasonCode?: FreezeProblem;
}

export type FreezeProblem = "freeze_window_invalid_timezone" | "freeze_window_invalid_window";

export interface CompiledFreeze {
  spec: FreezeWindow;
  /** Reads an instant as local wall-clock parts in the zone; absent when the zone is invalid. */
  format?: Intl.DateTimeFormat;
  problem?: FreezeProblem;
}

type Raise = (effect: Verdict, reasons: string[], violations: string[]) => void;

export function compileFreeze(spec: FreezeWindow): CompiledFreeze {
  if (!isIanaZone(spec.timezone)) return { spec, problem: "freeze_window_invalid_timezone" };
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: spec.timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  if (!spec.windows.every(isReadableWindow)) return { spec, format, problem: "freeze_window_invalid_window" };
  return { spec, format };
}

/**
 * The policy's freeze rules that would block every call they match, in words (for `policy
 * validate`): the policy loads, but such a rule is almost always a typo.
 */
export function freezeWindowWarnings(policy: Policy): string[] {
  return policy.rules.flatMap((rule) => {
    const spec = rule.freezeWindow;
    if (!spec?.enabled) return [];
    const { problem } = compileFreeze(spec);
    if (!problem) return [];
    const bad = spec.windows.find((w) => !isReadableWindow(w));
    const what =
      problem === "freeze_window_invalid_timezone"
        ? `timezone ${JSON.stringify(spec.timezone)} is not an IANA time zone`
        : `window ${JSON.stringify(bad?.name)} needs start and end as local YYYY-MM-DDTHH:MM:SS, end after start`;
    return [
      `rule ${JSON.stringify(rule.name)}: freeze_window ${what}; every call it matches blocks (${problem})`,
    ];
  });
}

export function applyFreezeWindow(
  freeze: CompiledFreeze,
  intent: NormalizedIntent,
  now: Timestamp,
  raise: Raise,
): FreezeOutcome {
  const { spec, format, problem } = freeze;
  const base = { timezone: spec.timezone, evaluatedAt: now.utc().toString() };
  if (problem || !format) {
    const code = problem ?? "freeze_window_invalid_timezone";
    raise("block", [code], [code]);
    return { ...base, status: "invalid", reasonCode: code };
  }
  if (spec.environments.length && !spec.environments.includes(lowerCase(intent.context.environment ?? ""))) {
    return { ...base, status: "inactive" };
  }
  if (spec.riskClasses.length && !spec.riskClasses.includes(intent.context.risk_class)) {
    return { ...base, status: "inactive" };
  }
  const local = localWallClock(format, now.epochMs());
  const window = spec.windows.find((w) => w.start <= local && local < w.end);
  if (!window) return { ...base, status: "inactive" };
  const code = `freeze_window_active_${spec.effect}`;
  raise(spec.effect, spec.reason ? [code, spec.reason] : [code], [code]);
  return {
    ...base,
    status: "active",
    effect: spec.effect,
    window: {
      name: window.name,
      start: zonedInstant(format, window.start),
      end: zonedInstant(format, window.end),
    },
  };
}

/** The zero time Go renders for a window boundary when no window is active. */
export const NO_WINDOW = ZERO_TIME.toString();

// ---------------------------------------------------------------------------------------------

/**
 * An IANA zone name the runtime knows, spelled with its exact case: the reference loads zones by
 * file name (case-sensitive) and knows no numeric offsets, while Intl accepts both.
 */
function isIanaZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  return resolved === zone || lowerCase(resolved) !== lowerCase(zone);
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

function localParts(value: string): number[] | undefined {
  const m = LOCAL_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return valid ? [year, month, day, hour, minute, second] : undefined;
}

/** Both ends are local `YYYY-MM-DDTHH:MM:SS` times and the end is after the start. */
function isReadableWindow(window: FreezeWindowSpan): boolean {
  return (
    localParts(window.start) !== undefined &&
    localParts(window.end) !== undefined &&
    window.start < window.end
  );
}

function wallClockParts(format: Intl.DateTimeFormat, epochMs: number): Record<string, string> {
  return Object.fromEntries(format.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
}

function localWallClock(format: Intl.DateTimeFormat, epochMs: number): string {
  const p = wallClockParts(format, epochMs);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** The zone's offset from UTC at an instant, in minutes. */
function offsetMinutesAt(format: Intl.DateTimeFormat, epochMs: number): number {
  const p = wallClockParts(format, epochMs);
  const asUtc = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/** A local wall-clock time in the zone as an instant, rendered RFC 3339 in the zone's offset. */
function zonedInstant(format: Intl.DateTimeFormat, local: string): string {
  const [year, month, day, hour, minute, second] = localParts(local) as number[];
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  // Two passes settle the offset across a DST change, as Go's time.Date does.
  let offset = offsetMinutesAt(format, wall);
  offset = offsetMinutesAt(format, wall - offset * 60_000);
  return Timestamp.of((wall - offset * 60_000) / 1000, 0, offset).toString();
}
