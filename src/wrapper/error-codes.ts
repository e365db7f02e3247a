/**
 * The wrapper's error codes: none of its own yet. A failed wrapped run is an outcome with a
 * `failure_reason` (child_start_failed, missing_trace_reference, ...), not an error; what it
 * raises comes from the contract and the gate. The list and the factories are here so that a
 * wrapper error gets its code the way every other module's does.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const WRAPPER_ERROR_CODES = {} as const satisfies ErrorCodeTable;

export type WrapperErrorCode = keyof typeof WRAPPER_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<WrapperErrorCode>();
