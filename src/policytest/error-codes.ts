/**
 * Policy test's error codes, each with the category it is raised with, and the factories that
 * accept only these and the contract's codes. A fixture that fails to evaluate keeps the gate's
 * code (`intent_invalid`, ...).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const POLICY_TEST_ERROR_CODES = {
  fixture_invalid: "invalid_input",
  fixtures_empty: "invalid_input",
} as const satisfies ErrorCodeTable;

export type PolicyTestErrorCode = keyof typeof POLICY_TEST_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<PolicyTestErrorCode>();
