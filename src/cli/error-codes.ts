/**
 * The CLI's own error codes, each with the category it is raised with, and the factories that
 * accept only these and the contract's codes (`usage`, shared with the SDK and the core, is the
 * contract's). A command that fails without an error of its own (a verification that does not
 * hold, a failing regress) reports its category as its code.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const CLI_ERROR_CODES = {
  approval_token_ref_mismatch: "invalid_input",
  approval_token_ref_not_found: "invalid_input",
  demo_policy_not_blocked: "verification_failed",
  input_too_large: "invalid_input",
  policy_exists: "invalid_input",
  policy_test_failed: "verification_failed",
} as const satisfies ErrorCodeTable;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<CliErrorCode>();
