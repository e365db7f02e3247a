/**
 * Incident packs, the pure part: the window around the run (anchor = the run's created_at, from
 * anchor − window to anchor + window), which records fall in it (each by its own created_at),
 * the distinct policy digests, and the incident's chain in order (intent → verdict → delegation
 * → approval → credential → tool result → regress), each event pointing at the pack entry that
 * evidences it.
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import type { JsonObject } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { invalidInput } from "./error-codes.ts";
import {
  type ApprovalAuditInput,
  type DocumentHead,
  type RegressInput,
  type RunpackInput,
  type TraceInput,
  traceReasonCodes,
} from "./summaries.ts";
import {
  GUARD_SCHEMA_VERSION,
  GuardFiles,
  GuardSchemaIds,
  type IncidentTimeline,
  type IncidentWindow,
  type PolicyDigests,
  TIMELINE_STAGES,
  type TimelineEvent,
} from "./types.ts";

const NANOS_PER_SECOND = 1_000_000_000n;

/** The window ±`windowNanos` around the run's created_at; window_seconds is the --window given. */
export function incidentWindow(anchorAt: string, runId: string, windowNanos: bigint): IncidentWindow {
  if (windowNanos <= 0n || windowNanos % NANOS_PER_SECOND !== 0n) {
    throw invalidInput("incident_window_invalid", "--window must be a positive whole number of seconds", {
      hint: "e.g. --window 24h, --window 30m or --window 90s",
    });
  }
  const anchor = Timestamp.parse(anchorAt, "run created_at").utc();
  return {
    from: anchor.addNanos(-windowNanos).toString(),
    to: anchor.addNanos(windowNanos).toString(),
    window_seconds: Number(windowNanos / NANOS_PER_SECOND),
    selection_anchor: runId,
  };
}

/** True when `at` (RFC 3339) is within the window, both ends included. */
export function inWindow(window: IncidentWindow, at: unknown): boolean {
  if (typeof at !== "string") return false;
  let time: Timestamp;
  try {
    time = Timestamp.parse(at);
  } catch {
    return false;
  }
  return time.compare(Timestamp.parse(window.from)) >= 0 && time.compare(Timestamp.parse(window.to)) <= 0;
}

export interface IncidentCandidates<T> {
  traces: readonly T[];
  regress: readonly T[];
  /** Approval audits, credential records, delegation audits: records bound to a trace. */
  linked: readonly T[];
}

/**
 * Which candidates belong to the incident: each by its own created_at. Records bound to a trace
 * carry their trace's time (both are dated by the intent), so they follow their trace; they are
 * not matched by trace_id, which repeats when the same intent is evaluated again (a later
 * evaluation outside the window would be pulled in).
 */
export function selectInWindow<T>(
  window: IncidentWindow,
  candidates: IncidentCandidates<T>,
  createdAt: (item: T) => unknown,
): IncidentCandidates<T> {
  const keep = (items: readonly T[]) => items.filter((item) => inWindow(window, createdAt(item)));
  return {
    traces: keep(candidates.traces),
    regress: keep(candidates.regress),
    linked: keep(candidates.linked),
  };
}

/** policy_digests.json: the distinct policy digests of the traces in the pack. */
export function policyDigestsOf(
  head: DocumentHead,
  traces: readonly TraceInput[],
  window?: IncidentWindow,
): PolicyDigests {
  return {
    schema_id: GuardSchemaIds.policyDigests,
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: head.created_at,
    producer_version: head.producer_version,
    run_id: head.run_id,
    ...(window ? { incident_window: window } : {}),
    policy_digests: sortedUnique(
      traces.map((t) => t.record.policy_digest).filter((d): d is string => typeof d === "string" && d !== ""),
    ),
  };
}

/** What the timeline is derived from; each record with the entry that holds it in the pack. */
export interface TimelineSources {
  runpack: RunpackInput;
  traces: ReadonlyArray<{ input: TraceInput; entry: string }>;
  approvals: readonly ApprovalAuditInput[];
  credentials: readonly ApprovalAuditInput[];
  delegations: readonly ApprovalAuditInput[];
  regress: ReadonlyArray<{ input: RegressInput; entry: string }>;
}

const STAGE_RANK = new Map(TIMELINE_STAGES.map((stage, i) => [stage, i]));
const text = (value: unknown) => (typeof value === "string" ? value : "");

/** incident_timeline.json: every event of the chain, ordered by time, then by stage. */
export function incidentTimeline(
  head: DocumentHead,
  window: IncidentWindow,
  sources: TimelineSources,
): IncidentTimeline {
  type Draft = Omit<TimelineEvent, "seq">;
  const events: Draft[] = [];
  const { runpack } = sources.runpack;
  const toolOf = new Map(runpack.intents.map((intent) => [intent.intent_id, intent.tool_name]));
  for (const intent of runpack.intents) {
    events.push({
      at: intent.created_at,
      stage: "intent",
      tool_name: intent.tool_name,
      ref: intent.intent_id,
      outcome: "requested",
      reason_codes: [],
      entry: GuardFiles.runpackSummary,
    });
  }
  for (const result of runpack.results) {
    const tool = toolOf.get(result.intent_id);
    events.push({
      at: result.created_at,
      stage: "tool_result",
      ...(tool ? { tool_name: tool } : {}),
      ref: result.intent_id,
      outcome: result.status,
      reason_codes: [],
      entry: GuardFiles.runpackSummary,
    });
  }
  for (const { input, entry } of sources.traces) {
    events.push({
      at: text(input.record.created_at),
      stage: "verdict",
      tool_name: text(input.record.tool_name),
      ref: text(input.record.trace_id),
      outcome: text(input.record.verdict),
      reason_codes: traceReasonCodes(input.record),
      entry,
    });
  }
  const linked = (
    stage: TimelineEvent["stage"],
    records: readonly ApprovalAuditInput[],
    outcome: (r: JsonObject) => string,
  ) => {
    for (const { record, entry } of records) {
      events.push({
        at: text(record.created_at),
        stage,
        tool_name: text(record.tool_name),
        ref: text(record.trace_id),
        outcome: outcome(record),
        reason_codes: [],
        entry,
      });
    }
  };
  linked("delegation", sources.delegations, (r) => (r.delegated === true ? "delegated" : "not_delegated"));
  linked("approval", sources.approvals, (r) => (r.approved === true ? "approved" : "not_approved"));
  linked("credential", sources.credentials, () => "issued");
  for (const { input, entry } of sources.regress) {
    const failed = input.result.graders.filter((g) => g.status !== "pass");
    events.push({
      at: input.result.created_at,
      stage: "regress",
      ref: input.result.fixture_set,
      outcome: input.result.status,
      reason_codes: sortedUnique(failed.flatMap((g) => g.reason_codes ?? [])),
      entry,
    });
  }
  events.sort(compareEvents);
  return {
    schema_id: GuardSchemaIds.incidentTimeline,
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: head.created_at,
    producer_version: head.producer_version,
    run_id: head.run_id,
    incident_window: window,
    events: events.map((event, i) => ({ seq: i + 1, ...event })),
  };
}

function compareEvents(a: Omit<TimelineEvent, "seq">, b: Omit<TimelineEvent, "seq">): number {
  return (
    Timestamp.parse(a.at).compare(Timestamp.parse(b.at)) ||
    STAGE_RANK.get(a.stage)! - STAGE_RANK.get(b.stage)! ||
    compareBytes(a.ref, b.ref) ||
    compareBytes(a.entry, b.entry)
  );
}
