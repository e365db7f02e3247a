/**
 * The policy digest (CONTRACTS.md §5.5): DigestJCS of a synthetic map keyed by the reference's Go
 * field names. Which keys are always present and which only when set is part of the contract; a
 * single extra or missing key changes every approval token bound to the policy.
 */
import { digestJcs, type JsonObject, type JsonValue } from "../contract/canonical.ts";
import type {
  Dataflow,
  EndpointConstraint,
  FreezeWindow,
  Policy,
  PolicyRule,
  RateLimit,
  RuleMatch,
  SandboxConstraint,
} from "./policy-model.ts";

export function policyDigest(policy: Policy): string {
  return digestJcs(policyDigestInput(policy));
}

/** The exact JSON value whose JCS form is hashed (exposed for tests and `--explain`). */
export function policyDigestInput(policy: Policy): JsonObject {
  const failClosed: JsonObject = {
    Enabled: policy.failClosed.enabled,
    RiskClasses: [...policy.failClosed.riskClasses],
    RequiredFields: [...policy.failClosed.requiredFields],
  };
  if (policy.failClosed.requiredHighRiskFields.length > 0) {
    failClosed.RequiredHighRiskFields = [...policy.failClosed.requiredHighRiskFields];
  }
  const input: JsonObject = {
    SchemaID: policy.schemaId,
    SchemaVersion: policy.schemaVersion,
    DefaultVerdict: policy.defaultVerdict,
    FailClosed: failClosed,
    Rules: policy.rules.map(ruleInput),
  };
  const { scripts, mcpTrust } = policy;
  if (scripts.present) {
    input.Scripts = {
      MaxSteps: scripts.maxSteps,
      RequireApprovalAbove: scripts.requireApprovalAbove,
      BlockMixedRisk: scripts.blockMixedRisk,
    };
  }
  if (mcpTrust.enabled) {
    input.MCPTrust = {
      Enabled: true,
      SnapshotPath: mcpTrust.snapshotPath,
      Action: mcpTrust.action,
      RequiredRiskClasses: [...mcpTrust.requiredRiskClasses],
      MinScore: mcpTrust.minScore,
      MaxAge: mcpTrust.maxAge,
      PublisherAllowlist: [...mcpTrust.publisherAllowlist],
      RequireRegistry: mcpTrust.requireRegistry,
    };
  }
  return input;
}

/** Adds `key: value` when the value is set: non-empty list/string, true, or a positive number. */
function setIfPresent(
  target: JsonObject,
  key: string,
  value: string | number | boolean | readonly string[],
): void {
  if (Array.isArray(value)) {
    if (value.length > 0) target[key] = [...value];
  } else if (value !== "" && value !== 0 && value !== false) {
    target[key] = value as JsonValue;
  }
}

function ruleInput(rule: PolicyRule): JsonObject {
  const out: JsonObject = {
    Name: rule.name,
    Priority: rule.priority,
    Effect: rule.effect,
    ReasonCodes: [...rule.reasonCodes],
    Violations: [...rule.violations],
    Match: matchInput(rule.match),
  };
  setIfPresent(out, "MinApprovals", rule.minApprovals);
  setIfPresent(out, "RequireDeclaredAgent", rule.requireDeclaredAgent);
  setIfPresent(out, "AllowedAgentIDs", rule.allowedAgentIds);
  setIfPresent(out, "DeniedAgentIDs", rule.deniedAgentIds);
  setIfPresent(out, "RequiredAgentManifestDigest", rule.requiredAgentManifestDigest);
  setIfPresent(out, "AllowedAgentManifestPublishers", rule.allowedAgentManifestPublishers);
  setIfPresent(out, "AllowedAgentManifestSources", rule.allowedAgentManifestSources);
  setIfPresent(out, "RequiredAgentLifecycleStates", rule.requiredAgentLifecycleStates);
  setIfPresent(out, "RequireAgentOwner", rule.requireAgentOwner);
  setIfPresent(out, "RequireUnexpiredAgent", rule.requireUnexpiredAgent);
  setIfPresent(out, "BlockStandingCredentials", rule.blockStandingCredentials);
  setIfPresent(out, "AllowedCredentialSources", rule.allowedCredentialSources);
  setIfPresent(out, "AllowedCredentialIssuers", rule.allowedCredentialIssuers);
  setIfPresent(out, "AllowedCredentialAccessTypes", rule.allowedCredentialAccessTypes);
  setIfPresent(out, "MaxCredentialTTLSeconds", rule.maxCredentialTtlSeconds);
  setIfPresent(out, "RequireJITCredential", rule.requireJitCredential);
  setIfPresent(out, "RequireDistinctApprovers", rule.requireDistinctApprovers);
  setIfPresent(out, "RequireContextEvidence", rule.requireContextEvidence);
  setIfPresent(out, "RequiredContextEvidenceMode", rule.requiredContextEvidenceMode);
  setIfPresent(out, "MaxContextAgeSeconds", rule.maxContextAgeSeconds);
  setIfPresent(out, "RequireBrokerCredential", rule.requireBrokerCredential);
  setIfPresent(out, "BrokerReference", rule.brokerReference);
  setIfPresent(out, "BrokerScopes", rule.brokerScopes);
  if (rule.freezeWindow?.enabled) out.FreezeWindow = freezeWindowInput(rule.freezeWindow);
  if (rule.sandbox?.enabled) out.Sandbox = sandboxInput(rule.sandbox);
  if (rule.rateLimit.requests > 0) out.RateLimit = limitInput(rule.rateLimit);
  if (rule.destructiveBudget.requests > 0) out.DestructiveBudget = limitInput(rule.destructiveBudget);
  if (rule.dataflow?.enabled) out.Dataflow = dataflowInput(rule.dataflow);
  if (rule.endpoint?.enabled) out.Endpoint = endpointInput(rule.endpoint);
  return out;
}

function matchInput(match: RuleMatch): JsonObject {
  const out: JsonObject = {
    ToolNames: [...match.toolNames],
    RiskClasses: [...match.riskClasses],
    TargetKinds: [...match.targetKinds],
    TargetValues: [...match.targetValues],
    ProvenanceSources: [...match.provenanceSources],
    Identities: [...match.identities],
    WorkspacePrefixes: [...match.workspacePrefixes],
  };
  setIfPresent(out, "EndpointClasses", match.endpointClasses);
  setIfPresent(out, "DiscoveryMethods", match.discoveryMethods);
  const annotations = match.toolAnnotations;
  if (annotations) {
    const hints: JsonObject = {};
    if (annotations.readOnlyHint !== undefined) hints.ReadOnlyHint = annotations.readOnlyHint;
    if (annotations.destructiveHint !== undefined) hints.DestructiveHint = annotations.destructiveHint;
    if (annotations.idempotentHint !== undefined) hints.IdempotentHint = annotations.idempotentHint;
    if (annotations.openWorldHint !== undefined) hints.OpenWorldHint = annotations.openWorldHint;
    if (Object.keys(hints).length > 0) out.ToolAnnotations = hints;
  }
  setIfPresent(out, "SkillPublishers", match.skillPublishers);
  setIfPresent(out, "SkillSources", match.skillSources);
  setIfPresent(out, "DataClasses", match.dataClasses);
  setIfPresent(out, "DestinationKinds", match.destinationKinds);
  setIfPresent(out, "DestinationValues", match.destinationValues);
  setIfPresent(out, "DestinationOps", match.destinationOperations);
  setIfPresent(out, "ContextToolNames", match.contextToolNames);
  setIfPresent(out, "ContextDataClasses", match.contextDataClasses);
  setIfPresent(out, "ContextEndpointClasses", match.contextEndpointClasses);
  setIfPresent(out, "ContextAutonomyLevels", match.contextAutonomyLevels);
  setIfPresent(out, "RequireDelegation", match.requireDelegation);
  setIfPresent(out, "AllowedDelegatorIdentities", match.allowedDelegatorIdentities);
  setIfPresent(out, "AllowedDelegateIdentities", match.allowedDelegateIdentities);
  setIfPresent(out, "DelegationScopes", match.delegationScopes);
  setIfPresent(out, "MaxDelegationDepth", match.maxDelegationDepth);
  return out;
}

function freezeWindowInput(spec: FreezeWindow): JsonObject {
  return {
    Enabled: spec.enabled,
    Timezone: spec.timezone,
    Effect: spec.effect,
    Reason: spec.reason,
    Environments: [...spec.environments],
    RiskClasses: [...spec.riskClasses],
    Windows: spec.windows.map((window) => ({ Name: window.name, Start: window.start, End: window.end })),
  };
}

function sandboxInput(spec: SandboxConstraint): JsonObject {
  return {
    Enabled: spec.enabled,
    AllowedNetworkModes: [...spec.allowedNetworkModes],
    // null, not []: the reference cleans these lists with a helper that returns nil when empty.
    AllowedWritablePathPrefixes: spec.allowedWritablePathPrefixes
      ? [...spec.allowedWritablePathPrefixes]
      : null,
    RequiredReadOnlyRoots: spec.requiredReadOnlyRoots ? [...spec.requiredReadOnlyRoots] : null,
    AllowedEnvExposureModes: [...spec.allowedEnvExposureModes],
    MaxTimeoutSeconds: spec.maxTimeoutSeconds,
    AllowedFilesystemIsolations: [...spec.allowedFilesystemIsolations],
    AllowedUserModes: [...spec.allowedUserModes],
  };
}

function limitInput(limit: RateLimit): JsonObject {
  return { Requests: limit.requests, Window: limit.window, Scope: limit.scope };
}

function dataflowInput(spec: Dataflow): JsonObject {
  const out: JsonObject = {
    Enabled: spec.enabled,
    TaintedSources: [...spec.taintedSources],
    Action: spec.action,
    ReasonCode: spec.reasonCode,
    Violation: spec.violation,
  };
  setIfPresent(out, "DestinationKinds", spec.destinationKinds);
  setIfPresent(out, "DestinationValues", spec.destinationValues);
  setIfPresent(out, "DestinationOperations", spec.destinationOperations);
  return out;
}

function endpointInput(spec: EndpointConstraint): JsonObject {
  return {
    Enabled: spec.enabled,
    PathAllowlist: [...spec.pathAllowlist],
    PathDenylist: [...spec.pathDenylist],
    DomainAllowlist: [...spec.domainAllowlist],
    DomainDenylist: [...spec.domainDenylist],
    EgressClasses: [...spec.egressClasses],
    Action: spec.action,
    DestructiveAction: spec.destructiveAction,
    ReasonCode: spec.reasonCode,
    Violation: spec.violation,
  };
}
