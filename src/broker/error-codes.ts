/**
 * The credential broker's error codes. An issuance failure never reaches the user as an error: the
 * gate blocks with `broker_credential_missing` and the decision carries the code (credential_error).
 * Bad broker configuration (flags, config keys, SDK options) is invalid input (exit 6).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const BROKER_ERROR_CODES = {
  broker_config_invalid: "invalid_input",
  broker_command_not_allowed: "invalid_input",
  broker_command_failed: "io_failure",
  broker_command_timeout: "io_failure",
  broker_command_output_too_large: "io_failure",
  broker_response_invalid: "verification_failed",
  broker_receipt_invalid: "verification_failed",
  broker_receipt_unknown: "verification_failed",
  broker_env_credential_missing: "io_failure",
  broker_timeout: "io_failure",
  oauth2_unavailable: "io_failure",
  oauth2_grant_refused: "io_failure",
  oauth2_audience_mismatch: "verification_failed",
  oauth2_expiry_unknown: "verification_failed",
  oauth2_secret_missing: "invalid_input",
} as const satisfies ErrorCodeTable;

export type BrokerErrorCode = keyof typeof BROKER_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<BrokerErrorCode>();
