/** The runpack module's public face: record, read, verify, replay, diff, inspect, view, receipt, demo, migrate, sessions. */
export { loadRunpackEntries, runpackZip } from "./archive.ts";
export { type DemoOutcome, runDemo } from "./demo.ts";
export {
  type ChangeKind,
  type ContextDrift,
  type DiffChange,
  type DiffOutcome,
  type DiffRequest,
  type DiffSummary,
  diffRunpackRefs,
  diffRunpacks,
  PRIVACY_MODES,
  type Privacy,
  type RunpackDiff,
} from "./diff.ts";
export {
  DEFAULT_EXECUTION_LIMITS,
  type ExecutionContext,
  type ExecutionResult,
  ExecutorRegistry,
  fileWriteExecutor,
  type RealExecutor,
  shellExecutor,
} from "./executors/index.ts";
export { html, htmlPage, type PageOptions, SafeHtml } from "./html.ts";
export { type InspectEntry, inspectRunpack, inspectRunpackRef, type RunpackInspection } from "./inspect.ts";
export { buildManifest, manifestDigest, signableManifest } from "./manifest.ts";
export {
  MIGRATE_TARGETS,
  type MigrateOutcome,
  type MigrateRequest,
  migrateRunpack,
} from "./migrate.ts";
export { type ResolveContext, resolveRunpackPath, runpackFileName } from "./paths.ts";
export { type LoadedRunpack, parseRunpackEntries, type ReadOptions, readRunpack } from "./read.ts";
export { type RunReceipt, runReceipt } from "./receipt.ts";
export {
  assertRunId,
  type BuildOptions,
  type BuiltRunpack,
  buildRunpack,
  RAW_CAPTURE_WARNING,
  REFERENCE_STRIP_WARNING,
  type RecordedRunpack,
  type RecordRunpackOptions,
  type RunEnvironment,
  recordRunpack,
} from "./record.ts";
export {
  classifyStub,
  REAL_REPLAY_ENV,
  type RealReplayRequest,
  type ReplayReport,
  type ReplayRequest,
  type ReplayStep,
  replayReal,
  replayRunpack,
  replayStub,
  type StubType,
} from "./replay.ts";
export {
  loadStubSelection,
  parseStubFile,
  parseStubFlags,
  STUB_TYPES,
  type StubChoice,
  type StubSelection,
} from "./replay-stubs.ts";
export {
  type AppendOutcome,
  appendSessionEvent,
  type CheckpointOutcome,
  type CheckpointRequest,
  type Compaction,
  type CompactOutcome,
  checkpointSession,
  compactSession,
  readSessionStatus,
  type SessionContext,
  type SessionOutcome,
  sessionPaths,
  startSession,
} from "./session.ts";
export {
  type CheckpointCheck,
  checkpointRunpackPath,
  readSessionChain,
  type SessionChainVerification,
  type SessionCheckpointSource,
  sessionCheckpointSource,
  verifySessionChain,
} from "./session-chain.ts";
export {
  checkpointDigest,
  checkpointRunId,
  parseSessionJournal,
  type SessionEventInput,
} from "./session-journal.ts";
export * from "./session-types.ts";
export * from "./types.ts";
export {
  type HashMismatch,
  type RunpackVerification,
  type SignatureStatus,
  type VerifyOptions,
  verifyRunpack,
  verifyRunpackEntries,
} from "./verify.ts";
export {
  assertPageTarget,
  buildRunView,
  defaultViewPath,
  type RunView,
  renderRunView,
  type ViewOutcome,
  type ViewRequest,
  type ViewStep,
  type ViewVerification,
  viewRunpack,
} from "./view.ts";
