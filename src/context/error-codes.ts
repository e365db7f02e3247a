/**
 * The context module's error codes (context evidence envelopes), each with the category it is
 * raised with, and the factories that accept only these and the contract's codes.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const CONTEXT_ERROR_CODES = {
  context_envelope_invalid: "invalid_input",
  context_set_digest_mismatch: "invalid_input",
} as const satisfies ErrorCodeTable;

export type ContextErrorCode = keyof typeof CONTEXT_ERROR_CODES;

export const { gaitError, invalidInput } = errorsFor<ContextErrorCode>();
