/**
 * The registry's error codes, each with the category it is raised with, and the factories that
 * accept only these and the contract's codes. Every check a signed pack fails is a
 * verification failure (exit 2); network trouble is retryable or not (exit 1); bad flags and
 * malformed pack sources are invalid input (exit 6). The `registry_pack_*` codes of the strict
 * YAML reader (gait-pack.yaml) are listed here too (checked below).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";
import type { StrictYamlErrorCode } from "../contract/yaml-strict.ts";

export const REGISTRY_ERROR_CODES = {
  registry_artifact_digest_mismatch: "verification_failed",
  registry_artifact_missing: ["invalid_input", "verification_failed"],
  registry_artifact_path_invalid: ["invalid_input", "verification_failed"],
  registry_download_too_large: "verification_failed",
  registry_fetch_failed: ["network_transient", "network_permanent"],
  registry_frozen_drift: "verification_failed",
  registry_host_not_allowed: "verification_failed",
  registry_index_invalid: "verification_failed",
  registry_index_signature_invalid: "verification_failed",
  registry_index_unsigned: "verification_failed",
  registry_insecure_source: "invalid_input",
  registry_key_required: "invalid_input",
  registry_lockfile_invalid: "invalid_input",
  registry_manifest_digest_mismatch: "verification_failed",
  registry_manifest_invalid: "verification_failed",
  registry_not_in_cache: "invalid_input",
  registry_not_installed: "invalid_input",
  registry_pack_empty: "invalid_input",
  registry_pack_invalid: "invalid_input",
  registry_pack_not_found: "invalid_input",
  registry_pack_too_large: "invalid_input",
  registry_pack_unknown_field: "invalid_input",
  registry_pack_yaml_invalid: "invalid_input",
  registry_pin_invalid: "invalid_input",
  registry_pin_mismatch: "verification_failed",
  registry_policy_ref_invalid: "invalid_input",
  registry_publisher_not_allowed: "verification_failed",
  registry_redirect_not_allowed: "verification_failed",
  registry_signature_invalid: "verification_failed",
  registry_source_invalid: "invalid_input",
  registry_unsigned: "verification_failed",
  registry_version_exists: "invalid_input",
  registry_version_rollback: "verification_failed",
} as const satisfies ErrorCodeTable;

export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_CODES;

/** Fails to compile if the YAML reader can raise a registry_pack code not listed above. */
export type RegistryYamlErrorCode = Listed<StrictYamlErrorCode<"registry_pack">>;
type Listed<Code extends RegistryErrorCode> = Code;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<RegistryErrorCode>();
