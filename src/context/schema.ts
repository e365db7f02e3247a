/**
 * The JSON Schemas of context evidence (schemas/v1/context/), as the public envelope and
 * reference record schemas; the types envelope.ts declares are checked against them below.
 */
import { type Static, Type } from "@sinclair/typebox";
import { type Expect, type Same, StringEnum } from "../contract/artifact-schemas.ts";
import type { JsonObject } from "../contract/canonical.ts";
import { CONTEXT_EVIDENCE_MODES, type ContextEnvelope, type ContextReferenceRecord } from "./envelope.ts";

const Digest = Type.String({ pattern: "^[a-fA-F0-9]{64}$" });
const DateTime = Type.String({ format: "date-time" });

export const ContextReferenceRecordSchema = Type.Object(
  {
    ref_id: Type.String({ minLength: 1 }),
    source_type: Type.String({ minLength: 1 }),
    source_locator: Type.String({ minLength: 1 }),
    query_digest: Digest,
    content_digest: Digest,
    retrieved_at: DateTime,
    redaction_mode: Type.String({ minLength: 1 }),
    immutability: StringEnum(["unknown", "mutable", "immutable"] as const),
    sensitivity_label: Type.Optional(Type.String()),
    freshness_sla_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
    retrieval_params: Type.Optional(Type.Unsafe<JsonObject>({ type: "object" })),
  },
  { additionalProperties: false, title: "Context Reference Record" },
);

export const ContextEnvelopeSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.context.envelope", { type: "string" }),
    schema_version: Type.Unsafe<"1.0.0">({ type: "string", pattern: "^1\\.0\\.0$" }),
    created_at: DateTime,
    producer_version: Type.String(),
    context_set_id: Type.String({ minLength: 1 }),
    context_set_digest: Digest,
    evidence_mode: StringEnum(CONTEXT_EVIDENCE_MODES),
    // As the public schema: the record schema by reference (published beside this one).
    records: Type.Array(Type.Unsafe<ContextReferenceRecord>({ $ref: "reference_record.schema.json" })),
  },
  {
    additionalProperties: false,
    title: "Context Evidence Envelope",
    description:
      "Retrieved context by reference; context_set_digest is the JCS digest of the records sorted by ref_id (docs/context.md).",
  },
);

type _RecordMatches = Expect<
  Same<
    Omit<Static<typeof ContextReferenceRecordSchema>, "retrieval_params">,
    Omit<ContextReferenceRecord, "retrieval_params">
  >
>;
type _EnvelopeMatches = Expect<
  Same<Omit<Static<typeof ContextEnvelopeSchema>, "records">, Omit<ContextEnvelope, "records">>
>;
