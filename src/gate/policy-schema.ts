/**
 * The policy document as written (YAML read as JSON, snake_case keys), as a TypeBox schema. It
 * mirrors the public `gate/policy.schema.json` constraint for constraint, so a document that passes
 * here passes there. The schema also drives the strict YAML reader (which keys exist and what type
 * each value has); value rules that depend on normalization (lower-casing, defaults, aliases) live
 * in policy-normalize.ts.
 */
import { type Static, Type } from "@sinclair/typebox";

const VerdictEnum = Type.Union([
  Type.Literal("allow"),
  Type.Literal("block"),
  Type.Literal("dry_run"),
  Type.Literal("require_approval"),
]);
const EscalationEnum = Type.Union([Type.Literal("block"), Type.Literal("require_approval")]);
const WindowEnum = Type.Union([Type.Literal("minute"), Type.Literal("hour")]);
const ScopeEnum = Type.Union([Type.Literal("tool"), Type.Literal("identity"), Type.Literal("tool_identity")]);

const Strings = () => Type.Array(Type.String());
const NonEmptyStrings = () => Type.Array(Type.String({ minLength: 1 }));
const enumOf = <T extends string>(values: readonly T[]) =>
  Type.Union(values.map((value) => Type.Literal(value)));
const closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const FAIL_CLOSED_FIELDS = [
  "targets",
  "arg_provenance",
  "endpoint_class",
  "delegation",
  "context_evidence",
] as const;
export const HIGH_RISK_FIELDS = [
  "agent_id",
  "agent_identity",
  "run_id",
  "workflow_id",
  "repo",
  "environment",
  "credential_ref",
  "credential_source",
  "credential_access_type",
  "credential_issuer",
  "credential_ttl_seconds",
  "approval_ref",
  "wrkr_inventory_ref",
  "agent_action_bom_ref",
] as const;
export const SANDBOX_NETWORK_MODES = ["disabled", "egress_allowlist", "full"] as const;
export const SANDBOX_ENV_EXPOSURE_MODES = ["none", "allowlist", "full"] as const;
export const SANDBOX_FILESYSTEM_ISOLATIONS = ["none", "workspace", "container"] as const;
export const SANDBOX_USER_MODES = ["default", "root", "unprivileged"] as const;

const LimitSchema = closed({
  requests: Type.Optional(Type.Integer({ minimum: 1 })),
  window: Type.Optional(WindowEnum),
  scope: Type.Optional(ScopeEnum),
});

const MatchSchema = closed({
  tool_name: Type.Optional(Type.String()),
  tool_names: Type.Optional(Strings()),
  risk_classes: Type.Optional(Strings()),
  target_kinds: Type.Optional(Strings()),
  target_values: Type.Optional(Strings()),
  endpoint_class: Type.Optional(Strings()),
  endpoint_classes: Type.Optional(Strings()),
  discovery_method: Type.Optional(Strings()),
  tool_annotations: Type.Optional(
    closed({
      readOnlyHint: Type.Optional(Type.Boolean()),
      destructiveHint: Type.Optional(Type.Boolean()),
      idempotentHint: Type.Optional(Type.Boolean()),
      openWorldHint: Type.Optional(Type.Boolean()),
    }),
  ),
  skill_publishers: Type.Optional(Strings()),
  skill_sources: Type.Optional(Strings()),
  data_classes: Type.Optional(Strings()),
  destination_kinds: Type.Optional(Strings()),
  destination_values: Type.Optional(Strings()),
  destination_operations: Type.Optional(Strings()),
  provenance_sources: Type.Optional(Strings()),
  identities: Type.Optional(Strings()),
  workspace_prefixes: Type.Optional(Strings()),
  context_tool_names: Type.Optional(Strings()),
  context_data_classes: Type.Optional(Strings()),
  context_endpoint_classes: Type.Optional(Strings()),
  context_autonomy_levels: Type.Optional(Strings()),
  require_delegation: Type.Optional(Type.Boolean()),
  allowed_delegator_identities: Type.Optional(Strings()),
  allowed_delegate_identities: Type.Optional(Strings()),
  delegation_scopes: Type.Optional(Strings()),
  max_delegation_depth: Type.Optional(Type.Integer({ minimum: 0 })),
});

const EndpointSchema = closed({
  enabled: Type.Optional(Type.Boolean()),
  path_allowlist: Type.Optional(Strings()),
  path_denylist: Type.Optional(Strings()),
  domain_allowlist: Type.Optional(Strings()),
  domain_denylist: Type.Optional(Strings()),
  egress_classes: Type.Optional(Strings()),
  action: Type.Optional(EscalationEnum),
  destructive_action: Type.Optional(EscalationEnum),
  reason_code: Type.Optional(Type.String()),
  violation: Type.Optional(Type.String()),
});

const DataflowSchema = closed({
  enabled: Type.Optional(Type.Boolean()),
  tainted_sources: Type.Optional(Strings()),
  destination_kinds: Type.Optional(Strings()),
  destination_values: Type.Optional(Strings()),
  destination_operations: Type.Optional(Strings()),
  action: Type.Optional(EscalationEnum),
  reason_code: Type.Optional(Type.String()),
  violation: Type.Optional(Type.String()),
});

const FreezeWindowSchema = closed({
  enabled: Type.Optional(Type.Boolean()),
  timezone: Type.Optional(Type.String({ minLength: 1 })),
  effect: Type.Optional(EscalationEnum),
  reason: Type.Optional(Type.String()),
  environments: Type.Optional(NonEmptyStrings()),
  risk_classes: Type.Optional(NonEmptyStrings()),
  windows: Type.Optional(
    Type.Array(
      Type.Object(
        {
          name: Type.Optional(Type.String()),
          start: Type.String({ minLength: 1 }),
          end: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  ),
});

const SandboxSchema = closed({
  enabled: Type.Optional(Type.Boolean()),
  allowed_network_modes: Type.Optional(Type.Array(enumOf(SANDBOX_NETWORK_MODES))),
  allowed_writable_path_prefixes: Type.Optional(NonEmptyStrings()),
  required_read_only_roots: Type.Optional(NonEmptyStrings()),
  allowed_env_exposure_modes: Type.Optional(Type.Array(enumOf(SANDBOX_ENV_EXPOSURE_MODES))),
  max_timeout_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
  allowed_filesystem_isolations: Type.Optional(Type.Array(enumOf(SANDBOX_FILESYSTEM_ISOLATIONS))),
  allowed_user_modes: Type.Optional(Type.Array(enumOf(SANDBOX_USER_MODES))),
});

const PolicyRuleDocumentSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    priority: Type.Optional(Type.Integer({ minimum: 0 })),
    effect: Type.Optional(VerdictEnum),
    action: Type.Optional(VerdictEnum),
    match: Type.Optional(MatchSchema),
    endpoint: Type.Optional(EndpointSchema),
    reason_codes: Type.Optional(Strings()),
    violations: Type.Optional(Strings()),
    require_declared_agent: Type.Optional(Type.Boolean()),
    allowed_agent_ids: Type.Optional(NonEmptyStrings()),
    denied_agent_ids: Type.Optional(NonEmptyStrings()),
    required_agent_manifest_digest: Type.Optional(Type.String({ pattern: "^[a-fA-F0-9]{64}$" })),
    allowed_agent_manifest_publishers: Type.Optional(NonEmptyStrings()),
    allowed_agent_manifest_sources: Type.Optional(NonEmptyStrings()),
    required_agent_lifecycle_states: Type.Optional(NonEmptyStrings()),
    require_agent_owner: Type.Optional(Type.Boolean()),
    require_unexpired_agent: Type.Optional(Type.Boolean()),
    block_standing_credentials: Type.Optional(Type.Boolean()),
    allowed_credential_sources: Type.Optional(NonEmptyStrings()),
    allowed_credential_issuers: Type.Optional(NonEmptyStrings()),
    allowed_credential_access_types: Type.Optional(NonEmptyStrings()),
    max_credential_ttl_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
    require_jit_credential: Type.Optional(Type.Boolean()),
    min_approvals: Type.Optional(Type.Integer({ minimum: 1 })),
    require_distinct_approvers: Type.Optional(Type.Boolean()),
    require_context_evidence: Type.Optional(Type.Boolean()),
    required_context_evidence_mode: Type.Optional(Type.Literal("required")),
    max_context_age_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
    require_broker_credential: Type.Optional(Type.Boolean()),
    broker_reference: Type.Optional(Type.String()),
    broker_scopes: Type.Optional(Strings()),
    freeze_window: Type.Optional(FreezeWindowSchema),
    sandbox: Type.Optional(SandboxSchema),
    rate_limit: Type.Optional(LimitSchema),
    destructive_budget: Type.Optional(LimitSchema),
    dataflow: Type.Optional(DataflowSchema),
  },
  // A rule needs an effect under one of its two names.
  { additionalProperties: false, anyOf: [{ required: ["effect"] }, { required: ["action"] }] },
);

export const PolicyDocumentSchema = Type.Object(
  {
    schema_id: Type.Optional(Type.Literal("gait.gate.policy")),
    schema_version: Type.Optional(Type.String({ pattern: "^1\\.0\\.0$" })),
    default_verdict: Type.Optional(VerdictEnum),
    default_action: Type.Optional(VerdictEnum),
    scripts: Type.Optional(
      closed({
        max_steps: Type.Optional(Type.Integer({ minimum: 1 })),
        require_approval_above: Type.Optional(Type.Integer({ minimum: 0 })),
        block_mixed_risk: Type.Optional(Type.Boolean()),
      }),
    ),
    fail_closed: Type.Optional(
      closed({
        enabled: Type.Optional(Type.Boolean()),
        risk_classes: Type.Optional(Strings()),
        required_fields: Type.Optional(Type.Array(enumOf(FAIL_CLOSED_FIELDS))),
        required_high_risk_fields: Type.Optional(Type.Array(enumOf(HIGH_RISK_FIELDS))),
      }),
    ),
    mcp_trust: Type.Optional(
      closed({
        enabled: Type.Optional(Type.Boolean()),
        snapshot: Type.Optional(Type.String({ minLength: 1 })),
        action: Type.Optional(EscalationEnum),
        required_risk_classes: Type.Optional(Strings()),
        min_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        max_age: Type.Optional(Type.String({ minLength: 1 })),
        publisher_allowlist: Type.Optional(Strings()),
        require_registry: Type.Optional(Type.Boolean()),
      }),
    ),
    rules: Type.Optional(Type.Array(PolicyRuleDocumentSchema)),
  },
  { title: "Gate Policy", additionalProperties: false },
);

/** A document that satisfies the schema (what the formatter produces). */
export type PolicyDocument = Static<typeof PolicyDocumentSchema>;

/**
 * What the strict reader guarantees: the keys and value types of the schema, nothing more. Every
 * field may be missing and enum fields are any string (the normalizer trims, lower-cases and
 * checks them, and reports missing required fields with their position).
 */
export type PolicyDocumentInput = Loosen<PolicyDocument>;
export type PolicyRuleInput = NonNullable<PolicyDocumentInput["rules"]>[number];

type Loosen<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? Loosen<U>[]
    : T extends object
      ? { [K in keyof T]?: Loosen<T[K]> }
      : T;
