/**
 * The full gate decision as `gait gate eval` makes it (CONTRACTS.md §5.13): evaluate, enforce rate
 * limits, check approvals, fail closed on requirements we cannot satisfy, apply simulate, and
 * build the signed trace. I/O (rate-limit state) is injected, so the SDK and the sidecar reuse it.
 *
 * The pipeline is split in stages so an in-process caller can decide synchronously and sign the
 * trace later: startGateDecision (normalize + evaluate), the limit enforcer (async for the shared
 * state file, sync for in-memory counters), finishGateDecision (approvals, fail closed,
 * simulate), and signGateOutcome (trace, approval audit). runGateEval chains them.
 */

import { sortedUnique } from "../contract/bytes.ts";
import type { SigningKey, VerifyKey } from "../contract/signing.ts";
import { verifyKeyFor } from "../contract/signing.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  type ApprovalAuditRecord,
  type ApprovalOutcome,
  approvalExpectationFor,
  buildApprovalAudit,
  evaluateApprovals,
} from "./approval.ts";
import type { Decision, LimitRequirement } from "./decision.ts";
import { type CompiledPolicy, evaluate, evaluateRequest } from "./evaluate.ts";
import type { NormalizedIntent, PreparedIntent } from "./intent-model.ts";
import type { Verdict } from "./policy-model.ts";
import type { LimitResult } from "./ratelimit.ts";
import { buildTrace, signTrace, type TraceRecord } from "./trace.ts";

export interface LimitRequirements {
  rateLimits: LimitRequirement[];
  destructiveBudgets: LimitRequirement[];
}

export type LimitEnforcer = (
  requirements: LimitRequirements,
  intent: NormalizedIntent,
  now: Timestamp,
) => Promise<LimitResult[]>;

/** A limit enforcer that needs no I/O (e.g. in-memory counters), for synchronous decisions. */
export type SyncLimitEnforcer = (
  requirements: LimitRequirements,
  intent: NormalizedIntent,
  now: Timestamp,
) => LimitResult[];

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

/** What the decision stages need: the request minus trace signing and the async enforcer. */
export type GateDecisionRequest = Pick<
  GateEvalRequest,
  "compiled" | "intent" | "evaluationTime" | "approvalTokens" | "simulate"
> & {
  /** Key for approval tokens (required when tokens are given; a missing key invalidates them). */
  approvalKey?: VerifyKey | undefined;
};

/** The evaluated decision before limits, approvals and simulate. */
export interface GateDecisionStart {
  prepared: PreparedIntent;
  decision: Decision;
}

/** The final decision, everything but the signed trace. */
export interface GateOutcome extends GateDecisionStart {
  policyDigest: string;
  verdict: Verdict;
  reasonCodes: string[];
  violations: string[];
  approval?: ApprovalOutcome;
  limits: LimitResult[];
  simulated?: { verdict: Verdict; reasonCodes: string[]; wouldHaveBlocked: boolean };
}

export interface GateEvalResult extends GateOutcome {
  trace: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
}

export async function runGateEval(request: GateEvalRequest): Promise<GateEvalResult> {
  const started = performance.now();
  const decisionRequest: GateDecisionRequest = {
    ...request,
    approvalKey: request.approvalKey ?? verifyKeyFor(request.signingKey),
  };
  const start = startGateDecision(decisionRequest);
  let limits: LimitResult[] = [];
  if (request.enforceLimits && needsLimits(start.decision)) {
    limits = await request.enforceLimits(start.decision, start.prepared.intent, request.evaluationTime);
  }
  const outcome = finishGateDecision(decisionRequest, start, limits);
  return signGateOutcome(outcome, {
    signingKey: request.signingKey,
    observedAt: request.observedAt,
    correlationId: request.correlationId,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
}

/** The same decision as runGateEval, synchronously, with an I/O-free limit enforcer. */
export function decideGateSync(request: GateDecisionRequest, enforceLimits?: SyncLimitEnforcer): GateOutcome {
  const start = startGateDecision(request);
  const limits =
    enforceLimits && needsLimits(start.decision)
      ? enforceLimits(start.decision, start.prepared.intent, request.evaluationTime)
      : [];
  return finishGateDecision(request, start, limits);
}

/** True when the decision carries rate limits or destructive budgets to count. */
export function needsLimits(decision: Decision): boolean {
  return decision.rateLimits.length > 0 || decision.destructiveBudgets.length > 0;
}

/**
 * Normalizes the intent (unless already prepared) and evaluates it. An intent that cannot be
 * normalized blocks when the policy fails closed for its risk class; otherwise it throws.
 */
export function startGateDecision(request: GateDecisionRequest): GateDecisionStart {
  const options = { now: request.evaluationTime };
  if (isPrepared(request.intent)) {
    return { prepared: request.intent, decision: evaluate(request.compiled, request.intent.intent, options) };
  }
  return evaluateRequest(request.compiled, request.intent, options);
}

/** Applies limit results, approvals, unsatisfiable requirements and simulate to an evaluated decision. */
export function finishGateDecision(
  request: GateDecisionRequest,
  start: GateDecisionStart,
  limits: LimitResult[],
): GateOutcome {
  const { prepared, decision } = start;
  let verdict = decision.verdict;
  const reasons = [...decision.reasonCodes];
  const violations = [...decision.violations];
  const escalate = (to: Verdict, reason: string, violation?: string) => {
    verdict = to;
    reasons.push(reason);
    if (violation) violations.push(violation);
  };

  for (const limit of limits.filter((l) => !l.allowed)) {
    const code = limit.kind === "rate_limit" ? "rate_limit_exceeded" : "destructive_budget_exceeded";
    escalate("block", code, code);
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

  let simulated: GateOutcome["simulated"];
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

  const outcome: GateOutcome = {
    prepared,
    decision,
    policyDigest: request.compiled.policyDigest,
    verdict,
    reasonCodes: finalReasons,
    violations: finalViolations,
    limits,
  };
  if (approval) outcome.approval = approval;
  if (simulated) outcome.simulated = simulated;
  return outcome;
}

/** When and how a finished decision was observed: everything its trace needs besides the key. */
export interface TraceObservation {
  /** Wall clock for `observed_at`. */
  observedAt: Timestamp;
  correlationId?: string | undefined;
  latencyMs?: number;
}

export interface TraceSigning extends TraceObservation {
  signingKey: SigningKey;
}

/** The evidence of one decision before signing: the trace, plus the approval audit when approvals were involved. */
export interface GateRecords {
  trace: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
}

/** Builds the unsigned trace (and approval audit) of a finished decision. Pure and cheap: no signing. */
export function gateRecordsFor(outcome: GateOutcome, observation: TraceObservation): GateRecords {
  const { prepared, decision, approval } = outcome;
  const trace = buildTrace({
    prepared,
    policyDigest: outcome.policyDigest,
    verdict: outcome.verdict,
    violations: outcome.violations,
    decision,
    observedAt: observation.observedAt,
    correlationId: observation.correlationId,
    approvalRef: approval?.approvalRef || undefined,
    ...(observation.latencyMs !== undefined ? { latencyMs: observation.latencyMs } : {}),
  });
  if (!approval) return { trace };
  const approvalAudit = buildApprovalAudit({
    createdAt: prepared.createdAt,
    traceId: trace.trace_id,
    toolName: prepared.intent.tool_name,
    intentDigest: prepared.intentDigest,
    policyDigest: outcome.policyDigest,
    outcome: approval,
  });
  return { trace, approvalAudit };
}

/** Builds and signs the trace of a finished decision, plus the approval audit when approvals were involved. */
export function signGateOutcome(outcome: GateOutcome, signing: TraceSigning): GateEvalResult {
  const records = gateRecordsFor(outcome, signing);
  const result: GateEvalResult = { ...outcome, trace: signTrace(records.trace, signing.signingKey) };
  if (records.approvalAudit) result.approvalAudit = records.approvalAudit;
  return result;
}

function isPrepared(intent: unknown): intent is PreparedIntent {
  return typeof intent === "object" && intent !== null && "intentDigest" in intent && "intent" in intent;
}

function checkApprovals(
  request: GateDecisionRequest,
  prepared: PreparedIntent,
  decision: Decision,
  tokens: unknown[],
): ApprovalOutcome {
  const expectation = approvalExpectationFor(
    prepared,
    request.compiled.policyDigest,
    request.evaluationTime,
    request.approvalKey,
  );
  return evaluateApprovals(tokens, decision.minApprovals, decision.requireDistinctApprovers, expectation);
}
