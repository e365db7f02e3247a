/**
 * The gate's wire messages, each defined once with TypeBox (CONTRACTS.md §5.1, §5.7, §5.9–5.11):
 * the intent request, the gate result, the trace, the approval token and audit record, and the
 * policy explanation. A definition gives the TypeScript type (`Static<>`), the JSON Schema
 * published under schemas/v1/gate/ (src/schemas.ts) and, where code needs one, a guard.
 *
 * Each schema mirrors the public v1 schema of the same artifact constraint for constraint (required
 * members, enums, patterns, closed objects), so what passes here passes there and the other way
 * round; test/gate/producers.test.ts checks both schemas against the public samples and against
 * what the gate emits.
 *
 * Guards and field lists the decision path needs are generated from these schemas at build time
 * (wire-generate.ts → wire.generated.ts), so the schemas are not built at run time on that path.
 */
import { type Static, Type } from "@sinclair/typebox";
import {
  EmbeddedSignatureSchema,
  RelationshipEnvelopeRef,
  relationshipDefs,
  StringEnum,
} from "../contract/artifact-schemas.ts";
import { DISCOVERY_METHODS, ENDPOINT_CLASSES, PROVENANCE_SOURCES, TARGET_KINDS } from "./intent-model.ts";
import { VERDICTS } from "./policy-model.ts";
import {
  SANDBOX_ENV_EXPOSURE_MODES,
  SANDBOX_FILESYSTEM_ISOLATIONS,
  SANDBOX_NETWORK_MODES,
  SANDBOX_USER_MODES,
} from "./policy-schema.ts";
import {
  APPROVAL_AUDIT_SCHEMA_ID,
  APPROVAL_TOKEN_SCHEMA_ID,
  APPROVED_SCRIPT_ENTRY_SCHEMA_ID,
  APPROVED_SCRIPT_REGISTRY_SCHEMA_ID,
  DELEGATION_AUDIT_SCHEMA_ID,
  DELEGATION_TOKEN_SCHEMA_ID,
  GATE_RESULT_SCHEMA_ID,
  POLICY_EXPLAIN_SCHEMA_ID,
  TRACE_SCHEMA_ID,
} from "./wire-ids.ts";

export * from "./wire-ids.ts";

// ---------------------------------------------------------------------------------------------
// building blocks

const SchemaId = <T extends string>(id: T) => Type.Literal(id, { type: "string" });
const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const DateTime = Type.String({ format: "date-time" });
/** SHA-256 hex as the public schemas accept it (either case; Gait writes lower case). */
const Digest = Type.String({ pattern: "^[a-fA-F0-9]{64}$" });
const NonEmpty = Type.String({ minLength: 1 });
const Strings = Type.Array(Type.String());
const NonEmptyStrings = Type.Array(NonEmpty);
const Count = Type.Integer({ minimum: 0 });
const Verdict = StringEnum(VERDICTS);
const closed = { additionalProperties: false } as const;

/** A JSON value as a TypeScript caller writes it: members left undefined are left out of the JSON. */
export type JsonInput = null | boolean | number | string | JsonInput[] | JsonInputObject;
export type JsonInputObject = { [key: string]: JsonInput | undefined };
/** Any JSON object (`{ "type": "object" }`): arguments and auth context are opaque to the schema. */
const JsonObjectSchema = (options: { additionalProperties?: true } = {}) =>
  Type.Unsafe<JsonInputObject>({ type: "object", ...options });

// ---------------------------------------------------------------------------------------------
// intent request (§5.1)

const TargetSchema = Type.Object(
  {
    kind: StringEnum(TARGET_KINDS),
    value: NonEmpty,
    /** read, write, delete, exec, ...: drives endpoint-class and destructive inference. */
    operation: Type.Optional(Type.String()),
    sensitivity: Type.Optional(Type.String()),
    endpoint_class: Type.Optional(StringEnum(ENDPOINT_CLASSES)),
    endpoint_domain: Type.Optional(Type.String()),
    destructive: Type.Optional(Type.Boolean()),
    discovery_method: Type.Optional(StringEnum(DISCOVERY_METHODS)),
    read_only_hint: Type.Optional(Type.Boolean()),
    destructive_hint: Type.Optional(Type.Boolean()),
    idempotent_hint: Type.Optional(Type.Boolean()),
    open_world_hint: Type.Optional(Type.Boolean()),
  },
  closed,
);

const ArgProvenanceSchema = Type.Object(
  {
    /** JSON path into args, e.g. "$.path". */
    arg_path: NonEmpty,
    source: StringEnum(PROVENANCE_SOURCES),
    source_ref: Type.Optional(Type.String()),
    integrity_digest: Type.Optional(Digest),
  },
  closed,
);

const SkillProvenanceSchema = Type.Object(
  {
    skill_name: NonEmpty,
    skill_version: Type.Optional(Type.String()),
    source: NonEmpty,
    publisher: NonEmpty,
    digest: Type.Optional(Digest),
    signature_key_id: Type.Optional(Type.String()),
  },
  closed,
);

const DelegationLinkSchema = Type.Object(
  {
    delegator_identity: NonEmpty,
    delegate_identity: NonEmpty,
    scope_class: Type.Optional(Type.String()),
    token_ref: Type.Optional(Type.String()),
    issued_at: Type.Optional(DateTime),
    expires_at: Type.Optional(DateTime),
  },
  closed,
);

const DelegationSchema = Type.Object(
  {
    requester_identity: NonEmpty,
    scope_class: Type.Optional(Type.String()),
    token_refs: Type.Optional(NonEmptyStrings),
    issued_at: Type.Optional(DateTime),
    expires_at: Type.Optional(DateTime),
    chain: Type.Optional(Type.Array(DelegationLinkSchema)),
  },
  closed,
);

const AgentIdentitySchema = Type.Object(
  {
    lifecycle_states: Type.Optional(NonEmptyStrings),
    owner: Type.Optional(NonEmpty),
    manifest_digest: Type.Optional(Digest),
    publisher: Type.Optional(NonEmpty),
    source: Type.Optional(NonEmpty),
    issued_at: Type.Optional(DateTime),
    approved_at: Type.Optional(DateTime),
    expires_at: Type.Optional(DateTime),
    revoked: Type.Optional(Type.Boolean()),
  },
  closed,
);

const SandboxSchema = Type.Object(
  {
    network_mode: Type.Optional(StringEnum(SANDBOX_NETWORK_MODES)),
    writable_paths: Type.Optional(NonEmptyStrings),
    read_only_roots: Type.Optional(NonEmptyStrings),
    env_exposure_mode: Type.Optional(StringEnum(SANDBOX_ENV_EXPOSURE_MODES)),
    timeout_seconds: Type.Optional(Count),
    filesystem_isolation: Type.Optional(StringEnum(SANDBOX_FILESYSTEM_ISOLATIONS)),
    user_mode: Type.Optional(StringEnum(SANDBOX_USER_MODES)),
    evidence_ref: Type.Optional(NonEmpty),
    evidence_digest: Type.Optional(Digest),
  },
  closed,
);

/**
 * The context members a trace copies as they are (§5.9), with the same constraints in both
 * schemas. The order is the order a trace lists them in (its JSON text keeps insertion order).
 */
const tracedContextProperties = {
  agent_id: Type.Optional(NonEmpty),
  run_id: Type.Optional(NonEmpty),
  workflow_id: Type.Optional(NonEmpty),
  repo: Type.Optional(NonEmpty),
  environment: Type.Optional(NonEmpty),
  credential_ref: Type.Optional(NonEmpty),
  credential_source: Type.Optional(NonEmpty),
  credential_access_type: Type.Optional(NonEmpty),
  credential_issuer: Type.Optional(NonEmpty),
  credential_subject: Type.Optional(NonEmpty),
  credential_owner: Type.Optional(NonEmpty),
  credential_target_binding: Type.Optional(NonEmpty),
  credential_run_binding: Type.Optional(NonEmpty),
  credential_job_binding: Type.Optional(NonEmpty),
  credential_ttl_seconds: Type.Optional(Type.Integer({ minimum: 1 })),
  approval_ref: Type.Optional(NonEmpty),
  wrkr_inventory_ref: Type.Optional(NonEmpty),
  agent_action_bom_ref: Type.Optional(NonEmpty),
};
export type TracedContextField = keyof typeof tracedContextProperties;
/** In order (wire.generated.ts carries the same list for the decision path). */
export const TRACED_CONTEXT_FIELD_LIST = Object.keys(tracedContextProperties) as TracedContextField[];

const IntentContextSchema = Type.Object(
  {
    identity: NonEmpty,
    workspace: NonEmpty,
    risk_class: NonEmpty,
    /** Defaults to apply. */
    phase: Type.Optional(StringEnum(["plan", "apply"])),
    ...tracedContextProperties,
    agent_identity: Type.Optional(AgentIdentitySchema),
    job_id: Type.Optional(NonEmpty),
    session_id: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    sandbox: Type.Optional(SandboxSchema),
    auth_context: Type.Optional(JsonObjectSchema({ additionalProperties: true })),
    credential_scopes: Type.Optional(NonEmptyStrings),
    environment_fingerprint: Type.Optional(NonEmpty),
    context_set_digest: Type.Optional(Digest),
    context_evidence_mode: Type.Optional(StringEnum(["best_effort", "required"])),
    context_refs: Type.Optional(NonEmptyStrings),
  },
  // Open, as in the public schema: members it does not list are ignored (not hashed).
  { additionalProperties: true },
);

const ScriptStepSchema = Type.Object(
  {
    tool_name: NonEmpty,
    args: JsonObjectSchema(),
    targets: Type.Optional(Type.Array(TargetSchema)),
    arg_provenance: Type.Optional(Type.Array(ArgProvenanceSchema)),
  },
  closed,
);

export const IntentRequestSchema = Type.Object(
  {
    schema_id: SchemaId("gait.gate.intent_request"),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    tool_name: NonEmpty,
    args: JsonObjectSchema(),
    /** Ignored on input: the gate always computes the digests itself. */
    args_digest: Type.Optional(Digest),
    intent_digest: Type.Optional(Digest),
    script_hash: Type.Optional(Digest),
    script: Type.Optional(Type.Object({ steps: Type.Array(ScriptStepSchema, { minItems: 1 }) }, closed)),
    targets: Type.Array(TargetSchema),
    arg_provenance: Type.Optional(Type.Array(ArgProvenanceSchema)),
    skill_provenance: Type.Optional(SkillProvenanceSchema),
    delegation: Type.Optional(DelegationSchema),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
    context: IntentContextSchema,
  },
  { title: "Gate Intent Request", $defs: relationshipDefs, ...closed },
);
export type IntentRequest = Static<typeof IntentRequestSchema>;

// ---------------------------------------------------------------------------------------------
// decision parts shared by the trace and the policy explanation

const FreezeWindowDecisionSchema = Type.Object(
  {
    status: Type.Optional(StringEnum(["active", "inactive", "invalid"])),
    effect: Type.Optional(StringEnum(["block", "require_approval"])),
    timezone: Type.Optional(NonEmpty),
    evaluated_at: Type.Optional(DateTime),
    window_name: Type.Optional(NonEmpty),
    window_start: Type.Optional(DateTime),
    window_end: Type.Optional(DateTime),
    reason: Type.Optional(NonEmpty),
    reason_code: Type.Optional(NonEmpty),
  },
  closed,
);
export type FreezeWindowDecision = Static<typeof FreezeWindowDecisionSchema>;

const SandboxDecisionSchema = Type.Object(
  {
    status: Type.Optional(StringEnum(["disallowed", "invalid", "missing", "valid"])),
    network_mode: Type.Optional(StringEnum(SANDBOX_NETWORK_MODES)),
    env_exposure_mode: Type.Optional(StringEnum(SANDBOX_ENV_EXPOSURE_MODES)),
    timeout_seconds: Type.Optional(Count),
    filesystem_isolation: Type.Optional(StringEnum(SANDBOX_FILESYSTEM_ISOLATIONS)),
    user_mode: Type.Optional(StringEnum(SANDBOX_USER_MODES)),
    evidence_ref: Type.Optional(NonEmpty),
    evidence_digest: Type.Optional(Digest),
    reason_codes: Type.Optional(NonEmptyStrings),
  },
  closed,
);

const KillSwitchDecisionSchema = Type.Object(
  {
    status: Type.Optional(StringEnum(["active", "inactive", "unavailable"])),
    reason_code: Type.Optional(NonEmpty),
    reason_codes: Type.Optional(NonEmptyStrings),
    matched_entry_ids: Type.Optional(NonEmptyStrings),
    evaluated_at: Type.Optional(DateTime),
  },
  closed,
);
export type KillSwitchDecision = Static<typeof KillSwitchDecisionSchema>;

// ---------------------------------------------------------------------------------------------
// trace (§5.9)

const StepVerdictSchema = Type.Object(
  {
    index: Count,
    tool_name: Type.String(),
    verdict: Verdict,
    reason_codes: Type.Optional(Strings),
    violations: Type.Optional(Strings),
    matched_rule: Type.Optional(Type.String()),
  },
  closed,
);

const McpTrustSchema = Type.Object(
  {
    server_id: Type.Optional(NonEmpty),
    server_name: Type.Optional(NonEmpty),
    publisher: Type.Optional(NonEmpty),
    source: Type.Optional(NonEmpty),
    status: Type.Optional(
      StringEnum(["trusted", "missing", "unknown", "untrusted", "invalid", "stale", "below_threshold"]),
    ),
    decision_source: Type.Optional(NonEmpty),
    score: Type.Optional(Type.Number()),
    threshold: Type.Optional(Type.Number()),
    updated_at: Type.Optional(DateTime),
    max_age_seconds: Type.Optional(Count),
    required: Type.Optional(Type.Boolean()),
    enforced: Type.Optional(Type.Boolean()),
    registry_verified: Type.Optional(Type.Boolean()),
    publisher_allowed: Type.Optional(Type.Boolean()),
    reason_codes: Type.Optional(Strings),
  },
  closed,
);

const DelegationRefSchema = Type.Object(
  {
    delegation_token_ref: Type.Optional(Type.String()),
    requester_identity: Type.Optional(Type.String()),
    delegation_depth: Type.Optional(Count),
    scope_class: Type.Optional(Type.String()),
    chain_digest: Type.Optional(Digest),
    reason_codes: Type.Optional(Strings),
  },
  closed,
);

export const TraceRecordSchema = Type.Object(
  {
    schema_id: SchemaId(TRACE_SCHEMA_ID),
    schema_version: SchemaVersion,
    /** The gate result's created_at (the intent's time), not the wall clock. */
    created_at: DateTime,
    /** The wall clock when the decision was made. */
    observed_at: Type.Optional(DateTime),
    producer_version: Type.String(),
    trace_id: Type.String(),
    event_id: Type.Optional(Type.String()),
    correlation_id: Type.Optional(Type.String()),
    tool_name: Type.String(),
    args_digest: Digest,
    intent_digest: Digest,
    policy_digest: Digest,
    agent_identity: Type.Optional(AgentIdentitySchema),
    ...tracedContextProperties,
    broker_credential_ref: Type.Optional(NonEmpty),
    broker_credential_source: Type.Optional(NonEmpty),
    broker_credential_access_type: Type.Optional(NonEmpty),
    broker_credential_issuer: Type.Optional(NonEmpty),
    broker_request_digest: Type.Optional(Digest),
    broker_target_binding: Type.Optional(NonEmpty),
    broker_run_binding: Type.Optional(NonEmpty),
    broker_job_binding: Type.Optional(NonEmpty),
    policy_id: Type.Optional(NonEmpty),
    policy_version: Type.Optional(NonEmpty),
    matched_rule_ids: Type.Optional(NonEmptyStrings),
    /** The final verdict (after approvals and simulate). */
    verdict: Verdict,
    context_set_digest: Type.Optional(Digest),
    context_evidence_mode: Type.Optional(StringEnum(["best_effort", "required"])),
    context_ref_count: Type.Optional(Count),
    context_source: Type.Optional(Type.String()),
    script: Type.Optional(Type.Boolean()),
    step_count: Type.Optional(Count),
    script_hash: Type.Optional(Digest),
    composite_risk_class: Type.Optional(Type.String()),
    step_verdicts: Type.Optional(Type.Array(StepVerdictSchema)),
    pre_approved: Type.Optional(Type.Boolean()),
    pattern_id: Type.Optional(Type.String()),
    registry_reason: Type.Optional(Type.String()),
    violations: Type.Optional(Type.Array(Type.String(), { default: [] })),
    latency_ms: Type.Optional(Type.Number()),
    approval_token_ref: Type.Optional(Type.String()),
    freeze_window: Type.Optional(FreezeWindowDecisionSchema),
    sandbox: Type.Optional(SandboxDecisionSchema),
    kill_switch: Type.Optional(KillSwitchDecisionSchema),
    mcp_trust: Type.Optional(McpTrustSchema),
    delegation_ref: Type.Optional(DelegationRefSchema),
    skill_provenance: Type.Optional(SkillProvenanceSchema),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
    signature: Type.Optional(EmbeddedSignatureSchema),
  },
  { title: "Gate Trace Record", $defs: relationshipDefs, ...closed },
);
export type TraceRecord = Static<typeof TraceRecordSchema>;

// ---------------------------------------------------------------------------------------------
// gate result (§5.7)

export const GateResultSchema = Type.Object(
  {
    schema_id: SchemaId(GATE_RESULT_SCHEMA_ID),
    schema_version: SchemaVersion,
    /** The intent's created_at in UTC (1980-01-01 when absent), never the wall clock. */
    created_at: DateTime,
    producer_version: Type.String(),
    verdict: Verdict,
    reason_codes: Strings,
    violations: Strings,
  },
  { title: "Gate Result", ...closed },
);
export type GateResult = Static<typeof GateResultSchema>;

// ---------------------------------------------------------------------------------------------
// approval token and audit record (§5.10, §5.11)

export const ApprovalTokenSchema = Type.Object(
  {
    schema_id: SchemaId(APPROVAL_TOKEN_SCHEMA_ID),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    token_id: NonEmpty,
    approver_identity: NonEmpty,
    reason_code: NonEmpty,
    intent_digest: Digest,
    policy_digest: Digest,
    delegation_binding_digest: Type.Optional(Digest),
    scope: Type.Array(NonEmpty, { minItems: 1 }),
    max_targets: Type.Optional(Count),
    max_ops: Type.Optional(Count),
    expires_at: DateTime,
    signature: Type.Optional(EmbeddedSignatureSchema),
  },
  { title: "Gate Approval Token", ...closed },
);
export type ApprovalToken = Static<typeof ApprovalTokenSchema>;

/** The audit record's digests are lower case only (the public schema says so; Gait writes lower case). */
const LowerDigest = Type.String({ pattern: "^[a-f0-9]{64}$" });

const ApprovalAuditEntrySchema = Type.Object(
  {
    token_id: Type.Optional(Type.String()),
    approver_identity: Type.Optional(Type.String()),
    reason_code: Type.Optional(Type.String()),
    scope: Type.Optional(NonEmptyStrings),
    expires_at: Type.Optional(DateTime),
    valid: Type.Boolean(),
    error_code: Type.Optional(Type.String()),
  },
  closed,
);
export type ApprovalAuditEntry = Static<typeof ApprovalAuditEntrySchema>;

export const ApprovalAuditRecordSchema = Type.Object(
  {
    schema_id: SchemaId(APPROVAL_AUDIT_SCHEMA_ID),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    trace_id: NonEmpty,
    tool_name: NonEmpty,
    intent_digest: LowerDigest,
    policy_digest: LowerDigest,
    required_approvals: Count,
    valid_approvals: Count,
    approved: Type.Boolean(),
    approvers: Type.Optional(NonEmptyStrings),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
    entries: Type.Array(ApprovalAuditEntrySchema),
  },
  { title: "Approval Audit Record", $defs: relationshipDefs, ...closed },
);
export type ApprovalAuditRecord = Static<typeof ApprovalAuditRecordSchema>;

// ---------------------------------------------------------------------------------------------
// delegation token and audit record (§5.11, §5.12)

export const DelegationTokenSchema = Type.Object(
  {
    schema_id: SchemaId(DELEGATION_TOKEN_SCHEMA_ID),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    token_id: NonEmpty,
    delegator_identity: NonEmpty,
    delegate_identity: NonEmpty,
    scope: Type.Array(NonEmpty, { minItems: 1 }),
    scope_class: Type.Optional(Type.String()),
    intent_digest: Type.Optional(Digest),
    policy_digest: Type.Optional(Digest),
    expires_at: DateTime,
    signature: Type.Optional(EmbeddedSignatureSchema),
  },
  { title: "Gate Delegation Token", ...closed },
);
export type DelegationToken = Static<typeof DelegationTokenSchema>;

const DelegationAuditEntrySchema = Type.Object(
  {
    token_id: Type.Optional(Type.String()),
    delegator_identity: Type.Optional(Type.String()),
    delegate_identity: Type.Optional(Type.String()),
    scope: Type.Optional(Strings),
    expires_at: Type.Optional(DateTime),
    valid: Type.Boolean(),
    error_code: Type.Optional(Type.String()),
  },
  closed,
);
export type DelegationAuditEntry = Static<typeof DelegationAuditEntrySchema>;

export const DelegationAuditRecordSchema = Type.Object(
  {
    schema_id: SchemaId(DELEGATION_AUDIT_SCHEMA_ID),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    trace_id: NonEmpty,
    tool_name: NonEmpty,
    intent_digest: Digest,
    policy_digest: Digest,
    delegation_required: Type.Boolean(),
    valid_delegations: Count,
    delegated: Type.Boolean(),
    delegation_ref: Type.Optional(Type.String()),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
    entries: Type.Array(DelegationAuditEntrySchema),
  },
  { title: "Delegation Audit Record", $defs: relationshipDefs, ...closed },
);
export type DelegationAuditRecord = Static<typeof DelegationAuditRecordSchema>;

// ---------------------------------------------------------------------------------------------
// approved-script registry (CONTRACTS.md §8): signed entries that pre-approve a script intent

export const ApprovedScriptEntrySchema = Type.Object(
  {
    schema_id: SchemaId(APPROVED_SCRIPT_ENTRY_SCHEMA_ID),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    pattern_id: NonEmpty,
    policy_digest: Digest,
    script_hash: Digest,
    tool_sequence: Type.Array(NonEmpty, { minItems: 1 }),
    scope: Type.Optional(NonEmptyStrings),
    approver_identity: NonEmpty,
    expires_at: DateTime,
    signature: Type.Optional(EmbeddedSignatureSchema),
  },
  { title: "Approved Script Entry", ...closed },
);
export type ApprovedScriptEntry = Static<typeof ApprovedScriptEntrySchema>;

/**
 * The registry file `gait approve-script` appends to. Its entries are checked one by one (each
 * is signed on its own), so the file itself is not signed and an entry is read as any JSON value.
 */
export const ApprovedScriptRegistrySchema = Type.Object(
  {
    schema_id: SchemaId(APPROVED_SCRIPT_REGISTRY_SCHEMA_ID),
    schema_version: SchemaVersion,
    entries: Type.Array(Type.Unknown()),
  },
  { title: "Approved Script Registry", ...closed },
);
export type ApprovedScriptRegistry = Static<typeof ApprovedScriptRegistrySchema>;

// ---------------------------------------------------------------------------------------------
// policy explanation (`gate eval --explain --json`)

/** The public schema keeps the decision parts under `$defs`; so do we, to mirror it. */
const explainDefs = {
  freeze_window_decision: FreezeWindowDecisionSchema,
  kill_switch_decision: KillSwitchDecisionSchema,
  sandbox_decision: SandboxDecisionSchema,
};
const explainRef = <K extends keyof typeof explainDefs>(name: K) =>
  Type.Unsafe<Static<(typeof explainDefs)[K]>>({ $ref: `#/$defs/${name}` });

const ProofRefsSchema = Type.Object(
  {
    trace_id: Type.Optional(Type.String()),
    trace_path: Type.Optional(Type.String()),
    approval_audit_path: Type.Optional(Type.String()),
    delegation_audit_path: Type.Optional(Type.String()),
    credential_evidence_path: Type.Optional(Type.String()),
  },
  closed,
);
export type ProofRefs = Static<typeof ProofRefsSchema>;

export const PolicyExplainSchema = Type.Object(
  {
    ok: Type.Boolean(),
    schema_id: SchemaId(POLICY_EXPLAIN_SCHEMA_ID),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    verdict: Verdict,
    matched_rule: Type.Optional(Type.String()),
    matched_rules: Type.Optional(
      Type.Array(Type.Object({ name: NonEmpty, priority: Type.Integer(), effect: Verdict }, closed)),
    ),
    reason_codes: Type.Optional(NonEmptyStrings),
    violations: Type.Optional(NonEmptyStrings),
    missing_fields: Type.Optional(NonEmptyStrings),
    fail_closed_reason_codes: Type.Optional(NonEmptyStrings),
    approval_required: Type.Optional(Type.Boolean()),
    required_approvals: Type.Optional(Count),
    valid_approvals: Type.Optional(Count),
    require_broker_credential: Type.Optional(Type.Boolean()),
    broker_reference: Type.Optional(Type.String()),
    broker_scopes: Type.Optional(NonEmptyStrings),
    require_delegation: Type.Optional(Type.Boolean()),
    required_delegation_scopes: Type.Optional(NonEmptyStrings),
    credential_posture: Type.Optional(
      Type.Object(
        {
          present: Type.Boolean(),
          source: Type.Optional(Type.String()),
          access_type: Type.Optional(Type.String()),
          issuer: Type.Optional(Type.String()),
          ttl_seconds: Type.Optional(Count),
          credential_ref: Type.Optional(Type.String()),
        },
        closed,
      ),
    ),
    context_evidence_status: Type.Optional(StringEnum(["missing", "not_required", "present", "verified"])),
    freeze_window: Type.Optional(explainRef("freeze_window_decision")),
    kill_switch: Type.Optional(explainRef("kill_switch_decision")),
    sandbox: Type.Optional(explainRef("sandbox_decision")),
    proof_refs: Type.Optional(ProofRefsSchema),
  },
  { title: "Gate Policy Explain", $defs: explainDefs, ...closed },
);
export type PolicyExplain = Static<typeof PolicyExplainSchema>;

/** Every gate wire schema, by its path below schemas/v1 (the public file names). */
export const gateWireSchemas = {
  "gate/intent_request": IntentRequestSchema,
  "gate/trace_record": TraceRecordSchema,
  "gate/gate_result": GateResultSchema,
  "gate/approval_token": ApprovalTokenSchema,
  "gate/approval_audit_record": ApprovalAuditRecordSchema,
  "gate/delegation_token": DelegationTokenSchema,
  "gate/delegation_audit_record": DelegationAuditRecordSchema,
  "gate/approved_script_entry": ApprovedScriptEntrySchema,
  "gate/approved_script_registry": ApprovedScriptRegistrySchema,
  "gate/policy_explain": PolicyExplainSchema,
} as const;

// ---------------------------------------------------------------------------------------------
// guards
