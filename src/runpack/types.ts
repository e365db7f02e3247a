/**
 * Runpack artifact types (CONTRACTS.md §3), defined once as TypeBox schemas. The JSON Schemas
 * we publish under schemas/v1/runpack/ are generated from these and mirror the public v1 ones.
 */
import { type Static, Type } from "@sinclair/typebox";
import { EmbeddedSignatureSchema, relationshipDefs, StringEnum } from "../contract/artifact-schemas.ts";

export const RUNPACK_SCHEMA_VERSION = "1.0.0";
export const SchemaIds = {
  manifest: "gait.runpack.manifest",
  run: "gait.runpack.run",
  intent: "gait.runpack.intent",
  result: "gait.runpack.result",
  refs: "gait.runpack.refs",
} as const;

/** The five entries of a runpack zip, and the four that the manifest lists (byte order). */
export const RunpackFiles = {
  manifest: "manifest.json",
  run: "run.json",
  intents: "intents.jsonl",
  results: "results.jsonl",
  refs: "refs.json",
} as const;
export const LISTED_FILES = ["intents.jsonl", "refs.json", "results.jsonl", "run.json"] as const;

const RUN_ID_PATTERN = "^run_[A-Za-z0-9_-]+$";
export const runIdPattern = new RegExp(RUN_ID_PATTERN);
const DIGEST_PATTERN = "^[a-fA-F0-9]{64}$";

const RESULT_STATUSES = ["ok", "error"] as const;
export const CAPTURE_MODES = ["reference", "raw"] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];
export const IMMUTABILITY_VALUES = ["unknown", "mutable", "immutable"] as const;
export const CONTEXT_EVIDENCE_MODES = ["best_effort", "required"] as const;
export type ContextEvidenceMode = (typeof CONTEXT_EVIDENCE_MODES)[number];

const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const DateTime = Type.String({ format: "date-time" });
const RunId = Type.String({ pattern: RUN_ID_PATTERN });
const Digest = Type.String({ pattern: DIGEST_PATTERN });
/** Any JSON object (payloads are opaque to the contract). */
const AnyObject = (description?: string) =>
  Type.Unsafe<Record<string, unknown>>({ type: "object", ...(description ? { description } : {}) });

/** The relationship envelope is carried through opaquely (projected, never interpreted). */
export type RelationshipEnvelope = Record<string, unknown>;

export const TimelineEventSchema = Type.Object(
  {
    event: Type.String(),
    ts: DateTime,
    ref: Type.Optional(Type.String()),
    relationship: Type.Optional(Type.Unsafe<RelationshipEnvelope>({ $ref: "#/$defs/relationship_envelope" })),
  },
  { additionalProperties: true },
);
export type TimelineEvent = Static<typeof TimelineEventSchema>;

export const RunSchema = Type.Object(
  {
    schema_id: Type.Literal(SchemaIds.run, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    run_id: RunId,
    env: Type.Object(
      { os: Type.String(), arch: Type.String(), runtime: Type.String() },
      { additionalProperties: true },
    ),
    timeline: Type.Array(TimelineEventSchema),
  },
  {
    title: "Runpack Run",
    $defs: relationshipDefs,
    additionalProperties: false,
  },
);
export type Run = Static<typeof RunSchema>;

export const IntentRecordSchema = Type.Object(
  {
    schema_id: Type.Literal(SchemaIds.intent, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    run_id: RunId,
    intent_id: Type.String(),
    tool_name: Type.String(),
    args_digest: Digest,
    args: Type.Optional(
      AnyObject(
        "Raw intent arguments. Present only when capture_mode=raw; reference mode records args_digest and omits args.",
      ),
    ),
  },
  {
    title: "Runpack Intent (JSONL record)",
    additionalProperties: false,
  },
);
export type IntentRecord = Static<typeof IntentRecordSchema>;

export const ResultRecordSchema = Type.Object(
  {
    schema_id: Type.Literal(SchemaIds.result, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    run_id: RunId,
    intent_id: Type.String(),
    status: StringEnum(RESULT_STATUSES),
    result_digest: Digest,
    result: Type.Optional(
      AnyObject(
        "Raw result payload. Present only when capture_mode=raw; reference mode records result_digest and omits result.",
      ),
    ),
  },
  {
    title: "Runpack Result (JSONL record)",
    additionalProperties: false,
  },
);
export type ResultRecord = Static<typeof ResultRecordSchema>;

export const ReceiptSchema = Type.Object(
  {
    ref_id: Type.String(),
    source_type: Type.String(),
    source_locator: Type.String(),
    query_digest: Digest,
    content_digest: Digest,
    retrieved_at: DateTime,
    redaction_mode: Type.String(),
    immutability: Type.Optional(StringEnum(IMMUTABILITY_VALUES)),
    freshness_sla_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
    sensitivity_label: Type.Optional(Type.String()),
    retrieval_params: Type.Optional(AnyObject()),
  },
  { additionalProperties: false },
);
export type Receipt = Static<typeof ReceiptSchema>;

export const RefsSchema = Type.Object(
  {
    schema_id: Type.Literal(SchemaIds.refs, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    run_id: RunId,
    context_set_digest: Type.Optional(Digest),
    context_evidence_mode: Type.Optional(StringEnum(CONTEXT_EVIDENCE_MODES)),
    context_ref_count: Type.Optional(Type.Integer({ minimum: 0 })),
    receipts: Type.Array(ReceiptSchema),
  },
  {
    title: "Runpack Reference Receipts",
    additionalProperties: false,
  },
);
export type Refs = Static<typeof RefsSchema>;

export const ManifestFileSchema = Type.Object(
  { path: Type.String(), sha256: Digest },
  { additionalProperties: false },
);
export type ManifestFile = Static<typeof ManifestFileSchema>;

export const ManifestSignatureSchema = EmbeddedSignatureSchema;
export type ManifestSignature = Static<typeof ManifestSignatureSchema>;

export const ManifestSchema = Type.Object(
  {
    schema_id: Type.Literal(SchemaIds.manifest, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    run_id: RunId,
    capture_mode: StringEnum(CAPTURE_MODES, {
      description:
        "reference stores digests and refs without raw intent/result payload objects; raw explicitly retains raw payloads.",
    }),
    files: Type.Array(ManifestFileSchema),
    manifest_digest: Digest,
    signatures: Type.Optional(Type.Array(ManifestSignatureSchema, { default: [] })),
  },
  {
    title: "Runpack Manifest",
    additionalProperties: false,
  },
);
export type Manifest = Static<typeof ManifestSchema>;

/** Every runpack schema, for the schema registry (src/schemas.ts) and the generated files. */
export const runpackSchemas = {
  "runpack/manifest": ManifestSchema,
  "runpack/run": RunSchema,
  "runpack/intent": IntentRecordSchema,
  "runpack/result": ResultRecordSchema,
  "runpack/refs": RefsSchema,
} as const;

/** A runpack after reading: the parsed documents plus the raw entry bytes they came from. */
export interface Runpack {
  manifest: Manifest;
  run: Run;
  intents: IntentRecord[];
  results: ResultRecord[];
  refs: Refs;
}

/** One entry of a runpack zip, as the verify core sees it (uncompressed bytes). */
export interface RunpackEntry {
  path: string;
  data: Buffer;
  /** Hex sha256 of `data`, when the reader already computed it (zip reads do, while inflating); must match `data`. */
  sha256?: string;
}
