/**
 * The normalized intent (CONTRACTS.md §5.1–5.3), shaped exactly like the reference's digest input:
 * snake_case keys, optional members absent rather than empty. `intent_digest` is the JCS digest of
 * this object, so evaluation and digesting read the same representation.
 */
import type { JsonObject } from "../contract/canonical.ts";

export const TARGET_KINDS = [
  "path",
  "url",
  "host",
  "repo",
  "bucket",
  "table",
  "queue",
  "topic",
  "other",
] as const;
export const ENDPOINT_CLASSES = [
  "fs.read",
  "fs.write",
  "fs.delete",
  "proc.exec",
  "net.http",
  "net.dns",
  "ui.click",
  "ui.type",
  "ui.navigate",
  "other",
] as const;
export const DISCOVERY_METHODS = [
  "webmcp",
  "dynamic_mcp",
  "a2a",
  "mcp",
  "static_mcp",
  "manual",
  "unknown",
] as const;
export const PROVENANCE_SOURCES = ["user", "tool_output", "external", "system"] as const;
export const CREDENTIAL_SOURCES = [
  "aws_iam_user",
  "aws_sts",
  "azure_federated",
  "command",
  "env",
  "gcp_sts",
  "github_oidc",
  "github_pat",
  "kubernetes_service_account",
  "stub",
  "unknown",
  "vault_dynamic",
] as const;
export const CREDENTIAL_ACCESS_TYPES = [
  "cloud_admin",
  "inherited",
  "jit",
  "standing",
  "static",
  "unknown",
] as const;

export interface Target {
  kind: string;
  value: string;
  operation?: string;
  sensitivity?: string;
  endpoint_class?: string;
  endpoint_domain?: string;
  destructive?: true;
  discovery_method: string;
  read_only_hint?: true;
  destructive_hint?: true;
  idempotent_hint?: true;
  open_world_hint?: true;
}

export interface ArgProvenance {
  arg_path: string;
  source: string;
  source_ref?: string;
  integrity_digest?: string;
}

export interface SkillProvenance {
  skill_name: string;
  skill_version?: string;
  source: string;
  publisher: string;
  digest?: string;
  signature_key_id?: string;
}

export interface DelegationLink {
  delegator_identity: string;
  delegate_identity: string;
  scope_class?: string;
  token_ref?: string;
  issued_at: string;
  expires_at: string;
}

export interface Delegation {
  requester_identity: string;
  scope_class?: string;
  token_refs?: string[];
  chain?: DelegationLink[];
  issued_at: string;
  expires_at: string;
}

export interface AgentIdentity {
  lifecycle_states?: string[];
  owner?: string;
  manifest_digest?: string;
  publisher?: string;
  source?: string;
  issued_at: string;
  approved_at: string;
  expires_at: string;
  revoked?: true;
}

export interface Sandbox {
  network_mode?: string;
  writable_paths?: string[];
  read_only_roots?: string[];
  env_exposure_mode?: string;
  timeout_seconds?: number;
  filesystem_isolation?: string;
  user_mode?: string;
  evidence_ref?: string;
  evidence_digest?: string;
}

export interface IntentContext {
  identity: string;
  workspace: string;
  risk_class: string;
  phase: "plan" | "apply";
  agent_id?: string;
  agent_identity?: AgentIdentity;
  run_id?: string;
  workflow_id?: string;
  repo?: string;
  environment?: string;
  job_id?: string;
  session_id?: string;
  request_id?: string;
  credential_ref?: string;
  credential_source?: string;
  credential_access_type?: string;
  credential_issuer?: string;
  credential_subject?: string;
  credential_owner?: string;
  credential_target_binding?: string;
  credential_run_binding?: string;
  credential_job_binding?: string;
  credential_ttl_seconds?: number;
  approval_ref?: string;
  wrkr_inventory_ref?: string;
  agent_action_bom_ref?: string;
  auth_context?: JsonObject;
  sandbox?: Sandbox;
  credential_scopes?: string[];
  environment_fingerprint?: string;
  context_set_digest?: string;
  context_evidence_mode?: string;
  context_refs?: string[];
}

export interface ScriptStep {
  tool_name: string;
  args: JsonObject;
  targets?: Target[];
  arg_provenance?: ArgProvenance[];
}

/** The digest input: exactly the members the reference hashes. */
export interface NormalizedIntent {
  tool_name: string;
  args: JsonObject;
  script_hash?: string;
  script?: { steps: ScriptStep[] };
  targets: Target[];
  arg_provenance?: ArgProvenance[];
  skill_provenance?: SkillProvenance;
  delegation?: Delegation;
  context: IntentContext;
}

/** A normalized intent with its digests, plus the envelope fields that are not hashed. */
export interface PreparedIntent {
  intent: NormalizedIntent;
  intentDigest: string;
  argsDigest: string;
  /** Envelope metadata carried from the request (not part of the digest). */
  createdAt: string;
  producerVersion: string;
  /** The request's `relationship` object, if any (not hashed). */
  relationship?: JsonObject;
  /** Set when a verified context envelope vouched for the context evidence (the trace's `context_source`). */
  contextSource?: "envelope";
  /**
   * Set when the request could not be normalized and a fail-closed policy blocked it: the intent
   * then holds only what could be read, and `intentDigest` is the digest of the request as given.
   */
  unevaluable?: true;
}
