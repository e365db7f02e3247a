/**
 * The JSON Schemas of context evidence (schemas/v1/context/), as the public envelope and
 * reference record schemas; the types envelope.ts declares are checked against them below.
 */
import { type Static, Type } from "@sinclair/typebox";
import type { Expect, Same } from "../contract/artifact-schemas.ts";
import type { ContextEnvelope, ContextReferenceRecord } from "./envelope.ts";

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
    immutability: Type.Union([Type.Literal("unknown"), Type.Literal("mutable"), Type.Literal("immutable")]),
    sensitivity_label: Type.Optional(Type.String()),
    freshness_sla_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
    retrieval_params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, title: "Context Reference Record" },
);

export const ContextEnvelopeSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.context.envelope", { type: "string" }),
    schema_version: Type.Literal("1.0.0", { type: "string" }),
    created_at: DateTime,
    producer_version: Type.String(),
    context_set_id: Type.String({ minLength: 1 }),
    context_set_digest: Digest,
    evidence_mode: Type.Union([Type.Literal("best_effort"), Type.Literal("required")]),
    records: Type.Array(ContextReferenceRecordSchema),
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
