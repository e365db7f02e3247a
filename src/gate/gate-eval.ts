/**
 * The full gate decision (CONTRACTS.md §5.13): evaluate, enforce rate limits, check approvals,
 * fail closed on requirements we cannot satisfy, apply simulate. I/O (rate-limit state, the
 * single-use approval ledger) is injected. The SDK Gate runs it for `gait gate eval`, the sidecar
 * and in-process callers; its trace writer turns the outcome into signed evidence (gateRecordsFor).
 *
 * Stages: startGateDecision (normalize + evaluate), the limit enforcer, finishGateDecision
 * (approvals, fail closed, simulate). decideGate chains them; decideGateSync does the same
 * without I/O, so an in-process caller can decide synchronously.
 */

import { sortedUnique } from "../contract/bytes.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  type ApprovalOutcome,
  approvalExpectationFor,
  buildApprovalAudit,
  evaluateApprovals,
} from "./approval.ts";
import type { ApprovalLedger, SyncApprovalLedger } from "./approval-ledger.ts";
import type { ApprovalVerifier } from "./approvers.ts";
import type { Decision, LimitRequirement } from "./decision.ts";
import { type CompiledPolicy, evaluate, evaluateRequest } from "./evaluate.ts";
import { isPreparedIntent } from "./intent.ts";
import type { NormalizedIntent, PreparedIntent } from "./intent-model.ts";
import type { Verdict } from "./policy-model.ts";
import type { LimitResult } from "./ratelimit.ts";
import { buildTrace } from "./trace.ts";
import type { ApprovalAuditRecord, TraceRecord } from "./wire.ts";

export interface LimitRequirements {
  rateLimits: LimitRequirement[];
  destructiveBudgets: LimitRequirement[];
}

/**
 * How a decision may touch shared state. A live decision counts rate limits and spends single-use
 * approvals; a replay (`evaluationTime` given) or a simulation only reads the state, so evaluating
 * at another time can neither walk past a limit nor reset a live bucket, and a simulation spends
 * nothing.
 */
export interface StateAccess {
  /** False for replays and simulations: count against the state without writing it. */
  persist: boolean;
}

/** Counts a decision's limits, possibly in a shared state file (I/O). */
export type LimitEnforcer = (
  requirements: LimitRequirements,
  intent: NormalizedIntent,
  at: Timestamp,
  access: StateAccess,
) => LimitResult[] | Promise<LimitResult[]>;

/** A limit enforcer that needs no I/O (e.g. in-memory counters), for synchronous decisions. */
export type SyncLimitEnforcer = (
  requirements: LimitRequirements,
  intent: NormalizedIntent,
  at: Timestamp,
  access: StateAccess,
) => LimitResult[];

/** What a decision needs besides the trace key. */
export interface GateDecisionRequest {
  compiled: CompiledPolicy;
  /** A parsed IntentRequest, or a PreparedIntent made by prepareIntent in this process. */
  intent: unknown;
  /** The real clock at decision time (never moved by evaluationTime). */
  now: Timestamp;
  /**
   * Evaluate as of this time, for replay and simulation (`--evaluation-time`): rules, freeze
   * windows and limit buckets use it, approvals must be valid both then and now, and no state is
   * written.
   */
  evaluationTime?: Timestamp | undefined;
  approvalTokens?: unknown[] | undefined;
  /** Who may sign approvals; without one, every approval token fails as signature_invalid. */
  approvalVerifier?: ApprovalVerifier | undefined;
  simulate?: boolean | undefined;
}

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

/**
 * The whole decision: evaluate, count limits, settle approvals (single-use ones in the ledger),
 * fail closed on requirements we cannot satisfy, simulate. Limits and the ledger may do I/O; the
 * SDK Gate (and through it `gate eval` and the sidecar) decides with this.
 */
export async function decideGate(
  request: GateDecisionRequest,
  enforceLimits?: LimitEnforcer,
  ledger?: ApprovalLedger,
): Promise<GateOutcome> {
  const start = startGateDecision(request);
  const limits =
    enforceLimits && needsLimits(start.decision)
      ? await enforceLimits(start.decision, start.prepared.intent, evaluationInstant(request), {
          persist: persistsState(request),
        })
      : [];
  const finish = (spent: ReadonlySet<string>) => finishGateDecision(request, start, limits, spent);
  return ledger ? ledger.settle(finish, persistsState(request)) : finish(NOTHING_SPENT);
}

/** The same decision as decideGate, synchronously, with I/O-free limits and ledger. */
export function decideGateSync(
  request: GateDecisionRequest,
  enforceLimits?: SyncLimitEnforcer,
  ledger?: SyncApprovalLedger,
): GateOutcome {
  const start = startGateDecision(request);
  const limits =
    enforceLimits && needsLimits(start.decision)
      ? enforceLimits(start.decision, start.prepared.intent, evaluationInstant(request), {
          persist: persistsState(request),
        })
      : [];
  const finish = (spent: ReadonlySet<string>) => finishGateDecision(request, start, limits, spent);
  return ledger ? ledger.settleSync(finish, persistsState(request)) : finish(NOTHING_SPENT);
}

const NOTHING_SPENT: ReadonlySet<string> = new Set();

/** The time rules are evaluated at: the explicit evaluation time, else now. */
function evaluationInstant(request: Pick<GateDecisionRequest, "now" | "evaluationTime">): Timestamp {
  return request.evaluationTime ?? request.now;
}

/** Only live, enforcing decisions write rate-limit counters and spend approvals. */
function persistsState(request: Pick<GateDecisionRequest, "evaluationTime" | "simulate">): boolean {
  return request.evaluationTime === undefined && request.simulate !== true;
}

/** True when the decision carries rate limits or destructive budgets to count. */
function needsLimits(decision: Decision): boolean {
  return decision.rateLimits.length > 0 || decision.destructiveBudgets.length > 0;
}

/**
 * Normalizes the intent and evaluates it. Only a PreparedIntent made by prepareIntent in this
 * process skips normalization: anything else, whatever its shape, is an IntentRequest whose
 * digests are computed here. An intent that cannot be normalized blocks when the policy fails
 * closed for its risk class; otherwise it throws.
 */
function startGateDecision(request: GateDecisionRequest): GateDecisionStart {
  const options = { now: evaluationInstant(request) };
  if (isPreparedIntent(request.intent)) {
    return { prepared: request.intent, decision: evaluate(request.compiled, request.intent.intent, options) };
  }
  return evaluateRequest(request.compiled, request.intent, options);
}

/** Applies limit results, approvals, unsatisfiable requirements and simulate to an evaluated decision. */
function finishGateDecision(
  request: GateDecisionRequest,
  start: GateDecisionStart,
  limits: LimitResult[],
  spentApprovals: ReadonlySet<string> = NOTHING_SPENT,
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
    approval = checkApprovals(request, prepared, decision, tokens, spentApprovals);
    if (verdict === "require_approval") {
      reasons.push(...approval.reasonCodes);
      if (approval.granted) verdict = "allow";
      else violations.push("approval_not_granted");
    }
  }

  // No credential broker is configured in this implementation: the credential the rule needs is
  // missing, so the allow fails closed (the reference's code for a missing broker).
  if (verdict === "allow" && decision.requireBrokerCredential) {
    escalate("block", "broker_credential_missing", "broker_credential_missing");
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

function checkApprovals(
  request: GateDecisionRequest,
  prepared: PreparedIntent,
  decision: Decision,
  tokens: unknown[],
  spent: ReadonlySet<string>,
): ApprovalOutcome {
  const expectation = approvalExpectationFor(
    prepared,
    request.compiled.policyDigest,
    { now: request.now, evaluationTime: request.evaluationTime },
    request.approvalVerifier,
  );
  return evaluateApprovals(
    tokens,
    decision.minApprovals,
    decision.requireDistinctApprovers,
    expectation,
    spent,
  );
}
