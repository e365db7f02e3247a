/** The scout module's public face: inventory snapshots, coverage against policies, drift. */
export { coverageReport } from "./coverage.ts";
export { diffSnapshots } from "./diff.ts";
export { SCOUT_ERROR_CODES, type ScoutErrorCode } from "./error-codes.ts";
export type { ProviderResult, RiskLevel, ScoutFinding, ScoutItem, ScoutItemKind } from "./item.ts";
export { itemId } from "./item-id.ts";
export { loadPolicies, readSnapshotFile } from "./read.ts";
export {
  assessServerRisk,
  assessToolRisk,
  declaredTargets,
  nameTokens,
  type Risk,
  riskReasonTags,
  TARGET_TOKENS,
  type TargetKind,
} from "./risk.ts";
export { runScoutSnapshot, type ScoutRunRequest, type ScoutRunResult, scoutJson } from "./run.ts";
export {
  assembleSnapshot,
  definitionDigest,
  SNAPSHOT_CREATED_AT,
  type SnapshotRequest,
  type SnapshotResult,
  snapshotId,
  takeSnapshot,
} from "./snapshot.ts";
export * from "./types.ts";
