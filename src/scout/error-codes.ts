/**
 * The scout module's error codes, each with the category it is raised with, and the factories
 * that accept only these and the contract's codes. A file that does not parse is never an error:
 * it is a finding (`ScoutFinding`), reported beside the snapshot.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const SCOUT_ERROR_CODES = {
  scout_parser_unavailable: "dependency_missing",
  scout_policy_invalid: "invalid_input",
  scout_root_unreadable: "invalid_input",
  scout_snapshot_invalid: "invalid_input",
} as const satisfies ErrorCodeTable;

export type ScoutErrorCode = keyof typeof SCOUT_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<ScoutErrorCode>();
