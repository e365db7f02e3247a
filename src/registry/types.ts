/**
 * The registry's wire shapes, each defined once (TypeBox → type, guard and published schema):
 * - `gait.registry.pack` (CONTRACTS.md §7.3): a pack's metadata, signed; mirrors the public schema.
 * - `gait.registry.verification_report`: one pack's checks; mirrors the public schema.
 * - `gait.registry.index`: a static registry's signed list of packs, versions and digests. The
 *   public `gait.registry.ecosystem_index` lists GitHub repos for humans (no versions, no digests,
 *   no signature), so it does not fit; this one is ours.
 * - `gait.registry.lock`: `gait.lock`, what a project installed, committed by users.
 * - `gait-pack.yaml`: a pack source folder's description, read as strict YAML.
 */
import { type Static, Type } from "@sinclair/typebox";
import { EmbeddedSignatureSchema, SignatureSchema, StringEnum } from "../contract/artifact-schemas.ts";

export const PACK_SCHEMA_ID = "gait.registry.pack";
export const REPORT_SCHEMA_ID = "gait.registry.verification_report";
export const INDEX_SCHEMA_ID = "gait.registry.index";
export const LOCK_SCHEMA_ID = "gait.registry.lock";
export const SCHEMA_VERSION = "1.0.0";
export const PACK_TYPES = ["policy", "adapter", "skill"] as const;
export type PackType = (typeof PACK_TYPES)[number];

const HEX64 = "^[a-fA-F0-9]{64}$";
const closed = { additionalProperties: false } as const;

export const RegistryArtifactSchema = Type.Object(
  {
    path: Type.String({ description: "relative path inside the pack; no '..', no absolute paths" }),
    sha256: Type.String({ pattern: HEX64 }),
    media_type: Type.Optional(Type.String()),
  },
  closed,
);
export type RegistryArtifact = Static<typeof RegistryArtifactSchema>;

export const RegistryPackSchema = Type.Object(
  {
    schema_id: Type.Literal(PACK_SCHEMA_ID),
    schema_version: Type.String({ pattern: "^1\\.0\\.0$" }),
    created_at: Type.String({ format: "date-time" }),
    producer_version: Type.String(),
    pack_name: Type.String(),
    pack_version: Type.String(),
    pack_type: Type.Optional(Type.String()),
    publisher: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    risk_class: Type.Optional(Type.String()),
    use_case: Type.Optional(Type.String()),
    compatibility: Type.Optional(Type.Array(Type.String())),
    provenance: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({ type: "object", additionalProperties: true }),
    ),
    artifacts: Type.Array(RegistryArtifactSchema),
    signatures: Type.Optional(Type.Array(EmbeddedSignatureSchema)),
  },
  {
    ...closed,
    title: "Registry Pack Metadata",
    description:
      "A registry pack's metadata (registry_pack.json); its digest is the canonical digest without signatures.",
  },
);
export type RegistryPack = Static<typeof RegistryPackSchema>;

export const VerificationReportSchema = Type.Object(
  {
    schema_id: Type.Literal(REPORT_SCHEMA_ID),
    schema_version: Type.String({ pattern: "^1\\.0\\.0$" }),
    created_at: Type.String({ format: "date-time" }),
    producer_version: Type.String(),
    pack_name: Type.String({ minLength: 1 }),
    pack_version: Type.String({ minLength: 1 }),
    digest: Type.String({ pattern: HEX64 }),
    metadata_path: Type.String({ minLength: 1 }),
    pin_path: Type.Optional(Type.String()),
    pin_digest: Type.Optional(Type.String()),
    pin_present: Type.Boolean(),
    pin_verified: Type.Boolean(),
    signature_verified: Type.Boolean(),
    publisher: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    publisher_allowed: Type.Boolean(),
    status: StringEnum(["pass", "fail"] as const),
    failure_reasons: Type.Optional(Type.Array(Type.String(), { default: [] })),
  },
  { ...closed, title: "Registry Verification Report" },
);
export type VerificationReport = Static<typeof VerificationReportSchema>;

export const RegistryIndexEntrySchema = Type.Object(
  {
    pack_name: Type.String(),
    pack_version: Type.String(),
    digest: Type.String({ pattern: "^[a-f0-9]{64}$", description: "the pack metadata's digest" }),
    metadata_path: Type.String({ description: "registry_pack.json, relative to the index" }),
    pack_type: Type.Optional(Type.String()),
    publisher: Type.Optional(Type.String()),
  },
  closed,
);
export type RegistryIndexEntry = Static<typeof RegistryIndexEntrySchema>;

export const RegistryIndexSchema = Type.Object(
  {
    schema_id: Type.Literal(INDEX_SCHEMA_ID),
    schema_version: Type.Literal(SCHEMA_VERSION),
    updated_at: Type.String({ format: "date-time" }),
    producer_version: Type.String(),
    packs: Type.Array(RegistryIndexEntrySchema, { description: "sorted by name, then version" }),
    signatures: Type.Optional(Type.Array(SignatureSchema)),
  },
  {
    ...closed,
    title: "Gait Registry Index",
    description:
      "index.json of a static registry (a folder or any static web host): every pack version and its metadata digest, signed over the canonical digest without signatures.",
  },
);
export type RegistryIndex = Static<typeof RegistryIndexSchema>;

export const LockEntrySchema = Type.Object(
  {
    pack_name: Type.String(),
    pack_version: Type.String(),
    digest: Type.String({ pattern: "^[a-f0-9]{64}$" }),
    source: Type.String({ description: "where it was installed from, as given" }),
    publisher: Type.Optional(Type.String()),
    artifacts: Type.Array(
      Type.Object({ path: Type.String(), sha256: Type.String({ pattern: "^[a-f0-9]{64}$" }) }, closed),
    ),
  },
  closed,
);
export type LockEntry = Static<typeof LockEntrySchema>;

export const LockfileSchema = Type.Object(
  {
    schema_id: Type.Literal(LOCK_SCHEMA_ID),
    schema_version: Type.Literal(SCHEMA_VERSION),
    packs: Type.Array(LockEntrySchema, { description: "sorted by name" }),
  },
  {
    ...closed,
    title: "Gait Registry Lockfile",
    description:
      "gait.lock: the packs a project installed, with their metadata and artifact digests; `gait registry install --frozen` reproduces it exactly.",
  },
);
export type Lockfile = Static<typeof LockfileSchema>;

const text = () => Type.Optional(Type.String());

/** gait-pack.yaml as written; values are checked further when read (source.ts). */
export const PackSourceSchema = Type.Object(
  {
    name: Type.String(),
    version: Type.String(),
    pack_type: Type.String(),
    risk_class: text(),
    use_case: text(),
    compatibility: Type.Optional(Type.Array(Type.String())),
    publisher: text(),
    source: text(),
    artifacts: Type.Array(Type.Object({ path: Type.String(), media_type: text() }, closed)),
  },
  {
    ...closed,
    title: "Gait Pack Source",
    description:
      "gait-pack.yaml (YAML) in a pack source folder: what `gait registry publish` builds into a signed registry pack.",
  },
);
export type PackSourceDocument = Static<typeof PackSourceSchema>;

export const registrySchemas = {
  "registry/registry_pack": RegistryPackSchema,
  "registry/verification_report": VerificationReportSchema,
  "registry/index": RegistryIndexSchema,
  "registry/lock": LockfileSchema,
} as const;
