/**
 * Approval tokens (CONTRACTS.md §5.10–5.11): minting, validation in the reference's order with
 * its exact error codes, multi-party chains, and the approval audit record.
 */

import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import { digestJcs, isJsonObject, sha256Hex } from "../contract/canonical.ts";
import { type SigningKey, signJson, verifyJson, withoutSignature } from "../contract/signing.ts";
import { findInvisibleCharacter, lowerCase, trimLower, trimSpace } from "../contract/text.ts";
import type { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { ApprovalVerifier } from "./approvers.ts";
import { invalidInput } from "./error-codes.ts";
import type { NormalizedIntent, PreparedIntent } from "./intent-model.ts";
import {
  type ApprovalClock,
  normalizeScope,
  readTokenExpiry,
  requireDigest,
  requireIdentity,
  tokenTiming,
} from "./signed-grant.ts";
import type { ApprovalAuditEntry, ApprovalAuditRecord, ApprovalToken } from "./wire.ts";
import { APPROVAL_AUDIT_SCHEMA_ID, APPROVAL_TOKEN_SCHEMA_ID, GATE_SCHEMA_VERSION } from "./wire-ids.ts";
import { isApprovalToken } from "./wire-runtime.ts";

export interface MintRequest {
  intentDigest: string;
  policyDigest: string;
  approver: string;
  reasonCode: string;
  scope: string[];
  ttlNanos: bigint;
  maxTargets?: number;
  maxOps?: number;
  delegationBindingDigest?: string;
  now: Timestamp;
}

export function mintApprovalToken(request: MintRequest, key: SigningKey): ApprovalToken {
  const intentDigest = requireDigest(request.intentDigest, "--intent-digest", usage);
  const policyDigest = requireDigest(request.policyDigest, "--policy-digest", usage);
  const approver = requireIdentity(request.approver, "--approver", usage);
  const reasonCode = trimSpace(request.reasonCode);
  if (!reasonCode) throw usage("--reason-code is required");
  const scope = normalizeScope(request.scope);
  if (scope.length === 0) throw usage("--scope needs at least one entry, e.g. tool:tool.write");
  if (request.ttlNanos <= 0n) throw usage("--ttl must be positive, e.g. 1h");
  const maxTargets = request.maxTargets ?? 0;
  const maxOps = request.maxOps ?? 0;
  if (maxTargets < 0 || maxOps < 0) throw usage("--max-targets and --max-ops must not be negative");
  const createdAt = request.now.utc();
  const expiresAt = createdAt.addNanos(request.ttlNanos);
  const token: ApprovalToken = {
    schema_id: APPROVAL_TOKEN_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: createdAt.toString(),
    producer_version: PRODUCER_VERSION,
    token_id: approvalTokenId(
      intentDigest,
      policyDigest,
      approver,
      reasonCode,
      scope,
      maxTargets,
      maxOps,
      expiresAt,
    ),
    approver_identity: approver,
    reason_code: reasonCode,
    intent_digest: intentDigest,
    policy_digest: policyDigest,
    scope,
    expires_at: expiresAt.toString(),
  };
  if (request.delegationBindingDigest) {
    token.delegation_binding_digest = requireDigest(
      request.delegationBindingDigest,
      "--delegation-binding-digest",
      usage,
    );
  }
  if (maxTargets > 0) token.max_targets = maxTargets;
  if (maxOps > 0) token.max_ops = maxOps;
  token.signature = signJson(key, token);
  return token;
}

function approvalTokenId(
  intentDigest: string,
  policyDigest: string,
  approver: string,
  reasonCode: string,
  scope: string[],
  maxTargets: number,
  maxOps: number,
  expiresAt: Timestamp,
): string {
  const material = [
    intentDigest,
    policyDigest,
    approver,
    reasonCode,
    scope.join(","),
    maxTargets,
    maxOps,
    expiresAt.utc(),
  ];
  return sha256Hex(material.join(":")).slice(0, 24);
}

function usage(message: string) {
  return invalidInput("usage", message, { hint: "run gait approve --help" });
}

// ---------------------------------------------------------------------------------------------
// validation

/** The scope an approval must grant for this intent: the tool, plus apply/destructive markers. */
export function requiredApprovalScope(intent: NormalizedIntent): string[] {
  const scope = [`tool:${intent.tool_name}`];
  if (intent.context.phase === "apply" && intent.targets.some((t) => t.destructive)) {
    scope.push("phase:apply", "destructive:apply");
  }
  return scope;
}

export type { ApprovalClock } from "./signed-grant.ts";

export interface ApprovalExpectation {
  intentDigest: string;
  policyDigest: string;
  /** DigestJCS of the normalized delegation, when the intent carries one. */
  delegationDigest?: string;
  requiredScope: string[];
  targetCount: number;
  opCount: number;
  clock: ApprovalClock;
  /** Who may sign approvals; without one every token fails as signature_invalid. */
  verifier?: ApprovalVerifier | undefined;
}

/** What a token must satisfy to approve this prepared intent under this policy, at this time. */
export function approvalExpectationFor(
  prepared: PreparedIntent,
  policyDigest: string,
  clock: ApprovalClock,
  verifier: ApprovalVerifier | undefined,
): ApprovalExpectation {
  const intent = prepared.intent;
  return {
    intentDigest: prepared.intentDigest,
    policyDigest,
    ...(intent.delegation ? { delegationDigest: digestJcs(intent.delegation) } : {}),
    requiredScope: requiredApprovalScope(intent),
    ...approvalCounts(intent),
    clock,
    verifier,
  };
}

export interface TokenCheck {
  valid: boolean;
  errorCode?: string;
  tokenId: string;
  approver: string;
  reasonCode: string;
  scope: string[];
  expiresAt: string;
  /** Id of the key whose signature verified (set when valid): multi-party counts distinct keys. */
  keyId?: string;
}

/**
 * Validates one token in the reference's order, with three additions: the signing key must be the
 * approver's own (when an approver key list is configured), the token must not be used before its
 * created_at at the evaluation time, and expiry is checked against the real clock as well.
 * Never throws for a bad token.
 */
export function checkApprovalToken(raw: unknown, expect: ApprovalExpectation): TokenCheck {
  const parsed = parseToken(raw);
  const check: TokenCheck = {
    valid: false,
    tokenId: parsed?.token_id ?? "",
    approver: parsed?.approver_identity ?? "",
    reasonCode: parsed?.reason_code ?? "",
    scope: parsed?.scope ?? [],
    expiresAt: parsed?.expires_at ?? "",
  };
  const failWith = (code: string): TokenCheck => ({ ...check, errorCode: `approval_token_${code}` });
  if (!parsed || !isJsonObject(raw)) return failWith("invalid");
  if (!expect.verifier) return failWith("signature_invalid");
  if (raw.signature === undefined || raw.signature === null) return failWith("signature_missing");
  const signer = expect.verifier.keyFor(parsed.approver_identity, signatureKeyId(raw.signature));
  if ("error" in signer) return failWith(signer.error);
  if (!verifyJson(signer.key, withoutSignature(raw), raw.signature).ok) return failWith("signature_invalid");
  if (parsed.intent_digest !== expect.intentDigest) return failWith("intent_mismatch");
  if (parsed.policy_digest !== expect.policyDigest) return failWith("policy_mismatch");
  if (expect.delegationDigest !== undefined && parsed.delegation_binding_digest !== expect.delegationDigest) {
    return failWith("delegation_binding_mismatch");
  }
  const timing = tokenTiming(parsed, expect.clock);
  if (timing) return failWith(timing);
  const grants = new Set(parsed.scope);
  if (!grants.has("*") && !expect.requiredScope.every((s) => grants.has(s)))
    return failWith("scope_mismatch");
  if ((parsed.max_targets ?? 0) > 0 && expect.targetCount > parsed.max_targets!)
    return failWith("max_targets_exceeded");
  if ((parsed.max_ops ?? 0) > 0 && expect.opCount > parsed.max_ops!) return failWith("max_ops_exceeded");
  return { ...check, valid: true, keyId: signer.key.keyId };
}

function signatureKeyId(envelope: unknown): string {
  const keyId = isJsonObject(envelope) ? envelope.key_id : undefined;
  return typeof keyId === "string" ? trimLower(keyId) : "";
}

/**
 * The token as validation reads it (strings trimmed, digests and scope lower-cased, scope sorted),
 * or undefined for `approval_token_invalid`: not a `gait.gate.approval_token` by its v1 schema, or
 * empty once trimmed, or with an invisible character in the approver, or with unreadable times.
 * The signature is left to the checks that follow, which give its own error codes (missing,
 * invalid).
 */
function parseToken(raw: unknown): ApprovalToken | undefined {
  if (!isJsonObject(raw)) return undefined;
  const body = withoutSignature(raw);
  if (!isApprovalToken(body)) return undefined;
  const tokenId = trimSpace(body.token_id);
  const approver = trimSpace(body.approver_identity);
  const reasonCode = trimSpace(body.reason_code);
  if (!tokenId || !approver || !reasonCode || findInvisibleCharacter(approver)) return undefined;
  const scope = normalizeScope(body.scope);
  const expiresAt = readTokenExpiry(body);
  if (scope.length === 0 || expiresAt === undefined) return undefined;
  const token: ApprovalToken = {
    ...body,
    created_at: trimSpace(body.created_at),
    producer_version: trimSpace(body.producer_version),
    token_id: tokenId,
    approver_identity: approver,
    reason_code: reasonCode,
    intent_digest: lowerCase(body.intent_digest),
    policy_digest: lowerCase(body.policy_digest),
    scope,
    expires_at: expiresAt,
  };
  if (body.delegation_binding_digest !== undefined) {
    token.delegation_binding_digest = lowerCase(body.delegation_binding_digest);
  }
  return token;
}

/** Target and operation counts an approval's max_targets / max_ops are checked against. */
function approvalCounts(intent: NormalizedIntent): { targetCount: number; opCount: number } {
  if (intent.script) {
    const stepTargets = intent.script.steps.reduce((n, s) => n + (s.targets?.length ?? 0), 0);
    return {
      targetCount: stepTargets > 0 ? stepTargets : intent.targets.length,
      opCount: intent.script.steps.length,
    };
  }
  return { targetCount: intent.targets.length, opCount: Math.max(1, intent.targets.length) };
}

export interface ApprovalOutcome {
  granted: boolean;
  reasonCodes: string[];
  required: number;
  valid: number;
  approvalRef: string;
  checks: TokenCheck[];
}

/**
 * Counts valid tokens against the decision's requirement (min approvals, distinct approvers).
 * Distinct approvers means distinct signing keys as well as distinct names: names are only what a
 * token says, so two tokens signed with one key under two names are one approver. Tokens listed
 * in `consumed` (single-use approvals already spent) are refused as `approval_token_consumed`.
 */
export function evaluateApprovals(
  tokens: unknown[],
  required: number,
  requireDistinct: boolean,
  expect: ApprovalExpectation,
  consumed: ReadonlySet<string> = new Set(),
): ApprovalOutcome {
  const checks = tokens.map((t) => spent(checkApprovalToken(t, expect), consumed));
  const validChecks = uniqueBy(
    checks.filter((c) => c.valid),
    (c) => c.tokenId,
  );
  const reasonCodes = sortedUnique(checks.flatMap((c) => (c.errorCode ? [c.errorCode] : [])));
  const need = Math.max(1, required);
  const approvers = sortedUnique(validChecks.map((c) => c.approver));
  const keys = new Set(validChecks.map((c) => c.keyId));
  let granted = validChecks.length >= need;
  if (tokens.length === 0) reasonCodes.push("approval_token_missing");
  else if (validChecks.length < need) reasonCodes.push("approval_chain_insufficient");
  if (granted && requireDistinct && need > 1 && (approvers.length < need || keys.size < need)) {
    granted = false;
    reasonCodes.push("approval_distinct_approvers_required");
  }
  if (granted) reasonCodes.push("approval_granted");
  return {
    granted,
    reasonCodes: sortedUnique(reasonCodes),
    required: need,
    valid: validChecks.length,
    approvalRef: granted ? sortedUnique(validChecks.map((c) => c.tokenId)).join(",") : "",
    checks,
  };
}

function spent(check: TokenCheck, consumed: ReadonlySet<string>): TokenCheck {
  if (!check.valid || !consumed.has(check.tokenId)) return check;
  const { keyId: _keyId, ...rest } = check;
  return { ...rest, valid: false, errorCode: "approval_token_consumed" };
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) if (!byKey.has(key(item))) byKey.set(key(item), item);
  return [...byKey.values()];
}

export function buildApprovalAudit(input: {
  createdAt: string;
  traceId: string;
  toolName: string;
  intentDigest: string;
  policyDigest: string;
  outcome: ApprovalOutcome;
}): ApprovalAuditRecord {
  const entries = input.outcome.checks
    .map((c) => {
      // Fields of a token too broken to parse are left out rather than emitted empty.
      const entry: ApprovalAuditEntry = { valid: c.valid, scope: c.scope };
      if (c.tokenId) entry.token_id = c.tokenId;
      if (c.approver) entry.approver_identity = c.approver;
      if (c.reasonCode) entry.reason_code = c.reasonCode;
      if (c.expiresAt) entry.expires_at = c.expiresAt;
      if (c.errorCode) entry.error_code = c.errorCode;
      return entry;
    })
    .sort(
      (a, b) =>
        compareBytes(a.token_id ?? "", b.token_id ?? "") ||
        compareBytes(a.approver_identity ?? "", b.approver_identity ?? "") ||
        compareBytes(a.reason_code ?? "", b.reason_code ?? "") ||
        compareBytes(a.expires_at ?? "", b.expires_at ?? "") ||
        compareBytes((a.scope ?? []).join(","), (b.scope ?? []).join(",")),
    );
  return {
    schema_id: APPROVAL_AUDIT_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: input.createdAt,
    producer_version: PRODUCER_VERSION,
    trace_id: input.traceId,
    tool_name: input.toolName,
    intent_digest: input.intentDigest,
    policy_digest: input.policyDigest,
    required_approvals: input.outcome.required,
    valid_approvals: input.outcome.valid,
    approved: input.outcome.granted,
    approvers: sortedUnique(input.outcome.checks.filter((c) => c.valid).map((c) => c.approver)),
    entries,
  };
}
