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
import type { IssuedCredential } from "./credential.ts";
import type { Decision, KillSwitchOutcome, LimitRequirement } from "./decision.ts";
import type { DelegationChecker, DelegationOutcome } from "./delegation-outcome.ts";
import { delegationTraceRef } from "./delegation-outcome.ts";
import { type CompiledPolicy, evaluate, evaluateRequest } from "./evaluate.ts";
import {
  type ApprovedScriptMatcher,
  preApproveScript,
  type ScriptMatch,
  settleDelegation,
} from "./gate-grants.ts";
import { type IntentInputs, isPreparedIntent } from "./intent.ts";
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
  /**
   * Checks the intent against the kill switches (kill-switch-store.ts: killSwitchCheckFor), after
   * evaluation: an active entry, or an unreadable state where the decision fails closed, blocks.
   */
  killSwitch?: KillSwitchCheck | undefined;
  /** Verified context evidence and Wrkr inventory context, bound into a request as it is normalized. */
  intentInputs?: IntentInputs | undefined;
  /** Delegation tokens (parsed `gait.gate.delegation_token` objects) for rules that require delegation. */
  delegationTokens?: unknown[] | undefined;
  /** Checks delegation tokens (delegation.ts, loaded only when tokens are given); tokens without one fail closed. */
  delegationChecker?: DelegationChecker | undefined;
  /** A verified approved-script registry: a matching entry pre-approves a script intent. */
  approvedScripts?: ApprovedScriptMatcher | undefined;
  /**
   * A credential broker is at hand: an allow that needs a broker credential then waits for it
   * (`credentialNeeded`, settled by applyCredentialCheck) instead of blocking as
   * `broker_credential_required`.
   */
  brokerConfigured?: boolean | undefined;
}

/**
 * A kill-switch check (loaded only when a kill-switch state is configured). Throws when the state
 * is unreadable and the decision does not fail closed.
 */
export type KillSwitchCheck = (intent: NormalizedIntent, at: Timestamp) => KillSwitchOutcome;

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
  /** Present when delegation was required or tokens were given. */
  delegation?: DelegationOutcome;
  /** Present when an approved-script registry was consulted. */
  scriptMatch?: ScriptMatch;
  /** The decision allows only once a broker issues a credential (see credential.ts). */
  credentialNeeded?: true;
  /** The broker credential the allow relied on (its reference, never the secret). */
  credential?: IssuedCredential;
  /** Why the broker gave no credential, when issuance failed. */
  credentialError?: { code: string; message: string };
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
  const start = isPreparedIntent(request.intent)
    ? { prepared: request.intent, decision: evaluate(request.compiled, request.intent.intent, options) }
    : evaluateRequest(request.compiled, request.intent, { ...options, ...request.intentInputs });
  if (!request.killSwitch || start.prepared.unevaluable) return start;
  const killSwitch = request.killSwitch(start.prepared.intent, options.now);
  return { prepared: start.prepared, decision: withKillSwitch(start.decision, killSwitch) };
}

/**
 * A kill switch overrides the policy: an active entry blocks with its reason codes added to the
 * decision's (violation `kill_switch_active`); an unreadable state blocks before any rule, as a
 * fail-closed block does (a fail-closed block already made stands).
 */
function withKillSwitch(decision: Decision, killSwitch: KillSwitchOutcome): Decision {
  if (killSwitch.status === "inactive") return { ...decision, killSwitch };
  if (killSwitch.status === "active") {
    return {
      ...decision,
      verdict: "block",
      reasonCodes: sortedUnique([...decision.reasonCodes, ...killSwitch.reasonCodes]),
      violations: sortedUnique([...decision.violations, "kill_switch_active"]),
      // A stopped call spends no rate limit or destructive budget.
      rateLimits: [],
      destructiveBudgets: [],
      killSwitch,
    };
  }
  if (decision.failClosedReasonCodes.length > 0) return { ...decision, killSwitch };
  return {
    ...decision,
    verdict: "block",
    reasonCodes: killSwitch.reasonCodes,
    violations: killSwitch.reasonCodes,
    failClosedReasonCodes: killSwitch.reasonCodes,
    matchedRule: "",
    matchedRules: [],
    minApprovals: 0,
    rateLimits: [],
    destructiveBudgets: [],
    killSwitch,
  };
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

  const scriptMatch = request.approvedScripts
    ? preApproveScript(
        request.approvedScripts,
        request.compiled,
        prepared,
        verdict,
        evaluationInstant(request),
      )
    : undefined;
  if (scriptMatch?.preApproved) {
    verdict = "allow";
    reasons.push("approved_script_match");
  }

  const delegation = settleDelegation(request, prepared, decision);
  if (delegation?.required && verdict !== "block") {
    reasons.push(...delegation.reasonCodes);
    if (!delegation.granted) {
      verdict = "block";
      violations.push("delegation_not_granted");
    }
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

  // A rule that needs a broker credential allows only once a broker issued one: without a broker
  // the allow fails closed; with one, issuing it (I/O) is left to the broker's owner.
  let credentialNeeded = false;
  if (verdict === "allow" && decision.requireBrokerCredential) {
    if (request.brokerConfigured) credentialNeeded = true;
    else escalate("block", "broker_credential_required", "broker_credential_required");
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
    // Every member present, undefined when absent: one shape for every outcome, so the code a
    // server compiled for them stays valid (docs/performance.md, fifth pass).
    approval,
    simulated,
    delegation,
    scriptMatch,
    credentialNeeded: credentialNeeded ? true : undefined,
  };
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
    credential: outcome.credential,
    // Every member present, undefined when absent: one shape for every decision's input, so
    // the server's compiled trace building is not thrown away for a new one (performance.md).
    delegationRef: outcome.delegation ? delegationTraceRef(prepared.intent, outcome.delegation) : undefined,
    scriptMatch: outcome.scriptMatch,
    latencyMs: observation.latencyMs,
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
