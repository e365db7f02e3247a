/**
 * The job runtime's error codes, each with the category it is raised with, and the factories that
 * accept only these and the contract's codes. A refused transition changes nothing and is bad
 * input (exit 6); a resume that fails closed blocks the job (exit 3, the job is now `blocked`); a
 * resume waiting for a decision needs an approval first (exit 4); a job whose lock another writer
 * holds is the contract's `state_contention` (exit 1, retryable).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const JOB_ERROR_CODES = {
  job_approval_required: "approval_required",
  job_checkpoint_not_found: "invalid_input",
  job_exists: "invalid_input",
  job_id_invalid: "invalid_input",
  job_input_invalid: "invalid_input",
  job_invalid_transition: "invalid_input",
  job_not_found: "invalid_input",
  job_policy_not_bound: "invalid_input",
  job_resume_blocked: "policy_blocked",
  job_state_invalid: "invalid_input",
  job_terminal: "invalid_input",
} as const satisfies ErrorCodeTable;

export type JobErrorCode = keyof typeof JOB_ERROR_CODES;

export const { gaitError, invalidInput } = errorsFor<JobErrorCode>();
