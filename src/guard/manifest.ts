/**
 * The Guard evidence pack manifest (CONTRACTS.md §7.2): building it from the entries, its
 * `pack_id` (`pack_` + the first 16 hex of DigestJCS({run_id, contents})), its signable form, and
 * the strict parser the verifier reads it with. Pure.
 *
 * The reference reads the manifest into a Go struct, which drops unknown members and empty
 * optional ones before the signature is checked. Dropped members would be covered by no
 * signature, so unknown members are refused here (as `gait pack view` refuses them); empty
 * optional members are dropped as Go drops them, and timestamps re-rendered as Go renders them.
 */
import type { TObject } from "@sinclair/typebox";
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
  type EvidencePointer,
  EvidencePointerSchema,
  GUARD_CONTENT_TYPES,
  GUARD_SCHEMA_VERSION,
  type GuardContentType,
  type GuardControl,
  GuardControlSchema,
  type GuardEntry,
  GuardEntrySchema,
  type GuardFile,
  GuardFiles,
  type GuardPackManifest,
  GuardPackManifestSchema,
  GuardSchemaIds,
  type GuardSignature,
  GuardSignatureSchema,
  guardEntryType,
} from "./types.ts";

/** `pack_` + the first 16 hex characters of DigestJCS({run_id, contents}). */
export function guardPackIdOf(runId: string, contents: readonly GuardEntry[]): string {
  return `pack_${digestJcs({ run_id: runId, contents }).slice(0, 16)}`;
}

/** The object a guard signature signs: the manifest without `signatures`. */
export function signableGuardManifest(manifest: GuardPackManifest): GuardPackManifest {
  const { signatures: _ignored, ...rest } = manifest;
  return rest;
}

/** Entries as the manifest lists them: sorted by path, each hashed and typed. */
export function guardContents(files: readonly GuardFile[]): GuardEntry[] {
  return [...files]
    .sort((a, b) => compareBytes(a.path, b.path))
    .map((file) => ({ path: file.path, sha256: sha256Hex(file.data), type: guardEntryType(file.path) }));
}

/** One pointer (`ev_001`, ...) per entry, in the entries' order. */
export function evidencePointersFor(contents: readonly GuardEntry[]): EvidencePointer[] {
  return contents.map((entry, i) => ({
    pointer_id: `ev_${String(i + 1).padStart(3, "0")}`,
    path: entry.path,
    type: entry.type,
    sha256: entry.sha256,
  }));
}

export interface GuardManifestFields {
  runId: string;
  /** The run's created_at: the manifest's created_at and generated_at. */
  createdAt: string;
  producerVersion: string;
  caseId?: string | undefined;
  templateId?: string | undefined;
  incidentWindow?: GuardPackManifest["incident_window"] | undefined;
  renderedArtifacts?: GuardPackManifest["rendered_artifacts"] | undefined;
  controls: readonly GuardControl[];
  pointers: readonly EvidencePointer[];
  /** Every entry except the manifest itself. */
  files: readonly GuardFile[];
}

export type GuardManifestSigner = (signable: GuardPackManifest) => SignatureEnvelope;

export function buildGuardManifest(
  fields: GuardManifestFields,
  sign?: GuardManifestSigner,
): GuardPackManifest {
  const contents = guardContents(fields.files);
  const manifest: GuardPackManifest = {
    schema_id: GuardSchemaIds.manifest,
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: fields.createdAt,
    producer_version: fields.producerVersion,
    pack_id: guardPackIdOf(fields.runId, contents),
    run_id: fields.runId,
    ...(fields.caseId ? { case_id: fields.caseId } : {}),
    ...(fields.templateId ? { template_id: fields.templateId } : {}),
    generated_at: fields.createdAt,
    ...(fields.controls.length > 0 ? { control_index: [...fields.controls] } : {}),
    ...(fields.pointers.length > 0 ? { evidence_pointers: [...fields.pointers] } : {}),
    ...(fields.incidentWindow ? { incident_window: fields.incidentWindow } : {}),
    ...(fields.renderedArtifacts?.length ? { rendered_artifacts: [...fields.renderedArtifacts] } : {}),
    contents,
  };
  if (sign) manifest.signatures = [sign(signableGuardManifest(manifest)) as GuardSignature];
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// The strict parser

/** The members each object may have: the schema's, so the parser and the schema cannot drift apart. */
const membersOf = (schema: TObject): ReadonlySet<string> => new Set(Object.keys(schema.properties));
const MANIFEST_MEMBERS = membersOf(GuardPackManifestSchema);
const HEX64 = /^[0-9a-fA-F]{64}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function guardManifestInvalid(detail: string) {
  return verificationFailed("guard_manifest_invalid", `${GuardFiles.manifest} is invalid: ${detail}`, {
    hint: "the evidence pack is damaged or was not produced by gait; rebuild it with gait guard pack",
  });
}

/**
 * Parses pack_manifest.json bytes as a guard manifest; any problem is a coded
 * `guard_manifest_invalid` (exit 2). The result is what the signature covers: timestamps in Go's
 * rendering, empty optional members dropped.
 */
export function parseGuardManifest(data: Uint8Array | string): GuardPackManifest {
  let raw: unknown;
  try {
    raw = parseJsonStrict(typeof data === "string" ? data : utf8.decode(data), GuardFiles.manifest);
  } catch (error) {
    throw guardManifestInvalid(error instanceof Error ? error.message : String(error));
  }
  const m = closed(raw, MANIFEST_MEMBERS, "the manifest");
  if (m.schema_id === "gait.pack.manifest") {
    throw verificationFailed(
      "guard_manifest_invalid",
      "this is a PackSpec pack (gait.pack.manifest), not a Guard evidence pack",
      {
        hint: "verify it with gait pack verify, which reads both kinds",
      },
    );
  }
  if (m.schema_id !== GuardSchemaIds.manifest)
    throw guardManifestInvalid(`schema_id must be ${GuardSchemaIds.manifest}`);
  if (m.schema_version !== GUARD_SCHEMA_VERSION)
    throw guardManifestInvalid(`schema_version must be ${GUARD_SCHEMA_VERSION}`);
  const manifest: GuardPackManifest = {
    schema_id: GuardSchemaIds.manifest,
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: time(required(m, "created_at"), "created_at"),
    producer_version: required(m, "producer_version"),
    pack_id: required(m, "pack_id"),
    run_id: required(m, "run_id"),
    generated_at: time(required(m, "generated_at"), "generated_at"),
    contents: parseContents(m.contents),
  };
  for (const key of ["case_id", "template_id"] as const) {
    const value = optionalString(m, key);
    if (value) manifest[key] = value;
  }
  const controls = list(m.control_index, "control_index", parseControl);
  if (controls.length > 0) manifest.control_index = controls;
  const pointers = list(m.evidence_pointers, "evidence_pointers", parsePointer);
  if (pointers.length > 0) manifest.evidence_pointers = pointers;
  if (m.incident_window !== undefined && m.incident_window !== null)
    manifest.incident_window = parseWindow(m.incident_window);
  const rendered = list(m.rendered_artifacts, "rendered_artifacts", parseRendered);
  if (rendered.length > 0) manifest.rendered_artifacts = rendered;
  const signatures = list(m.signatures, "signatures", parseSignature);
  if (signatures.length > 0) manifest.signatures = signatures;
  return manifest;
}

function closed(value: unknown, members: ReadonlySet<string>, where: string): JsonObject {
  if (!isJsonObject(value)) throw guardManifestInvalid(`${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!members.has(key)) throw guardManifestInvalid(`${where} has unknown member ${JSON.stringify(key)}`);
  }
  return value;
}

function required(object: JsonObject, key: string, where = key): string {
  const value = object[key];
  if (typeof value !== "string" || value === "")
    throw guardManifestInvalid(`${where} must be a non-empty string`);
  return value;
}

function optionalString(object: JsonObject, key: string, where = key): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw guardManifestInvalid(`${where} must be a string`);
  return value;
}

function time(text: string, where: string): string {
  try {
    return normalizeGoTimestamp(text, where);
  } catch {
    throw guardManifestInvalid(`${where} ${JSON.stringify(text)} is not an RFC 3339 timestamp`);
  }
}

function hex64(object: JsonObject, key: string, where: string): string {
  const value = required(object, key, where);
  if (!HEX64.test(value)) throw guardManifestInvalid(`${where} must be 64 hex characters`);
  return value;
}

function contentType(object: JsonObject, where: string): GuardContentType {
  const value = required(object, "type", where);
  if (!(GUARD_CONTENT_TYPES as readonly string[]).includes(value))
    throw guardManifestInvalid(`${where} must be one of ${GUARD_CONTENT_TYPES.join(", ")}`);
  return value as GuardContentType;
}

/** An optional list (absent or null reads as empty, as Go reads a nil slice). */
function list<T>(value: unknown, where: string, parse: (item: unknown, where: string) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw guardManifestInvalid(`${where} must be an array`);
  return value.map((item, i) => parse(item, `${where}[${i}]`));
}

const ENTRY_MEMBERS = membersOf(GuardEntrySchema);

function parseContents(value: unknown): GuardEntry[] {
  if (!Array.isArray(value)) throw guardManifestInvalid("contents must be an array");
  const seen = new Set<string>();
  return value.map((item, i) => {
    const where = `contents[${i}]`;
    const entry = closed(item, ENTRY_MEMBERS, where);
    const path = required(entry, "path", `${where}.path`);
    if (path === GuardFiles.manifest) throw guardManifestInvalid(`${where} declares the manifest itself`);
    if (seen.has(path)) throw guardManifestInvalid(`${where} declares ${JSON.stringify(path)} a second time`);
    seen.add(path);
    return {
      path,
      sha256: hex64(entry, "sha256", `${where}.sha256`),
      type: contentType(entry, `${where}.type`),
    };
  });
}

const CONTROL_MEMBERS = membersOf(GuardControlSchema);

function parseControl(item: unknown, where: string): GuardControl {
  const control = closed(item, CONTROL_MEMBERS, where);
  const paths = control.evidence_paths;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string"))
    throw guardManifestInvalid(`${where}.evidence_paths must be a list of strings`);
  return {
    control_id: optionalString(control, "control_id", `${where}.control_id`) ?? "",
    title: optionalString(control, "title", `${where}.title`) ?? "",
    evidence_paths: paths as string[],
  };
}

const POINTER_MEMBERS = membersOf(EvidencePointerSchema);

function parsePointer(item: unknown, where: string): EvidencePointer {
  const pointer = closed(item, POINTER_MEMBERS, where);
  return {
    pointer_id: required(pointer, "pointer_id", `${where}.pointer_id`),
    path: required(pointer, "path", `${where}.path`),
    type: contentType(pointer, `${where}.type`),
    sha256: hex64(pointer, "sha256", `${where}.sha256`),
  };
}

const WINDOW_MEMBERS = membersOf(GuardPackManifestSchema.properties.incident_window);

function parseWindow(value: unknown): NonNullable<GuardPackManifest["incident_window"]> {
  const window = closed(value, WINDOW_MEMBERS, "incident_window");
  const seconds = window.window_seconds;
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0)
    throw guardManifestInvalid("incident_window.window_seconds must be a whole number of seconds");
  const anchor = optionalString(window, "selection_anchor", "incident_window.selection_anchor");
  return {
    from: time(required(window, "from", "incident_window.from"), "incident_window.from"),
    to: time(required(window, "to", "incident_window.to"), "incident_window.to"),
    window_seconds: seconds,
    ...(anchor ? { selection_anchor: anchor } : {}),
  };
}

const RENDERED_MEMBERS = membersOf(GuardPackManifestSchema.properties.rendered_artifacts.items);

function parseRendered(
  item: unknown,
  where: string,
): NonNullable<GuardPackManifest["rendered_artifacts"]>[number] {
  const rendered = closed(item, RENDERED_MEMBERS, where);
  if (rendered.format !== "pdf") throw guardManifestInvalid(`${where}.format must be pdf`);
  return {
    format: "pdf",
    path: required(rendered, "path", `${where}.path`),
    sha256: hex64(rendered, "sha256", `${where}.sha256`),
  };
}

const SIGNATURE_MEMBERS = membersOf(GuardSignatureSchema);

function parseSignature(item: unknown, where: string): GuardSignature {
  const signature = closed(item, SIGNATURE_MEMBERS, where);
  const digest = optionalString(signature, "signed_digest", `${where}.signed_digest`);
  return {
    // The alg is checked (case-folded, as the reference does) with the signature.
    alg: required(signature, "alg", `${where}.alg`) as "ed25519",
    key_id: required(signature, "key_id", `${where}.key_id`),
    sig: required(signature, "sig", `${where}.sig`),
    ...(digest ? { signed_digest: digest } : {}),
  };
}
