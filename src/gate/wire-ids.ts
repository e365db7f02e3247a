/**
 * The gate artifacts' schema ids, apart from their TypeBox definitions (wire.ts) so the decision
 * path can name them without loading the schemas at run time.
 */
export const TRACE_SCHEMA_ID = "gait.gate.trace";
export const GATE_RESULT_SCHEMA_ID = "gait.gate.result";
export const APPROVAL_TOKEN_SCHEMA_ID = "gait.gate.approval_token";
export const APPROVAL_AUDIT_SCHEMA_ID = "gait.gate.approval_audit_record";
export const POLICY_EXPLAIN_SCHEMA_ID = "gait.gate.policy_explain";
export const DELEGATION_TOKEN_SCHEMA_ID = "gait.gate.delegation_token";
export const DELEGATION_AUDIT_SCHEMA_ID = "gait.gate.delegation_audit_record";
export const APPROVED_SCRIPT_ENTRY_SCHEMA_ID = "gait.gate.approved_script_entry";
export const APPROVED_SCRIPT_REGISTRY_SCHEMA_ID = "gait.gate.approved_script_registry";
/** Every gate artifact is at version 1.0.0. */
export const GATE_SCHEMA_VERSION = "1.0.0";
