/**
 * The export module's public face: OpenTelemetry (OTLP/HTTP spans and metrics) and JSONL log
 * exporters for gate decisions, tool executions, runpack verification and regress runs, and the
 * replay of an artifact (`gait export`). Export is never required for correctness: it never
 * blocks or changes a decision and never touches an artifact. See docs/export.md.
 */

export { deliveryFailed, destinationMissing, EXPORT_ERROR_CODES } from "./error-codes.ts";
export {
  type Attributes,
  type AttributeValue,
  type DecisionEvent,
  decisionAttributes,
  decisionLogEvent,
  type ExportableDecision,
  type ExportEvent,
  type OperationEvent,
  type OperationName,
  otlpSpanIdFor,
  otlpTraceIdForRun,
  type SpanPlacement,
  type ToolExecution,
  toolExecutionEvent,
} from "./events.ts";
export {
  DEFAULT_MAX_QUEUE,
  deliver,
  Exporters,
  type ExportSink,
  type ExportStats,
  type SinkStats,
} from "./exporters.ts";
export { type OtlpRequest, type OtlpSettings, parseKeyValues, resolveOtlpSettings } from "./otlp-config.ts";
export type { Replay, ReplaySummary } from "./replay.ts";
export { type DecisionLogEvent, DecisionLogEventSchema } from "./schema.ts";
export { createExporters, type ExportOptions } from "./setup.ts";

/**
 * Verifies an artifact and turns it into export events (replay.ts). Loaded on demand: the pack
 * and runpack readers it needs stay out of the SDK's and the gate's start-up.
 */
export async function openReplay(
  ...args: Parameters<typeof import("./replay.ts").openReplay>
): Promise<import("./replay.ts").Replay> {
  return (await import("./replay.ts")).openReplay(...args);
}
