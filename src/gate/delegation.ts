/**
 * Delegation tokens (CONTRACTS.md §5.12): minting, one token's validation with the reference's
 * error codes, and the chain check `gate eval` runs when a matched rule has `require_delegation`.
 *
 * A token says "delegator lets delegate act within scope until expires_at", signed with SignJSON.
 * A delegated intent names its chain (`delegation.chain`, contiguous and ending at the requester,
 * which intent normalization enforces); every link needs a valid token of its own. With no chain,
 * one token whose delegate is the requester suffices.
 *
 * Rules beyond the reference's, all of which only refuse more (see docs/delegation.md):
 * - a link that names its token (`token_ref`) accepts only that token (`chain_mismatch`);
 * - a link that declares a `scope_class` needs a token granting it (`scope_mismatch`);
 * - a token whose scope lists `tool:` entries grants only those tools (`scope_mismatch`);
 * - scope narrows along the chain: a later link's token may not grant what the earlier one did
 *   not (`scope_mismatch`);
 * - at another `--evaluation-time`, a token must also be valid now and not used before it was
 *   created (`not_yet_valid`), as approvals.
 */
import { sortedUnique } from "../contract/bytes.ts";
import { isJsonObject, sha256Hex } from "../contract/canonical.ts";
import {
  type SigningKey,
  signJson,
  type VerifyKey,
  verifyJson,
  withoutSignature,
} from "../contract/signing.ts";
import { findInvisibleCharacter, lowerCase, trimLower, trimSpace } from "../contract/text.ts";
import type { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type {
  DelegationChecker,
  DelegationOutcome,
  DelegationRequirement,
  DelegationTokenCheck,
} from "./delegation-outcome.ts";
import { invalidInput } from "./error-codes.ts";
import type { PreparedIntent } from "./intent-model.ts";
import {
  type ApprovalClock,
  normalizeScope,
  optionalDigest,
  readTokenExpiry,
  requireIdentity,
  tokenTiming,
} from "./signed-grant.ts";
import type { DelegationToken } from "./wire.ts";
import { DELEGATION_TOKEN_SCHEMA_ID, GATE_SCHEMA_VERSION } from "./wire-ids.ts";
import { isDelegationToken } from "./wire-runtime.ts";

export interface DelegationMintRequest {
  delegator: string;
  delegate: string;
  scope: string[];
  scopeClass?: string | undefined;
  intentDigest?: string | undefined;
  policyDigest?: string | undefined;
  ttlNanos: bigint;
  now: Timestamp;
}

export function mintDelegationToken(request: DelegationMintRequest, key: SigningKey): DelegationToken {
  const delegator = requireIdentity(request.delegator, "--delegator", usage);
  const delegate = requireIdentity(request.delegate, "--delegate", usage);
  const scope = normalizeScope(request.scope);
  if (scope.length === 0) throw usage("--scope needs at least one entry, e.g. tool:tool.write");
  if (request.ttlNanos <= 0n) throw usage("--ttl must be positive, e.g. 1h");
  const scopeClass = trimLower(request.scopeClass ?? "");
  const intentDigest = optionalDigest(request.intentDigest, "--intent-digest", usage);
  const policyDigest = optionalDigest(request.policyDigest, "--policy-digest", usage);
  const createdAt = request.now.utc();
  const expiresAt = createdAt.addNanos(request.ttlNanos);
  const token: DelegationToken = {
    schema_id: DELEGATION_TOKEN_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: createdAt.toString(),
    producer_version: PRODUCER_VERSION,
    token_id: delegationTokenId({
      delegator,
      delegate,
      scope,
      scopeClass,
      intentDigest,
      policyDigest,
      expiresAt,
    }),
    delegator_identity: delegator,
    delegate_identity: delegate,
    scope,
    expires_at: expiresAt.toString(),
  };
  if (scopeClass) token.scope_class = scopeClass;
  if (intentDigest) token.intent_digest = intentDigest;
  if (policyDigest) token.policy_digest = policyDigest;
  token.signature = signJson(key, token);
  return token;
}

/**
 * First 24 hex of sha256("<delegator>:<delegate>:<scope,csv>:<scope_class>:<intent_digest>:
 * <policy_digest>:<expires_at RFC3339Nano UTC>"), absent parts empty (CONTRACTS.md §5.12).
 */
export function delegationTokenId(parts: {
  delegator: string;
  delegate: string;
  scope: readonly string[];
  scopeClass: string;
  intentDigest: string;
  policyDigest: string;
  expiresAt: Timestamp;
}): string {
  const material = [
    parts.delegator,
    parts.delegate,
    parts.scope.join(","),
    parts.scopeClass,
    parts.intentDigest,
    parts.policyDigest,
    parts.expiresAt.utc().toString(),
  ];
  return sha256Hex(material.join(":")).slice(0, 24);
}

function usage(message: string) {
  return invalidInput("usage", message, { hint: "run gait delegate mint --help" });
}

// ---------------------------------------------------------------------------------------------
// one token

/** What one token must satisfy; an empty expected identity or digest is not checked. */
export interface DelegationExpectation {
  /** Verifies the signatures; without one every token fails as signature_invalid. */
  key?: VerifyKey | undefined;
  clock: ApprovalClock;
  delegator?: string;
  delegate?: string;
  /** The intent and policy a token that carries digests must be bound to. */
  intentDigest?: string;
  policyDigest?: string;
  /** Any one of these grants (the rule's delegation_scopes); empty: no rule scope. */
  anyScope?: readonly string[];
  /** Each of these must be granted (the link's scope class, the `tool:` entry). */
  allScope?: readonly string[];
  /** The tool the intent calls: a token listing `tool:` scopes must list it. */
  toolName?: string;
  /** The token the link names (its token_ref). */
  tokenId?: string;
  /** The scope of the previous link's token: this token may not grant more. */
  ceiling?: readonly string[];
}

/** A token as validation reads it, or undefined for `delegation_token_invalid`. */
export function parseDelegationToken(raw: unknown): DelegationToken | undefined {
  if (!isJsonObject(raw)) return undefined;
  const body = withoutSignature(raw);
  if (!isDelegationToken(body)) return undefined;
  const tokenId = trimSpace(body.token_id);
  const delegator = trimSpace(body.delegator_identity);
  const delegate = trimSpace(body.delegate_identity);
  if (!tokenId || !delegator || !delegate) return undefined;
  if (findInvisibleCharacter(delegator) || findInvisibleCharacter(delegate)) return undefined;
  const scope = normalizeScope(body.scope);
  const expiresAt = readTokenExpiry(body);
  if (scope.length === 0 || expiresAt === undefined) return undefined;
  const token: DelegationToken = {
    ...body,
    created_at: trimSpace(body.created_at),
    token_id: tokenId,
    delegator_identity: delegator,
    delegate_identity: delegate,
    scope,
    expires_at: expiresAt,
  };
  if (body.scope_class !== undefined) token.scope_class = trimLower(body.scope_class);
  if (body.intent_digest !== undefined) token.intent_digest = lowerCase(body.intent_digest);
  if (body.policy_digest !== undefined) token.policy_digest = lowerCase(body.policy_digest);
  return token;
}

/**
 * Validates one token, in this order: shape (`invalid`), key and signature (`signature_invalid`,
 * `signature_missing`), the link's named token (`chain_mismatch`), delegator and delegate
 * (`*_mismatch`), time (`expired`, `not_yet_valid`), intent and policy binding when the token
 * carries them (`*_mismatch`), scope (`scope_mismatch`). Never throws for a bad token.
 */
export function checkDelegationToken(raw: unknown, expect: DelegationExpectation): DelegationTokenCheck {
  const token = parseDelegationToken(raw);
  const check: DelegationTokenCheck = {
    valid: false,
    tokenId: token?.token_id ?? "",
    delegator: token?.delegator_identity ?? "",
    delegate: token?.delegate_identity ?? "",
    scope: token?.scope ?? [],
    expiresAt: token?.expires_at ?? "",
  };
  const error = tokenError(raw, token, expect);
  return error ? { ...check, errorCode: `delegation_token_${error}` } : { ...check, valid: true };
}

function tokenError(
  raw: unknown,
  token: DelegationToken | undefined,
  expect: DelegationExpectation,
): string | undefined {
  if (!token || !isJsonObject(raw)) return "invalid";
  if (!expect.key) return "signature_invalid";
  if (raw.signature === undefined || raw.signature === null) return "signature_missing";
  if (!verifyJson(expect.key, withoutSignature(raw), raw.signature).ok) return "signature_invalid";
  if (expect.tokenId && token.token_id !== expect.tokenId) return "chain_mismatch";
  if (expect.delegator && token.delegator_identity !== expect.delegator) return "delegator_mismatch";
  if (expect.delegate && token.delegate_identity !== expect.delegate) return "delegate_mismatch";
  const timing = tokenTiming(token, expect.clock);
  if (timing) return timing;
  if (token.intent_digest && expect.intentDigest && token.intent_digest !== expect.intentDigest) {
    return "intent_mismatch";
  }
  if (token.policy_digest && expect.policyDigest && token.policy_digest !== expect.policyDigest) {
    return "policy_mismatch";
  }
  return grantsScope(token, expect) ? undefined : "scope_mismatch";
}

/** `*` grants everything; otherwise a scope is granted by the token's scope list or scope class. */
function grantsScope(token: DelegationToken, expect: DelegationExpectation): boolean {
  const scope = new Set(token.scope);
  if (scope.has("*")) return true;
  const grants = (s: string) => scope.has(s) || token.scope_class === s;
  const anyScope = expect.anyScope ?? [];
  if (anyScope.length > 0 && !anyScope.some(grants)) return false;
  if (!(expect.allScope ?? []).every(grants)) return false;
  const tools = token.scope.filter((s) => s.startsWith("tool:"));
  if (expect.toolName && tools.length > 0 && !scope.has(`tool:${expect.toolName}`) && !scope.has("tool:*")) {
    return false;
  }
  const ceiling = expect.ceiling;
  return !ceiling || ceiling.includes("*") || token.scope.every((s) => ceiling.includes(s));
}

// ---------------------------------------------------------------------------------------------
// the chain

/** One link the tokens must cover: who delegated to whom, with what. */
interface ChainLink {
  delegator: string;
  delegate: string;
  scopeClass: string;
  tokenRef: string;
}

/** The links of the intent's chain; with no chain, one link to the requester from anyone. */
function chainLinks(prepared: PreparedIntent): ChainLink[] {
  const intent = prepared.intent;
  const delegation = intent.delegation;
  const chain = delegation?.chain ?? [];
  if (chain.length === 0) {
    return [
      {
        delegator: "",
        delegate: delegation?.requester_identity ?? intent.context.identity,
        scopeClass: delegation?.scope_class ?? "",
        tokenRef: "",
      },
    ];
  }
  return chain.map((link) => ({
    delegator: link.delegator_identity,
    delegate: link.delegate_identity,
    scopeClass: link.scope_class ?? "",
    tokenRef: link.token_ref ?? "",
  }));
}

/**
 * Covers each link with the first unused token that is valid for it (tokens in the order given).
 * Granted when every link is covered; otherwise the reasons are each failing token's error plus
 * `delegation_chain_insufficient`. A token's audit entry reports its check against the link it
 * names (same delegator and delegate), else against the first link left uncovered.
 */
export function checkDelegationChain(
  tokens: readonly unknown[],
  prepared: PreparedIntent,
  requirement: DelegationRequirement,
  key: VerifyKey | undefined,
): DelegationOutcome {
  const links = chainLinks(prepared);
  const base = (link: ChainLink): DelegationExpectation => ({
    key,
    clock: requirement.clock,
    delegator: link.delegator,
    delegate: link.delegate,
    intentDigest: prepared.intentDigest,
    policyDigest: requirement.policyDigest,
    anyScope: requirement.scopes,
    allScope: link.scopeClass ? [link.scopeClass] : [],
    toolName: prepared.intent.tool_name,
    tokenId: link.tokenRef,
  });
  const used = new Map<number, DelegationTokenCheck>();
  /** The scope of the token covering each covered link: the ceiling of the next link. */
  const coveredScopes: string[][] = [];
  const coveredIds: string[] = [];
  const expectFor = (linkIndex: number): DelegationExpectation => {
    const ceiling = linkIndex > 0 ? coveredScopes[linkIndex - 1] : undefined;
    return { ...base(links[linkIndex]!), ...(ceiling ? { ceiling } : {}) };
  };
  for (const [linkIndex] of links.entries()) {
    const expect = expectFor(linkIndex);
    const index = tokens.findIndex((t, i) => !used.has(i) && checkDelegationToken(t, expect).valid);
    if (index < 0) break;
    const check = checkDelegationToken(tokens[index], expect);
    used.set(index, check);
    coveredScopes.push(check.scope);
    coveredIds.push(check.tokenId);
  }
  const covered = coveredScopes.length;
  const checks = tokens.map((t, i) => {
    const usedCheck = used.get(i);
    if (usedCheck) return usedCheck;
    const parsed = parseDelegationToken(t);
    const own = links.findIndex(
      (l) =>
        parsed &&
        l.delegate === parsed.delegate_identity &&
        (!l.delegator || l.delegator === parsed.delegator_identity),
    );
    return checkDelegationToken(t, expectFor(own >= 0 ? own : Math.min(covered, links.length - 1)));
  });
  const granted = covered === links.length;
  const failures = checks.flatMap((c) => (c.errorCode ? [c.errorCode] : []));
  const reasonCodes: string[] = [];
  if (requirement.required) {
    if (tokens.length === 0) reasonCodes.push("delegation_token_missing");
    else if (granted) reasonCodes.push("delegation_granted");
    else reasonCodes.push(...failures, "delegation_chain_insufficient");
  }
  return {
    required: requirement.required,
    granted,
    reasonCodes: sortedUnique(reasonCodes),
    valid: granted ? covered : checks.filter((c) => c.valid).length,
    delegationRef: granted ? coveredIds.join(",") : "",
    checks,
  };
}

/** The DelegationChecker of a gate whose delegation tokens are verified with `key`. */
export function delegationChecker(key: VerifyKey | undefined): DelegationChecker {
  return (tokens, prepared, requirement) => checkDelegationChain(tokens, prepared, requirement, key);
}
