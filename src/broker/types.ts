/**
 * The broker contract (REFERENCE §3 v1.2-6; public schema gate/broker_request): what the gate asks
 * a broker for, what a broker answers, and the one interface every broker implements. The secret
 * travels only in memory, beside the response, never inside it: the response, the trace and the
 * evidence record name the credential by `credential_ref`.
 */
import type { Timestamp } from "../contract/time.ts";

export const BROKER_KINDS = ["off", "stub", "env", "command", "oauth2"] as const;
export type BrokerKind = (typeof BROKER_KINDS)[number];

/** A credential request for one gate decision; `request_digest` is its JCS digest. */
export interface BrokerRequest {
  tool_name: string;
  identity: string;
  workspace?: string;
  session_id?: string;
  request_id?: string;
  run_id?: string;
  job_id?: string;
  /** The rule's broker_reference. */
  reference?: string;
  /** The rule's broker_scopes, sorted. */
  scope?: string[];
  /** Digest of the intent's targets: the credential is for these targets only. */
  target_binding?: string;
}

/** What a broker answers: everything about the credential except the secret. */
export interface BrokerResponse {
  issued_by: string;
  source: string;
  access_type: string;
  issuer: string;
  subject?: string;
  owner?: string;
  scope: string[];
  credential_ref: string;
  target_binding?: string;
  run_binding?: string;
  job_binding?: string;
  request_digest: string;
  issued_at: string;
  expires_at: string;
  ttl_seconds: number;
}

/** An issued credential: the response, and the secret for the tool call (absent for a stub). */
export interface BrokerIssue {
  response: BrokerResponse;
  secret?: string;
}

export interface IssueContext {
  requestDigest: string;
  now: Timestamp;
  /** Aborted when the gate stops waiting (timeout): the broker should give up. */
  signal: AbortSignal;
}

export interface RequestDefaults {
  reference?: string | undefined;
  scopes?: readonly string[] | undefined;
}

/** One interface for every broker; `issue` rejects with a coded error when it cannot issue. */
export interface CredentialBroker {
  readonly kind: Exclude<BrokerKind, "off">;
  /** Reference and scopes to ask for when the deciding rules name none (`--credential-ref`, `--credential-scopes`). */
  defaults?: RequestDefaults;
  issue(request: BrokerRequest, context: IssueContext): Promise<BrokerIssue>;
}

/**
 * What a tool gets on allow: the secret and what it is good for. Hand it to the call and drop it;
 * Gait never writes it anywhere.
 */
export interface BrokeredCredential {
  secret: string | undefined;
  ref: string;
  scope: string[];
  issuer: string;
  expiresAt: string;
}
