/**
 * Checks a broker's response against the request and the deciding rules (REFERENCE §2.4 step 10):
 * the credential must be for exactly the rule's scopes, for this request (digest and bindings),
 * unexpired, within the rules' TTL, and of a source, issuer and access type the rules allow.
 * Pure; returns the gate reason codes of every mismatch (none: the credential is usable).
 */
import { sortedUnique } from "../contract/bytes.ts";
import { Timestamp } from "../contract/time.ts";
import type { CredentialPosture, IssuedCredential } from "../gate/index.ts";
import type { BrokerIssue, BrokerRequest, BrokerResponse } from "./types.ts";

const STANDING_ACCESS_TYPES = new Set(["standing", "static", "inherited", "cloud_admin"]);

export interface ResponseExpectation {
  request: BrokerRequest;
  requestDigest: string;
  postures: readonly CredentialPosture[];
  now: Timestamp;
}

export function credentialMismatches(issue: BrokerIssue, expected: ResponseExpectation): string[] {
  const { response, secret } = issue;
  const { request } = expected;
  const codes: string[] = [];
  if (!response.credential_ref) codes.push("broker_credential_missing");
  // A reference that carries the secret would put it in the trace.
  else if (secret && response.credential_ref.includes(secret)) codes.push("broker_credential_ref_mismatch");
  if (!response.request_digest) codes.push("broker_request_digest_missing");
  else if (response.request_digest.toLowerCase() !== expected.requestDigest) {
    codes.push("broker_request_digest_mismatch");
  }
  const scope = sortedUnique(response.scope.map((s) => s.trim().toLowerCase()));
  if (scope.join(" ") !== (request.scope ?? []).join(" ")) codes.push("broker_scope_mismatch");
  if (!isLive(response, expected.now)) codes.push("broker_ttl_exceeded");
  codes.push(...bindingMismatches(response, request));
  for (const posture of expected.postures) codes.push(...postureMismatches(response, posture));
  return sortedUnique(codes);
}

/** Issued with a positive lifetime and not yet expired. */
function isLive(response: BrokerResponse, now: Timestamp): boolean {
  if (!(response.ttl_seconds > 0)) return false;
  try {
    return Timestamp.parse(response.expires_at).compare(now) > 0;
  } catch {
    return false;
  }
}

function bindingMismatches(response: BrokerResponse, request: BrokerRequest): string[] {
  const codes: string[] = [];
  if (response.target_binding && response.target_binding !== request.target_binding) {
    codes.push("broker_target_binding_mismatch");
  }
  if (response.run_binding && response.run_binding !== request.run_id)
    codes.push("broker_run_binding_mismatch");
  if (response.job_binding && response.job_binding !== request.job_id)
    codes.push("broker_job_binding_mismatch");
  return codes;
}

function postureMismatches(response: BrokerResponse, posture: CredentialPosture): string[] {
  const codes: string[] = [];
  const source = response.source.toLowerCase();
  const accessType = response.access_type.toLowerCase();
  if (posture.allowedSources.length > 0 && !posture.allowedSources.includes(source)) {
    codes.push("credential_source_disallowed");
  }
  if (posture.allowedIssuers.length > 0 && !posture.allowedIssuers.includes(response.issuer)) {
    codes.push("credential_issuer_disallowed");
  }
  if (posture.allowedAccessTypes.length > 0 && !posture.allowedAccessTypes.includes(accessType)) {
    codes.push("credential_access_type_disallowed");
  }
  if (posture.requireJit && accessType !== "jit") codes.push("credential_not_jit");
  if (posture.blockStanding && STANDING_ACCESS_TYPES.has(accessType))
    codes.push("standing_credential_disallowed");
  if (posture.maxTtlSeconds > 0 && response.ttl_seconds > posture.maxTtlSeconds)
    codes.push("broker_ttl_exceeded");
  return codes;
}

/** The usable credential as the gate records it (by reference). */
export function issuedCredentialOf(response: BrokerResponse, request: BrokerRequest): IssuedCredential {
  const credential: IssuedCredential = {
    broker: response.issued_by,
    reference: request.reference ?? "",
    source: response.source,
    accessType: response.access_type,
    issuer: response.issuer,
    scope: sortedUnique(response.scope.map((s) => s.trim().toLowerCase())),
    ref: response.credential_ref,
    requestDigest: response.request_digest.toLowerCase(),
    issuedAt: response.issued_at,
    expiresAt: response.expires_at,
    ttlSeconds: response.ttl_seconds,
  };
  const optional = {
    subject: response.subject,
    owner: response.owner,
    targetBinding: response.target_binding,
    runBinding: response.run_binding,
    jobBinding: response.job_binding,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value) Object.assign(credential, { [key]: value });
  }
  return credential;
}
