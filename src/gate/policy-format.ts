/**
 * Deterministic YAML for a normalized policy (`gait policy fmt`): snake_case keys in a fixed order,
 * rules in evaluation order, every list normalized, and only fields that differ from their default
 * (except the risk classes of fail_closed and mcp_trust, always spelled out when enabled).
 * Parsing the output gives a policy with the same digest. Comments are not preserved.
 */

import { yamlPackage } from "../contract/yaml-package.ts";
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
import {
  DEFAULT_DATAFLOW_REASON,
  DEFAULT_DATAFLOW_VIOLATION,
  DEFAULT_ENDPOINT_CODE,
  DEFAULT_TAINTED_SOURCES,
} from "./policy-normalize.ts";
import type { PolicyDocument } from "./policy-schema.ts";

type Fields = Record<string, unknown>;

/** Lists whose one-line form is at most this wide are written `[a, b]`; longer ones one per line. */
const FLOW_LIST_WIDTH = 72;

export function formatPolicyYaml(policy: Policy): string {
  const { Document, isScalar, visit } = yamlPackage();
  const doc = new Document(policyToDocument(policy));
  visit(doc, {
    Seq(_, node) {
      if (node.items.length === 0) return;
      const items = node.items as unknown[];
      const scalars = items.every((item) => isScalar(item));
      let width = 0;
      for (const item of items) width += String(isScalar(item) ? item.value : "").length + 2;
      if (scalars && width <= FLOW_LIST_WIDTH) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** The normalized policy as a policy document (what `fmt` writes), valid under the public schema. */
export function policyToDocument(policy: Policy): PolicyDocument {
  const doc: Fields = {
    schema_id: policy.schemaId,
    schema_version: policy.schemaVersion,
    default_verdict: policy.defaultVerdict,
  };
  const { failClosed, scripts, mcpTrust } = policy;
  const failClosedFields = compact({
    enabled: failClosed.enabled,
    // Always spelled out when enabled, defaults included: which risk classes fail closed matters.
    risk_classes: failClosed.riskClasses,
    required_fields: failClosed.requiredFields,
    required_high_risk_fields: failClosed.requiredHighRiskFields,
  });
  if (failClosedFields) doc.fail_closed = failClosedFields;
  const scriptFields = compact({
    max_steps: scripts.maxSteps,
    require_approval_above: scripts.requireApprovalAbove,
    block_mixed_risk: scripts.blockMixedRisk,
  });
  if (scriptFields) doc.scripts = scriptFields;
  if (mcpTrust.enabled) {
    doc.mcp_trust = compact({
      enabled: true,
      snapshot: mcpTrust.snapshotPath,
      action: mcpTrust.action === "block" ? "" : mcpTrust.action,
      required_risk_classes: mcpTrust.requiredRiskClasses,
      min_score: mcpTrust.minScore,
      max_age: mcpTrust.maxAge,
      publisher_allowlist: mcpTrust.publisherAllowlist,
      require_registry: mcpTrust.requireRegistry,
    });
  }
  if (policy.rules.length > 0) doc.rules = policy.rules.map(ruleFields);
  return doc as PolicyDocument;
}

function ruleFields(rule: PolicyRule): Fields {
  const fields: Fields = { name: rule.name };
  if (rule.priority !== 0) fields.priority = rule.priority;
  fields.effect = rule.effect;
  const match = matchFields(rule.match);
  if (match) fields.match = match;
  Object.assign(
    fields,
    compact({
      reason_codes: rule.reasonCodes,
      violations: rule.violations,
      min_approvals: rule.minApprovals,
      // Implied (and re-derived on load) when more than one approval is required.
      require_distinct_approvers: rule.requireDistinctApprovers && rule.minApprovals <= 1,
      require_declared_agent: rule.requireDeclaredAgent,
      allowed_agent_ids: rule.allowedAgentIds,
      denied_agent_ids: rule.deniedAgentIds,
      required_agent_manifest_digest: rule.requiredAgentManifestDigest,
      allowed_agent_manifest_publishers: rule.allowedAgentManifestPublishers,
      allowed_agent_manifest_sources: rule.allowedAgentManifestSources,
      required_agent_lifecycle_states: rule.requiredAgentLifecycleStates,
      require_agent_owner: rule.requireAgentOwner,
      require_unexpired_agent: rule.requireUnexpiredAgent,
      block_standing_credentials: rule.blockStandingCredentials,
      allowed_credential_sources: rule.allowedCredentialSources,
      allowed_credential_issuers: rule.allowedCredentialIssuers,
      allowed_credential_access_types: rule.allowedCredentialAccessTypes,
      max_credential_ttl_seconds: rule.maxCredentialTtlSeconds,
      require_jit_credential: rule.requireJitCredential,
      require_context_evidence: rule.requireContextEvidence,
      required_context_evidence_mode: rule.requiredContextEvidenceMode,
      max_context_age_seconds: rule.maxContextAgeSeconds,
      require_broker_credential: rule.requireBrokerCredential,
      broker_reference: rule.brokerReference,
      broker_scopes: rule.brokerScopes,
    }) ?? {},
  );
  if (rule.freezeWindow?.enabled) fields.freeze_window = freezeWindowFields(rule.freezeWindow);
  if (rule.sandbox?.enabled) fields.sandbox = sandboxFields(rule.sandbox);
  if (rule.rateLimit.requests > 0) fields.rate_limit = limitFields(rule.rateLimit);
  if (rule.destructiveBudget.requests > 0) fields.destructive_budget = limitFields(rule.destructiveBudget);
  if (rule.dataflow?.enabled) fields.dataflow = dataflowFields(rule.dataflow);
  if (rule.endpoint?.enabled) fields.endpoint = endpointFields(rule.endpoint);
  return fields;
}

function matchFields(match: RuleMatch): Fields | undefined {
  const fields = compact({
    tool_names: match.toolNames,
    risk_classes: match.riskClasses,
    identities: match.identities,
    workspace_prefixes: match.workspacePrefixes,
    target_kinds: match.targetKinds,
    target_values: match.targetValues,
    endpoint_classes: match.endpointClasses,
    discovery_method: match.discoveryMethods,
    data_classes: match.dataClasses,
    destination_kinds: match.destinationKinds,
    destination_values: match.destinationValues,
    destination_operations: match.destinationOperations,
    provenance_sources: match.provenanceSources,
    skill_publishers: match.skillPublishers,
    skill_sources: match.skillSources,
    context_tool_names: match.contextToolNames,
    context_data_classes: match.contextDataClasses,
    context_endpoint_classes: match.contextEndpointClasses,
    context_autonomy_levels: match.contextAutonomyLevels,
    require_delegation: match.requireDelegation,
    allowed_delegator_identities: match.allowedDelegatorIdentities,
    allowed_delegate_identities: match.allowedDelegateIdentities,
    delegation_scopes: match.delegationScopes,
    max_delegation_depth: match.maxDelegationDepth,
  });
  if (!match.toolAnnotations) return fields;
  return { ...fields, tool_annotations: { ...match.toolAnnotations } };
}

function freezeWindowFields(spec: FreezeWindow): Fields {
  return {
    enabled: true,
    timezone: spec.timezone,
    ...compact({
      effect: spec.effect === "block" ? "" : spec.effect,
      reason: spec.reason,
      environments: spec.environments,
      risk_classes: spec.riskClasses,
    }),
    ...(spec.windows.length > 0
      ? {
          windows: spec.windows.map((window, index) =>
            window.name === `window-${index + 1}`
              ? { start: window.start, end: window.end }
              : { name: window.name, start: window.start, end: window.end },
          ),
        }
      : {}),
  };
}

function sandboxFields(spec: SandboxConstraint): Fields {
  return {
    enabled: true,
    ...compact({
      allowed_network_modes: spec.allowedNetworkModes,
      allowed_writable_path_prefixes: spec.allowedWritablePathPrefixes ?? [],
      required_read_only_roots: spec.requiredReadOnlyRoots ?? [],
      allowed_env_exposure_modes: spec.allowedEnvExposureModes,
      max_timeout_seconds: spec.maxTimeoutSeconds,
      allowed_filesystem_isolations: spec.allowedFilesystemIsolations,
      allowed_user_modes: spec.allowedUserModes,
    }),
  };
}

function limitFields(limit: RateLimit): Fields {
  return {
    requests: limit.requests,
    ...compact({
      window: limit.window === "minute" ? "" : limit.window,
      scope: limit.scope === "tool_identity" ? "" : limit.scope,
    }),
  };
}

function dataflowFields(spec: Dataflow): Fields {
  return {
    enabled: true,
    ...compact({
      tainted_sources: sameList(spec.taintedSources, DEFAULT_TAINTED_SOURCES) ? [] : spec.taintedSources,
      destination_kinds: spec.destinationKinds,
      destination_values: spec.destinationValues,
      destination_operations: spec.destinationOperations,
      action: spec.action === "require_approval" ? "" : spec.action,
      reason_code: spec.reasonCode === DEFAULT_DATAFLOW_REASON ? "" : spec.reasonCode,
      violation: spec.violation === DEFAULT_DATAFLOW_VIOLATION ? "" : spec.violation,
    }),
  };
}

function endpointFields(spec: EndpointConstraint): Fields {
  return {
    enabled: true,
    ...compact({
      path_allowlist: spec.pathAllowlist,
      path_denylist: spec.pathDenylist,
      domain_allowlist: spec.domainAllowlist,
      domain_denylist: spec.domainDenylist,
      egress_classes: spec.egressClasses,
      action: spec.action === "block" ? "" : spec.action,
      destructive_action: spec.destructiveAction,
      reason_code: spec.reasonCode === DEFAULT_ENDPOINT_CODE ? "" : spec.reasonCode,
      violation: spec.violation === DEFAULT_ENDPOINT_CODE ? "" : spec.violation,
    }),
  };
}

/** Drops zero values ("", 0, false, []); returns undefined when nothing is left. */
function compact(fields: Fields): Fields | undefined {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === "" || value === 0 || value === false || (Array.isArray(value) && value.length === 0))
      continue;
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** True when YAML text has comments (which `fmt --write` does not keep). */
export function yamlHasComments(text: string): boolean {
  const { Lexer } = yamlPackage();
  for (const token of new Lexer().lex(text)) if (token.startsWith("#")) return true;
  return false;
}
