/**
 * The normalized, evaluation-ready policy (CONTRACTS.md §5.4–5.5). `loadPolicy` produces it from
 * YAML; `evaluate` consumes it. Every list here is already trimmed, de-duplicated and sorted in
 * byte order (lower-cased unless noted), and every default is filled in, so evaluation does no
 * parsing and no normalization.
 */

export type Verdict = "allow" | "block" | "dry_run" | "require_approval";
export const VERDICTS: readonly Verdict[] = ["allow", "block", "dry_run", "require_approval"];

/** The verdicts from least to most restrictive, for "most restrictive wins". */
const LEAST_TO_MOST_RESTRICTIVE: readonly Verdict[] = ["allow", "dry_run", "require_approval", "block"];
/** Each verdict's place in that order (a lookup, not a search, on every decision). */
const VERDICT_RANK = Object.fromEntries(
  LEAST_TO_MOST_RESTRICTIVE.map((verdict, rank) => [verdict, rank]),
) as Record<Verdict, number>;

/** The more restrictive of two verdicts (`current` on a tie). */
export function stricterVerdict(current: Verdict, other: Verdict): Verdict {
  return VERDICT_RANK[other] > VERDICT_RANK[current] ? other : current;
}

export type FailClosedField =
  | "targets"
  | "arg_provenance"
  | "endpoint_class"
  | "delegation"
  | "context_evidence";
export type HighRiskField =
  | "agent_id"
  | "agent_identity"
  | "run_id"
  | "workflow_id"
  | "repo"
  | "environment"
  | "credential_ref"
  | "credential_source"
  | "credential_access_type"
  | "credential_issuer"
  | "credential_ttl_seconds"
  | "approval_ref"
  | "wrkr_inventory_ref"
  | "agent_action_bom_ref";

export interface FailClosed {
  enabled: boolean;
  riskClasses: string[];
  requiredFields: FailClosedField[];
  requiredHighRiskFields: HighRiskField[];
}

export interface ScriptControls {
  maxSteps: number; // 0 in YAML means 64
  requireApprovalAbove: number;
  blockMixedRisk: boolean;
  /** True when any field was set in YAML (decides whether the digest includes `Scripts`). */
  present: boolean;
}

export interface McpTrust {
  enabled: boolean;
  snapshotPath: string;
  action: "block" | "require_approval";
  requiredRiskClasses: string[];
  minScore: number;
  maxAge: string; // canonical Go duration text, e.g. "24h0m0s", or ""
  publisherAllowlist: string[];
  requireRegistry: boolean;
}

export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface RuleMatch {
  toolNames: string[];
  riskClasses: string[];
  /** Case kept. */
  identities: string[];
  /** Case kept; plain string prefixes. */
  workspacePrefixes: string[];
  targetKinds: string[];
  /** Case kept. */
  targetValues: string[];
  endpointClasses: string[];
  discoveryMethods: string[];
  toolAnnotations?: ToolAnnotations;
  skillPublishers: string[];
  skillSources: string[];
  dataClasses: string[];
  destinationKinds: string[];
  /** Case kept. */
  destinationValues: string[];
  destinationOperations: string[];
  provenanceSources: string[];
  contextToolNames: string[];
  contextDataClasses: string[];
  contextEndpointClasses: string[];
  contextAutonomyLevels: string[];
  requireDelegation: boolean;
  /** Case kept. */
  allowedDelegatorIdentities: string[];
  /** Case kept. */
  allowedDelegateIdentities: string[];
  delegationScopes: string[];
  maxDelegationDepth: number; // 0 = unset
}

export interface RateLimit {
  requests: number; // 0 = no limit configured
  window: "minute" | "hour";
  scope: "tool" | "identity" | "tool_identity";
}

export interface Dataflow {
  enabled: boolean;
  taintedSources: string[];
  destinationKinds: string[];
  destinationValues: string[];
  destinationOperations: string[];
  action: "block" | "require_approval";
  reasonCode: string;
  violation: string;
}

export interface EndpointConstraint {
  enabled: boolean;
  pathAllowlist: string[];
  pathDenylist: string[];
  domainAllowlist: string[];
  domainDenylist: string[];
  egressClasses: string[];
  action: "block" | "require_approval";
  destructiveAction: "" | "block" | "require_approval";
  reasonCode: string;
  violation: string;
}

export interface FreezeWindowSpan {
  name: string;
  /** Local wall-clock `YYYY-MM-DDTHH:MM:SS` in the window's timezone. */
  start: string;
  end: string;
}

export interface FreezeWindow {
  enabled: boolean;
  timezone: string;
  effect: "block" | "require_approval";
  reason: string;
  environments: string[];
  riskClasses: string[];
  windows: FreezeWindowSpan[];
}

export interface SandboxConstraint {
  enabled: boolean;
  allowedNetworkModes: string[];
  /** `null` when empty (the reference normalizes path lists through a different helper). */
  allowedWritablePathPrefixes: string[] | null;
  requiredReadOnlyRoots: string[] | null;
  allowedEnvExposureModes: string[];
  maxTimeoutSeconds: number;
  allowedFilesystemIsolations: string[];
  allowedUserModes: string[];
}

export interface PolicyRule {
  name: string;
  priority: number;
  effect: Verdict;
  match: RuleMatch;
  reasonCodes: string[];
  violations: string[];
  minApprovals: number;
  requireDistinctApprovers: boolean;
  // agent identity controls
  requireDeclaredAgent: boolean;
  allowedAgentIds: string[];
  deniedAgentIds: string[];
  requiredAgentManifestDigest: string;
  allowedAgentManifestPublishers: string[];
  allowedAgentManifestSources: string[];
  requiredAgentLifecycleStates: string[];
  requireAgentOwner: boolean;
  requireUnexpiredAgent: boolean;
  // credential controls
  blockStandingCredentials: boolean;
  allowedCredentialSources: string[];
  allowedCredentialIssuers: string[];
  allowedCredentialAccessTypes: string[];
  maxCredentialTtlSeconds: number;
  requireJitCredential: boolean;
  // context evidence
  requireContextEvidence: boolean;
  requiredContextEvidenceMode: "" | "required";
  maxContextAgeSeconds: number;
  // broker
  requireBrokerCredential: boolean;
  brokerReference: string;
  brokerScopes: string[];
  freezeWindow?: FreezeWindow;
  sandbox?: SandboxConstraint;
  rateLimit: RateLimit;
  destructiveBudget: RateLimit;
  dataflow?: Dataflow;
  endpoint?: EndpointConstraint;
}

export interface Policy {
  schemaId: "gait.gate.policy";
  schemaVersion: "1.0.0";
  defaultVerdict: Verdict;
  scripts: ScriptControls;
  failClosed: FailClosed;
  mcpTrust: McpTrust;
  /** Sorted by (priority ascending, name ascending): evaluation order. */
  rules: PolicyRule[];
}

/** A loaded policy: the normalized model plus its digest (computed once at load). */
export interface LoadedPolicy {
  policy: Policy;
  policyDigest: string;
  /** The source path, when loaded from a file. */
  path?: string;
}
