/**
 * Gait's in-process TypeScript API: the gate (createGate, guardTool, approvals, signed traces;
 * docs/sdk.md) and the runpack recorder (startRun; docs/runpack.md).
 */

export type { BrokerConfig, BrokeredCredential, BrokerKind, CredentialBroker } from "../broker/index.ts";
export { GaitError, isGaitError } from "../contract/errors.ts";
export type { KeyMode, KeySource } from "../contract/keys.ts";
export {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  parsePrivateKey,
  parsePublicKey,
  type SigningKey,
  type VerifyKey,
  verifyKeyFor,
} from "../contract/signing.ts";
export { type Clock, fixedClock, systemClock, Timestamp } from "../contract/time.ts";
export {
  createExporters,
  Exporters,
  type ExportOptions,
  type ExportStats,
  type SinkStats,
} from "../export/index.ts";
export {
  type ApprovalAuditRecord,
  type ApprovalOutcome,
  type ApprovalToken,
  type CompiledPolicy,
  compilePolicy,
  evaluate,
  type GateOutcome,
  type LoadedPolicy,
  loadPolicyFile,
  type MintRequest,
  mintApprovalToken,
  type NormalizedIntent,
  type PreparedIntent,
  parsePolicyYaml,
  prepareIntent,
  RateLimitLedger,
  type RateLimitLedgerOptions,
  type TraceRecord,
  type TraceVerification,
  type Verdict,
  verifyTrace,
} from "../gate/index.ts";
export type { ApprovalRequest } from "./approval-request.ts";
export {
  type DecisionError,
  decisionErrorToGaitError,
  decisionToJson,
  EVALUATION_ERROR,
  failedDecision,
  type GateDecision,
  type GateDecisionJson,
  refusedDecision,
  type ToolRefusal,
} from "./decision.ts";
export {
  createGate,
  DEFAULT_TRACE_DIR,
  type EvaluateOptions,
  type Gate,
  type GateOptions,
  type TraceDurability,
} from "./gate.ts";
export {
  type ApprovalLookup,
  type ApprovalTokenSource,
  type GuardOptions,
  guardTool,
  guardToolWithCredential,
  type IntentDescriber,
  isToolRefused,
  ToolRefused,
} from "./guard.ts";
export type {
  ArgProvenanceInput,
  IntentContextInput,
  IntentRequest,
  IntentTargetInput,
} from "./intent-request.ts";
export type { CallRecorder } from "./record-call.ts";
export {
  type FinishedRun,
  type IntentInput,
  type ReceiptInput,
  type ResultInput,
  RunRecorder,
  type RunRecordInput,
  type StartRunOptions,
  startRun,
  type TimelineInput,
} from "./recorder.ts";
export { TraceWorker, type TraceWorkerOptions } from "./trace-worker.ts";
export type { TraceErrorHandler, TraceErrorInfo, TraceSink, TraceWriterStats } from "./trace-writer.ts";
