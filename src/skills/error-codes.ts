/**
 * The skills module's error codes (listing, validating and installing the shipped Agent Skills),
 * each with the category it is raised with, and the factories that accept only these and the
 * contract's codes.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const SKILLS_ERROR_CODES = {
  skills_dir_missing: "invalid_input",
  skills_not_found: "invalid_input",
  skills_invalid: "verification_failed",
  skills_shipped_missing: "dependency_missing",
  skill_modified: "invalid_input",
} as const satisfies ErrorCodeTable;

export type SkillsErrorCode = keyof typeof SKILLS_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<SkillsErrorCode>();
