/**
 * Onboarding's error codes (init, check, doctor), each with the category it is raised with, and
 * the factories that accept only these and the contract's codes.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const ONBOARDING_ERROR_CODES = {
  init_target_exists: "invalid_input",
  project_not_initialized: "invalid_input",
} as const satisfies ErrorCodeTable;

export type OnboardingErrorCode = keyof typeof ONBOARDING_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<OnboardingErrorCode>();
