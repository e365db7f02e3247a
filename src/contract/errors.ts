/**
 * One error taxonomy for every command (CONTRACTS.md §9). A GaitError carries a machine code,
 * a category (which decides the exit code) and a hint; the output writer turns it into the
 * JSON error envelope. Anything that is not a GaitError is an internal bug (exit 1).
 */

export type ErrorCategory =
  | "invalid_input"
  | "verification_failed"
  | "policy_blocked"
  | "approval_required"
  | "dependency_missing"
  | "unsafe_operation"
  | "regress_failed"
  | "io_failure"
  | "state_contention"
  | "network_transient"
  | "network_permanent"
  | "internal_failure";

export const ExitCode = {
  ok: 0,
  internal: 1,
  verificationFailed: 2,
  policyBlocked: 3,
  approvalRequired: 4,
  regressFailed: 5,
  invalidInput: 6,
  dependencyMissing: 7,
  unsafeOperation: 8,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const exitByCategory: Record<ErrorCategory, ExitCodeValue> = {
  invalid_input: ExitCode.invalidInput,
  verification_failed: ExitCode.verificationFailed,
  policy_blocked: ExitCode.policyBlocked,
  approval_required: ExitCode.approvalRequired,
  dependency_missing: ExitCode.dependencyMissing,
  unsafe_operation: ExitCode.unsafeOperation,
  regress_failed: ExitCode.regressFailed,
  io_failure: ExitCode.internal,
  state_contention: ExitCode.internal,
  network_transient: ExitCode.internal,
  network_permanent: ExitCode.internal,
  internal_failure: ExitCode.internal,
};

/** The reference's fixed per-exit-code hints, used when an error carries none of its own. */
const hintByExit: Record<number, string> = {
  [ExitCode.invalidInput]: "check command usage and input schema",
  [ExitCode.verificationFailed]: "re-run verify after checking artifact integrity",
  [ExitCode.policyBlocked]: "inspect reason_codes and adjust policy or intent",
  [ExitCode.approvalRequired]: "provide a valid approval token and retry",
  [ExitCode.dependencyMissing]: "install or configure the missing dependency and retry",
  [ExitCode.unsafeOperation]: "pass explicit unsafe flags only for approved replay paths",
  [ExitCode.regressFailed]: "inspect the failing graders in the regress result",
};
const defaultHint = "retry after checking local environment and logs";

export function exitCodeForCategory(category: ErrorCategory): ExitCodeValue {
  return exitByCategory[category];
}

export function defaultHintForExit(exitCode: number): string {
  return hintByExit[exitCode] ?? defaultHint;
}

export function isRetryable(category: ErrorCategory): boolean {
  return category === "network_transient" || category === "state_contention";
}

export interface GaitErrorOptions {
  hint?: string;
  /** Extra machine-readable fields merged into the JSON envelope (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class GaitError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(category: ErrorCategory, code: string, message: string, options: GaitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GaitError";
    this.category = category;
    this.code = code;
    this.hint = options.hint ?? defaultHintForExit(exitCodeForCategory(category));
    this.details = options.details;
  }

  get exitCode(): ExitCodeValue {
    return exitCodeForCategory(this.category);
  }

  get retryable(): boolean {
    return isRetryable(this.category);
  }
}

/** Shorthands for the categories raised most often. */
export const invalidInput = (code: string, message: string, options?: GaitErrorOptions) =>
  new GaitError("invalid_input", code, message, options);
export const verificationFailed = (code: string, message: string, options?: GaitErrorOptions) =>
  new GaitError("verification_failed", code, message, options);
export const ioFailure = (code: string, message: string, options?: GaitErrorOptions) =>
  new GaitError("io_failure", code, message, options);
export const internalFailure = (code: string, message: string, options?: GaitErrorOptions) =>
  new GaitError("internal_failure", code, message, options);

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
