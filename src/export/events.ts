/**
 * What the exporters export, as plain data, and the pure functions that turn it into span
 * attributes and JSONL log lines. Nothing here does I/O or loads OpenTelemetry: the gate hands a
 * finished decision over as it is (ExportableDecision, which the SDK's GateDecision satisfies),
 * and the sinks read these shapes later, off the decision path.
 */
import { sha256Hex } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { DecisionLogEvent } from "./schema.ts";

/** Span attribute values, as OpenTelemetry accepts them. */
export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue>;

/** The members of a gate decision the exporters read. The SDK's GateDecision is one. */
export interface ExportableDecision {
  verdict: string;
  reasonCodes: readonly string[];
  toolName: string;
  intentDigest: string;
  policyDigest: string;
  traceId: string;
  tracePath?: string | undefined;
  matchedRule?: string | undefined;
  error?: { code: string } | undefined;
  outcome?:
    | {
        prepared: {
          intent: {
            context: { run_id?: string; session_id?: string; request_id?: string };
            delegation?: { token_refs?: string[]; chain?: readonly unknown[] };
          };
        };
      }
    | undefined;
}

/** Where a span goes in a trace: OTLP ids (32 and 16 hex). Absent members are generated. */
export interface SpanPlacement {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
}

/** A finished gate decision (span `gait.gate.eval`, one log line, the decision metrics). */
export interface DecisionEvent {
  kind: "decision";
  decision: ExportableDecision;
  latencyMs: number;
  /** When the decision was answered (epoch ms). */
  endedAtMs: number;
  placement?: SpanPlacement;
}

export const OPERATION_NAMES = [
  "gait.run",
  "execute_tool",
  "gait.runpack.record",
  "gait.runpack.verify",
  "gait.pack.verify",
  "gait.regress.run",
  "gait.regress.fixture",
] as const;
export type OperationName = (typeof OPERATION_NAMES)[number];

/** Any other finished operation: a tool execution, a runpack record or verify, a regress run. */
export interface OperationEvent {
  kind: "operation";
  operation: OperationName;
  /** The span name (default: the operation). */
  spanName?: string;
  startedAtMs: number;
  endedAtMs: number;
  ok: boolean;
  /** Why it failed, when it did (span status message and `error.type`). */
  errorType?: string;
  attributes: Attributes;
  /** Regress failures to count (`gait.regress.failures`). */
  regressFailures?: number;
  placement?: SpanPlacement;
}

export type ExportEvent = DecisionEvent | OperationEvent;

// ---------------------------------------------------------------------------------------------
// Decisions

const GEN_AI_TOOL_NAME = "gen_ai.tool.name";
const GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
const GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";
const EXECUTE_TOOL = "execute_tool";

function contextOf(decision: ExportableDecision) {
  return decision.outcome?.prepared.intent.context;
}

/** The span attributes of a decision: GenAI's tool name plus the gait.* pivots to the artifacts. */
export function decisionAttributes(event: DecisionEvent): Attributes {
  const { decision } = event;
  const context = contextOf(decision);
  const attributes: Attributes = {
    "gait.verdict": decision.verdict,
    "gait.reason_codes": [...decision.reasonCodes],
    "gait.policy_digest": decision.policyDigest,
    "gait.intent_digest": decision.intentDigest,
    "gait.trace_id": decision.traceId,
    "gait.decision_latency_ms": event.latencyMs,
  };
  if (decision.toolName) attributes[GEN_AI_TOOL_NAME] = decision.toolName;
  if (context?.run_id) attributes["gait.run_id"] = context.run_id;
  if (context?.session_id) attributes["gait.session_id"] = context.session_id;
  if (context?.request_id) attributes[GEN_AI_TOOL_CALL_ID] = context.request_id;
  if (decision.matchedRule) attributes["gait.matched_rule"] = decision.matchedRule;
  if (decision.tracePath) attributes["gait.trace_path"] = decision.tracePath;
  if (decision.error) attributes["gait.error_code"] = decision.error.code;
  const delegation = delegationOf(decision);
  if (delegation) {
    attributes["gait.delegation_depth"] = delegation.depth;
    if (delegation.ref) attributes["gait.delegation_ref"] = delegation.ref;
  }
  return attributes;
}

function delegationOf(decision: ExportableDecision): { ref: string; depth: number } | undefined {
  const delegation = decision.outcome?.prepared.intent.delegation;
  if (!delegation) return undefined;
  return { ref: delegation.token_refs?.[0] ?? "", depth: delegation.chain?.length ?? 0 };
}

/**
 * The JSONL log event of a decision: the reference's fields (REFERENCE.md §3 v1.3 item 3), with
 * empty optional members left out. Schema: schemas/v1/export/decision_log_event.schema.json.
 */
export function decisionLogEvent(event: DecisionEvent): DecisionLogEvent {
  const { decision } = event;
  const context = contextOf(decision);
  const line: DecisionLogEvent = {
    created_at: Timestamp.fromEpochMs(event.endedAtMs).toString(),
    producer_version: PRODUCER_VERSION,
    trace_id: decision.traceId,
    tool_name: decision.toolName,
    verdict: decision.verdict,
    reason_codes: [...decision.reasonCodes],
    policy_digest: decision.policyDigest,
    intent_digest: decision.intentDigest,
    decision_latency_ms: event.latencyMs,
  };
  if (context?.run_id) line.run_id = context.run_id;
  if (context?.session_id) line.session_id = context.session_id;
  if (decision.tracePath) line.trace_path = decision.tracePath;
  const delegation = delegationOf(decision);
  if (delegation) {
    if (delegation.ref) line.delegation_ref = delegation.ref;
    line.delegation_depth = delegation.depth;
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// Operations

export interface ToolExecution {
  toolName: string;
  startedAtMs: number;
  endedAtMs: number;
  ok: boolean;
  /** The error's name when the tool threw. */
  errorType?: string;
  /** The tool call's id (the intent's context.request_id, a runpack's intent_id). */
  callId?: string;
  /** The decision that let it run. */
  traceId?: string;
  runId?: string;
  placement?: SpanPlacement;
}

/** A tool execution as GenAI's `execute_tool {gen_ai.tool.name}` span. */
export function toolExecutionEvent(tool: ToolExecution): OperationEvent {
  const attributes: Attributes = {
    [GEN_AI_OPERATION_NAME]: EXECUTE_TOOL,
    [GEN_AI_TOOL_NAME]: tool.toolName,
  };
  if (tool.callId) attributes[GEN_AI_TOOL_CALL_ID] = tool.callId;
  if (tool.traceId) attributes["gait.trace_id"] = tool.traceId;
  if (tool.runId) attributes["gait.run_id"] = tool.runId;
  return {
    kind: "operation",
    operation: "execute_tool",
    spanName: `${EXECUTE_TOOL} ${tool.toolName}`,
    startedAtMs: tool.startedAtMs,
    endedAtMs: tool.endedAtMs,
    ok: tool.ok,
    ...(tool.errorType ? { errorType: tool.errorType } : {}),
    attributes,
    ...(tool.placement ? { placement: tool.placement } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// OTLP ids derived from gait ids

/**
 * The OTLP trace id of a run: every span of run `run_id` (its replay by `gait export`, and live
 * decisions whose intent names the run) lands in one trace that anyone can compute from the id.
 */
export function otlpTraceIdForRun(runId: string): string {
  return sha256Hex(`gait.run:${runId}`).slice(0, 32);
}

/** A stable span id for `key` within a run (replays of one artifact give the same ids). */
export function otlpSpanIdFor(runId: string, key: string): string {
  return sha256Hex(`gait.span:${runId}:${key}`).slice(0, 16);
}

/** The root `gait.run` span of run `runId`: the same ids live and in `gait export`. */
export function runRootPlacement(runId: string): Required<Omit<SpanPlacement, "parentSpanId">> {
  return { traceId: otlpTraceIdForRun(runId), spanId: otlpSpanIdFor(runId, "run") };
}

/**
 * A span under run `runId`'s root. With a `key` its id is derived (one span per run and key,
 * e.g. a tool call); without, it is random (an operation that may happen many times, such as a
 * verification).
 */
export function inRunPlacement(runId: string, key?: string): SpanPlacement {
  const root = runRootPlacement(runId);
  return {
    traceId: root.traceId,
    parentSpanId: root.spanId,
    ...(key !== undefined ? { spanId: otlpSpanIdFor(runId, key) } : {}),
  };
}

/** Where a live event's span goes: its run's trace when it names a run (else a trace of its own). */
export function livePlacement(event: ExportEvent): SpanPlacement | undefined {
  const runId =
    event.kind === "decision" ? contextOf(event.decision)?.run_id : event.attributes["gait.run_id"];
  return typeof runId === "string" && runId !== "" ? { traceId: otlpTraceIdForRun(runId) } : undefined;
}
