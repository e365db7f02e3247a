/**
 * The full gate decision as `gait gate eval` makes it (CONTRACTS.md §5.13): evaluate, enforce rate
 * limits, check approvals, fail closed on requirements we cannot satisfy, apply simulate, and
 * build the signed trace. I/O (rate-limit state) is injected, so the SDK and the sidecar reuse it.
 */

import { sortedUnique } from "../contract/bytes.ts";
import { digestJcs } from "../contract/canonical.ts";
import type { SigningKey, VerifyKey } from "../contract/signing.ts";
import { verifyKeyFor } from "../contract/signing.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  type ApprovalAuditRecord,
  type ApprovalOutcome,
  approvalCounts,
  buildApprovalAudit,
  evaluateApprovals,
  requiredApprovalScope,
} from "./approval.ts";
import type { Decision, LimitRequirement } from "./decision.ts";
import { type CompiledPolicy, evaluate } from "./evaluate.ts";
import { prepareIntent } from "./intent.ts";
import type { NormalizedIntent, PreparedIntent } from "./intent-model.ts";
import type { Verdict } from "./policy-model.ts";
import type { LimitResult } from "./ratelimit.ts";
import { buildTrace, signTrace, type TraceRecord } from "./trace.ts";

export type LimitEnforcer = (
  requirements: { rateLimits: LimitRequirement[]; destructiveBudgets: LimitRequirement[] },
  intent: NormalizedIntent,
  now: Timestamp,
) => Promise<LimitResult[]>;

export interface GateEvalRequest {
  compiled: CompiledPolicy;
  /** A parsed intent request, or one already prepared. */
  intent: unknown;
  /** The time rules are evaluated at (`--evaluation-time`, else now). */
  evaluationTime: Timestamp;
  /** Wall clock for `observed_at`. */
  observedAt: Timestamp;
  signingKey: SigningKey;
  /** Key for approval tokens; defaults to the trace key's public half. */
  approvalKey?: VerifyKey;
  approvalTokens?: unknown[];
  enforceLimits?: LimitEnforcer;
  simulate?: boolean;
  correlationId?: string;
}

export interface GateEvalResult {
  prepared: PreparedIntent;
  decision: Decision;
  verdict: Verdict;
  reasonCodes: string[];
  violations: string[];
  approval?: ApprovalOutcome;
  approvalAudit?: ApprovalAuditRecord;
  limits: LimitResult[];
  simulated?: { verdict: Verdict; reasonCodes: string[]; wouldHaveBlocked: boolean };
  trace: TraceRecord;
}

export async function runGateEval(request: GateEvalRequest): Promise<GateEvalResult> {
  const started = performance.now();
  const prepared = prepareIntentOnce(request.intent);
  const decision = evaluate(request.compiled, prepared.intent, { now: request.evaluationTime });
  let verdict = decision.verdict;
  const reasons = [...decision.reasonCodes];
  const violations = [...decision.violations];
  const escalate = (to: Verdict, reason: string, violation?: string) => {
    verdict = to;
    reasons.push(reason);
    if (violation) violations.push(violation);
  };

  let limits: LimitResult[] = [];
  if (request.enforceLimits && (decision.rateLimits.length > 0 || decision.destructiveBudgets.length > 0)) {
    limits = await request.enforceLimits(decision, prepared.intent, request.evaluationTime);
    for (const limit of limits.filter((l) => !l.allowed)) {
      const code = limit.kind === "rate_limit" ? "rate_limit_exceeded" : "destructive_budget_exceeded";
      escalate("block", code, code);
    }
  }

  // Delegation tokens are not accepted yet: a rule that requires delegation cannot be satisfied.
  if (verdict !== "block" && decision.requireDelegation) {
    escalate("block", "delegation_token_missing", "delegation_not_granted");
  }

  let approval: ApprovalOutcome | undefined;
  const tokens = request.approvalTokens ?? [];
  if (verdict === "require_approval" || tokens.length > 0) {
    approval = checkApprovals(request, prepared, decision, tokens);
    if (verdict === "require_approval") {
      reasons.push(...approval.reasonCodes);
      if (approval.granted) verdict = "allow";
      else violations.push("approval_not_granted");
    }
  }

  // No credential broker is configured in this implementation: fail closed rather than allow.
  if (verdict === "allow" && decision.requireBrokerCredential) {
    escalate("block", "broker_credential_required", "broker_credential_required");
  }

  let simulated: GateEvalResult["simulated"];
  let finalReasons = sortedUnique(reasons);
  let finalViolations = sortedUnique(violations);
  if (request.simulate) {
    const wouldHaveBlocked = verdict === "block" || verdict === "require_approval";
    simulated = { verdict, reasonCodes: finalReasons, wouldHaveBlocked };
    finalReasons = sortedUnique([...finalReasons, "simulate_mode_non_enforcing"]);
    if (wouldHaveBlocked) {
      finalReasons = sortedUnique([...finalReasons, `simulated_${verdict}`]);
      finalViolations = [];
      verdict = "allow";
    }
  }

  const unsigned = buildTrace({
    prepared,
    policyDigest: request.compiled.policyDigest,
    verdict,
    violations: finalViolations,
    decision,
    observedAt: request.observedAt,
    correlationId: request.correlationId,
    approvalRef: approval?.approvalRef || undefined,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const trace = signTrace(unsigned, request.signingKey);
  const result: GateEvalResult = {
    prepared,
    decision,
    verdict,
    reasonCodes: finalReasons,
    violations: finalViolations,
    limits,
    trace,
  };
  if (approval) {
    result.approval = approval;
    result.approvalAudit = buildApprovalAudit({
      createdAt: prepared.createdAt,
      traceId: trace.trace_id,
      toolName: prepared.intent.tool_name,
      intentDigest: prepared.intentDigest,
      policyDigest: request.compiled.policyDigest,
      outcome: approval,
    });
  }
  if (simulated) result.simulated = simulated;
  return result;
}

function prepareIntentOnce(intent: unknown): PreparedIntent {
  if (typeof intent === "object" && intent !== null && "intentDigest" in intent && "intent" in intent) {
    return intent as PreparedIntent;
  }
  return prepareIntent(intent);
}

function checkApprovals(
  request: GateEvalRequest,
  prepared: PreparedIntent,
  decision: Decision,
  tokens: unknown[],
): ApprovalOutcome {
  const intent = prepared.intent;
  const counts = approvalCounts(intent);
  return evaluateApprovals(tokens, decision.minApprovals, decision.requireDistinctApprovers, {
    intentDigest: prepared.intentDigest,
    policyDigest: request.compiled.policyDigest,
    ...(intent.delegation ? { delegationDigest: digestJcs(intent.delegation) } : {}),
    requiredScope: requiredApprovalScope(intent),
    targetCount: counts.targetCount,
    opCount: counts.opCount,
    now: request.evaluationTime,
    key: request.approvalKey ?? verifyKeyFor(request.signingKey),
  });
}
