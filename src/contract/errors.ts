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
  defaultHintForExit,
  type ErrorCategory,
  type ExitCodeValue,
  exitForCategory,
  isRetryable,
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

/**
 * The JSON error envelope (CONTRACTS.md §9), the one builder for the CLI's `--json` failures and
 * the sidecar's error answers: the error's details, then the fixed members.
 */
export function errorEnvelope(error: GaitError): Record<string, unknown> {
  return {
    ...error.details,
    ok: false,
    error: error.message,
    error_code: error.code,
    error_category: error.category,
    retryable: error.retryable,
    hint: error.hint,
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
