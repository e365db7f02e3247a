/**
 * The runpack manifest (CONTRACTS.md §3.4): building it from file bytes, its digest, and the
 * struct projection a verifier recomputes that digest from.
 */

import { compareBytes } from "../contract/bytes.ts";
import { digestJcs, isJsonObject, type JsonObject, sha256Hex } from "../contract/canonical.ts";
import { normalizeGoTimestamp } from "../contract/time.ts";
import { verificationFailed } from "./error-codes.ts";
import {
  type CaptureMode,
  LISTED_FILES,
  type Manifest,
  type ManifestFile,
  type ManifestSignature,
  RUNPACK_SCHEMA_VERSION,
  SchemaIds,
} from "./types.ts";

export interface ManifestFields {
  createdAt: string;
  producerVersion: string;
  runId: string;
  captureMode: CaptureMode;
  files: Record<(typeof LISTED_FILES)[number], Buffer>;
}

/** Signs the manifest's signable form (manifest with its digest, without `signatures`). */
export type ManifestSigner = (signable: JsonObject) => ManifestSignature;

/** Builds the manifest for the four listed files, with its digest and optional signature. */
export function buildManifest(fields: ManifestFields, sign?: ManifestSigner): Manifest {
  const files: ManifestFile[] = [...LISTED_FILES]
    .sort(compareBytes)
    .map((path) => ({ path, sha256: sha256Hex(fields.files[path]) }));
  const manifest: Manifest = {
    schema_id: SchemaIds.manifest,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: fields.createdAt,
    producer_version: fields.producerVersion,
    run_id: fields.runId,
    capture_mode: fields.captureMode,
    files,
    manifest_digest: "",
  };
  manifest.manifest_digest = manifestDigest(manifest);
  if (sign) manifest.signatures = [sign(signableManifest(manifest))];
  return manifest;
}

/** DigestJCS of the manifest with `manifest_digest: ""` present and no `signatures` (§3.4). */
export function manifestDigest(manifest: Manifest | JsonObject): string {
  const { signatures: _ignored, ...rest } = manifest as Record<string, unknown>;
  return digestJcs({ ...rest, manifest_digest: "" });
}

/** The signable object of a manifest: the generic map with `signatures` removed (§2.2). */
export function signableManifest(manifest: Manifest | JsonObject): JsonObject {
  const { signatures: _ignored, ...rest } = manifest as Record<string, unknown>;
  return rest as JsonObject;
}

/**
 * Projects a parsed manifest onto the reference's struct (unknown keys dropped, Go zero values
 * for missing non-omitempty members, timestamps re-rendered), which is what a verifier
 * recomputes the digest from. Wrong member types fail, as Go's unmarshal would.
 */
export function projectManifest(raw: JsonObject): Manifest {
  const text = (key: string): string => {
    const value = raw[key];
    if (value === undefined || value === null) return "";
    if (typeof value !== "string") throw manifestInvalid(`${key} must be a string`);
    return value;
  };
  const createdAt = text("created_at");
  const projected: Record<string, unknown> = {
    schema_id: text("schema_id"),
    schema_version: text("schema_version"),
    created_at: createdAt === "" ? "0001-01-01T00:00:00Z" : normalizeTime(createdAt),
    producer_version: text("producer_version"),
    run_id: text("run_id"),
    files: projectFiles(raw.files),
    manifest_digest: text("manifest_digest"),
  };
  // capture_mode is omitempty in the reference struct: older manifests without it keep their digest.
  const captureMode = text("capture_mode");
  if (captureMode !== "") projected.capture_mode = captureMode;
  return projected as Manifest;
}

function projectFiles(value: unknown): ManifestFile[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw manifestInvalid("files must be an array");
  return value.map((item, i) => {
    if (!isJsonObject(item)) throw manifestInvalid(`files[${i}] must be an object`);
    const path = item.path ?? "";
    const sha256 = item.sha256 ?? "";
    if (typeof path !== "string" || typeof sha256 !== "string")
      throw manifestInvalid(`files[${i}] path and sha256 must be strings`);
    return { path, sha256 };
  });
}

function normalizeTime(text: string): string {
  try {
    return normalizeGoTimestamp(text, "manifest created_at");
  } catch {
    throw manifestInvalid(`created_at ${JSON.stringify(text)} is not an RFC 3339 timestamp`);
  }
}

export function manifestInvalid(detail: string) {
  return verificationFailed("runpack_manifest_invalid", `runpack manifest.json is invalid: ${detail}`, {
    hint: "the runpack is damaged or was not produced by gait; re-record it from its source",
  });
}
