/**
 * The PackSpec manifest (CONTRACTS.md §7.1): building it from the entries, its `pack_id`, its
 * signable form, and the strict parser every verifier reads it with. Pure.
 */
import { compareBytes } from "../contract/bytes.ts";
import {
  digestJcs,
  isJsonObject,
  type JsonObject,
  parseJsonStrict,
  sha256Hex,
} from "../contract/canonical.ts";
import type { SignatureEnvelope } from "../contract/signing.ts";
import { normalizeGoTimestamp } from "../contract/time.ts";
import { verificationFailed } from "./error-codes.ts";
import {
  ENTRY_TYPES,
  type EntryType,
  PACK_CREATED_AT,
  PACK_SCHEMA_VERSION,
  PACK_TYPES,
  type PackEntry,
  PackEntrySchema,
  type PackFile,
  PackFiles,
  type PackManifest,
  PackManifestSchema,
  PackSchemaIds,
  type PackSignature,
  PackSignatureSchema,
  type PackType,
} from "./types.ts";

/** An entry's type from its extension: `.json`, `.jsonl`, `.zip`, anything else `blob`. */
export function entryType(path: string): EntryType {
  const lower = path.toLowerCase();
  if (lower.endsWith(".jsonl")) return "jsonl";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".zip")) return "zip";
  return "blob";
}

export interface ManifestFields {
  packType: PackType;
  sourceRef: string;
  producerVersion: string;
  /** Every entry except the manifest itself. */
  files: readonly PackFile[];
}

/** Signs the manifest's signable form (the manifest with its pack_id, without `signatures`). */
export type PackManifestSigner = (signable: PackManifest) => SignatureEnvelope;

export function buildPackManifest(fields: ManifestFields, sign?: PackManifestSigner): PackManifest {
  const contents: PackEntry[] = [...fields.files]
    .sort((a, b) => compareBytes(a.path, b.path))
    .map((file) => ({ path: file.path, sha256: sha256Hex(file.data), type: entryType(file.path) }));
  const manifest: PackManifest = {
    schema_id: PackSchemaIds.manifest,
    schema_version: PACK_SCHEMA_VERSION,
    created_at: PACK_CREATED_AT,
    producer_version: fields.producerVersion,
    pack_id: "",
    pack_type: fields.packType,
    source_ref: fields.sourceRef,
    contents,
  };
  manifest.pack_id = packIdOf(manifest);
  if (sign) manifest.signatures = [sign(signablePackManifest(manifest))];
  return manifest;
}

/** DigestJCS of the manifest with `pack_id: ""` and no `signatures`. */
export function packIdOf(manifest: PackManifest): string {
  return digestJcs({ ...signablePackManifest(manifest), pack_id: "" });
}

/** The object a pack signature signs: the manifest without `signatures` (pack_id included). */
export function signablePackManifest(manifest: PackManifest): PackManifest {
  const { signatures: _ignored, ...rest } = manifest;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// The strict parser: unknown members, wrong types and malformed values are all refused with one
// coded error, so what the verifier recomputes pack_id from is exactly what the file says.

/** The members each object may have: those of its schema (types.ts), nothing else. */
const MANIFEST_MEMBERS = new Set(Object.keys(PackManifestSchema.properties));
const ENTRY_MEMBERS = new Set(Object.keys(PackEntrySchema.properties));
const SIGNATURE_MEMBERS = new Set(Object.keys(PackSignatureSchema.properties));
const HEX64 = /^[0-9a-fA-F]{64}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function manifestInvalid(detail: string) {
  return verificationFailed("pack_manifest_invalid", `${PackFiles.manifest} is invalid: ${detail}`, {
    hint: "the pack is damaged or was not produced by gait; rebuild it with gait pack build",
  });
}

/** Parses pack_manifest.json bytes; any problem is a coded `pack_manifest_invalid` (exit 2). */
export function parsePackManifest(data: Uint8Array | string): PackManifest {
  const raw = parseManifestObject(data);
  for (const key of Object.keys(raw)) {
    if (!MANIFEST_MEMBERS.has(key)) throw manifestInvalid(`unknown member ${JSON.stringify(key)}`);
  }
  const text = (key: string) => requiredString(raw, key, key);
  if (text("schema_id") !== PackSchemaIds.manifest)
    throw manifestInvalid(`schema_id must be ${PackSchemaIds.manifest}`);
  if (text("schema_version") !== PACK_SCHEMA_VERSION)
    throw manifestInvalid(`schema_version must be ${PACK_SCHEMA_VERSION}`);
  const packType = text("pack_type");
  if (!(PACK_TYPES as readonly string[]).includes(packType))
    throw manifestInvalid(`pack_type must be one of ${PACK_TYPES.join(", ")}`);
  const packId = text("pack_id");
  if (!HEX64.test(packId)) throw manifestInvalid("pack_id must be 64 hex characters");
  const manifest: PackManifest = {
    schema_id: PackSchemaIds.manifest,
    schema_version: PACK_SCHEMA_VERSION,
    created_at: timestamp(text("created_at")),
    producer_version: text("producer_version"),
    pack_id: packId,
    pack_type: packType as PackType,
    source_ref: text("source_ref"),
    contents: parseContents(raw.contents),
  };
  if (raw.signatures !== undefined && raw.signatures !== null) {
    manifest.signatures = parseSignatures(raw.signatures);
  }
  return manifest;
}

function parseManifestObject(data: Uint8Array | string): JsonObject {
  let value: unknown;
  try {
    value = parseJsonStrict(typeof data === "string" ? data : utf8.decode(data), PackFiles.manifest);
  } catch (error) {
    throw manifestInvalid(error instanceof Error ? error.message : String(error));
  }
  if (!isJsonObject(value)) throw manifestInvalid("expected a JSON object");
  return value;
}

function requiredString(object: JsonObject, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== "string" || value === "") throw manifestInvalid(`${where} must be a non-empty string`);
  return value;
}

function timestamp(text: string): string {
  try {
    return normalizeGoTimestamp(text, "created_at");
  } catch {
    throw manifestInvalid(`created_at ${JSON.stringify(text)} is not an RFC 3339 timestamp`);
  }
}

function closedObject(value: unknown, members: ReadonlySet<string>, where: string): JsonObject {
  if (!isJsonObject(value)) throw manifestInvalid(`${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!members.has(key)) throw manifestInvalid(`${where} has unknown member ${JSON.stringify(key)}`);
  }
  return value;
}

function parseContents(value: unknown): PackEntry[] {
  if (!Array.isArray(value)) throw manifestInvalid("contents must be an array");
  const seen = new Set<string>();
  return value.map((item, i) => {
    const where = `contents[${i}]`;
    const entry = closedObject(item, ENTRY_MEMBERS, where);
    const path = requiredString(entry, "path", `${where}.path`);
    const sha256 = requiredString(entry, "sha256", `${where}.sha256`);
    const type = requiredString(entry, "type", `${where}.type`);
    if (path === PackFiles.manifest) throw manifestInvalid(`${where} declares the manifest itself`);
    if (seen.has(path)) throw manifestInvalid(`${where} declares ${JSON.stringify(path)} a second time`);
    seen.add(path);
    if (!HEX64.test(sha256)) throw manifestInvalid(`${where}.sha256 must be 64 hex characters`);
    if (!(ENTRY_TYPES as readonly string[]).includes(type) || type !== entryType(path))
      throw manifestInvalid(`${where}.type must be ${entryType(path)} for ${JSON.stringify(path)}`);
    return { path, sha256, type };
  });
}

function parseSignatures(value: unknown): PackSignature[] {
  if (!Array.isArray(value)) throw manifestInvalid("signatures must be an array");
  return value.map((item, i) => {
    const where = `signatures[${i}]`;
    const signature = closedObject(item, SIGNATURE_MEMBERS, where);
    const parsed: PackSignature = {
      alg: requiredString(signature, "alg", `${where}.alg`),
      key_id: requiredString(signature, "key_id", `${where}.key_id`),
      sig: requiredString(signature, "sig", `${where}.sig`),
    };
    if (signature.signed_digest !== undefined) {
      const digest = signature.signed_digest;
      if (typeof digest !== "string" || !HEX64.test(digest))
        throw manifestInvalid(`${where}.signed_digest must be 64 hex characters`);
      parsed.signed_digest = digest;
    }
    return parsed;
  });
}
