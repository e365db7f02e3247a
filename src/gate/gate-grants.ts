/**
 * The two grants a decision can carry besides approvals (REFERENCE.md §2.4 steps 5 and 8): a
 * pre-approved script from a signed registry, and a delegation chain. The checks themselves live
 * in approved-scripts.ts and delegation.ts, which the caller loads (only when registry or tokens
 * are given) and injects; this module only settles what they found into the decision.
 */
import type { Timestamp } from "../contract/time.ts";
import type { Decision } from "./decision.ts";
import {
  buildDelegationAudit,
  type DelegationChecker,
  type DelegationOutcome,
  noDelegationTokens,
} from "./delegation-outcome.ts";
import { invalidInput } from "./error-codes.ts";
import type { CompiledPolicy } from "./evaluate.ts";
import type { PreparedIntent } from "./intent-model.ts";
import type { Verdict } from "./policy-model.ts";
import type { DelegationAuditRecord } from "./wire.ts";

/** What a registry lookup found for a script intent (approved-scripts.ts). */
export interface ScriptMatch {
  /** The entry matched and the decision took it: the script is allowed without approval tokens. */
  preApproved: boolean;
  /** The matching entry's pattern id. */
  patternId?: string;
  /** Why no entry pre-approved the intent (`approved_script_not_found`, `not_script`, ...). */
  registryReason?: string;
}

/** A verified approved-script registry (approved-scripts.ts makes one). */
export interface ApprovedScriptMatcher {
  /** The valid, unexpired entry that matches this intent under this policy, if any. */
  match(
    prepared: PreparedIntent,
    policyDigest: string,
    at: Timestamp,
  ): { patternId: string } | { reason: string };
}

/**
 * The fast path: an entry bound to this policy, script hash and tool sequence turns
 * require_approval (or allow) into allow with `approved_script_match`. It never lifts a block or
 * a dry_run, and it is off for policies that require context evidence (as the reference).
 */
export function preApproveScript(
  matcher: ApprovedScriptMatcher,
  compiled: CompiledPolicy,
  prepared: PreparedIntent,
  verdict: Verdict,
  at: Timestamp,
): ScriptMatch {
  if (compiled.policy.rules.some((rule) => rule.requireContextEvidence)) {
    return { preApproved: false, registryReason: "approved_script_context_evidence_required" };
  }
  const found = matcher.match(prepared, compiled.policyDigest, at);
  if ("reason" in found) return { preApproved: false, registryReason: found.reason };
  if (verdict !== "allow" && verdict !== "require_approval") {
    return {
      preApproved: false,
      patternId: found.patternId,
      registryReason: `approved_script_policy_${verdict}`,
    };
  }
  return { preApproved: true, patternId: found.patternId };
}

/** What the delegation check needs from a decision request. */
export interface DelegationInput {
  compiled: CompiledPolicy;
  now: Timestamp;
  evaluationTime?: Timestamp | undefined;
  delegationTokens?: unknown[] | undefined;
  delegationChecker?: DelegationChecker | undefined;
}

/**
 * Checks the delegation chain when a matched rule requires delegation or tokens were given
 * (undefined otherwise: nothing to check or audit). Tokens without a checker fail closed.
 */
export function settleDelegation(
  input: DelegationInput,
  prepared: PreparedIntent,
  decision: Decision,
): DelegationOutcome | undefined {
  const tokens = input.delegationTokens ?? [];
  const required = decision.requireDelegation;
  if (!required && tokens.length === 0) return undefined;
  if (tokens.length === 0) return noDelegationTokens(required);
  if (!input.delegationChecker) {
    throw invalidInput("delegation_checker_missing", "delegation tokens were given but nothing checks them", {
      hint: "give createGate a delegationPublicKey, or evaluate with evaluateAsync (it loads the checker)",
    });
  }
  return input.delegationChecker(tokens, prepared, {
    required,
    scopes: decision.delegationScopes,
    policyDigest: input.compiled.policyDigest,
    clock: { now: input.now, evaluationTime: input.evaluationTime },
  });
}

/** The delegation audit of a decision that checked delegation, for the trace `traceId`. */
export function delegationAuditFor(
  outcome: { prepared: PreparedIntent; policyDigest: string; delegation?: DelegationOutcome | undefined },
  traceId: string,
): DelegationAuditRecord | undefined {
  if (!outcome.delegation) return undefined;
  return buildDelegationAudit({
    createdAt: outcome.prepared.createdAt,
    traceId,
    toolName: outcome.prepared.intent.tool_name,
    intentDigest: outcome.prepared.intentDigest,
    policyDigest: outcome.policyDigest,
    outcome: outcome.delegation,
  });
}
