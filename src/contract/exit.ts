/**
 * The exit-code contract (CONTRACTS.md §9), written once: what each code means, which code a
 * verdict and an error category map to, and the envelope defaults for a code. Nothing else in the
 * code base spells an exit code as a number.
 */

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

export function exitForCategory(category: ErrorCategory): ExitCodeValue {
  return exitByCategory[category];
}

const referenceCategoryByExit: Partial<Record<ExitCodeValue, ErrorCategory>> = {
  [ExitCode.invalidInput]: "invalid_input",
  [ExitCode.verificationFailed]: "verification_failed",
  [ExitCode.policyBlocked]: "policy_blocked",
  [ExitCode.approvalRequired]: "approval_required",
  [ExitCode.dependencyMissing]: "dependency_missing",
};

/**
 * The reference's `error_category` for an exit code (CONTRACTS.md §9), filled in for an outcome
 * that reports an `error` without throwing: 6, 2, 3, 4 and 7 have their own; anything else
 * (0, 1, 5 and 8 included) is `internal_failure`.
 */
export function categoryForExit(exitCode: number): ErrorCategory {
  return referenceCategoryByExit[exitCode as ExitCodeValue] ?? "internal_failure";
}

/**
 * The `error_category` the envelope reports for a category. `regress_failed` and
 * `unsafe_operation` are ours (they decide exits 5 and 8); the reference has no such categories
 * and reports those exits as `internal_failure`, so the envelope does too.
 */
export function reportedCategory(category: ErrorCategory): ErrorCategory {
  return category === "regress_failed" || category === "unsafe_operation" ? "internal_failure" : category;
}

/** The reference's default `error_code` for an exit code (CONTRACTS.md §9). */
const codeByExit: Partial<Record<ExitCodeValue, string>> = {
  [ExitCode.invalidInput]: "invalid_input",
  [ExitCode.verificationFailed]: "verification_failed",
  [ExitCode.policyBlocked]: "policy_blocked",
  [ExitCode.approvalRequired]: "approval_required",
  [ExitCode.dependencyMissing]: "dependency_missing",
  [ExitCode.unsafeOperation]: "unsafe_operation",
  [ExitCode.regressFailed]: "regress_failed",
};

export function errorCodeForExit(exitCode: number): string {
  return codeByExit[exitCode as ExitCodeValue] ?? "internal_failure";
}

/**
 * Exits whose envelope `error_code` is always the reference's code for the exit, whatever finer
 * code the failure has (that one goes to `detail_code`): 6 (the reference's scripts match
 * `invalid_input`), and 5 and 8, whose reported category is only `internal_failure`, so that
 * `error_code` is what tells them apart from exit 1. Other exits keep the finer code.
 */
export function errorCodeIsFixedForExit(exitCode: number): boolean {
  return (
    exitCode === ExitCode.invalidInput ||
    exitCode === ExitCode.regressFailed ||
    exitCode === ExitCode.unsafeOperation
  );
}

/** Verdicts: the caller may act only on allow; dry_run is a successful evaluation too (exit 0). */
export type VerdictName = "allow" | "block" | "require_approval" | "dry_run";

const exitByVerdict: Record<VerdictName, ExitCodeValue> = {
  allow: ExitCode.ok,
  dry_run: ExitCode.ok,
  block: ExitCode.policyBlocked,
  require_approval: ExitCode.approvalRequired,
};

export function exitForVerdict(verdict: VerdictName): ExitCodeValue {
  return exitByVerdict[verdict];
}

/** A verification (verify, trace verify, diff, check): 0 when it holds, 2 when it does not. */
export function exitForCheck(ok: boolean): ExitCodeValue {
  return ok ? ExitCode.ok : ExitCode.verificationFailed;
}

/**
 * The reference's fixed per-exit-code hints, used when an error carries none of its own. Exit 5
 * has none in the reference, so it gets the generic one.
 */
const hintByExit: Partial<Record<ExitCodeValue, string>> = {
  [ExitCode.invalidInput]: "check command usage and input schema",
  [ExitCode.verificationFailed]: "re-run verify after checking artifact integrity",
  [ExitCode.policyBlocked]: "inspect reason_codes and adjust policy or intent",
  [ExitCode.approvalRequired]: "provide a valid approval token and retry",
  [ExitCode.dependencyMissing]: "install or configure the missing dependency and retry",
  [ExitCode.unsafeOperation]: "pass explicit unsafe flags only for approved replay paths",
};

export function defaultHintForExit(exitCode: number): string {
  return hintByExit[exitCode as ExitCodeValue] ?? "retry after checking local environment and logs";
}

export function isRetryable(category: ErrorCategory): boolean {
  return category === "network_transient" || category === "state_contention";
}
