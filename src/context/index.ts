/** Context evidence: envelopes of reference records and the digest that binds them (docs/context.md). */
export {
  buildContextEnvelope,
  CONTEXT_ENVELOPE_SCHEMA_ID,
  CONTEXT_EVIDENCE_MODES,
  type ContextEnvelope,
  type ContextEvidence,
  type ContextEvidenceMode,
  type ContextReferenceRecord,
  contextEvidenceFor,
  contextSetDigest,
  parseContextEnvelope,
} from "./envelope.ts";
export { CONTEXT_ERROR_CODES, type ContextErrorCode } from "./error-codes.ts";
