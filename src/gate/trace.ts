/**
 * Signed decision traces (CONTRACTS.md §5.9). The trace id is deterministic (same policy, intent
 * and final verdict → same id); `observed_at` is the wall clock and always present.
 */
import type { RelationshipEnvelope } from "../contract/artifact-schemas.ts";
import { isJsonObject, type JsonObject, sha256Hex } from "../contract/canonical.ts";
import {
  type SigningKey,
  signJson,
  type VerifyKey,
  verifyJson,
  withoutSignature,
} from "../contract/signing.ts";
import { Timestamp, ZERO_TIME } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { credentialTraceFields, type IssuedCredential } from "./credential.ts";
import type { Decision, KillSwitchOutcome } from "./decision.ts";
import { type FreezeOutcome, NO_WINDOW } from "./freeze.ts";
import type { ScriptMatch } from "./gate-grants.ts";
import type { PreparedIntent } from "./intent-model.ts";
import type { Verdict } from "./policy-model.ts";
import type { FreezeWindowDecision, KillSwitchDecision, TracedContextField, TraceRecord } from "./wire.ts";
import { GATE_SCHEMA_VERSION, TRACE_SCHEMA_ID } from "./wire-ids.ts";
import { TRACE_RECORD_FIELDS, TRACE_REQUIRED_FIELDS, TRACED_CONTEXT_FIELDS } from "./wire-runtime.ts";

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
  /** Present when the decision checked a delegation chain. */
  delegationRef?: NonNullable<TraceRecord["delegation_ref"]>;
  /** Present when an approved-script registry was consulted. */
  scriptMatch?: ScriptMatch;
  /** The broker credential the decision relied on: recorded by reference (broker_* members). */
  credential?: IssuedCredential | undefined;
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
  if (input.delegationRef) trace.delegation_ref = input.delegationRef;
  if (input.scriptMatch?.preApproved) trace.pre_approved = true;
  if (input.scriptMatch?.patternId) trace.pattern_id = input.scriptMatch.patternId;
  if (input.scriptMatch?.registryReason) trace.registry_reason = input.scriptMatch.registryReason;
  if (input.credential) Object.assign(trace, credentialTraceFields(input.credential));
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
  if (decision.freezeWindow) trace.freeze_window = freezeWindowRecord(decision.freezeWindow);
  if (decision.sandbox) {
    trace.sandbox = decision.sandbox.valid
      ? { status: "valid" }
      : { status: "disallowed", reason_codes: decision.sandbox.violations };
  }
  Object.assign(trace, contextEvidenceFields(prepared));
  if (decision.killSwitch) trace.kill_switch = killSwitchRecord(decision.killSwitch);
  if (input.latencyMs !== undefined) trace.latency_ms = input.latencyMs;
  trace.relationship = relationshipFor(prepared, input.policyDigest, traceId, decision);
  return trace;
}

/** The context evidence a verified envelope vouched for (none without one: it was stripped). */
export function contextEvidenceFields(
  prepared: PreparedIntent,
): Pick<
  TraceRecord,
  "context_set_digest" | "context_evidence_mode" | "context_ref_count" | "context_source"
> {
  const ctx = prepared.intent.context;
  if (!ctx.context_set_digest || !prepared.contextSource) return {};
  return {
    context_set_digest: ctx.context_set_digest,
    ...(ctx.context_evidence_mode
      ? { context_evidence_mode: ctx.context_evidence_mode as "best_effort" | "required" }
      : {}),
    context_ref_count: ctx.context_refs?.length ?? 0,
    context_source: prepared.contextSource,
  };
}

/** The trace's (and decision's) kill_switch: `evaluated_at` is a Go time.Time, always present. */
export function killSwitchRecord(outcome: KillSwitchOutcome): KillSwitchDecision {
  const record: KillSwitchDecision = { status: outcome.status, evaluated_at: outcome.evaluatedAt };
  if (outcome.status === "active") record.reason_code = "kill_switch_active";
  if (outcome.status === "unavailable") record.reason_code = "kill_switch_state_unavailable";
  if (outcome.reasonCodes.length > 0) record.reason_codes = outcome.reasonCodes;
  if (outcome.matchedEntryIds.length > 0) record.matched_entry_ids = outcome.matchedEntryIds;
  return record;
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

/**
 * The trace's freeze_window. Its three times are Go `time.Time` values, which the reference
 * renders even when zero, so they are always present (the zero time when no window is active).
 */
function freezeWindowRecord(outcome: FreezeOutcome): FreezeWindowDecision {
  const record: FreezeWindowDecision = {
    status: outcome.status,
    timezone: outcome.timezone,
    evaluated_at: outcome.evaluatedAt,
    window_start: outcome.window?.start ?? NO_WINDOW,
    window_end: outcome.window?.end ?? NO_WINDOW,
  };
  if (outcome.window) record.window_name = outcome.window.name;
  if (outcome.effect) record.effect = outcome.effect;
  if (outcome.reasonCode) record.reason_code = outcome.reasonCode;
  return record;
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
 * Verifies a trace's signature the way the reference does: over the trace as its v1 record
 * re-serializes it (see `asV1Record`), not over whatever the file holds. The two agree on every
 * trace either tool writes; they differ on a hand-made or edited trace (one lacking
 * `observed_at`, say), which both tools then reject, and the reason says why.
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
  const record = asV1Record(obj);
  if (typeof record === "string") return { ...result, reason: record };
  const check = verifyJson(key, record.signable, obj.signature);
  if (check.ok) return { ...result, ok: true, signatureStatus: "verified" };
  const rawCheck = verifyJson(key, withoutSignature(obj), obj.signature);
  if (rawCheck.ok && record.changes.length > 0) {
    return {
      ...result,
      reason: `the signature covers the file as written, not the v1 trace record it reads as (${record.changes.join("; ")}); the reference verifier rejects it too`,
    };
  }
  return { ...result, reason: check.reason };
}

interface V1Record {
  signable: JsonObject;
  /** How the file differs from the record, in words; empty when they are the same. */
  changes: string[];
}

/**
 * The trace minus `signature` as the reference's Go struct re-serializes it: members are the v1
 * record's; a required member that is absent renders as its zero value (Go has no `omitempty`
 * on them); `created_at` and `observed_at` are `time.Time`, rendered even when absent (the zero
 * time) and re-rendered RFC 3339 with nanoseconds. A member outside the record would be dropped
 * by the reference and so is covered by no signature: it is refused (a string reason).
 */
function asV1Record(trace: JsonObject): V1Record | string {
  const unknown = Object.keys(trace).filter((k) => !TRACE_RECORD_FIELDS.includes(k));
  if (unknown.length > 0) {
    return `trace has members outside the v1 record (${unknown.join(", ")}); no signature covers them`;
  }
  const signable: JsonObject = withoutSignature(trace);
  const changes: string[] = [];
  for (const field of TRACE_REQUIRED_FIELDS) {
    if (signable[field] === undefined && !TIME_FIELDS.includes(field)) {
      signable[field] = "";
      changes.push(`${field} is missing (read as "")`);
    }
  }
  const bad = renderTimes(signable, TIME_FIELDS, "", changes);
  if (bad) return bad;
  for (const [member, fields] of Object.entries(NESTED_TIME_FIELDS)) {
    const nested = signable[member];
    if (!isJsonObject(nested)) continue;
    const copy = { ...nested };
    const badNested = renderTimes(copy, fields, `${member}.`, changes);
    if (badNested) return badNested;
    signable[member] = copy;
  }
  return { signable, changes };
}

/** The trace members that are Go `time.Time` values, top level and inside nested records. */
const TIME_FIELDS = ["created_at", "observed_at"];
const NESTED_TIME_FIELDS: Record<string, string[]> = {
  agent_identity: ["issued_at", "approved_at", "expires_at"],
  freeze_window: ["evaluated_at", "window_start", "window_end"],
  kill_switch: ["evaluated_at"],
  mcp_trust: ["updated_at"],
};

/** Renders `fields` of `obj` as Go re-marshals time.Time; returns a reason when one is unreadable. */
function renderTimes(
  obj: JsonObject,
  fields: string[],
  prefix: string,
  changes: string[],
): string | undefined {
  for (const field of fields) {
    const text = obj[field];
    if (text === undefined) {
      obj[field] = ZERO_TIME.toString();
      changes.push(`${prefix}${field} is missing (read as ${ZERO_TIME.toString()})`);
      continue;
    }
    if (typeof text !== "string" || !isRfc3339(text)) return `${prefix}${field} is not an RFC 3339 time`;
    const rendered = Timestamp.parse(text).toString();
    if (rendered !== text) {
      obj[field] = rendered;
      changes.push(`${prefix}${field} ${JSON.stringify(text)} reads as ${rendered}`);
    }
  }
  return undefined;
}

function isRfc3339(text: string): boolean {
  try {
    Timestamp.parse(text);
    return true;
  } catch {
    return false;
  }
}
