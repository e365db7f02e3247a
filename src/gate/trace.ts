/**
 * Signed decision traces (CONTRACTS.md §5.9). The trace id is deterministic (same policy, intent
 * and final verdict → same id); `observed_at` is the wall clock and always present.
 */
import type { RelationshipEnvelope } from "../contract/artifact-schemas.ts";
import { isJsonObject, sha256Hex } from "../contract/canonical.ts";
import {
  type SigningKey,
  signJson,
  type VerifyKey,
  verifyJson,
  withoutSignature,
} from "../contract/signing.ts";
import type { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { Decision } from "./decision.ts";
import type { PreparedIntent } from "./intent-model.ts";
import type { Verdict } from "./policy-model.ts";
import type { FreezeWindowDecision, TracedContextField, TraceRecord } from "./wire.ts";
import { GATE_SCHEMA_VERSION, TRACE_SCHEMA_ID } from "./wire-ids.ts";
import { TRACED_CONTEXT_FIELDS } from "./wire-runtime.ts";

export function traceIdFor(policyDigest: string, intentDigest: string, verdict: string): string {
  return sha256Hex(`${policyDigest}:${intentDigest}:${verdict}`).slice(0, 24);
}

function eventIdFor(traceId: string, observedAt: Timestamp): string {
  return sha256Hex(`${traceId}:${observedAt.utc().toString()}`).slice(0, 24);
}

export interface TraceInput {
  prepared: PreparedIntent;
  policyDigest: string;
  /** The final verdict (after approvals and simulate). */
  verdict: Verdict;
  violations: string[];
  decision: Decision;
  observedAt: Timestamp;
  correlationId?: string;
  approvalRef?: string;
  latencyMs?: number;
}

/** Builds the unsigned trace record. */
export function buildTrace(input: TraceInput): TraceRecord {
  const { prepared, decision } = input;
  const intent = prepared.intent;
  const traceId = traceIdFor(input.policyDigest, prepared.intentDigest, input.verdict);
  const trace: TraceRecord = {
    schema_id: TRACE_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: prepared.createdAt,
    observed_at: input.observedAt.utc().toString(),
    producer_version: PRODUCER_VERSION,
    trace_id: traceId,
    event_id: eventIdFor(traceId, input.observedAt),
    tool_name: intent.tool_name,
    args_digest: prepared.argsDigest,
    intent_digest: prepared.intentDigest,
    policy_digest: input.policyDigest,
    policy_id: "gait.gate.policy",
    policy_version: "1.0.0",
    verdict: input.verdict,
    violations: input.violations,
  };
  if (input.correlationId) trace.correlation_id = input.correlationId;
  // Typed as the trace's members, so a context member whose type drifts from the trace's fails to compile.
  const traced: Pick<TraceRecord, TracedContextField> = intent.context;
  for (const field of TRACED_CONTEXT_FIELDS) {
    if (traced[field] !== undefined) Object.assign(trace, { [field]: traced[field] });
  }
  if (input.approvalRef) trace.approval_ref = input.approvalRef;
  if (intent.context.agent_identity) trace.agent_identity = intent.context.agent_identity;
  if (intent.skill_provenance) trace.skill_provenance = intent.skill_provenance;
  if (decision.script) {
    trace.script = true;
    trace.step_count = decision.script.stepCount;
    trace.script_hash = intent.script_hash ?? "";
    trace.composite_risk_class = decision.script.compositeRiskClass;
    trace.step_verdicts = decision.script.stepVerdicts;
    if (decision.script.matchedRuleIds.length > 0) trace.matched_rule_ids = decision.script.matchedRuleIds;
  }
  if (decision.freezeWindow) {
    const fw = decision.freezeWindow;
    const freeze: FreezeWindowDecision = {
      status: fw.active ? "active" : "inactive",
      evaluated_at: input.observedAt.utc().toString(),
    };
    if (fw.timezone) freeze.timezone = fw.timezone;
    if (fw.window) freeze.window_name = fw.window;
    if (fw.effect) freeze.effect = fw.effect;
    trace.freeze_window = freeze;
  }
  if (decision.sandbox) {
    trace.sandbox = decision.sandbox.valid
      ? { status: "valid" }
      : { status: "disallowed", reason_codes: decision.sandbox.violations };
  }
  if (input.latencyMs !== undefined) trace.latency_ms = input.latencyMs;
  trace.relationship = relationshipFor(prepared, input.policyDigest, traceId, decision);
  return trace;
}

/** The deterministic relationship envelope linking trace, tool, agent and policy. */
function relationshipFor(
  prepared: PreparedIntent,
  policyDigest: string,
  traceId: string,
  decision: Decision,
): RelationshipEnvelope {
  const intent = prepared.intent;
  const agent = intent.context.agent_id ?? intent.context.identity;
  const matched = decision.script?.matchedRuleIds ?? decision.matchedRules.map((r) => r.name);
  const policyRef: NonNullable<RelationshipEnvelope["policy_ref"]> = {
    policy_id: "gait.gate.policy",
    policy_version: "1.0.0",
    policy_digest: policyDigest,
  };
  if (matched.length > 0) policyRef.matched_rule_ids = [...new Set(matched)].sort();
  const relationship: RelationshipEnvelope = {
    entity_refs: [
      { kind: "agent", id: agent },
      { kind: "policy", id: policyDigest },
      { kind: "tool", id: intent.tool_name },
      { kind: "trace", id: traceId },
    ],
    policy_ref: policyRef,
    agent_chain: [{ identity: agent, role: "requester" }],
    edges: [
      { kind: "calls", from: { kind: "agent", id: agent }, to: { kind: "tool", id: intent.tool_name } },
      {
        kind: "governed_by",
        from: { kind: "tool", id: intent.tool_name },
        to: { kind: "policy", id: policyDigest },
      },
    ],
  };
  if (intent.context.session_id) relationship.parent_ref = { kind: "session", id: intent.context.session_id };
  return relationship;
}

export function signTrace(trace: TraceRecord, key: SigningKey): TraceRecord {
  const signable = withoutSignature(trace);
  return { ...signable, signature: signJson(key, signable) };
}

/** Pretty JSON (2-space) plus newline: the on-disk form of traces, tokens and audits. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface TraceVerification {
  ok: boolean;
  traceId: string;
  verdict: string;
  signatureStatus: "verified" | "failed" | "missing";
  keyId: string;
  reason?: string;
}

/**
 * Verifies a trace's signature over the parsed object minus `signature`: every byte of the
 * file's content is covered, and the signing-compat vector (which lacks `observed_at`)
 * verifies. Gait-produced traces always carry `observed_at`, so this equals the reference's
 * struct re-marshal for them.
 */
export function verifyTrace(raw: unknown, key: VerifyKey): TraceVerification {
  const obj = isJsonObject(raw) ? raw : {};
  const result: TraceVerification = {
    ok: false,
    traceId: typeof obj.trace_id === "string" ? obj.trace_id : "",
    verdict: typeof obj.verdict === "string" ? obj.verdict : "",
    signatureStatus: "failed",
    keyId: key.keyId,
  };
  if (obj.schema_id !== TRACE_SCHEMA_ID) return { ...result, reason: "not a gait.gate.trace record" };
  if (obj.signature === undefined)
    return { ...result, signatureStatus: "missing", reason: "trace has no signature" };
  const check = verifyJson(key, withoutSignature(obj), obj.signature);
  if (!check.ok) return { ...result, reason: check.reason };
  return { ...result, ok: true, signatureStatus: "verified" };
}
