/**
 * The JSON Schema of a gate decision as decisionToJson (decision.ts) writes it, published as
 * schemas/v1/gate/decision.schema.json. Kept apart from decision.ts so that building it (TypeBox)
 * costs nothing on the decision path, which only needs its type.
 */
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";
import { GATE_PROFILES, VERDICTS } from "../gate/index.ts";

const Strings = Type.Array(Type.String());
const LimitFields = (prefix: "rate_limit" | "destructive_budget") => ({
  [`${prefix}_scope`]: Type.Optional(Type.String()),
  [`${prefix}_key`]: Type.Optional(Type.String()),
  [`${prefix}_used`]: Type.Optional(Type.Integer({ minimum: 0 })),
  [`${prefix}_remaining`]: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const GateDecisionJsonSchema = Type.Object(
  {
    verdict: StringEnum(VERDICTS, { description: "execute the tool call only when this is allow" }),
    allowed: Type.Boolean({ description: "true only for allow" }),
    reason_codes: Strings,
    violations: Strings,
    matched_rule: Type.Optional(Type.String({ description: "deciding rules, comma-joined" })),
    tool_name: Type.String(),
    intent_digest: Type.String(),
    args_digest: Type.String(),
    policy_digest: Type.String(),
    profile: StringEnum(GATE_PROFILES),
    phase: Type.Optional(StringEnum(["plan", "apply"] as const)),
    trace_id: Type.String({ description: "deterministic id of the signed trace; empty when none" }),
    trace_path: Type.Optional(Type.String()),
    approval_audit_path: Type.Optional(Type.String()),
    credential_evidence_path: Type.Optional(
      Type.String({
        description: "the gait.gate.broker_credential_record of the credential the allow relied on",
      }),
    ),
    credential_issuer: Type.Optional(Type.String()),
    credential_source: Type.Optional(Type.String()),
    credential_access_type: Type.Optional(Type.String()),
    credential_ref: Type.Optional(
      Type.String({ description: "names the broker credential; never the secret" }),
    ),
    credential_ttl_seconds: Type.Optional(Type.Integer({ minimum: 1 })),
    credential_error: Type.Optional(
      Type.Object(
        { code: Type.String(), message: Type.String() },
        { additionalProperties: false, description: "why the credential broker issued no credential" },
      ),
    ),
    required_approvals: Type.Optional(Type.Integer({ minimum: 0 })),
    valid_approvals: Type.Optional(Type.Integer({ minimum: 0 })),
    approval_ref: Type.Optional(Type.String()),
    approval_request: Type.Optional(
      Type.Object(
        {
          intent_digest: Type.String(),
          policy_digest: Type.String(),
          scope: Strings,
          min_approvals: Type.Integer({ minimum: 1 }),
          require_distinct_approvers: Type.Boolean(),
          delegation_binding_digest: Type.Optional(Type.String()),
          command: Type.String({ description: "a gait approve command line; replace the <placeholders>" }),
        },
        { additionalProperties: false },
      ),
    ),
    script: Type.Optional(Type.Literal(true)),
    step_count: Type.Optional(Type.Integer({ minimum: 1 })),
    script_hash: Type.Optional(Type.String()),
    composite_risk_class: Type.Optional(StringEnum(["low", "medium", "high"] as const)),
    step_verdicts: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    context_set_digest: Type.Optional(
      Type.String({ description: "the context set a verified --context-envelope vouched for" }),
    ),
    context_evidence_mode: Type.Optional(StringEnum(["best_effort", "required"] as const)),
    context_ref_count: Type.Optional(Type.Integer({ minimum: 0 })),
    context_source: Type.Optional(Type.String()),
    kill_switch: Type.Optional(
      Type.Object(
        {
          status: StringEnum(["active", "inactive", "unavailable"] as const),
          reason_code: Type.Optional(Type.String()),
          reason_codes: Type.Optional(Strings),
          matched_entry_ids: Type.Optional(Strings),
          evaluated_at: Type.String(),
        },
        { additionalProperties: false, description: "the kill-switch check, when a state was configured" },
      ),
    ),
    pre_approved: Type.Optional(
      Type.Literal(true, { description: "an approved-script registry entry pre-approved this script" }),
    ),
    pattern_id: Type.Optional(Type.String({ description: "the matching approved-script entry" })),
    registry_reason: Type.Optional(
      Type.String({ description: "why no approved-script entry pre-approved it" }),
    ),
    delegation_required: Type.Optional(Type.Boolean()),
    valid_delegations: Type.Optional(Type.Integer({ minimum: 0 })),
    delegation_ref: Type.Optional(Type.String({ description: "ids of the tokens that validated the chain" })),
    delegation_audit_path: Type.Optional(Type.String()),
    ...LimitFields("rate_limit"),
    ...LimitFields("destructive_budget"),
    simulate_mode: Type.Optional(Type.Literal(true)),
    would_have_blocked: Type.Optional(Type.Boolean()),
    simulated_verdict: Type.Optional(StringEnum(VERDICTS)),
    simulated_reason_codes: Type.Optional(Strings),
    policy_pack: Type.Optional(
      Type.Object(
        {
          name: Type.String(),
          version: Type.String(),
          digest: Type.String({ description: "the registry pack's digest (gait.lock)" }),
          file: Type.String({ description: "the policy file inside the pack" }),
          sha256: Type.String({ description: "sha256 of the policy file's bytes that were evaluated" }),
        },
        {
          additionalProperties: false,
          description:
            "gait gate eval --policy pack:<name>/<file>: the installed registry pack the policy came from",
        },
      ),
    ),
    evaluation_error: Type.Optional(
      Type.Object(
        {
          category: Type.String(),
          code: Type.String(),
          message: Type.String(),
          hint: Type.String(),
        },
        { additionalProperties: false, description: "why the gate failed closed (SDK refusals only)" },
      ),
    ),
  },
  {
    additionalProperties: false,
    title: "Gait gate decision",
    description:
      "One gate decision as gait gate eval --json, the sidecar and SDK refusals emit it (envelope members such as ok and correlation_id are added around it).",
  },
);
export type GateDecisionJson = Static<typeof GateDecisionJsonSchema>;
