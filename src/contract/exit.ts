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

/**
 * The category an exit code stands for, for an outcome that reports an `error` without throwing
 * (the reference fills the envelope by exit code). Codes 0 and 1 have none of their own.
 */
export function categoryForExit(exitCode: number): ErrorCategory {
  const found = (Object.keys(exitByCategory) as ErrorCategory[]).find(
    (category) => exitByCategory[category] === exitCode && exitCode !== ExitCode.internal,
  );
  return found ?? "internal_failure";
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

/** The reference's fixed per-exit-code hints, used when an error carries none of its own. */
const hintByExit: Partial<Record<ExitCodeValue, string>> = {
  [ExitCode.invalidInput]: "check command usage and input schema",
  [ExitCode.verificationFailed]: "re-run verify after checking artifact integrity",
  [ExitCode.policyBlocked]: "inspect reason_codes and adjust policy or intent",
  [ExitCode.approvalRequired]: "provide a valid approval token and retry",
  [ExitCode.dependencyMissing]: "install or configure the missing dependency and retry",
  [ExitCode.unsafeOperation]: "pass explicit unsafe flags only for approved replay paths",
  [ExitCode.regressFailed]: "inspect the failing graders in the regress result",
};

export function defaultHintForExit(exitCode: number): string {
  return hintByExit[exitCode as ExitCodeValue] ?? "retry after checking local environment and logs";
}

export function isRetryable(category: ErrorCategory): boolean {
  return category === "network_transient" || category === "state_contention";
}
