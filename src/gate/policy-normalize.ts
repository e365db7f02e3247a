/**
 * Policy document → normalized, evaluation-ready policy (CONTRACTS.md §5.4). Every alias is merged,
 * every default filled in, every list trimmed, de-duplicated and sorted in byte order (lower-cased
 * unless the value is an identity, a target/destination value, a prefix or a path), and every
 * semantic rule checked. Errors go through `fail`, which knows the source positions.
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import type { GaitError } from "../contract/errors.ts";
import { findInvisibleCharacter, lowerCase, trimSpace } from "../contract/text.ts";
import { formatGoDuration, parseGoDuration } from "../contract/time.ts";
import {
  type Dataflow,
  type EndpointConstraint,
  type FailClosed,
  type FailClosedField,
  type FreezeWindow,
  type HighRiskField,
  type McpTrust,
  type Policy,
  type PolicyRule,
  type RateLimit,
  type RuleMatch,
  type SandboxConstraint,
  type ScriptControls,
  type ToolAnnotations,
  VERDICTS,
  type Verdict,
} from "./policy-model.ts";
import {
  FAIL_CLOSED_FIELDS,
  HIGH_RISK_FIELDS,
  type PolicyDocumentInput,
  type PolicyRuleInput,
  SANDBOX_ENV_EXPOSURE_MODES,
  SANDBOX_FILESYSTEM_ISOLATIONS,
  SANDBOX_NETWORK_MODES,
  SANDBOX_USER_MODES,
} from "./policy-schema.ts";

/** Builds the error for a path such as `rules[2].match.tool_names` (the caller adds line:column). */
export type PolicyFail = (path: string, message: string, hint?: string) => GaitError;

const POLICY_SCHEMA_ID = "gait.gate.policy";
const POLICY_SCHEMA_VERSION = "1.0.0";
const DEFAULT_FAIL_CLOSED_RISK_CLASSES = ["critical", "high"];
export const DEFAULT_TAINTED_SOURCES = ["external", "tool_output"];
export const DEFAULT_DATAFLOW_REASON = "dataflow_tainted_destination";
export const DEFAULT_DATAFLOW_VIOLATION = "tainted_dataflow";
export const DEFAULT_ENDPOINT_CODE = "endpoint_constraint_violation";
const ESCALATIONS = ["block", "require_approval"] as const;
type Escalation = (typeof ESCALATIONS)[number];

export function normalizePolicyDocument(doc: PolicyDocumentInput, fail: PolicyFail): Policy {
  const n = new Normalizer(fail);
  const rules = (doc.rules ?? []).map((rule, index) => n.rule(rule, `rules[${index}]`));
  n.checkUniqueRuleNames(rules);
  return {
    schemaId: n.fixed(doc.schema_id, POLICY_SCHEMA_ID, "schema_id"),
    schemaVersion: n.fixed(doc.schema_version, POLICY_SCHEMA_VERSION, "schema_version"),
    defaultVerdict: n.defaultVerdict(doc),
    scripts: n.scripts(doc.scripts ?? {}),
    failClosed: n.failClosed(doc.fail_closed ?? {}),
    mcpTrust: n.mcpTrust(doc.mcp_trust ?? {}),
    rules: rules.map((entry) => entry.rule).sort(compareRules),
  };
}

/** Evaluation order: priority ascending, then name in byte order. */
function compareRules(a: PolicyRule, b: PolicyRule): number {
  return a.priority - b.priority || compareBytes(a.name, b.name);
}

// ---------------------------------------------------------------------------------------------
// list and scalar helpers

const clean = (values: readonly string[] | undefined) =>
  (values ?? []).map((value) => trimSpace(value)).filter((value) => value !== "");

/** Trimmed, lower-cased, de-duplicated, byte-sorted. */
const lowerList = (values: readonly string[] | undefined) =>
  sortedUnique(clean(values).map((value) => lowerCase(value)));

/** Trimmed, de-duplicated, byte-sorted, case kept (identities, values, prefixes). */
const exactList = (values: readonly string[] | undefined) => sortedUnique(clean(values));

/** Path patterns: `\` becomes `/`, case kept. */
const patternList = (values: readonly string[] | undefined) =>
  sortedUnique(clean(values).map((value) => value.replaceAll("\\", "/")));

/** Sandbox paths go through Go's path.Clean and normalize to null when empty (as the reference does). */
function cleanPathList(values: readonly string[] | undefined): string[] | null {
  const paths = sortedUnique(clean(values).map((value) => goPathClean(value.replaceAll("\\", "/"))));
  return paths.length > 0 ? paths : null;
}

/** Go's `path.Clean`: collapse `//`, `.` and `..`, drop the trailing slash. */
function goPathClean(path: string): string {
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

const text = (value: string | undefined) => trimSpace(value ?? "");
const lower = (value: string | undefined) => lowerCase(text(value));

// ---------------------------------------------------------------------------------------------

interface NormalizedRuleEntry {
  rule: PolicyRule;
  path: string;
}

class Normalizer {
  constructor(private readonly fail: PolicyFail) {}

  fixed<T extends string>(value: string | undefined, expected: T, path: string): T {
    const given = text(value);
    if (given !== "" && given !== expected) {
      throw this.fail(
        path,
        `unsupported value ${JSON.stringify(given)} (expected ${JSON.stringify(expected)})`,
      );
    }
    return expected;
  }

  oneOf<T extends string>(value: string | undefined, allowed: readonly T[], path: string): T | undefined {
    const given = lower(value);
    if (given === "") return undefined;
    if (!(allowed as readonly string[]).includes(given)) {
      throw this.fail(path, `unsupported value ${JSON.stringify(given)} (allowed: ${allowed.join(", ")})`);
    }
    return given as T;
  }

  listOf<T extends string>(values: readonly string[] | undefined, allowed: readonly T[], path: string): T[] {
    const list = lowerList(values);
    const bad = list.filter((value) => !(allowed as readonly string[]).includes(value));
    if (bad.length > 0) {
      throw this.fail(path, `unsupported value(s) ${bad.join(", ")} (allowed: ${allowed.join(", ")})`);
    }
    return list as T[];
  }

  defaultVerdict(doc: PolicyDocumentInput): Verdict {
    const verdict = this.oneOf(doc.default_verdict, VERDICTS, "default_verdict");
    const alias = this.oneOf(doc.default_action, VERDICTS, "default_action");
    if (verdict && alias && verdict !== alias) {
      throw this.fail(
        "default_action",
        `conflicts with default_verdict (${alias} vs ${verdict})`,
        "default_action is an alias of default_verdict: keep one of them",
      );
    }
    return verdict ?? alias ?? "require_approval";
  }

  scripts(input: NonNullable<PolicyDocumentInput["scripts"]>): ScriptControls {
    const maxSteps = input.max_steps ?? 0;
    const requireApprovalAbove = input.require_approval_above ?? 0;
    const blockMixedRisk = input.block_mixed_risk ?? false;
    // maxSteps stays 0 when unset (the evaluator reads 0 as 64) so the digest sees what was written.
    return {
      maxSteps,
      requireApprovalAbove,
      blockMixedRisk,
      present: maxSteps > 0 || requireApprovalAbove > 0 || blockMixedRisk,
    };
  }

  /**
   * Names a rule matches on must be visible text: a rule on `delete\u200b_user` would look like
   * one on `delete_user` to a reviewer and never fire (intents with such names are refused too).
   */
  visibleNames(match: RuleMatch, path: string): RuleMatch {
    const lists: Array<[string, string[]]> = [
      ["tool_names", match.toolNames],
      ["risk_classes", match.riskClasses],
      ["identities", match.identities],
      ["allowed_delegator_identities", match.allowedDelegatorIdentities],
      ["allowed_delegate_identities", match.allowedDelegateIdentities],
    ];
    for (const [field, values] of lists) this.checkVisible(values, `${path}.${field}`);
    return match;
  }

  private checkVisible(values: readonly string[], path: string): void {
    for (const value of values) {
      const found = findInvisibleCharacter(value);
      if (found) {
        throw this.fail(
          path,
          `${JSON.stringify(value)} contains an invisible or look-alike character (${found.codePoint})`,
          "names in a policy must be plain visible text; see docs/policy.md",
        );
      }
    }
  }

  failClosed(input: NonNullable<PolicyDocumentInput["fail_closed"]>): FailClosed {
    const enabled = input.enabled ?? false;
    const riskClasses = lowerList(input.risk_classes);
    this.checkVisible(riskClasses, "fail_closed.risk_classes");
    return {
      enabled,
      riskClasses: enabled && riskClasses.length === 0 ? [...DEFAULT_FAIL_CLOSED_RISK_CLASSES] : riskClasses,
      requiredFields: this.listOf<FailClosedField>(
        input.required_fields,
        FAIL_CLOSED_FIELDS,
        "fail_closed.required_fields",
      ),
      requiredHighRiskFields: this.listOf<HighRiskField>(
        input.required_high_risk_fields,
        HIGH_RISK_FIELDS,
        "fail_closed.required_high_risk_fields",
      ),
    };
  }

  mcpTrust(input: NonNullable<PolicyDocumentInput["mcp_trust"]>): McpTrust {
    const action = this.oneOf(input.action, ESCALATIONS, "mcp_trust.action");
    const minScore = input.min_score ?? 0;
    if (minScore < 0 || minScore > 1) throw this.fail("mcp_trust.min_score", "must be between 0 and 1");
    const maxAge = this.duration(input.max_age, "mcp_trust.max_age");
    const trust: McpTrust = {
      enabled: false,
      snapshotPath: text(input.snapshot),
      action: action ?? "block",
      requiredRiskClasses: lowerList(input.required_risk_classes),
      minScore,
      maxAge,
      publisherAllowlist: lowerList(input.publisher_allowlist),
      requireRegistry: input.require_registry ?? false,
    };
    // Setting any field turns MCP trust on.
    trust.enabled =
      (input.enabled ?? false) ||
      trust.snapshotPath !== "" ||
      action !== undefined ||
      trust.requiredRiskClasses.length > 0 ||
      minScore > 0 ||
      maxAge !== "" ||
      trust.publisherAllowlist.length > 0 ||
      trust.requireRegistry;
    if (!trust.enabled) return trust;
    if (trust.snapshotPath === "") {
      throw this.fail(
        "mcp_trust.snapshot",
        "is required when mcp_trust is configured",
        "set mcp_trust.snapshot",
      );
    }
    if (trust.requiredRiskClasses.length === 0)
      trust.requiredRiskClasses = [...DEFAULT_FAIL_CLOSED_RISK_CLASSES];
    return trust;
  }

  duration(value: string | undefined, path: string): string {
    const given = text(value);
    if (given === "") return "";
    let nanos: bigint;
    try {
      nanos = parseGoDuration(given, path);
    } catch {
      throw this.fail(
        path,
        `${JSON.stringify(given)} is not a duration`,
        "use Go duration syntax such as 30m, 24h or 1h30m",
      );
    }
    if (nanos < 0n) throw this.fail(path, "must not be negative");
    return nanos === 0n ? "" : formatGoDuration(nanos);
  }

  checkUniqueRuleNames(entries: NormalizedRuleEntry[]): void {
    const seen = new Map<string, string>();
    for (const { rule, path } of entries) {
      const first = seen.get(rule.name);
      if (first !== undefined) {
        throw this.fail(`${path}.name`, `duplicate rule name ${JSON.stringify(rule.name)} (also ${first})`);
      }
      seen.set(rule.name, path);
    }
  }

  rule(input: PolicyRuleInput, path: string): NormalizedRuleEntry {
    const name = text(input.name);
    if (name === "") throw this.fail(path, "rule name is required", "give every rule a unique name");
    const effect = this.oneOf(input.effect, VERDICTS, `${path}.effect`);
    const action = this.oneOf(input.action, VERDICTS, `${path}.action`);
    if (effect && action && effect !== action) {
      throw this.fail(
        `${path}.action`,
        `conflicts with effect (${action} vs ${effect})`,
        "action is an alias of effect: keep one of them",
      );
    }
    const resolvedEffect = effect ?? action;
    if (!resolvedEffect) {
      throw this.fail(
        path,
        `rule ${JSON.stringify(name)} needs an effect`,
        `set effect to one of ${VERDICTS.join(", ")}`,
      );
    }
    const minApprovals = input.min_approvals ?? 0;
    const manifestDigest = lower(input.required_agent_manifest_digest);
    if (manifestDigest !== "" && !/^[0-9a-f]{64}$/.test(manifestDigest)) {
      throw this.fail(
        `${path}.required_agent_manifest_digest`,
        "must be 64 hex characters (a sha256 digest)",
      );
    }
    const evidenceMode = this.oneOf(
      input.required_context_evidence_mode,
      ["required"] as const,
      `${path}.required_context_evidence_mode`,
    );
    const rule: PolicyRule = {
      name,
      priority: input.priority ?? 0,
      effect: resolvedEffect,
      match: this.visibleNames(ruleMatch(input.match ?? {}), `${path}.match`),
      reasonCodes: lowerList(input.reason_codes),
      violations: lowerList(input.violations),
      // Kept as written (0 = unset): "require_approval implies at least one approval" is applied
      // at evaluation, and the digest only carries MinApprovals when it was set.
      minApprovals,
      requireDistinctApprovers: (input.require_distinct_approvers ?? false) || minApprovals > 1,
      requireDeclaredAgent: input.require_declared_agent ?? false,
      allowedAgentIds: exactList(input.allowed_agent_ids),
      deniedAgentIds: exactList(input.denied_agent_ids),
      requiredAgentManifestDigest: manifestDigest,
      allowedAgentManifestPublishers: lowerList(input.allowed_agent_manifest_publishers),
      allowedAgentManifestSources: lowerList(input.allowed_agent_manifest_sources),
      requiredAgentLifecycleStates: lowerList(input.required_agent_lifecycle_states),
      requireAgentOwner: input.require_agent_owner ?? false,
      requireUnexpiredAgent: input.require_unexpired_agent ?? false,
      blockStandingCredentials: input.block_standing_credentials ?? false,
      allowedCredentialSources: lowerList(input.allowed_credential_sources),
      allowedCredentialIssuers: exactList(input.allowed_credential_issuers),
      allowedCredentialAccessTypes: lowerList(input.allowed_credential_access_types),
      maxCredentialTtlSeconds: input.max_credential_ttl_seconds ?? 0,
      requireJitCredential: input.require_jit_credential ?? false,
      requireContextEvidence: input.require_context_evidence ?? false,
      requiredContextEvidenceMode: evidenceMode ?? "",
      maxContextAgeSeconds: input.max_context_age_seconds ?? 0,
      requireBrokerCredential: input.require_broker_credential ?? false,
      brokerReference: text(input.broker_reference),
      brokerScopes: lowerList(input.broker_scopes),
      rateLimit: this.limit(input.rate_limit ?? {}, `${path}.rate_limit`),
      destructiveBudget: this.limit(input.destructive_budget ?? {}, `${path}.destructive_budget`),
    };
    const freezeWindow = this.freezeWindow(input.freeze_window ?? {}, `${path}.freeze_window`);
    if (freezeWindow) rule.freezeWindow = freezeWindow;
    const sandbox = this.sandbox(input.sandbox ?? {}, `${path}.sandbox`);
    if (sandbox) rule.sandbox = sandbox;
    const dataflow = this.dataflow(input.dataflow ?? {}, `${path}.dataflow`);
    if (dataflow) rule.dataflow = dataflow;
    const endpoint = this.endpoint(input.endpoint ?? {}, `${path}.endpoint`);
    if (endpoint) rule.endpoint = endpoint;
    return { rule, path };
  }

  limit(input: NonNullable<PolicyRuleInput["rate_limit"]>, path: string): RateLimit {
    const window = this.oneOf(input.window, ["minute", "hour"] as const, `${path}.window`) ?? "minute";
    const scope = this.oneOf(input.scope, ["tool", "identity", "tool_identity"] as const, `${path}.scope`);
    const requests = input.requests ?? 0;
    // Without a request count there is no limit; window and scope keep their defaults.
    if (requests === 0) return { requests, window: "minute", scope: "tool_identity" };
    return { requests, window, scope: scope ?? "tool_identity" };
  }

  freezeWindow(input: NonNullable<PolicyRuleInput["freeze_window"]>, path: string): FreezeWindow | undefined {
    const effect = this.oneOf(input.effect, ESCALATIONS, `${path}.effect`);
    const spec: FreezeWindow = {
      enabled: true,
      timezone: text(input.timezone),
      effect: effect ?? "block",
      reason: text(input.reason),
      environments: lowerList(input.environments),
      riskClasses: lowerList(input.risk_classes),
      // Kept as written: an unreadable window or zone blocks at evaluation (see freeze.ts).
      windows: (input.windows ?? []).map((window, index) => ({
        name: text(window.name) || `window-${index + 1}`,
        start: text(window.start),
        end: text(window.end),
      })),
    };
    const populated =
      spec.timezone !== "" ||
      effect !== undefined ||
      spec.reason !== "" ||
      spec.environments.length > 0 ||
      spec.riskClasses.length > 0 ||
      spec.windows.length > 0;
    if (!(input.enabled ?? false) && !populated) return undefined;
    if (spec.timezone === "")
      throw this.fail(`${path}.timezone`, "is required", "set an IANA zone such as UTC or Europe/Paris");
    return spec;
  }

  sandbox(input: NonNullable<PolicyRuleInput["sandbox"]>, path: string): SandboxConstraint | undefined {
    const spec: SandboxConstraint = {
      enabled: true,
      allowedNetworkModes: this.listOf(
        input.allowed_network_modes,
        SANDBOX_NETWORK_MODES,
        `${path}.allowed_network_modes`,
      ),
      allowedWritablePathPrefixes: cleanPathList(input.allowed_writable_path_prefixes),
      requiredReadOnlyRoots: cleanPathList(input.required_read_only_roots),
      allowedEnvExposureModes: this.listOf(
        input.allowed_env_exposure_modes,
        SANDBOX_ENV_EXPOSURE_MODES,
        `${path}.allowed_env_exposure_modes`,
      ),
      maxTimeoutSeconds: input.max_timeout_seconds ?? 0,
      allowedFilesystemIsolations: this.listOf(
        input.allowed_filesystem_isolations,
        SANDBOX_FILESYSTEM_ISOLATIONS,
        `${path}.allowed_filesystem_isolations`,
      ),
      allowedUserModes: this.listOf(
        input.allowed_user_modes,
        SANDBOX_USER_MODES,
        `${path}.allowed_user_modes`,
      ),
    };
    const populated =
      spec.allowedNetworkModes.length > 0 ||
      spec.allowedWritablePathPrefixes !== null ||
      spec.requiredReadOnlyRoots !== null ||
      spec.allowedEnvExposureModes.length > 0 ||
      spec.maxTimeoutSeconds > 0 ||
      spec.allowedFilesystemIsolations.length > 0 ||
      spec.allowedUserModes.length > 0;
    return (input.enabled ?? false) || populated ? spec : undefined;
  }

  dataflow(input: NonNullable<PolicyRuleInput["dataflow"]>, path: string): Dataflow | undefined {
    const action = this.oneOf(input.action, ESCALATIONS, `${path}.action`);
    const taintedSources = lowerList(input.tainted_sources);
    const spec: Dataflow = {
      enabled: true,
      taintedSources: taintedSources.length > 0 ? taintedSources : [...DEFAULT_TAINTED_SOURCES],
      destinationKinds: lowerList(input.destination_kinds),
      destinationValues: exactList(input.destination_values),
      destinationOperations: lowerList(input.destination_operations),
      action: action ?? "require_approval",
      reasonCode: lower(input.reason_code) || DEFAULT_DATAFLOW_REASON,
      violation: lower(input.violation) || DEFAULT_DATAFLOW_VIOLATION,
    };
    const populated =
      taintedSources.length > 0 ||
      spec.destinationKinds.length > 0 ||
      spec.destinationValues.length > 0 ||
      spec.destinationOperations.length > 0 ||
      action !== undefined ||
      lower(input.reason_code) !== "" ||
      lower(input.violation) !== "";
    return (input.enabled ?? false) || populated ? spec : undefined;
  }

  endpoint(input: NonNullable<PolicyRuleInput["endpoint"]>, path: string): EndpointConstraint | undefined {
    const action = this.oneOf(input.action, ESCALATIONS, `${path}.action`);
    const destructiveAction: Escalation | undefined = this.oneOf(
      input.destructive_action,
      ESCALATIONS,
      `${path}.destructive_action`,
    );
    const egressClasses = lowerList(input.egress_classes);
    const notNet = egressClasses.filter((value) => !value.startsWith("net."));
    if (notNet.length > 0) {
      throw this.fail(`${path}.egress_classes`, `only net.* classes are allowed (got ${notNet.join(", ")})`);
    }
    const spec: EndpointConstraint = {
      enabled: true,
      pathAllowlist: patternList(input.path_allowlist),
      pathDenylist: patternList(input.path_denylist),
      domainAllowlist: lowerList(input.domain_allowlist),
      domainDenylist: lowerList(input.domain_denylist),
      egressClasses,
      action: action ?? "block",
      destructiveAction: destructiveAction ?? "",
      reasonCode: lower(input.reason_code) || DEFAULT_ENDPOINT_CODE,
      violation: lower(input.violation) || DEFAULT_ENDPOINT_CODE,
    };
    const populated =
      spec.pathAllowlist.length > 0 ||
      spec.pathDenylist.length > 0 ||
      spec.domainAllowlist.length > 0 ||
      spec.domainDenylist.length > 0 ||
      egressClasses.length > 0 ||
      action !== undefined ||
      destructiveAction !== undefined ||
      lower(input.reason_code) !== "" ||
      lower(input.violation) !== "";
    return (input.enabled ?? false) || populated ? spec : undefined;
  }
}

function ruleMatch(input: NonNullable<PolicyRuleInput["match"]>): RuleMatch {
  const match: RuleMatch = {
    toolNames: lowerList([
      ...(input.tool_name === undefined ? [] : [input.tool_name]),
      ...(input.tool_names ?? []),
    ]),
    riskClasses: lowerList(input.risk_classes),
    identities: exactList(input.identities),
    workspacePrefixes: exactList(input.workspace_prefixes),
    targetKinds: lowerList(input.target_kinds),
    targetValues: exactList(input.target_values),
    endpointClasses: lowerList([...(input.endpoint_class ?? []), ...(input.endpoint_classes ?? [])]),
    discoveryMethods: lowerList(input.discovery_method),
    skillPublishers: lowerList(input.skill_publishers),
    skillSources: lowerList(input.skill_sources),
    dataClasses: lowerList(input.data_classes),
    destinationKinds: lowerList(input.destination_kinds),
    destinationValues: exactList(input.destination_values),
    destinationOperations: lowerList(input.destination_operations),
    provenanceSources: lowerList(input.provenance_sources),
    contextToolNames: lowerList(input.context_tool_names),
    contextDataClasses: lowerList(input.context_data_classes),
    contextEndpointClasses: lowerList(input.context_endpoint_classes),
    contextAutonomyLevels: lowerList(input.context_autonomy_levels),
    requireDelegation: input.require_delegation ?? false,
    allowedDelegatorIdentities: exactList(input.allowed_delegator_identities),
    allowedDelegateIdentities: exactList(input.allowed_delegate_identities),
    delegationScopes: lowerList(input.delegation_scopes),
    maxDelegationDepth: input.max_delegation_depth ?? 0,
  };
  const annotations = toolAnnotations(input.tool_annotations);
  if (annotations) match.toolAnnotations = annotations;
  return match;
}

function toolAnnotations(
  input: NonNullable<PolicyRuleInput["match"]>["tool_annotations"],
): ToolAnnotations | undefined {
  if (!input) return undefined;
  const annotations: ToolAnnotations = {};
  if (input.readOnlyHint !== undefined) annotations.readOnlyHint = input.readOnlyHint;
  if (input.destructiveHint !== undefined) annotations.destructiveHint = input.destructiveHint;
  if (input.idempotentHint !== undefined) annotations.idempotentHint = input.idempotentHint;
  if (input.openWorldHint !== undefined) annotations.openWorldHint = input.openWorldHint;
  return Object.keys(annotations).length > 0 ? annotations : undefined;
}
