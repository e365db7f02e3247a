/**
 * The pack module's error codes (build, verify, inspect, diff), each with the category it is
 * raised with, and the factories that accept only these and the contract's codes. Zip damage met
 * while reading a pack keeps its contract `zip_*` code as a verification failure.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const PACK_ERROR_CODES = {
  guard_pack_not_supported: "invalid_input",
  pack_id_mismatch: "verification_failed",
  pack_job_source_invalid: "invalid_input",
  pack_manifest_invalid: "verification_failed",
  pack_manifest_missing: "verification_failed",
  pack_not_zip: "invalid_input",
  pack_output_is_input: "invalid_input",
  pack_payload_invalid: "verification_failed",
  pack_proof_records_invalid: "verification_failed",
  pack_source_invalid: "verification_failed",
  pack_verify_failed: "verification_failed",
  pack_verify_key_required: "invalid_input",
} as const satisfies ErrorCodeTable;

export type PackErrorCode = keyof typeof PACK_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<PackErrorCode>();
