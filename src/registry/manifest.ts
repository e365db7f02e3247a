/**
 * The pure core of registry packs (CONTRACTS.md §7.3): parse and normalize pack metadata and the
 * index, their digests (canonical digest without `signatures`), signing and the signature check,
 * artifact path rules and version order. No I/O.
 */
import { digestJcs, isJsonObject, type JsonObject, parseJsonStrict } from "../contract/canonical.ts";
import {
  type SignatureEnvelope,
  type SigningKey,
  signDigest,
  type VerifyKey,
  verifyDigest,
} from "../contract/signing.ts";
import { verificationFailed } from "./error-codes.ts";
import {
  INDEX_SCHEMA_ID,
  PACK_SCHEMA_ID,
  type RegistryArtifact,
  type RegistryIndex,
  type RegistryIndexEntry,
  type RegistryPack,
  SCHEMA_VERSION,
} from "./types.ts";

export const PACK_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const PACK_VERSION = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,64})?$/;
const HEX64 = /^[a-fA-F0-9]{64}$/;

/** Why a relative artifact path is unsafe, or undefined when it is a plain path below the pack. */
export function artifactPathProblem(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.length > 512) return "is longer than 512 characters";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "is absolute";
  if (path.includes("\\")) return "contains a backslash";
  if (/[\u0000-\u001f\u007f]/.test(path)) return "contains a control character";
  const segments = path.split("/");
  if (segments.some((s) => s === "..")) return "escapes the pack (..)";
  if (segments.some((s) => s === "" || s === ".")) return "has an empty or '.' segment";
  if (segments[0] === "registry_pack.json" && segments.length === 1) return "is reserved";
  return undefined;
}

/** Orders semantic versions (x.y.z, a pre-release below its release); -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const [coreA = "", preA] = splitOnce(a, "-");
  const [coreB = "", preB] = splitOnce(b, "-");
  const numsA = coreA.split(".").map(Number);
  const numsB = coreB.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (numsA[i] ?? 0) - (numsB[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  const partsA = preA.split(".");
  const partsB = preB.split(".");
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const x = partsA[i];
    const y = partsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : undefined;
    const ny = /^\d+$/.test(y) ? Number(y) : undefined;
    if (nx !== undefined && ny !== undefined) return Math.sign(nx - ny);
    if (nx !== undefined) return -1;
    if (ny !== undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function manifestError(what: string, message: string) {
  return verificationFailed("registry_manifest_invalid", `${what}: ${message}`, {
    hint: "the pack metadata is malformed; re-publish it with gait registry publish",
  });
}

function optionalString(doc: JsonObject, key: string, what: string): string | undefined {
  const value = doc[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw manifestError(what, `${key} must be a string`);
  return value;
}

/**
 * Reads pack metadata from untrusted JSON text and normalizes it as the reference does: schema id
 * and version checked, name and version required, pack_type/publisher/source trimmed and
 * lower-cased, a skill pack must name publisher and source, every artifact path safe and unique.
 * Unknown members are rejected (the public schema is closed).
 */
export function parseRegistryPack(text: string, what = "registry_pack.json"): RegistryPack {
  let doc: unknown;
  try {
    doc = parseJsonStrict(text, what);
  } catch (error) {
    throw manifestError(what, (error as Error).message);
  }
  if (!isJsonObject(doc)) throw manifestError(what, "is not a JSON object");
  return normalizeRegistryPack(doc, what);
}

const PACK_MEMBERS = new Set([
  "schema_id",
  "schema_version",
  "created_at",
  "producer_version",
  "pack_name",
  "pack_version",
  "pack_type",
  "publisher",
  "source",
  "risk_class",
  "use_case",
  "compatibility",
  "provenance",
  "artifacts",
  "signatures",
]);

export function normalizeRegistryPack(doc: JsonObject, what: string): RegistryPack {
  const unknown = Object.keys(doc).find((k) => !PACK_MEMBERS.has(k));
  if (unknown !== undefined) throw manifestError(what, `unknown member ${JSON.stringify(unknown)}`);
  if (doc.schema_id !== PACK_SCHEMA_ID) throw manifestError(what, `schema_id is not ${PACK_SCHEMA_ID}`);
  if (doc.schema_version !== SCHEMA_VERSION)
    throw manifestError(what, `schema_version is not ${SCHEMA_VERSION}`);
  const name = optionalString(doc, "pack_name", what)?.trim() ?? "";
  const version = optionalString(doc, "pack_version", what)?.trim() ?? "";
  if (!PACK_NAME.test(name))
    throw manifestError(what, `pack_name ${JSON.stringify(name)} is not a pack name`);
  if (!PACK_VERSION.test(version))
    throw manifestError(what, `pack_version ${JSON.stringify(version)} is not x.y.z`);
  const createdAt = optionalString(doc, "created_at", what);
  const producer = optionalString(doc, "producer_version", what);
  if (createdAt === undefined || producer === undefined)
    throw manifestError(what, "created_at and producer_version are required");
  const pack: RegistryPack = {
    schema_id: PACK_SCHEMA_ID,
    schema_version: SCHEMA_VERSION,
    created_at: createdAt,
    producer_version: producer,
    pack_name: name,
    pack_version: version,
    artifacts: [],
  };
  for (const key of ["pack_type", "publisher", "source"] as const) {
    const value = optionalString(doc, key, what)?.trim().toLowerCase();
    if (value) pack[key] = value;
  }
  for (const key of ["risk_class", "use_case"] as const) {
    const value = optionalString(doc, key, what);
    if (value) pack[key] = value;
  }
  if (pack.pack_type === "skill" && (!pack.publisher || !pack.source)) {
    throw manifestError(what, "a skill pack must name its publisher and source");
  }
  if (doc.compatibility !== undefined) {
    if (!Array.isArray(doc.compatibility) || doc.compatibility.some((c) => typeof c !== "string")) {
      throw manifestError(what, "compatibility must be a list of strings");
    }
    if (doc.compatibility.length > 0) pack.compatibility = doc.compatibility as string[];
  }
  if (doc.provenance !== undefined) {
    if (!isJsonObject(doc.provenance)) throw manifestError(what, "provenance must be an object");
    if (Object.keys(doc.provenance).length > 0) pack.provenance = doc.provenance;
  }
  if (!Array.isArray(doc.artifacts)) throw manifestError(what, "artifacts must be a list");
  const seen = new Set<string>();
  for (const item of doc.artifacts) {
    if (!isJsonObject(item)) throw manifestError(what, "an artifact is not an object");
    const extra = Object.keys(item).find((k) => !["path", "sha256", "media_type"].includes(k));
    if (extra !== undefined)
      throw manifestError(what, `artifact has unknown member ${JSON.stringify(extra)}`);
    const { path, sha256, media_type: mediaType } = item;
    if (typeof path !== "string" || typeof sha256 !== "string" || !HEX64.test(sha256)) {
      throw manifestError(what, "every artifact needs a path and a 64-hex sha256");
    }
    const problem = artifactPathProblem(path);
    if (problem) {
      throw verificationFailed(
        "registry_artifact_path_invalid",
        `${what}: artifact path ${JSON.stringify(path)} ${problem}`,
        {
          hint: "a pack may only list plain relative paths inside it; do not install this pack",
        },
      );
    }
    if (seen.has(path)) throw manifestError(what, `artifact ${JSON.stringify(path)} is listed twice`);
    seen.add(path);
    const artifact: RegistryArtifact = { path, sha256: sha256.toLowerCase() };
    if (typeof mediaType === "string" && mediaType !== "") artifact.media_type = mediaType;
    pack.artifacts.push(artifact);
  }
  if (doc.signatures !== undefined) {
    if (!Array.isArray(doc.signatures)) throw manifestError(what, "signatures must be a list");
    // Shapes are judged by the verifier (a bad one is a failed signature, not a parse error).
    pack.signatures = doc.signatures as RegistryPack["signatures"];
  }
  return pack;
}

/** The pack's digest: DigestJCS of the normalized metadata without `signatures`. */
export function registryPackDigest(pack: RegistryPack): string {
  const { signatures: _signatures, ...signable } = pack;
  return digestJcs(signable);
}

export function signRegistryPack(pack: RegistryPack, key: SigningKey): RegistryPack {
  const { signatures: _signatures, ...unsigned } = pack;
  return { ...unsigned, signatures: [signDigest(key, registryPackDigest(pack))] };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * At least one signature whose `signed_digest` equals `digest` (case-insensitive) must verify
 * with `key` (Ed25519 over the 32 raw digest bytes, key id matching).
 */
export function checkSignatures(
  signatures: readonly unknown[] | undefined,
  digest: string,
  key: VerifyKey,
): SignatureCheck {
  if (!signatures || signatures.length === 0) return { ok: false, reason: "no signatures" };
  let last = "no signature for the digest";
  for (const envelope of signatures) {
    const signed =
      isJsonObject(envelope) && typeof envelope.signed_digest === "string" ? envelope.signed_digest : "";
    if (signed.toLowerCase() !== digest) continue;
    const normalized = { ...(envelope as JsonObject), signed_digest: digest };
    const result = verifyDigest(key, digest, normalized, { foldAlgCase: true });
    if (result.ok) return { ok: true };
    last = result.reason;
  }
  return { ok: false, reason: last };
}

export function verifyRegistryPack(pack: RegistryPack, key: VerifyKey, what: string): string {
  const digest = registryPackDigest(pack);
  const check = checkSignatures(pack.signatures, digest, key);
  if (!check.ok) {
    const unsigned = !pack.signatures || pack.signatures.length === 0;
    throw verificationFailed(
      unsigned ? "registry_unsigned" : "registry_signature_invalid",
      unsigned
        ? `${what}: registry manifest has no signatures`
        : `${what}: no valid signature for manifest digest (${check.reason})`,
      {
        hint: "install only packs signed by a key you trust; check --public-key",
        details: { pack_digest: digest },
      },
    );
  }
  return digest;
}

// ---- index ----

function indexError(message: string) {
  return verificationFailed("registry_index_invalid", `registry index: ${message}`, {
    hint: "the registry's index.json is malformed; re-publish the registry",
  });
}

const INDEX_MEMBERS = new Set([
  "schema_id",
  "schema_version",
  "updated_at",
  "producer_version",
  "packs",
  "signatures",
]);
const ENTRY_MEMBERS = new Set([
  "pack_name",
  "pack_version",
  "digest",
  "metadata_path",
  "pack_type",
  "publisher",
]);

export function parseRegistryIndex(text: string): RegistryIndex {
  let doc: unknown;
  try {
    doc = parseJsonStrict(text, "index.json");
  } catch (error) {
    throw indexError((error as Error).message);
  }
  if (!isJsonObject(doc)) throw indexError("is not a JSON object");
  const unknown = Object.keys(doc).find((k) => !INDEX_MEMBERS.has(k));
  if (unknown !== undefined) throw indexError(`unknown member ${JSON.stringify(unknown)}`);
  if (doc.schema_id !== INDEX_SCHEMA_ID || doc.schema_version !== SCHEMA_VERSION) {
    throw indexError(`not a ${INDEX_SCHEMA_ID} ${SCHEMA_VERSION} document`);
  }
  if (
    typeof doc.updated_at !== "string" ||
    typeof doc.producer_version !== "string" ||
    !Array.isArray(doc.packs)
  ) {
    throw indexError("updated_at, producer_version and packs are required");
  }
  const packs: RegistryIndexEntry[] = doc.packs.map((entry) => {
    if (!isJsonObject(entry)) throw indexError("an entry is not an object");
    const extra = Object.keys(entry).find((k) => !ENTRY_MEMBERS.has(k));
    if (extra !== undefined) throw indexError(`entry has unknown member ${JSON.stringify(extra)}`);
    const { pack_name: name, pack_version: version, digest, metadata_path: path } = entry;
    if (
      typeof name !== "string" ||
      typeof version !== "string" ||
      typeof digest !== "string" ||
      typeof path !== "string"
    ) {
      throw indexError("every entry needs pack_name, pack_version, digest and metadata_path");
    }
    if (!/^[a-f0-9]{64}$/.test(digest))
      throw indexError(`entry ${name}@${version}: digest is not 64 lowercase hex`);
    const problem = artifactPathProblem(path);
    if (problem) {
      throw verificationFailed(
        "registry_artifact_path_invalid",
        `registry index: metadata_path ${JSON.stringify(path)} ${problem}`,
      );
    }
    const out: RegistryIndexEntry = { pack_name: name, pack_version: version, digest, metadata_path: path };
    if (typeof entry.pack_type === "string") out.pack_type = entry.pack_type;
    if (typeof entry.publisher === "string") out.publisher = entry.publisher;
    return out;
  });
  const index: RegistryIndex = {
    schema_id: INDEX_SCHEMA_ID,
    schema_version: SCHEMA_VERSION,
    updated_at: doc.updated_at,
    producer_version: doc.producer_version,
    packs,
  };
  if (doc.signatures !== undefined) {
    if (!Array.isArray(doc.signatures)) throw indexError("signatures must be a list");
    index.signatures = doc.signatures as RegistryIndex["signatures"];
  }
  return index;
}

export function registryIndexDigest(index: RegistryIndex): string {
  const { signatures: _signatures, ...signable } = index;
  return digestJcs(signable);
}

export function signRegistryIndex(index: RegistryIndex, key: SigningKey): RegistryIndex {
  const { signatures: _signatures, ...unsigned } = index;
  const signature: SignatureEnvelope = signDigest(key, registryIndexDigest(index));
  return { ...unsigned, signatures: [signature] };
}

export function verifyRegistryIndex(index: RegistryIndex, key: VerifyKey): void {
  const check = checkSignatures(index.signatures, registryIndexDigest(index), key);
  if (check.ok) return;
  const unsigned = !index.signatures || index.signatures.length === 0;
  throw verificationFailed(
    unsigned ? "registry_index_unsigned" : "registry_index_signature_invalid",
    unsigned
      ? "registry index has no signatures"
      : `registry index signature does not verify (${check.reason})`,
    { hint: "the registry's index.json must be signed by the publisher key you pass with --public-key" },
  );
}

/** Entries sorted by name, then version order. */
export function sortIndexEntries(entries: RegistryIndexEntry[]): RegistryIndexEntry[] {
  return [...entries].sort((a, b) =>
    a.pack_name === b.pack_name
      ? compareVersions(a.pack_version, b.pack_version)
      : a.pack_name < b.pack_name
        ? -1
        : 1,
  );
}
