/** The reducer's error codes (`gait run reduce`), each with the category it is raised with. */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const REDUCE_ERROR_CODES = {
  reduce_max_evaluations_invalid: "invalid_input",
  reduce_policy_required: "invalid_input",
  reduce_predicate_invalid: "invalid_input",
  reduce_predicate_lost: "verification_failed",
  reduce_predicate_not_failing: "invalid_input",
  reduce_regress_fixture_unknown: "invalid_input",
} as const satisfies ErrorCodeTable;

export type ReduceErrorCode = keyof typeof REDUCE_ERROR_CODES;

export const { invalidInput, verificationFailed } = errorsFor<ReduceErrorCode>();
