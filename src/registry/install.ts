/**
 * `gait registry install`: fetch a pack from a registry (a folder or an https host) or from the
 * cache (--offline), verify everything before writing anything, then install it into the project
 * and the cache, pin it and record it in gait.lock.
 *
 * Checks, in order, each a verification failure (exit 2) naming its reason: the index signature;
 * the pack metadata digest against the signed index; the pack signature (a key is mandatory);
 * the publisher allowlist; --pin; gait.lock (no rollback below the locked version, no changed
 * content under a locked version, exact match with --frozen); every artifact's sha256.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../contract/canonical.ts";
import { withFileLock } from "../contract/files.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { LOCKFILE_NAME, readLockfile, withLockEntry, writeLockfile } from "./lockfile.ts";
import {
  compareVersions,
  PACK_NAME,
  PACK_VERSION,
  parseRegistryIndex,
  parseRegistryPack,
  registryPackDigest,
  verifyRegistryIndex,
  verifyRegistryPack,
} from "./manifest.ts";
import { INDEX_FILE, METADATA_FILE } from "./publish.ts";
import { DEFAULT_MAX_DOWNLOAD_BYTES, openSource, type RegistrySource, type RemoteOptions } from "./source.ts";
import {
  cachePackDir,
  PROJECT_PACKS_DIR,
  pinPath,
  projectPackDir,
  readPin,
  stagePack,
  writePin,
} from "./store.ts";
import type { LockEntry, RegistryPack } from "./types.ts";

export interface InstallOptions {
  cwd: string;
  /** `<name>` or `<name>@<version>`; optional with --frozen (every locked pack). */
  spec?: string;
  source?: string;
  key: VerifyKey;
  publisherAllowlist: readonly string[];
  /** `sha256:<hex>`. */
  pin?: string;
  cacheDir: string;
  offline: boolean;
  frozen: boolean;
  remote: RemoteOptions;
  maxDownloadBytes?: number;
}

export interface InstalledPack {
  pack_name: string;
  pack_version: string;
  digest: string;
  source: string;
  publisher?: string;
  pack_type?: string;
  install_path: string;
  cache_path: string;
  pin_path: string;
  artifacts: Array<{ path: string; sha256: string }>;
  from_cache: boolean;
}

interface Fetched {
  pack: RegistryPack;
  digest: string;
  files: Map<string, Buffer>;
  source: string;
  fromCache: boolean;
}

export function parsePackSpec(spec: string): { name: string; version?: string } {
  const at = spec.lastIndexOf("@");
  const name = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : undefined;
  if (!PACK_NAME.test(name) || (version !== undefined && !PACK_VERSION.test(version))) {
    throw invalidInput("usage", `${JSON.stringify(spec)} is not <name> or <name>@<x.y.z>`, {
      hint: "e.g. gait registry install baseline-safety@1.2.0 --source ./registry --public-key publisher.pub",
    });
  }
  return version === undefined ? { name } : { name, version };
}

function parsePin(pin: string | undefined): string | undefined {
  if (pin === undefined) return undefined;
  const match = /^sha256:([a-fA-F0-9]{64})$/.exec(pin.trim());
  if (!match) throw invalidInput("registry_pin_invalid", `--pin ${pin} is not sha256:<64 hex>`);
  return match[1]!.toLowerCase();
}

export async function installPacks(options: InstallOptions): Promise<InstalledPack[]> {
  const pin = parsePin(options.pin);
  const lockPath = join(options.cwd, LOCKFILE_NAME);
  const { lock, found } = await readLockfile(lockPath);
  const requested = options.spec ? [parsePackSpec(options.spec)] : [];
  if (requested.length === 0) {
    if (!options.frozen) throw invalidInput("usage", "name the pack to install (<name>[@version])");
    if (!found)
      throw invalidInput("registry_lockfile_invalid", `--frozen needs ${LOCKFILE_NAME}, and there is none`);
    requested.push(...lock.packs.map((p) => ({ name: p.pack_name, version: p.pack_version })));
  }
  // Everything is fetched and verified before anything is written.
  const fetched: Fetched[] = [];
  for (const want of requested) {
    const locked = lock.packs.find((p) => p.pack_name === want.name);
    if (options.frozen && !locked) {
      throw verificationFailed("registry_frozen_drift", `--frozen: ${want.name} is not in ${LOCKFILE_NAME}`, {
        hint: "install it without --frozen first and commit gait.lock",
      });
    }
    const version = options.frozen ? locked!.pack_version : want.version;
    if (options.frozen && want.version !== undefined && want.version !== locked!.pack_version) {
      throw verificationFailed(
        "registry_frozen_drift",
        `--frozen: ${LOCKFILE_NAME} locks ${want.name}@${locked!.pack_version}, not ${want.version}`,
      );
    }
    const source = options.source ?? (options.frozen || options.offline ? locked?.source : undefined);
    const got = options.offline
      ? await fromCache(
          want.name,
          version,
          pin ?? (locked && (!version || version === locked.pack_version) ? locked.digest : undefined),
          source ?? "cache",
          options,
        )
      : await fromSource(want.name, version, source, options);
    checkPolicy(got, options, pin, locked);
    fetched.push(got);
  }
  return withFileLock(join(options.cwd, PROJECT_PACKS_DIR, ".install.lock"), async () => {
    const installed: InstalledPack[] = [];
    let current = (await readLockfile(lockPath)).lock;
    for (const got of fetched) {
      const { pack, digest } = got;
      const target = projectPackDir(options.cwd, pack.pack_name, pack.pack_version);
      const cacheTarget = cachePackDir(options.cacheDir, pack.pack_name, pack.pack_version, digest);
      const project = await stagePack(target, pack, got.files);
      const cache = got.fromCache
        ? undefined
        : await stagePack(cacheTarget, pack, got.files).catch(async (error) => {
            await project.discard();
            throw error;
          });
      await cache?.commit();
      await project.commit();
      await writePin(options.cacheDir, pack.pack_name, digest);
      const artifacts = pack.artifacts.map((a) => ({ path: a.path, sha256: a.sha256 }));
      const entry: LockEntry = {
        pack_name: pack.pack_name,
        pack_version: pack.pack_version,
        digest,
        source: got.source,
        ...(pack.publisher ? { publisher: pack.publisher } : {}),
        artifacts,
      };
      current = withLockEntry(current, entry);
      installed.push({
        pack_name: pack.pack_name,
        pack_version: pack.pack_version,
        digest,
        source: got.source,
        ...(pack.publisher ? { publisher: pack.publisher } : {}),
        ...(pack.pack_type ? { pack_type: pack.pack_type } : {}),
        install_path: target,
        cache_path: cacheTarget,
        pin_path: pinPath(options.cacheDir, pack.pack_name),
        artifacts,
        from_cache: got.fromCache,
      });
    }
    await writeLockfile(lockPath, current);
    return installed;
  });
}

/** Publisher allowlist, --pin and gait.lock (rollback, changed content, --frozen drift). */
function checkPolicy(
  got: Fetched,
  options: InstallOptions,
  pin: string | undefined,
  locked: LockEntry | undefined,
): void {
  const { pack, digest } = got;
  const what = `${pack.pack_name}@${pack.pack_version}`;
  const allow = options.publisherAllowlist.map((p) => p.trim().toLowerCase()).filter((p) => p !== "");
  if (allow.length > 0 && !allow.includes(pack.publisher ?? "")) {
    throw verificationFailed(
      "registry_publisher_not_allowed",
      `${what}: publisher ${JSON.stringify(pack.publisher ?? "")} is not in --publisher-allowlist`,
      {
        hint: "install packs only from publishers you allow",
        details: { publisher: pack.publisher ?? "" },
      },
    );
  }
  if (pin !== undefined && pin !== digest) {
    throw verificationFailed(
      "registry_pin_mismatch",
      `${what}: digest sha256:${digest} does not match --pin sha256:${pin}`,
      {
        hint: "the registry serves other content than you pinned; do not install it",
        details: { digest, pin_digest: pin },
      },
    );
  }
  if (!locked) return;
  if (options.frozen) {
    const lockedArtifacts = JSON.stringify(locked.artifacts);
    const artifacts = JSON.stringify(pack.artifacts.map((a) => ({ path: a.path, sha256: a.sha256 })));
    if (
      locked.pack_version !== pack.pack_version ||
      locked.digest !== digest ||
      lockedArtifacts !== artifacts
    ) {
      throw verificationFailed(
        "registry_frozen_drift",
        `--frozen: ${what} (sha256:${digest}) differs from ${LOCKFILE_NAME} (${locked.pack_version}, sha256:${locked.digest})`,
        {
          hint: "the registry no longer serves what gait.lock records; investigate before updating the lockfile",
          details: { digest, locked_digest: locked.digest },
        },
      );
    }
    return;
  }
  const order = compareVersions(pack.pack_version, locked.pack_version);
  if (order < 0) {
    throw verificationFailed(
      "registry_version_rollback",
      `${what} is older than ${locked.pack_version} in ${LOCKFILE_NAME}`,
      {
        hint: "a rollback to an older signed version is refused; remove the entry from gait.lock to downgrade deliberately",
        details: { locked_version: locked.pack_version },
      },
    );
  }
  if (order === 0 && locked.digest !== digest) {
    throw verificationFailed(
      "registry_manifest_digest_mismatch",
      `${what} has digest sha256:${digest}, but ${LOCKFILE_NAME} locks sha256:${locked.digest} for this version`,
      {
        hint: "a published version must never change; do not install it",
        details: { digest, locked_digest: locked.digest },
      },
    );
  }
}

async function fromSource(
  name: string,
  version: string | undefined,
  sourceName: string | undefined,
  options: InstallOptions,
): Promise<Fetched> {
  if (!sourceName) {
    throw invalidInput(
      "usage",
      "--source is required (a registry folder or https URL), or --offline to install from the cache",
    );
  }
  const maxBytes = options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const source: RegistrySource = openSource(sourceName, options.cwd, options.remote);
  const index = parseRegistryIndex((await source.read(INDEX_FILE, maxBytes)).toString("utf8"));
  verifyRegistryIndex(index, options.key);
  const versions = index.packs.filter((p) => p.pack_name === name);
  if (versions.length === 0) {
    throw invalidInput("registry_pack_not_found", `${sourceName} has no pack ${name}`);
  }
  const entry = version
    ? versions.find((p) => p.pack_version === version)
    : versions.reduce((a, b) => (compareVersions(a.pack_version, b.pack_version) >= 0 ? a : b));
  if (!entry) {
    throw invalidInput("registry_pack_not_found", `${sourceName} has no version ${version} of ${name}`, {
      details: { versions: versions.map((p) => p.pack_version) },
    });
  }
  const metadataBytes = await source.read(entry.metadata_path, maxBytes);
  const pack = parseRegistryPack(
    metadataBytes.toString("utf8"),
    `${name}@${entry.pack_version} ${METADATA_FILE}`,
  );
  const digest = registryPackDigest(pack);
  if (
    digest !== entry.digest ||
    pack.pack_name !== entry.pack_name ||
    pack.pack_version !== entry.pack_version
  ) {
    throw verificationFailed(
      "registry_manifest_digest_mismatch",
      `${name}@${entry.pack_version}: the pack metadata (sha256:${digest}) is not what the signed index lists (sha256:${entry.digest})`,
      {
        hint: "the registry's pack metadata was changed after publishing; do not install it",
        details: { digest, index_digest: entry.digest },
      },
    );
  }
  verifyRegistryPack(pack, options.key, `${name}@${entry.pack_version}`);
  const packDir = entry.metadata_path.split("/").slice(0, -1).join("/");
  const files = new Map<string, Buffer>();
  for (const artifact of pack.artifacts) {
    const bytes = await source.read(packDir === "" ? artifact.path : `${packDir}/${artifact.path}`, maxBytes);
    checkArtifact(pack, artifact, bytes);
    files.set(artifact.path, bytes);
  }
  return { pack, digest, files, source: sourceName, fromCache: false };
}

function checkArtifact(pack: RegistryPack, artifact: RegistryPack["artifacts"][number], bytes: Buffer): void {
  const actual = sha256Hex(bytes);
  if (actual !== artifact.sha256) {
    throw verificationFailed(
      "registry_artifact_digest_mismatch",
      `${pack.pack_name}@${pack.pack_version}: artifact ${artifact.path} has sha256 ${actual}, the signed metadata says ${artifact.sha256}`,
      {
        hint: "the artifact was changed after signing; do not install it",
        details: { path: artifact.path, expected_sha256: artifact.sha256, actual_sha256: actual },
      },
    );
  }
}

/** The pack from the cache, verified again as if fetched (signature, digest, every artifact). */
async function fromCache(
  name: string,
  version: string | undefined,
  wanted: string | undefined,
  source: string,
  options: InstallOptions,
): Promise<Fetched> {
  const digest = wanted ?? (await readPin(options.cacheDir, name));
  if (!digest) {
    throw invalidInput("registry_not_in_cache", `--offline: no pinned or locked digest for ${name}`, {
      hint: "install it once with --source, or pass --pin sha256:<digest>",
    });
  }
  let chosen = version;
  if (!chosen) {
    const versions = await readdir(join(options.cacheDir, name)).catch(() => [] as string[]);
    const holding: string[] = [];
    for (const v of versions) {
      if ((await readdir(join(options.cacheDir, name, v)).catch(() => [] as string[])).includes(digest))
        holding.push(v);
    }
    chosen = holding.sort(compareVersions).at(-1);
  }
  const dir = chosen ? cachePackDir(options.cacheDir, name, chosen, digest) : undefined;
  const text = dir ? await readFile(join(dir, METADATA_FILE), "utf8").catch(() => undefined) : undefined;
  if (!dir || text === undefined) {
    throw invalidInput(
      "registry_not_in_cache",
      `--offline: ${name}${chosen ? `@${chosen}` : ""} sha256:${digest} is not in the cache ${options.cacheDir}`,
      {
        hint: "install it once with --source (or pass the same --cache-dir)",
      },
    );
  }
  const pack = parseRegistryPack(text, join(dir, METADATA_FILE));
  const actual = registryPackDigest(pack);
  if (actual !== digest || pack.pack_name !== name) {
    throw verificationFailed(
      "registry_manifest_digest_mismatch",
      `cached ${name} metadata has digest sha256:${actual}, expected sha256:${digest}`,
    );
  }
  verifyRegistryPack(pack, options.key, `${name}@${pack.pack_version} (cache)`);
  const files = new Map<string, Buffer>();
  for (const artifact of pack.artifacts) {
    const bytes = await readFile(join(dir, artifact.path)).catch(() => {
      throw verificationFailed(
        "registry_artifact_missing",
        `cached ${name}@${pack.pack_version} lacks ${artifact.path}`,
      );
    });
    checkArtifact(pack, artifact, bytes);
    files.set(artifact.path, bytes);
  }
  return { pack, digest, files, source, fromCache: true };
}

/** The error for a registry command run without the publisher key (a key is mandatory). */
export function registryKeyRequired(publishing: boolean) {
  return publishing
    ? invalidInput("registry_key_required", "publishing needs the publisher's signing key", {
        hint: "pass --private-key <publisher private key> (installers verify with its public half)",
      })
    : invalidInput("registry_key_required", "a publisher key is required to verify registry signatures", {
        hint: "pass --public-key <publisher public key> (or --public-key-env VAR)",
      });
}
