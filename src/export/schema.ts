/**
 * The decision log event (`--export-log-out`, `gait export --log-out`), defined once: one JSON
 * object per line with the reference's fields (REFERENCE.md §3 v1.3 item 3), published as
 * schemas/v1/export/decision_log_event.schema.json.
 */
import { type Static, Type } from "@sinclair/typebox";

const Digest = Type.String({ pattern: "^([a-f0-9]{64})?$", description: "sha256 hex; empty when none" });

export const DecisionLogEventSchema = Type.Object(
  {
    created_at: Type.String({ format: "date-time", description: "when the decision was answered" }),
    producer_version: Type.String(),
    run_id: Type.Optional(Type.String({ description: "the intent's context.run_id" })),
    session_id: Type.Optional(Type.String({ description: "the intent's context.session_id" })),
    trace_id: Type.String({ description: "the signed trace's id; empty when no evaluation made one" }),
    trace_path: Type.Optional(Type.String()),
    tool_name: Type.String(),
    verdict: Type.String({ enum: ["allow", "block", "require_approval", "dry_run"] }),
    reason_codes: Type.Array(Type.String()),
    policy_digest: Digest,
    intent_digest: Digest,
    decision_latency_ms: Type.Number({ minimum: 0 }),
    delegation_ref: Type.Optional(Type.String({ description: "the delegation's first token ref" })),
    delegation_depth: Type.Optional(Type.Integer({ minimum: 0, description: "delegation chain length" })),
  },
  {
    additionalProperties: false,
    title: "Gait Decision Log Event",
    description: "One line of a decision log (JSONL) written by the log exporter.",
  },
);
export type DecisionLogEvent = Static<typeof DecisionLogEventSchema>;
