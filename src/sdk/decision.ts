/**
 * The gate decision as it leaves the process, defined once. `GateDecision` is what a Gate answers
 * in-process; `decisionToJson` is the only builder of its JSON form, used by `gait gate eval
 * --json`, the sidecar's `POST /v1/evaluate`, a guarded tool's refusal and (later) the MCP proxy,
 * so none of them can drift. The JSON's schema is published as schemas/v1/gate/decision.schema.json.
 */

import type { BrokeredCredential } from "../broker/types.ts";
import { type ErrorCategory, GaitError, isGaitError } from "../contract/errors.ts";
import {
  type ApprovalOutcome,
  contextEvidenceFields,
  type GateOutcome,
  type GateProfile,
  killSwitchRecord,
  type Verdict,
} from "../gate/index.ts";
import type { ApprovalRequest } from "./approval-request.ts";
import type { GateDecisionJson } from "./decision-schema.ts";

export const EVALUATION_ERROR = "gait_evaluation_error";

/** Why a decision failed closed: the coded error, as data. */
export interface DecisionError {
  category: ErrorCategory;
  code: string;
  message: string;
  hint: string;
  details?: Record<string, unknown>;
}

export interface GateDecision {
  verdict: Verdict;
  /** True only for `allow`: the one verdict on which the tool may run. */
  allowed: boolean;
  reasonCodes: string[];
  violations: string[];
  /** Names of the deciding rules, comma-joined ("" when the default verdict applied). */
  matchedRule: string;
  /** The normalized tool name ("" when the intent could not be evaluated). */
  toolName: string;
  intentDigest: string;
  argsDigest: string;
  policyDigest: string;
  /** The Gate's profile (standard or oss-prod). */
  profile: GateProfile;
  /** Deterministic id of the signed trace ("" when no trace was produced). */
  traceId: string;
  /**
   * Where the trace was written (durable) or is expected (async: if that name is taken on disk by
   * the time it is written, it takes the next free one), when the Gate writes files.
   */
  tracePath?: string;
  approvalAuditPath?: string;
  /** Where the delegation audit was written (or is expected), when delegation was checked. */
  delegationAuditPath?: string;
  /** Present when approval tokens were checked. */
  approval?: ApprovalOutcome;
  /**
   * On allow with a broker credential: the secret and what it is for, for the tool call only
   * (never in the decision's JSON, trace or evidence).
   */
  credential?: BrokeredCredential;
  /** Where the broker credential record was written, when one was. */
  credentialEvidencePath?: string;
  /** Present when the verdict is require_approval: what an approver must sign, and how. */
  approvalRequest?: ApprovalRequest;
  simulated?: GateOutcome["simulated"];
  /** Present when evaluation failed and the gate failed closed. */
  error?: DecisionError;
  /** The full outcome (normalized intent, rule decision, limits), when evaluation succeeded. */
  outcome?: GateOutcome;
}

/** A block that no evaluation made (nothing decided it, so it has no trace): `reason` says why. */
export function refusedDecision(reason: string, policyDigest: string, profile: GateProfile): GateDecision {
  return {
    verdict: "block",
    allowed: false,
    reasonCodes: [reason],
    violations: [reason],
    matchedRule: "",
    toolName: "",
    intentDigest: "",
    argsDigest: "",
    policyDigest,
    profile,
    traceId: "",
  };
}

/** The fail-closed answer: block with gait_evaluation_error and the error that caused it. */
export function failedDecision(policyDigest: string, profile: GateProfile, error: unknown): GateDecision {
  return { ...refusedDecision(EVALUATION_ERROR, policyDigest, profile), error: describeError(error) };
}

/**
 * A thrown value as data. A value that is not a GaitError (often from the caller's own code, such
 * as a describeIntent function) keeps its message, with the code every uncoded failure has.
 */
function describeError(error: unknown): DecisionError {
  if (!isGaitError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return { category: "internal_failure", code: "internal_failure", message, hint: "see the message" };
  }
  const described: DecisionError = {
    category: error.category,
    code: error.code,
    message: error.message,
    hint: error.hint,
  };
  if (error.details) described.details = error.details;
  return described;
}

/** The coded error a failed-closed decision carries, to be thrown where failing means exiting. */
export function decisionErrorToGaitError(error: DecisionError): GaitError {
  return new GaitError(error.category, error.code, error.message, {
    hint: error.hint,
    ...(error.details ? { details: error.details } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// The JSON form

// The JSON's schema is defined in decision-schema.ts, apart, so the decision path never builds it.
export type { GateDecisionJson } from "./decision-schema.ts";

/**
 * A guarded tool's refusal as JSON (ToolRefused in guard.ts): the decision exactly as `gait gate
 * eval --json` and the sidecar give it (decisionToJson), with `evaluation_error` when the gate
 * failed closed.
 */
export type ToolRefusal = GateDecisionJson;

export interface DecisionJsonOptions {
  /** How to show a file path (the CLI shows paths relative to its working directory). */
  showPath?: (path: string) => string;
}

/** The decision's JSON form: snake_case, optional members absent rather than empty. */
export function decisionToJson(decision: GateDecision, options: DecisionJsonOptions = {}): GateDecisionJson {
  const show = options.showPath ?? ((path: string) => path);
  const out: GateDecisionJson = {
    verdict: decision.verdict,
    allowed: decision.allowed,
    reason_codes: decision.reasonCodes,
    violations: decision.violations,
    tool_name: decision.toolName,
    intent_digest: decision.intentDigest,
    args_digest: decision.argsDigest,
    policy_digest: decision.policyDigest,
    profile: decision.profile,
    trace_id: decision.traceId,
  };
  if (decision.matchedRule) out.matched_rule = decision.matchedRule;
  if (decision.outcome) out.phase = decision.outcome.prepared.intent.context.phase;
  if (decision.tracePath) out.trace_path = show(decision.tracePath);
  if (decision.approvalAuditPath) out.approval_audit_path = show(decision.approvalAuditPath);
  if (decision.credentialEvidencePath) out.credential_evidence_path = show(decision.credentialEvidencePath);
  if (decision.delegationAuditPath) out.delegation_audit_path = show(decision.delegationAuditPath);
  Object.assign(out, approvalJson(decision), outcomeJson(decision.outcome), simulatedJson(decision));
  if (decision.error) {
    const { category, code, message, hint } = decision.error;
    out.evaluation_error = { category, code, message, hint };
  }
  return out;
}

function approvalJson({ approval, approvalRequest: request }: GateDecision): Partial<GateDecisionJson> {
  const out: Partial<GateDecisionJson> = {};
  if (approval) {
    out.required_approvals = approval.required;
    out.valid_approvals = approval.valid;
    if (approval.approvalRef) out.approval_ref = approval.approvalRef;
  }
  if (request) {
    out.approval_request = {
      intent_digest: request.intentDigest,
      policy_digest: request.policyDigest,
      scope: request.scope,
      min_approvals: request.minApprovals,
      require_distinct_approvers: request.requireDistinctApprovers,
      ...(request.delegationBindingDigest
        ? { delegation_binding_digest: request.delegationBindingDigest }
        : {}),
      command: request.command,
    };
  }
  return out;
}

/** Script and limit details, from the full outcome. */
function outcomeJson(outcome: GateOutcome | undefined): Record<string, unknown> {
  if (!outcome) return {};
  const out: Record<string, unknown> = {};
  const script = outcome.decision.script;
  if (script) {
    out.script = true;
    out.step_count = script.stepCount;
    out.script_hash = outcome.prepared.intent.script_hash;
    out.composite_risk_class = script.compositeRiskClass;
    out.step_verdicts = script.stepVerdicts;
  }
  Object.assign(out, contextEvidenceFields(outcome.prepared));
  Object.assign(out, grantsJson(outcome));
  if (outcome.decision.killSwitch) out.kill_switch = killSwitchRecord(outcome.decision.killSwitch);
  Object.assign(out, credentialJson(outcome));
  for (const limit of outcome.limits) {
    out[`${limit.kind}_scope`] = limit.scope;
    out[`${limit.kind}_key`] = limit.key;
    out[`${limit.kind}_used`] = limit.used;
    out[`${limit.kind}_remaining`] = limit.remaining;
  }
  return out;
}

/** The broker credential the decision relied on (by reference), or why the broker gave none. */
function credentialJson({ credential, credentialError }: GateOutcome): Partial<GateDecisionJson> {
  const out: Partial<GateDecisionJson> = {};
  if (credential) {
    out.credential_issuer = credential.issuer;
    out.credential_source = credential.source;
    out.credential_access_type = credential.accessType;
    out.credential_ref = credential.ref;
    out.credential_ttl_seconds = credential.ttlSeconds;
  }
  if (credentialError) out.credential_error = credentialError;
  return out;
}

/** The approved-script lookup and the delegation check, when they happened. */
function grantsJson({ scriptMatch, delegation }: GateOutcome): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (scriptMatch?.preApproved) out.pre_approved = true;
  if (scriptMatch?.patternId) out.pattern_id = scriptMatch.patternId;
  if (scriptMatch?.registryReason) out.registry_reason = scriptMatch.registryReason;
  if (delegation) {
    out.delegation_required = delegation.required;
    out.valid_delegations = delegation.valid;
    if (delegation.delegationRef) out.delegation_ref = delegation.delegationRef;
  }
  return out;
}

function simulatedJson({ simulated }: GateDecision): Partial<GateDecisionJson> {
  if (!simulated) return {};
  return {
    simulate_mode: true,
    would_have_blocked: simulated.wouldHaveBlocked,
    simulated_verdict: simulated.verdict,
    simulated_reason_codes: simulated.reasonCodes,
  };
}
