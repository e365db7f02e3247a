/**
 * Regress's error codes (config, fixtures, graders), each with the category it is raised with,
 * and the factories that accept only these and the contract's codes.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const REGRESS_ERROR_CODES = {
  fixture_exists: "invalid_input",
  fixture_name_invalid: "invalid_input",
  grader_name_conflict: "invalid_input",
  grader_name_invalid: "invalid_input",
  grader_pinning_missing: "invalid_input",
  nondeterministic_grader_refused: "invalid_input",
  regress_config_invalid: "invalid_input",
  regress_config_missing: "invalid_input",
  regress_fixture_invalid: "invalid_input",
  regress_fixture_missing: "invalid_input",
  regress_no_fixtures: "invalid_input",
} as const satisfies ErrorCodeTable;

export type RegressErrorCode = keyof typeof REGRESS_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<RegressErrorCode>();
