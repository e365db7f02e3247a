/**
 * The guard module's error codes (evidence pack build and verify), each with the category it is
 * raised with, and the factories that accept only these and the contract's codes. Zip damage met
 * while reading a pack keeps the pack module's handling (`pack_not_zip`, contract `zip_*` codes).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";
import type { StrictYamlErrorCode } from "../contract/yaml-strict.ts";

export const GUARD_ERROR_CODES = {
  audit_template_empty: "invalid_input",
  audit_template_invalid: "invalid_input",
  audit_template_too_large: "invalid_input",
  audit_template_unknown_field: "invalid_input",
  audit_template_yaml_invalid: "invalid_input",
  guard_template_unknown: "invalid_input",
  guard_render_unknown: "invalid_input",
  guard_render_failed: "internal_failure",
  guard_credential_evidence_invalid: "invalid_input",
  guard_delegation_audit_invalid: "invalid_input",
  guard_timeline_missing: "invalid_input",
  incident_window_invalid: "invalid_input",
  incident_signing_key_required: "invalid_input",
  guard_approval_audit_invalid: "invalid_input",
  guard_input_too_large: "invalid_input",
  guard_inventory_invalid: "invalid_input",
  guard_manifest_invalid: "verification_failed",
  guard_manifest_missing: "verification_failed",
  guard_output_is_input: "invalid_input",
  guard_regress_invalid: "invalid_input",
  guard_trace_invalid: "invalid_input",
  guard_trace_signature_failed: "verification_failed",
  guard_verify_failed: "verification_failed",
  guard_verify_key_required: "invalid_input",
  guard_not_encrypted: "invalid_input",
  retention_ttl_invalid: "invalid_input",
  retention_root_invalid: "invalid_input",
} as const satisfies ErrorCodeTable;

export type GuardErrorCode = keyof typeof GUARD_ERROR_CODES;

/** Fails to compile if the YAML reader can raise an audit template code not listed above. */
export type AuditTemplateYamlErrorCode = Listed<StrictYamlErrorCode<"audit_template">>;
type Listed<Code extends GuardErrorCode> = Code;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<GuardErrorCode>();
