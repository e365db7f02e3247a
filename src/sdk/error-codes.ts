/**
 * The SDK's error codes (Gate, guards, recorder, trace writing), each with the category it is
 * raised with, and the factories that accept only these and the contract's codes. A decision that
 * fails closed carries the code of the error that caused it (`internal_failure` if it had none).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const SDK_ERROR_CODES = {
  approval_ledger_requires_async: "invalid_input",
  broker_requires_async: "invalid_input",
  gate_closed: "invalid_input",
  rate_limit_state_requires_async: "invalid_input",
  recorder_finished: "invalid_input",
  trace_durability_requires_async: "invalid_input",
  trace_worker_closed: "invalid_input",
  trace_worker_failed: "internal_failure",
  trace_worker_key_mismatch: "invalid_input",
  trace_write_failed: "io_failure",
} as const satisfies ErrorCodeTable;

export type SdkErrorCode = keyof typeof SDK_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<SdkErrorCode>();
