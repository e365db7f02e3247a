/**
 * One error taxonomy for every command (CONTRACTS.md §9). A GaitError carries a machine code,
 * a category (which decides the exit code) and a hint; the output writer turns it into the
 * JSON error envelope. Anything that is not a GaitError is an internal bug (exit 1).
 *
 * Codes are checked at compile time: each module lists its codes (src/<module>/error-codes.ts)
 * and raises errors only through the factories `errorsFor` makes for that list, which accept
 * that module's codes and the contract's. The factories exported here accept the contract's.
 */

import type { ContractErrorCode } from "./error-codes.ts";
import {
  categoryForExit,
  defaultHintForExit,
  type ErrorCategory,
  type ExitCodeValue,
  errorCodeForExit,
  errorCodeIsFixedForExit,
  exitForCategory,
  isRetryable,
  reportedCategory,
} from "./exit.ts";

export type { ErrorCategory } from "./exit.ts";

export interface GaitErrorOptions {
  hint?: string;
  /** Extra machine-readable fields merged into the JSON envelope (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * `Code` is the union of codes the raising module may use; `GaitError` alone (any string) is the
 * type of an error caught from anywhere. Build one with a module's factories; `new GaitError`
 * is for passing on the code of an error that already exists (re-categorized or decoded).
 */
export class GaitError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly category: ErrorCategory;
  readonly hint: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(category: ErrorCategory, code: Code, message: string, options: GaitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GaitError";
    this.category = category;
    this.code = code;
    this.hint = options.hint ?? defaultHintForExit(exitForCategory(category));
    this.details = options.details;
  }

  get exitCode(): ExitCodeValue {
    return exitForCategory(this.category);
  }

  get retryable(): boolean {
    return isRetryable(this.category);
  }
}

/** A module's error factories; `Code` is what they accept: the module's codes and the contract's. */
export interface ErrorFactories<Code extends string> {
  gaitError: (
    category: ErrorCategory,
    code: Code,
    message: string,
    options?: GaitErrorOptions,
  ) => GaitError<Code>;
  /** Shorthands for the categories raised most often. */
  invalidInput: (code: Code, message: string, options?: GaitErrorOptions) => GaitError<Code>;
  verificationFailed: (code: Code, message: string, options?: GaitErrorOptions) => GaitError<Code>;
  ioFailure: (code: Code, message: string, options?: GaitErrorOptions) => GaitError<Code>;
  internalFailure: (code: Code, message: string, options?: GaitErrorOptions) => GaitError<Code>;
}

/**
 * The factories a module raises its errors with, accepting only its own codes and the
 * contract's: `export const { invalidInput, ... } = errorsFor<GateErrorCode>()` in
 * src/gate/error-codes.ts, so a call site reads `invalidInput("intent_invalid", message)`.
 */
export function errorsFor<Code extends string>(): ErrorFactories<Code | ContractErrorCode> {
  return {
    gaitError: (category, code, message, options) => new GaitError(category, code, message, options),
    invalidInput: (code, message, options) => new GaitError("invalid_input", code, message, options),
    verificationFailed: (code, message, options) =>
      new GaitError("verification_failed", code, message, options),
    ioFailure: (code, message, options) => new GaitError("io_failure", code, message, options),
    internalFailure: (code, message, options) => new GaitError("internal_failure", code, message, options),
  };
}

/** The contract's own factories: contract codes only. */
export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } = errorsFor<never>();

/** Anything thrown, as a GaitError: a non-GaitError is a bug in gait (internal_failure, exit 1). */
export function asGaitError(error: unknown): GaitError {
  if (isGaitError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return internalFailure("internal_failure", `internal error: ${message}`, {
    hint: "this is a bug in gait; re-run with GAIT_DEBUG=1 and report the stack trace",
    cause: error,
  });
}

/** The fixed members of the JSON error envelope (CONTRACTS.md §9). */
export interface EnvelopeFields {
  error_code: string;
  /** The failure's own code, when it says more than `error_code`/`error_category` do. */
  detail_code?: string;
  error_category: ErrorCategory;
  retryable: boolean;
  hint: string;
}

/**
 * The envelope's codes, category, retryable and hint for a failure with exit code `exitCode`, the
 * one place these rules live (a thrown GaitError and an outcome that reports an `error` both come
 * here):
 * - `error_code`: exits 6, 5 and 8 always carry the reference's code for the exit (`invalid_input`,
 *   `regress_failed`, `unsafe_operation`); other exits carry the failure's own code, or the exit's
 *   code when it has none.
 * - `detail_code`: the failure's own code whenever it differs from both the exit's code and the
 *   category, so consumers read the fine code (`intent_invalid`, `usage`, ...) in one place.
 * - `error_category`: the failure's category as the reference names it (`regress_failed` and
 *   `unsafe_operation` are reported as `internal_failure`), or the exit's category.
 * - `retryable`: only `network_transient` and `state_contention`.
 * - `hint`: the failure's own, else the reference's fixed hint for the exit.
 */
export function envelopeFields(
  exitCode: number,
  failure: {
    code?: string | undefined;
    category?: ErrorCategory | undefined;
    hint?: string | undefined;
  } = {},
): EnvelopeFields {
  const category =
    failure.category === undefined ? categoryForExit(exitCode) : reportedCategory(failure.category);
  const exitCodeName = errorCodeForExit(exitCode);
  const code = failure.code === undefined || errorCodeIsFixedForExit(exitCode) ? exitCodeName : failure.code;
  const fields: EnvelopeFields = {
    error_code: code,
    error_category: category,
    retryable: isRetryable(category),
    hint: failure.hint ?? defaultHintForExit(exitCode),
  };
  const fine = failure.code;
  if (fine !== undefined && fine !== "" && fine !== exitCodeName && fine !== category)
    fields.detail_code = fine;
  return fields;
}

/**
 * The JSON error envelope (CONTRACTS.md §9), the one builder for the CLI's `--json` failures and
 * the sidecar's error answers: the error's details, then the fixed members (envelopeFields).
 */
export function errorEnvelope(error: GaitError): Record<string, unknown> {
  return {
    ...error.details,
    ok: false,
    error: error.message,
    ...envelopeFields(error.exitCode, { code: error.code, category: error.category, hint: error.hint }),
  };
}

/** Anything thrown, as an Error (non-Error throwables become their string form). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function isGaitError(value: unknown): value is GaitError {
  return value instanceof GaitError;
}

/** Turns a Node system error (ENOENT, EACCES, ...) met while touching `path` into a coded error. */
export function fromFsError(error: unknown, action: string, path: string): GaitError {
  if (isGaitError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") {
    return invalidInput("file_not_found", `${action}: ${path} does not exist`, {
      hint: "check the path and try again",
      cause: error,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return ioFailure("permission_denied", `${action}: permission denied for ${path}`, {
      hint: "check file permissions",
      cause: error,
    });
  }
  if (code === "EISDIR") {
    return invalidInput("path_is_directory", `${action}: ${path} is a directory`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ioFailure("io_error", `${action}: ${path}: ${message}`, { cause: error });
}
