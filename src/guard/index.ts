/** The guard module's public face: Guard evidence packs, built and verified (CONTRACTS.md §7.2). */
export {
  type AssembledEvidencePack,
  assembleEvidencePack,
  type BuiltEvidencePack,
  buildEvidencePack,
  type EvidenceDocuments,
  type EvidencePackRequest,
  type EvidenceSources,
} from "./build.ts";
export { GUARD_ERROR_CODES, type GuardErrorCode } from "./error-codes.ts";
export { readInputFile, type TraceKeys } from "./inputs.ts";
export {
  buildGuardManifest,
  evidencePointersFor,
  guardContents,
  guardPackIdOf,
  parseGuardManifest,
  signableGuardManifest,
} from "./manifest.ts";
export {
  type ApprovalAuditInput,
  type DocumentHead,
  type InventoryInput,
  inventoryCoverage,
  type RegressInput,
  type RunpackInput,
  summarizeRegress,
  summarizeRunpack,
  summarizeTraces,
  type TraceInput,
  toolKey,
  traceReasonCodes,
} from "./summaries.ts";
export * from "./types.ts";
export { type GuardVerification, type GuardVerifyOptions, verifyEvidencePack } from "./verify.ts";
