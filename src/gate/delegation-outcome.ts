/**
 * What a delegation check concluded (CONTRACTS.md §5.12) and its audit record (§5.11), apart
 * from the token checks themselves (delegation.ts): a decision that requires delegation but got no
 * tokens, and the evidence of any check, need only this small module, so `gait gate eval` loads
 * the token code only when tokens are given.
 */
import { compareBytes } from "../contract/bytes.ts";
import { digestJcs } from "../contract/canonical.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { NormalizedIntent, PreparedIntent } from "./intent-model.ts";
import type { ApprovalClock } from "./signed-grant.ts";
import type { DelegationAuditEntry, DelegationAuditRecord, TraceRecord } from "./wire.ts";
import { DELEGATION_AUDIT_SCHEMA_ID, GATE_SCHEMA_VERSION } from "./wire-ids.ts";

/** One presented token as the chain check saw it. */
export interface DelegationTokenCheck {
  valid: boolean;
  /** `delegation_token_<why>` when not valid. */
  errorCode?: string;
  tokenId: string;
  delegator: string;
  delegate: string;
  scope: string[];
  expiresAt: string;
}

export interface DelegationOutcome {
  /** A matched rule requires delegation. */
  required: boolean;
  /** Every link of the chain has a valid token. */
  granted: boolean;
  /** The reasons the decision takes from this check (only when required). */
  reasonCodes: string[];
  /** Tokens that validated a link of the chain. */
  valid: number;
  /** Ids of the tokens that validated the chain, in chain order, joined by ",". */
  delegationRef: string;
  checks: DelegationTokenCheck[];
}

/** What checks delegation tokens against a prepared intent (delegation.ts makes one). */
export type DelegationChecker = (
  tokens: readonly unknown[],
  prepared: PreparedIntent,
  requirement: DelegationRequirement,
) => DelegationOutcome;

/** What the decision asks of the tokens. */
export interface DelegationRequirement {
  required: boolean;
  /** The matched rules' delegation_scopes (any of them grants). */
  scopes: string[];
  policyDigest: string;
  /** When the tokens must be valid (as approvals: the evaluation time and now). */
  clock: ApprovalClock;
}

/** The outcome when no token was presented: missing if required, nothing to audit otherwise. */
export function noDelegationTokens(required: boolean): DelegationOutcome {
  return {
    required,
    granted: false,
    reasonCodes: required ? ["delegation_token_missing"] : [],
    valid: 0,
    delegationRef: "",
    checks: [],
  };
}

/** The trace's `delegation_ref`: who asked, through how many links, with which tokens. */
export function delegationTraceRef(
  intent: NormalizedIntent,
  outcome: DelegationOutcome,
): NonNullable<TraceRecord["delegation_ref"]> {
  const delegation = intent.delegation;
  const ref: NonNullable<TraceRecord["delegation_ref"]> = {};
  const tokenRef = outcome.delegationRef || delegation?.token_refs?.[0] || "";
  if (tokenRef) ref.delegation_token_ref = tokenRef;
  if (delegation) {
    ref.requester_identity = delegation.requester_identity;
    ref.delegation_depth = delegation.chain?.length ?? 0;
    if (delegation.scope_class) ref.scope_class = delegation.scope_class;
    ref.chain_digest = digestJcs(delegation);
  }
  if (outcome.reasonCodes.length > 0) ref.reason_codes = outcome.reasonCodes;
  return ref;
}

export function buildDelegationAudit(input: {
  createdAt: string;
  traceId: string;
  toolName: string;
  intentDigest: string;
  policyDigest: string;
  outcome: DelegationOutcome;
}): DelegationAuditRecord {
  const { outcome } = input;
  const entries = outcome.checks
    .map(auditEntry)
    .sort(
      (a, b) =>
        compareBytes(a.token_id ?? "", b.token_id ?? "") ||
        compareBytes(a.delegator_identity ?? "", b.delegator_identity ?? "") ||
        compareBytes(a.delegate_identity ?? "", b.delegate_identity ?? "") ||
        compareBytes(a.expires_at ?? "", b.expires_at ?? ""),
    );
  const record: DelegationAuditRecord = {
    schema_id: DELEGATION_AUDIT_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: input.createdAt,
    producer_version: PRODUCER_VERSION,
    trace_id: input.traceId,
    tool_name: input.toolName,
    intent_digest: input.intentDigest,
    policy_digest: input.policyDigest,
    delegation_required: outcome.required,
    valid_delegations: outcome.valid,
    delegated: outcome.granted,
    entries,
  };
  if (outcome.delegationRef) record.delegation_ref = outcome.delegationRef;
  return record;
}

/** Fields of a token too broken to parse are left out rather than emitted empty. */
function auditEntry(check: DelegationTokenCheck): DelegationAuditEntry {
  const entry: DelegationAuditEntry = { valid: check.valid };
  if (check.tokenId) entry.token_id = check.tokenId;
  if (check.delegator) entry.delegator_identity = check.delegator;
  if (check.delegate) entry.delegate_identity = check.delegate;
  if (check.scope.length > 0) entry.scope = check.scope;
  if (check.expiresAt) entry.expires_at = check.expiresAt;
  if (check.errorCode) entry.error_code = check.errorCode;
  return entry;
}
