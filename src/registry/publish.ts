/**
 * `gait registry publish`: a pack source folder (gait-pack.yaml and the files it lists) becomes a
 * signed pack in a static registry folder, and the registry's signed index lists it:
 *
 *   <registry>/index.json                                   gait.registry.index, signed
 *   <registry>/packs/<name>/<version>/registry_pack.json    gait.registry.pack, signed
 *   <registry>/packs/<name>/<version>/<artifact path>       the artifacts
 *
 * A published version is immutable: publishing it again with other content is refused.
 */
import { lstat, readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { sha256Hex } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import { type SigningKey, verifyKeyFor } from "../contract/signing.ts";
import type { Clock } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { readStrictYaml, type ShapeSchema } from "../contract/yaml-strict.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import {
  artifactPathProblem,
  checkSignatures,
  PACK_NAME,
  PACK_VERSION,
  parseRegistryIndex,
  parseRegistryPack,
  registryIndexDigest,
  registryPackDigest,
  signRegistryIndex,
  signRegistryPack,
  sortIndexEntries,
} from "./manifest.ts";
import {
  INDEX_SCHEMA_ID,
  PACK_SCHEMA_ID,
  PACK_TYPES,
  type PackSourceDocument,
  PackSourceSchema,
  type RegistryIndex,
  type RegistryPack,
  SCHEMA_VERSION,
} from "./types.ts";

export const PACK_SOURCE_FILE = "gait-pack.yaml";
export const INDEX_FILE = "index.json";
export const METADATA_FILE = "registry_pack.json";
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

export function packDirOf(name: string, version: string): string {
  return `packs/${name}/${version}`;
}

export interface PublishOptions {
  dir: string;
  out: string;
  cwd: string;
  key: SigningKey;
  clock: Clock;
}

export interface PublishResult {
  pack: RegistryPack;
  digest: string;
  metadataPath: string;
  indexPath: string;
  indexDigest: string;
  /** False when the same content was already published under this version. */
  created: boolean;
}

/** Reads and checks gait-pack.yaml (strict YAML: unknown keys and wrong types name their line). */
export function parsePackSource(text: string, source: string): PackSourceDocument {
  return readStrictYaml(text, { source, codePrefix: "registry_pack", what: "pack source" }, (yaml) => {
    if (yaml.isEmpty()) throw invalidInput("registry_pack_empty", `${source} is empty`);
    const { value, positions } = yaml.readWithSchema(PackSourceSchema as ShapeSchema);
    const doc = value as PackSourceDocument;
    const fail = (path: string, message: string) =>
      yaml.errorAt(path, positions.get(path), message, "see docs/registry.md for gait-pack.yaml");
    if (!PACK_NAME.test(doc.name))
      throw fail("name", "must be lowercase letters, digits, '.', '_' or '-' (at most 64)");
    if (!PACK_VERSION.test(doc.version)) throw fail("version", "must be a semantic version x.y.z");
    if (!(PACK_TYPES as readonly string[]).includes(doc.pack_type)) {
      throw fail("pack_type", `must be one of ${PACK_TYPES.join(", ")}`);
    }
    if (doc.pack_type === "skill" && (!doc.publisher?.trim() || !doc.source?.trim())) {
      throw fail("pack_type", "a skill pack must name its publisher and source");
    }
    if (doc.artifacts.length === 0) throw fail("artifacts", "must list at least one file");
    const seen = new Set<string>();
    doc.artifacts.forEach((artifact, i) => {
      const problem = artifactPathProblem(artifact.path);
      if (problem) throw fail(`artifacts[${i}].path`, `${JSON.stringify(artifact.path)} ${problem}`);
      if (seen.has(artifact.path)) throw fail(`artifacts[${i}].path`, "is listed twice");
      seen.add(artifact.path);
    });
    return doc;
  });
}

async function readArtifact(root: string, path: string): Promise<Buffer> {
  const full = resolve(root, path);
  if (!full.startsWith(root + sep))
    throw invalidInput("registry_artifact_path_invalid", `${path} escapes the pack folder`);
  try {
    const info = await lstat(full);
    if (!info.isFile()) {
      throw invalidInput(
        "registry_artifact_missing",
        `${full} is not a regular file (symlinks are not packed)`,
      );
    }
    if (info.size > MAX_ARTIFACT_BYTES)
      throw invalidInput("registry_artifact_missing", `${full} is larger than 64 MiB`);
    return await readFile(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw invalidInput(
        "registry_artifact_missing",
        `artifact ${path} is listed in ${PACK_SOURCE_FILE} but ${full} does not exist`,
      );
    }
    throw fromFsError(error, "read artifact", full);
  }
}

/** The pack built from a source folder (unsigned), with the artifact bytes. */
export async function buildPack(
  dir: string,
  clock: Clock,
): Promise<{ pack: RegistryPack; files: Map<string, Buffer> }> {
  const sourcePath = join(dir, PACK_SOURCE_FILE);
  let text: string;
  try {
    text = await readFile(sourcePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw invalidInput("registry_pack_not_found", `${sourcePath} does not exist`, {
        hint: `--dir names a pack source folder holding ${PACK_SOURCE_FILE}; see docs/registry.md`,
      });
    }
    throw fromFsError(error, "read pack source", sourcePath);
  }
  const doc = parsePackSource(text, sourcePath);
  const files = new Map<string, Buffer>();
  const pack: RegistryPack = {
    schema_id: PACK_SCHEMA_ID,
    schema_version: SCHEMA_VERSION,
    created_at: clock().utc().toString(),
    producer_version: PRODUCER_VERSION,
    pack_name: doc.name,
    pack_version: doc.version,
    pack_type: doc.pack_type,
    artifacts: [],
  };
  if (doc.publisher?.trim()) pack.publisher = doc.publisher.trim().toLowerCase();
  if (doc.source?.trim()) pack.source = doc.source.trim().toLowerCase();
  if (doc.risk_class) pack.risk_class = doc.risk_class;
  if (doc.use_case) pack.use_case = doc.use_case;
  if (doc.compatibility && doc.compatibility.length > 0) pack.compatibility = doc.compatibility;
  pack.provenance = { built_by: "gait registry publish", producer_version: PRODUCER_VERSION };
  for (const artifact of [...doc.artifacts].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const bytes = await readArtifact(dir, artifact.path);
    files.set(artifact.path, bytes);
    pack.artifacts.push({
      path: artifact.path,
      sha256: sha256Hex(bytes),
      ...(artifact.media_type ? { media_type: artifact.media_type } : {}),
    });
  }
  return { pack, files };
}

/** Content identity of a pack: everything but when it was made and its signatures. */
function sameContent(a: RegistryPack, b: RegistryPack): boolean {
  const strip = ({ created_at: _c, signatures: _s, ...rest }: RegistryPack) => rest;
  return registryPackDigest(strip(a) as RegistryPack) === registryPackDigest(strip(b) as RegistryPack);
}

export async function publishPack(options: PublishOptions): Promise<PublishResult> {
  const dir = resolve(options.cwd, options.dir);
  const out = resolve(options.cwd, options.out);
  const built = await buildPack(dir, options.clock);
  const { pack_name: name, pack_version: version } = built.pack;
  const packDir = packDirOf(name, version);
  const metadataPath = join(out, packDir, METADATA_FILE);
  const indexPath = join(out, INDEX_FILE);
  return withFileLock(join(out, ".publish.lock"), async () => {
    let pack = signRegistryPack(built.pack, options.key);
    let created = true;
    const existing = await readFile(metadataPath, "utf8").catch(() => undefined);
    if (existing !== undefined) {
      const previous = parseRegistryPack(existing, metadataPath);
      if (!sameContent(previous, pack)) {
        throw invalidInput(
          "registry_version_exists",
          `${name}@${version} is already published with other content`,
          {
            hint: "published versions are immutable: bump version in gait-pack.yaml",
          },
        );
      }
      pack = signRegistryPack(previous, options.key);
      created = false;
    }
    for (const [path, bytes] of built.files) {
      await writeFileAtomic(join(out, packDir, path), bytes, { mode: 0o644 });
    }
    await writeFileAtomic(metadataPath, `${JSON.stringify(pack, null, 2)}\n`, { mode: 0o644 });
    const digest = registryPackDigest(pack);
    const index = await updatedIndex(
      indexPath,
      options.key,
      {
        pack_name: name,
        pack_version: version,
        digest,
        metadata_path: `${packDir}/${METADATA_FILE}`,
        ...(pack.pack_type ? { pack_type: pack.pack_type } : {}),
        ...(pack.publisher ? { publisher: pack.publisher } : {}),
      },
      options.clock,
    );
    await writeFileAtomic(indexPath, `${JSON.stringify(index, null, 2)}\n`, { mode: 0o644 });
    return { pack, digest, metadataPath, indexPath, indexDigest: registryIndexDigest(index), created };
  });
}

async function updatedIndex(
  indexPath: string,
  key: SigningKey,
  entry: RegistryIndex["packs"][number],
  clock: Clock,
): Promise<RegistryIndex> {
  const text = await readFile(indexPath, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw fromFsError(error, "read registry index", indexPath);
  });
  let packs: RegistryIndex["packs"] = [];
  if (text !== undefined) {
    const previous = parseRegistryIndex(text);
    // Re-signing an index we cannot verify would launder whatever was changed in it.
    const check = checkSignatures(previous.signatures, registryIndexDigest(previous), verifyKeyFor(key));
    if (!check.ok) {
      throw verificationFailed(
        "registry_index_signature_invalid",
        `${indexPath} is not signed by this key (${check.reason})`,
        {
          hint: "publish with the key that signed the registry, or start a new registry folder",
        },
      );
    }
    packs = previous.packs.filter(
      (p) => !(p.pack_name === entry.pack_name && p.pack_version === entry.pack_version),
    );
  }
  const index: RegistryIndex = {
    schema_id: INDEX_SCHEMA_ID,
    schema_version: SCHEMA_VERSION,
    updated_at: clock().utc().toString(),
    producer_version: PRODUCER_VERSION,
    packs: sortIndexEntries([...packs, entry]),
  };
  return signRegistryIndex(index, key);
}
