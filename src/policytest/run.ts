/**
 * `policy test` on one intent: the verdict a compiled policy gives it, as the
 * `gait.policytest.result` object (CONTRACTS.md §6.1). Pure: no approvals, no rate limits, no
 * trace, and the evaluation time is an input, so the same inputs always give the same bytes.
 */
import type { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { type CompiledPolicy, type Decision, evaluateRequest, type PreparedIntent } from "../gate/index.ts";
import {
  POLICY_TEST_RESULT_SCHEMA_ID,
  POLICY_TEST_RESULT_SCHEMA_VERSION,
  type PolicyTestResult,
} from "./types.ts";

export interface PolicyTestOptions {
  /** The time rules are evaluated at (freeze windows, agent identity expiry). */
  now: Timestamp;
}

/** The decision for one intent request, with the digest and time the result reports. */
export interface IntentEvaluation {
  decision: Decision;
  intentDigest: string;
  createdAt: string;
  prepared: PreparedIntent;
}

/**
 * Evaluates a raw intent request. An intent that cannot be normalized is blocked when the policy
 * fails closed for its risk class (`fail_closed_intent_invalid`); it then has no normalized form,
 * so its digest is that of the request as given. Otherwise normalization errors are thrown
 * (GaitError, exit 6).
 */
export function evaluateIntent(
  compiled: CompiledPolicy,
  raw: unknown,
  options: PolicyTestOptions,
): IntentEvaluation {
  // A policy test evaluates the intent as written, stated context evidence included.
  const { prepared, decision } = evaluateRequest(compiled, raw, {
    now: options.now,
    unverifiedContextEvidence: "keep",
  });
  return { decision, intentDigest: prepared.intentDigest, createdAt: prepared.createdAt, prepared };
}

export function runPolicyTest(
  compiled: CompiledPolicy,
  raw: unknown,
  options: PolicyTestOptions,
): PolicyTestResult {
  const evaluation = evaluateIntent(compiled, raw, options);
  const { decision } = evaluation;
  const result: PolicyTestResult = {
    schema_id: POLICY_TEST_RESULT_SCHEMA_ID,
    schema_version: POLICY_TEST_RESULT_SCHEMA_VERSION,
    created_at: evaluation.createdAt,
    producer_version: PRODUCER_VERSION,
    policy_digest: compiled.policyDigest,
    intent_digest: evaluation.intentDigest,
    verdict: decision.verdict,
    reason_codes: decision.reasonCodes,
    violations: decision.violations,
  };
  if (decision.matchedRule) result.matched_rule = decision.matchedRule;
  const delegation = evaluation.prepared.intent.delegation;
  if (delegation) {
    // True when a deciding rule selected on delegation (its selectors matched this chain).
    result.delegation_matched = decision.requireDelegation;
    result.delegation_depth = delegation.chain?.length ?? 0;
    if (delegation.scope_class) result.delegation_scope = delegation.scope_class;
  }
  return result;
}
