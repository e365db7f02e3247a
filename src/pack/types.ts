/**
 * PackSpec v1 artifact types (CONTRACTS.md §7.1), defined once as TypeBox schemas: the manifest,
 * the run and job payloads and the pack diff mirror the public v1 schemas (schemas/v1/pack/);
 * the proof record and the command output are ours. The TypeScript types come from the same
 * definitions.
 */
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";
import { JOB_STATUSES } from "../job/index.ts";
import { CAPTURE_MODES, CONTEXT_EVIDENCE_MODES } from "../runpack/index.ts";

export const PACK_SCHEMA_VERSION = "1.0.0";
export const PackSchemaIds = {
  manifest: "gait.pack.manifest",
  run: "gait.pack.run",
  job: "gait.pack.job",
  call: "gait.pack.call",
  diff: "gait.pack.diff",
  output: "gait.pack.output",
  /** A Guard evidence pack's manifest (CONTRACTS.md §7.2), verified by the guard module. */
  guardManifest: "gait.guard.pack_manifest",
} as const;

/** Pack types the manifest schema allows; gait builds `run` and `job`. */
export const PACK_TYPES = ["run", "job", "call"] as const;
export type PackType = (typeof PACK_TYPES)[number];
export const BUILD_TYPES = ["run", "job"] as const;
export type BuildType = (typeof BUILD_TYPES)[number];

/** Entry types, from the file extension (CONTRACTS.md §7.1). */
export const ENTRY_TYPES = ["json", "jsonl", "zip", "blob"] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export const PackFiles = {
  manifest: "pack_manifest.json",
  proofRecords: "proof_records.jsonl",
  runPayload: "run_payload.json",
  sourceRunpack: "source/runpack.zip",
  jobPayload: "job_payload.json",
  jobState: "job_state.json",
  jobEvents: "job_events.jsonl",
  /** A legacy runpack's manifest: such a zip is verified as a runpack. */
  legacyRunpackManifest: "manifest.json",
} as const;

/** The payload entry of each pack type. */
export const PAYLOAD_FILES: Readonly<Record<PackType, string>> = {
  run: PackFiles.runPayload,
  job: PackFiles.jobPayload,
  call: "call_payload.json",
};

/** Every PackSpec timestamp is this fixed time, so the same inputs give the same bytes. */
export const PACK_CREATED_AT = "1980-01-01T00:00:00Z";

const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const DateTime = Type.String({ format: "date-time" });
const Digest = Type.String({ pattern: "^[a-fA-F0-9]{64}$" });
const NonEmpty = Type.String({ minLength: 1 });
const Count = Type.Integer({ minimum: 0 });

export const PackEntrySchema = Type.Object(
  { path: NonEmpty, sha256: Digest, type: NonEmpty },
  { additionalProperties: false },
);
export type PackEntry = Static<typeof PackEntrySchema>;

export const PackSignatureSchema = Type.Object(
  {
    alg: NonEmpty,
    key_id: NonEmpty,
    sig: NonEmpty,
    signed_digest: Type.Optional(Digest),
  },
  { additionalProperties: false },
);
export type PackSignature = Static<typeof PackSignatureSchema>;

export const PackManifestSchema = Type.Object(
  {
    schema_id: Type.Literal(PackSchemaIds.manifest, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: NonEmpty,
    pack_id: Digest,
    pack_type: StringEnum(PACK_TYPES),
    source_ref: NonEmpty,
    contents: Type.Array(PackEntrySchema),
    signatures: Type.Optional(Type.Array(PackSignatureSchema)),
  },
  { title: "Pack Manifest", additionalProperties: false },
);
export type PackManifest = Static<typeof PackManifestSchema>;

export const RunPayloadSchema = Type.Object(
  {
    schema_id: Type.Literal(PackSchemaIds.run, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    run_id: NonEmpty,
    capture_mode: StringEnum(CAPTURE_MODES),
    manifest_digest: Digest,
    intents_count: Count,
    results_count: Count,
    refs_count: Count,
    context_set_digest: Type.Optional(Digest),
    context_ref_count: Type.Optional(Count),
    context_evidence_mode: Type.Optional(StringEnum(CONTEXT_EVIDENCE_MODES)),
    context_privacy_mode: Type.Optional(NonEmpty),
  },
  { title: "Pack Run Payload", additionalProperties: false },
);
export type RunPayload = Static<typeof RunPayloadSchema>;

export const JobPayloadSchema = Type.Object(
  {
    schema_id: Type.Literal(PackSchemaIds.job, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    job_id: NonEmpty,
    status: StringEnum(JOB_STATUSES),
    stop_reason: NonEmpty,
    status_reason_code: NonEmpty,
    environment_fingerprint: NonEmpty,
    safety_invariant_version: Type.Optional(NonEmpty),
    safety_invariant_hash: Type.Optional(Digest),
    checkpoint_count: Count,
    approval_count: Count,
  },
  { title: "Pack Job Payload", additionalProperties: false },
);
export type JobPayload = Static<typeof JobPayloadSchema>;

const FileList = Type.Array(NonEmpty);

export const PackDiffSummarySchema = Type.Object(
  {
    changed: Type.Boolean(),
    added_files: Type.Optional(FileList),
    removed_files: Type.Optional(FileList),
    changed_files: Type.Optional(FileList),
    manifest_delta: Type.Boolean(),
    context_changed: Type.Optional(Type.Boolean()),
    context_runtime_only_changes: Type.Optional(Type.Boolean()),
    context_drift_classification: Type.Optional(StringEnum(["none", "runtime_only", "semantic"] as const)),
  },
  { additionalProperties: false },
);
export type PackDiffSummary = Static<typeof PackDiffSummarySchema>;

export const PackDiffSchema = Type.Object(
  {
    schema_id: Type.Literal(PackSchemaIds.diff, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    left_pack_id: NonEmpty,
    right_pack_id: NonEmpty,
    left_pack_type: NonEmpty,
    right_pack_type: NonEmpty,
    summary: PackDiffSummarySchema,
  },
  { title: "Pack Diff Result", additionalProperties: false },
);
export type PackDiff = Static<typeof PackDiffSchema>;

// ---------------------------------------------------------------------------------------------
// Proof records (`proof_records.jsonl`): one per entry, hash-chained.

const ProofEventSchema = Type.Object(
  {
    pack_type: NonEmpty,
    source_ref: NonEmpty,
    producer_version: NonEmpty,
    entry_path: NonEmpty,
    entry_type: StringEnum(ENTRY_TYPES),
    entry_sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    entry_size_bytes: Count,
    entry_permissions: Type.String({ pattern: "^0[0-7]{3}$", description: "unix mode in the zip, octal" }),
  },
  { additionalProperties: false },
);
export type ProofEvent = Static<typeof ProofEventSchema>;

const RecordHash = Type.String({ pattern: "^sha256:[0-9a-f]{64}$" });

export const ProofRecordSchema = Type.Object(
  {
    record_id: Type.String({ pattern: "^prf-.+-[0-9a-f]{8}$" }),
    record_version: Type.Literal("1.0", { type: "string" }),
    timestamp: DateTime,
    source: Type.Literal("gait.pack", { type: "string" }),
    source_product: Type.Literal("gait", { type: "string" }),
    agent_id: Type.Literal("gait", { type: "string" }),
    record_type: Type.Literal("tool_invocation", { type: "string" }),
    event: ProofEventSchema,
    controls: Type.Object({ permissions_enforced: Type.Boolean() }, { additionalProperties: false }),
    metadata: Type.Object(
      { artifact_kind: Type.Literal("gait.pack.entry", { type: "string" }) },
      { additionalProperties: false },
    ),
    integrity: Type.Object(
      {
        record_hash: RecordHash,
        previous_record_hash: Type.Optional(RecordHash),
        signing_key_id: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
        signature: Type.Optional(Type.String({ pattern: "^base64:[A-Za-z0-9+/]+=*$" })),
      },
      { additionalProperties: false },
    ),
  },
  {
    title: "Pack Proof Record",
    description:
      "One line of proof_records.jsonl: an entry of the pack, hash-chained to the record before it (CONTRACTS.md §7.1).",
    additionalProperties: false,
  },
);
export type ProofRecord = Static<typeof ProofRecordSchema>;

// ---------------------------------------------------------------------------------------------
// The `--json` output of `gait pack` commands (`gait.pack.output`).

const FileNames = Type.Array(Type.String());

export const PackVerifyFieldsSchema = Type.Object(
  {
    pack_id: Type.String(),
    pack_type: Type.String(),
    source_ref: Type.String(),
    files_checked: Count,
    proof_records_verified: Type.Optional(Count),
    missing_files: Type.Optional(FileNames),
    hash_mismatches: Type.Optional(
      Type.Array(
        Type.Object(
          { path: Type.String(), expected: Type.String(), actual: Type.String() },
          { additionalProperties: false },
        ),
      ),
    ),
    undeclared_files: Type.Optional(FileNames),
    signature_status: StringEnum(["missing", "skipped", "verified", "failed"] as const),
    signature_errors: Type.Optional(Type.Array(Type.String())),
    signatures_total: Type.Optional(Count),
    signatures_valid: Type.Optional(Count),
    signature_note: Type.String(),
    legacy_type: Type.Optional(StringEnum(["runpack", "evidence_pack"] as const)),
  },
  {
    additionalProperties: false,
    description: "what verify checked (CONTRACTS.md §7.1); empty lists and zero counts left out",
  },
);
export type PackVerifyFields = Static<typeof PackVerifyFieldsSchema>;

export const PackBuildFieldsSchema = Type.Object(
  {
    path: Type.String(),
    pack_id: Digest,
    pack_type: StringEnum(BUILD_TYPES),
    source_ref: NonEmpty,
    files: Count,
    signature_status: StringEnum(["signed", "missing"] as const),
    signature_key_id: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
  },
  { additionalProperties: false },
);
export type PackBuildFields = Static<typeof PackBuildFieldsSchema>;

export const PackOutputSchema = Type.Object(
  {
    schema_id: Type.Literal(PackSchemaIds.output, { type: "string" }),
    schema_version: SchemaVersion,
    ok: Type.Boolean(),
    operation: StringEnum(["build", "verify", "inspect", "diff", "view"] as const),
    path: Type.Optional(
      Type.String({ description: "the pack (build, verify, inspect) as given, relative to the cwd" }),
    ),
    pack_id: Type.Optional(Type.String()),
    pack_type: Type.Optional(Type.String()),
    source_ref: Type.Optional(Type.String()),
    build: Type.Optional(PackBuildFieldsSchema),
    verify: Type.Optional(PackVerifyFieldsSchema),
    inspect: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({ type: "object", description: "the inspection (docs/packs.md)" }),
    ),
    diff: Type.Optional(PackDiffSchema),
  },
  {
    title: "Pack Command Output",
    description:
      "The --json output of gait pack build|verify|inspect|diff|view: one object per operation; members not listed here (correlation_id, warnings, next_commands, the error envelope's members, an operation's own) may be added.",
    additionalProperties: true,
  },
);

/** Every pack schema, for the schema registry (src/schemas.ts) and the generated files. */
export const packSchemas = {
  "pack/manifest": PackManifestSchema,
  "pack/run": RunPayloadSchema,
  "pack/job": JobPayloadSchema,
  "pack/diff": PackDiffSchema,
  "pack/proof_record": ProofRecordSchema,
  "pack/output": PackOutputSchema,
} as const;

/** One entry of a pack as the pure core sees it (uncompressed bytes). */
export interface PackFile {
  path: string;
  data: Buffer;
}
