/**
 * `gait export --from <runpack|pack>`: an artifact's run, tool calls, decisions and verification
 * as export events after the fact (for runs recorded offline). The artifact is verified first
 * (openPack: PackSpec packs, runpacks and Guard packs alike) and the verification is always
 * exported; the run's content only when verification passed, since a tampered run must not show
 * up in a dashboard as fact.
 *
 * Every span of a run lands in one trace whose id is computed from the run_id, under a root
 * `gait.run` span; span ids are derived too, so exporting the same artifact twice gives the same
 * ids. replayEvents is pure; openReplay does the reading.
 */
import { isJsonObject, type JsonObject } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { type OpenedPack, openPack, type PackVerification, type PackVerifyOptions } from "../pack/index.ts";
import type { IntentRecord, LoadedRunpack, ResultRecord } from "../runpack/index.ts";
import {
  type DecisionEvent,
  type ExportEvent,
  inRunPlacement,
  type OperationEvent,
  otlpTraceIdForRun,
  type SpanPlacement,
  toolExecutionEvent,
} from "./events.ts";
import { packVerifyEvent, runEvent } from "./operations.ts";

export interface ReplaySummary {
  ok: boolean;
  pack_id: string;
  pack_type: string;
  source_ref: string;
  run_id?: string;
  /** The OTLP trace id the run's spans carry (computed from the run_id). */
  otlp_trace_id?: string;
  signature_status: string;
  tool_calls: number;
  decisions: number;
  events: number;
}

export interface Replay {
  verification: PackVerification;
  events: ExportEvent[];
  summary: ReplaySummary;
}

/** Verifies the artifact and turns it into export events. Throws what openPack throws (exit 2/6). */
export async function openReplay(
  source: string,
  options: PackVerifyOptions,
  now: () => number = Date.now,
): Promise<Replay> {
  const startedAtMs = now();
  const opened = await openPack(source, options);
  return replayEvents(opened, { startedAtMs, endedAtMs: now() });
}

/** The events of an opened artifact; `verifiedAt` is when its verification ran. */
export function replayEvents(
  opened: OpenedPack,
  verifiedAt: { startedAtMs: number; endedAtMs: number },
): Replay {
  const { verification } = opened;
  const runpack = verification.ok ? opened.runpack : undefined;
  const runId = runpack?.runpack.run.run_id;
  const child = (key: string): SpanPlacement | undefined => (runId ? inRunPlacement(runId, key) : undefined);

  const events: ExportEvent[] = [];
  if (runpack && runId) events.push(runEvent(runpack));
  events.push(packVerifyEvent(verification, verifiedAt, runId, child("verify")));
  let toolCalls = 0;
  let decisions = 0;
  if (runpack && runId) {
    for (const call of calls(runpack)) {
      toolCalls++;
      events.push(toolEvent(call, runId, child(`tool:${call.intent.intent_id}`)));
      const decision = decisionFrom(call, runId, child(`decision:${call.intent.intent_id}`));
      if (decision) {
        decisions++;
        events.push(decision);
      }
    }
  }
  const summary: ReplaySummary = {
    ok: verification.ok,
    pack_id: verification.pack_id,
    pack_type: verification.pack_type,
    source_ref: verification.source_ref,
    ...(runId ? { run_id: runId, otlp_trace_id: otlpTraceIdForRun(runId) } : {}),
    signature_status: verification.signature_status,
    tool_calls: toolCalls,
    decisions,
    events: events.length,
  };
  return { verification, events, summary };
}

interface RecordedCall {
  intent: IntentRecord;
  result: ResultRecord | undefined;
  /** The signed trace's id, from the call's `gait.trace` receipt (guardTool records one). */
  traceId: string | undefined;
}

/** Each intent with its result and trace receipt, in the runpack's order. */
function calls(loaded: LoadedRunpack): RecordedCall[] {
  const { intents, results, refs } = loaded.runpack;
  const resultById = new Map(results.map((result) => [result.intent_id, result]));
  const traceByRef = new Map(
    refs.receipts
      .filter((receipt) => receipt.source_type === "gait.trace")
      .map((receipt) => [receipt.ref_id, traceIdFromLocator(receipt.source_locator)]),
  );
  return intents.map((intent) => ({
    intent,
    result: resultById.get(intent.intent_id),
    traceId: traceByRef.get(`trace_${intent.intent_id}`),
  }));
}

/** `…/trace_<24 hex>[.<n>].json` or `trace_<24 hex>` (the SDK's locators; `.n` when the name was taken). */
function traceIdFromLocator(locator: string): string | undefined {
  return /trace_([0-9a-f]{24})(?:\.\d+)?(?:\.json)?$/.exec(locator)?.[1];
}

function ms(timestamp: string): number {
  return Timestamp.parse(timestamp).epochMs();
}

function toolEvent(call: RecordedCall, runId: string, placement: SpanPlacement | undefined): OperationEvent {
  const startedAtMs = ms(call.intent.created_at);
  const ok = call.result?.status === "ok";
  return toolExecutionEvent({
    toolName: call.intent.tool_name,
    startedAtMs,
    endedAtMs: call.result ? Math.max(startedAtMs, ms(call.result.created_at)) : startedAtMs,
    ok,
    ...(ok ? {} : { errorType: call.result ? "tool_error" : "missing_result" }),
    callId: call.intent.intent_id,
    runId,
    ...(call.traceId ? { traceId: call.traceId } : {}),
    ...(placement ? { placement } : {}),
  });
}

/**
 * The gate's decision on a call, when the runpack holds it: a refused call's raw result is the
 * refusal (the decision's JSON, see ToolRefused). Reference-mode runpacks keep only digests.
 */
function decisionFrom(
  call: RecordedCall,
  runId: string,
  placement: SpanPlacement | undefined,
): DecisionEvent | undefined {
  const refusal = call.result?.result;
  if (!isJsonObject(refusal) || typeof refusal.verdict !== "string") return undefined;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const reasonCodes = Array.isArray(refusal.reason_codes)
    ? refusal.reason_codes.filter((c) => typeof c === "string")
    : [];
  const endedAtMs = ms(call.intent.created_at);
  return {
    kind: "decision",
    decision: {
      verdict: refusal.verdict,
      reasonCodes: reasonCodes as string[],
      toolName: text(refusal.tool_name) || call.intent.tool_name,
      intentDigest: text(refusal.intent_digest),
      policyDigest: text(refusal.policy_digest),
      traceId: text(refusal.trace_id) || (call.traceId ?? ""),
      matchedRule: text(refusal.matched_rule),
      ...(isJsonObject(refusal.evaluation_error)
        ? { error: { code: text((refusal.evaluation_error as JsonObject).code) } }
        : {}),
      outcome: { prepared: { intent: { context: { run_id: runId, request_id: call.intent.intent_id } } } },
    },
    // The refusal does not carry the decision's latency.
    latencyMs: 0,
    endedAtMs,
    ...(placement ? { placement } : {}),
  };
}
