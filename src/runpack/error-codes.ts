/**
 * The runpack's error codes (record, read, verify, replay, migrate, view), each with the category it is
 * raised with, and the factories that accept only these and the contract's codes. Zip damage met
 * while reading a runpack keeps its contract `zip_*` code as a verification failure.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const RUNPACK_ERROR_CODES = {
  context_envelope_conflict: "invalid_input",
  context_evidence_missing: "verification_failed",
  context_raw_refused: "invalid_input",
  context_set_digest_required: "invalid_input",
  digest_mismatch: "invalid_input",
  digest_required: "invalid_input",
  duplicate_intent_id: "invalid_input",
  invalid_capture_mode: "invalid_input",
  invalid_context_evidence_mode: "invalid_input",
  invalid_result_status: "invalid_input",
  invalid_run_id: "invalid_input",
  migrate_output_is_input: "invalid_input",
  migrate_target_unsupported: "invalid_input",
  payload_mismatch: "invalid_input",
  real_replay_allow_list_empty: "unsafe_operation",
  real_replay_env_name_invalid: "invalid_input",
  real_replay_env_not_set: "unsafe_operation",
  real_replay_reference_capture: "unsafe_operation",
  real_replay_unsafe_flag_missing: "unsafe_operation",
  replay_stub_invalid: "invalid_input",
  run_id_mismatch: "invalid_input",
  runpack_document_invalid: "verification_failed",
  runpack_duplicate_entries: "verification_failed",
  runpack_input_invalid: "invalid_input",
  runpack_manifest_invalid: "verification_failed",
  runpack_manifest_missing: "verification_failed",
  runpack_manifest_not_canonical: "verification_failed",
  runpack_not_found: "invalid_input",
  runpack_redact_path_invalid: "invalid_input",
  runpack_not_zip: "invalid_input",
  runpack_schema_mismatch: "invalid_input",
  runpack_verify_failed: "verification_failed",
  session_chain_broken: "verification_failed",
  session_chain_invalid: "invalid_input",
  session_checkpoint_empty: "invalid_input",
  session_checkpoint_not_found: "invalid_input",
  session_input_invalid: "invalid_input",
  session_journal_broken: "verification_failed",
  session_journal_invalid: "invalid_input",
  session_journal_truncated: "invalid_input",
  session_lock_config_invalid: "invalid_input",
  ticket_footer_invalid: "invalid_input",
  verify_key_required: "invalid_input",
  view_output_is_directory: "invalid_input",
  view_output_is_input: "invalid_input",
  view_output_not_html: "invalid_input",
} as const satisfies ErrorCodeTable;

export type RunpackErrorCode = keyof typeof RUNPACK_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<RunpackErrorCode>();
