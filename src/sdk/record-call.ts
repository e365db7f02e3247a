/**
 * Records a guarded tool call into a runpack session (src/sdk/recorder.ts): the intent (its
 * normalized args, so the runpack's args_digest equals the trace's), the result, the error or
 * the refusal, and a `gait.trace` receipt pointing at the signed trace of the decision.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../contract/canonical.ts";
import type { PreparedIntent } from "../gate/index.ts";
import type { GateDecision, ToolRefusal } from "./decision.ts";
import type { RunRecorder } from "./recorder.ts";

/** The part of a RunRecorder that guardTool uses. */
export type CallRecorder = Pick<RunRecorder, "addIntent" | "addResult" | "addReceipt">;

export type CallOutcome = { result: unknown } | { error: unknown } | { refusal: ToolRefusal };

const callCounts = new WeakMap<CallRecorder, number>();

export function recordCall(
  recorder: CallRecorder,
  prepared: PreparedIntent,
  decision: GateDecision,
  outcome: CallOutcome,
): void {
  const count = (callCounts.get(recorder) ?? 0) + 1;
  callCounts.set(recorder, count);
  const intentId = `call_${String(count).padStart(4, "0")}`;
  recorder.addIntent({
    intent_id: intentId,
    tool_name: prepared.intent.tool_name,
    args: prepared.intent.args,
  });
  if ("result" in outcome) {
    recorder.addResult({ intent_id: intentId, status: "ok", result: asJsonObject(outcome.result) });
  } else if ("error" in outcome) {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    recorder.addResult({ intent_id: intentId, status: "error", result: { error: message } });
  } else {
    recorder.addResult({
      intent_id: intentId,
      status: "error",
      result: asJsonObject(outcome.refusal),
    });
  }
  addTraceReceipt(recorder, intentId, decision);
}

/** A `gait.trace` receipt for the intent, pointing at its decision's signed trace (if one was written). */
export function addTraceReceipt(
  recorder: Pick<RunRecorder, "addReceipt">,
  intentId: string,
  decision: GateDecision,
): void {
  if (!decision.traceId) return;
  recorder.addReceipt({
    ref_id: `trace_${intentId}`,
    source_type: "gait.trace",
    source_locator: decision.tracePath ?? `trace_${decision.traceId}`,
    redaction_mode: "reference",
    immutability: "immutable",
  });
}

/** A tool result as a JSON object: objects as they serialize, anything else under `value`. */
function asJsonObject(value: unknown): JsonObject {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { value: String(value) }; // cycles, BigInt
  }
  if (text === undefined) return {};
  const json = JSON.parse(text) as JsonValue;
  return isJsonObject(json) ? json : { value: json };
}
