/**
 * The error codes of the contract layer, and the codes every module shares (`usage`, the file
 * system codes of `fromFsError`): a code raised by several modules belongs to the lowest one.
 * Each module lists its own codes the same way (src/<module>/error-codes.ts) with the category
 * each is raised with; src/error-codes.ts gathers them and docs/cli.md lists them.
 */
import type { ErrorCategory } from "./exit.ts";

/** A module's codes, each with the category (or categories, when sites differ) it is raised with. */
export type ErrorCodeTable = Readonly<Record<string, ErrorCategory | readonly ErrorCategory[]>>;

export const CONTRACT_ERROR_CODES = {
  extract_target_exists: "unsafe_operation",
  extract_unsafe_target: "unsafe_operation",
  file_exists: "invalid_input",
  file_not_found: "invalid_input",
  internal_failure: "internal_failure",
  invalid_digest: ["internal_failure", "invalid_input"],
  invalid_duration: "invalid_input",
  invalid_json: "invalid_input",
  invalid_key_prefix: "invalid_input",
  invalid_private_key: "invalid_input",
  invalid_public_key: "invalid_input",
  invalid_timestamp: ["invalid_input", "verification_failed"],
  io_error: "io_failure",
  key_env_unset: "invalid_input",
  key_file_exists: "invalid_input",
  key_mode_invalid: "invalid_input",
  key_pair_mismatch: "verification_failed",
  key_source_conflict: "invalid_input",
  key_source_missing: "invalid_input",
  key_source_not_allowed: "invalid_input",
  non_finite_number: "invalid_input",
  path_is_directory: "invalid_input",
  permission_denied: "io_failure",
  schema_compile_failed: "internal_failure",
  schema_dialect_unsupported: "internal_failure",
  schema_duplicate: "internal_failure",
  schema_invalid: "invalid_input",
  schema_not_registered: "internal_failure",
  schema_unnamed: "internal_failure",
  state_contention: "state_contention",
  state_file_closed: "invalid_input",
  unsupported_json_value: "invalid_input",
  usage: "invalid_input",
  zip_absolute_path: "verification_failed",
  zip_bomb_suspected: "verification_failed",
  zip_corrupt: "verification_failed",
  zip_duplicate_entry: ["invalid_input", "verification_failed"],
  zip_entry_not_found: ["invalid_input", "verification_failed"],
  zip_entry_too_large: "verification_failed",
  zip_header_mismatch: "verification_failed",
  zip_invalid: "invalid_input",
  zip_invalid_entry_name: "verification_failed",
  zip_invalid_entry_path: "invalid_input",
  zip_overlapping_entries: "verification_failed",
  zip_path_traversal: "verification_failed",
  zip_special_entry: "verification_failed",
  zip_stray_bytes: "verification_failed",
  zip_symlink_entry: "verification_failed",
  zip_too_large: ["invalid_input", "verification_failed"],
  zip_unicode_path_mismatch: "verification_failed",
  zip_unsupported_archive: "verification_failed",
  zip_unsupported_entry: "verification_failed",
} as const satisfies ErrorCodeTable;

export type ContractErrorCode = keyof typeof CONTRACT_ERROR_CODES;
