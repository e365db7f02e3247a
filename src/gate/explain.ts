/** The structured explanation of a gate decision (`gait.gate.policy_explain`, `gate eval --explain --json`). */
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { GateOutcome } from "./gate-eval.ts";
import { killSwitchRecord } from "./trace.ts";
import type { PolicyExplain, ProofRefs } from "./wire.ts";
import { GATE_SCHEMA_VERSION, POLICY_EXPLAIN_SCHEMA_ID } from "./wire-ids.ts";

/** `proofRefs`: where the evidence files are, when written (the trace id comes from `traceId`). */
export function buildPolicyExplain(
  result: GateOutcome,
  traceId: string,
  proofRefs: Omit<ProofRefs, "trace_id"> = {},
): PolicyExplain {
  const { decision, prepared } = result;
  const ctx = prepared.intent.context;
  const credentialPosture: NonNullable<PolicyExplain["credential_posture"]> = {
    present: Boolean(ctx.credential_ref || ctx.credential_source),
  };
  if (ctx.credential_source) credentialPosture.source = ctx.credential_source;
  if (ctx.credential_access_type) credentialPosture.access_type = ctx.credential_access_type;
  if (ctx.credential_issuer) credentialPosture.issuer = ctx.credential_issuer;
  if (ctx.credential_ttl_seconds) credentialPosture.ttl_seconds = ctx.credential_ttl_seconds;
  if (ctx.credential_ref) credentialPosture.credential_ref = ctx.credential_ref;
  return {
    ok: true,
    schema_id: POLICY_EXPLAIN_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: prepared.createdAt,
    producer_version: PRODUCER_VERSION,
    verdict: result.verdict,
    matched_rule: decision.matchedRule,
    matched_rules: decision.matchedRules,
    reason_codes: result.reasonCodes,
    violations: result.violations,
    missing_fields: decision.missingFields,
    fail_closed_reason_codes: decision.failClosedReasonCodes,
    approval_required: decision.verdict === "require_approval",
    required_approvals: result.approval?.required ?? decision.minApprovals,
    valid_approvals: result.approval?.valid ?? 0,
    require_broker_credential: decision.requireBrokerCredential,
    broker_reference: decision.brokerReference,
    broker_scopes: decision.brokerScopes,
    require_delegation: decision.requireDelegation,
    required_delegation_scopes: decision.delegationScopes,
    credential_posture: credentialPosture,
    context_evidence_status: contextEvidenceStatus(result),
    ...(decision.killSwitch ? { kill_switch: killSwitchRecord(decision.killSwitch) } : {}),
    proof_refs: { trace_id: traceId, ...proofRefs },
  };
}

/** `verified`: a verified envelope vouched for it; `missing`: a rule needed it; else present or not required. */
function contextEvidenceStatus({
  prepared,
  decision,
}: GateOutcome): PolicyExplain["context_evidence_status"] {
  if (prepared.contextSource && prepared.intent.context.context_set_digest) return "verified";
  if (decision.reasonCodes.includes("context_evidence_missing")) return "missing";
  return prepared.intent.context.context_set_digest ? "present" : "not_required";
}
