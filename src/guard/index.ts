/**
 * The guard module's public face: Guard evidence packs, built and verified (CONTRACTS.md §7.2),
 * audit templates and their control index, renderings (HTML, PDF), and incident packs.
 */
export {
  type AssembledEvidencePack,
  assembleEvidencePack,
  type BuiltEvidencePack,
  buildEvidencePack,
  draftEvidencePack,
  type EvidenceDocuments,
  type EvidenceDraft,
  type EvidencePackRequest,
  type EvidenceSources,
  RENDER_FORMATS,
  type RenderedFile,
  type RenderFormat,
  sealEvidencePack,
} from "./build.ts";
export {
  type CryptFileOutcome,
  DECRYPT_FORMATS,
  type DecryptFormat,
  decryptArtifactFile,
  encryptArtifactFile,
} from "./encrypt.ts";
export { GUARD_ERROR_CODES, type GuardErrorCode } from "./error-codes.ts";
export { incidentTimeline, incidentWindow, inWindow, policyDigestsOf, selectInWindow } from "./incident.ts";
export {
  type BuiltIncidentPack,
  buildIncidentPack,
  DEFAULT_INCIDENT_TEMPLATE,
  DEFAULT_INCIDENT_WINDOW,
  type IncidentCounts,
  type IncidentPackRequest,
  readIncidentTimeline,
} from "./incident-pack.ts";
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
  DEFAULT_PACK_TTL,
  DEFAULT_TRACE_TTL,
  planRetention,
  RETENTION_PROFILE_TTLS,
  type RetentionOutcome,
  type RetentionProfileName,
  retentionKindOf,
  retentionReportText,
  runRetention,
  scanRetentionRoot,
  signRetentionReport,
  writeRetentionReport,
} from "./retention.ts";
export {
  RETENTION_REPORT_SCHEMA_ID,
  RETENTION_SIGNATURE_SCHEMA_ID,
  type RetentionEvent,
  type RetentionReport,
  type RetentionSignature,
  retentionSchemas,
} from "./retention-types.ts";
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
export {
  AUDIT_TEMPLATE_IDS,
  type EvidenceByKind,
  loadAuditTemplate,
  parseAuditTemplate,
  templateControls,
} from "./templates.ts";
export * from "./types.ts";
export { type GuardVerification, type GuardVerifyOptions, verifyEvidencePack } from "./verify.ts";
