/**
 * `gait registry verify` and `list`: re-check every pack gait.lock records against what is
 * installed under .gait/packs: the metadata digest, its signature, each artifact's sha256 (and no
 * stray files), the cache pin and the publisher allowlist. One `gait.registry.verification_report`
 * per pack, each failure with its reason.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { sha256Hex } from "../contract/canonical.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { EPOCH_1980 } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { invalidInput } from "./error-codes.ts";
import { LOCKFILE_NAME, readLockfile } from "./lockfile.ts";
import { checkSignatures, parseRegistryPack, registryPackDigest } from "./manifest.ts";
import { METADATA_FILE } from "./publish.ts";
import { pinPath, projectPackDir, readPin } from "./store.ts";
import {
  type LockEntry,
  REPORT_SCHEMA_ID,
  type RegistryPack,
  SCHEMA_VERSION,
  type VerificationReport,
} from "./types.ts";

export interface VerifyInstalledOptions {
  cwd: string;
  cacheDir: string;
  /** Without a key the signature is not checked (list only); verify requires one. */
  key?: VerifyKey;
  publisherAllowlist: readonly string[];
  /** Only this pack. */
  name?: string;
}

export interface PackCheck {
  report: VerificationReport;
  installed: boolean;
  signature_checked: boolean;
}

export async function verifyInstalled(options: VerifyInstalledOptions): Promise<PackCheck[]> {
  const { lock, found } = await readLockfile(join(options.cwd, LOCKFILE_NAME));
  if (!found) {
    throw invalidInput("registry_not_installed", `no ${LOCKFILE_NAME} in ${options.cwd}`, {
      hint: "install a pack with gait registry install first",
    });
  }
  const entries = options.name ? lock.packs.filter((p) => p.pack_name === options.name) : lock.packs;
  if (options.name && entries.length === 0) {
    throw invalidInput("registry_not_installed", `${options.name} is not in ${LOCKFILE_NAME}`);
  }
  const checks: PackCheck[] = [];
  for (const entry of entries) checks.push(await checkEntry(entry, options));
  return checks;
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

async function checkEntry(entry: LockEntry, options: VerifyInstalledOptions): Promise<PackCheck> {
  const dir = projectPackDir(options.cwd, entry.pack_name, entry.pack_version);
  const metadataPath = join(dir, METADATA_FILE);
  const reasons: string[] = [];
  let pack: RegistryPack | undefined;
  let installed = true;
  const text = await readFile(metadataPath, "utf8").catch(() => undefined);
  if (text === undefined) {
    installed = false;
    reasons.push("not_installed");
  } else {
    try {
      pack = parseRegistryPack(text, metadataPath);
    } catch {
      reasons.push("manifest_invalid");
    }
  }
  const digest = pack ? registryPackDigest(pack) : entry.digest;
  if (pack && digest !== entry.digest) reasons.push("digest_mismatch");
  let signatureVerified = false;
  if (pack && options.key) {
    signatureVerified = checkSignatures(pack.signatures, digest, options.key).ok;
    if (!signatureVerified) reasons.push("signature_not_verified");
  }
  if (pack) {
    const listed = JSON.stringify(pack.artifacts.map((a) => ({ path: a.path, sha256: a.sha256 })));
    if (listed !== JSON.stringify(entry.artifacts)) reasons.push("lock_mismatch");
  }
  if (installed) {
    for (const artifact of entry.artifacts) {
      const bytes = await readFile(join(dir, artifact.path)).catch(() => undefined);
      if (bytes === undefined) reasons.push(`artifact_missing:${artifact.path}`);
      else if (sha256Hex(bytes) !== artifact.sha256)
        reasons.push(`artifact_digest_mismatch:${artifact.path}`);
    }
    const expected = new Set([METADATA_FILE, ...entry.artifacts.map((a) => a.path)]);
    for (const file of await listFiles(dir)) if (!expected.has(file)) reasons.push(`unexpected_file:${file}`);
  }
  const pinned = await readPin(options.cacheDir, entry.pack_name);
  const pinVerified = pinned !== undefined && pinned === entry.digest;
  if (pinned !== undefined && !pinVerified) reasons.push("pin_mismatch");
  const publisher = pack?.publisher ?? entry.publisher;
  const allow = options.publisherAllowlist.map((p) => p.trim().toLowerCase()).filter((p) => p !== "");
  const publisherAllowed = allow.length === 0 || allow.includes(publisher ?? "");
  if (!publisherAllowed) reasons.push("publisher_not_allowed");
  const report: VerificationReport = {
    schema_id: REPORT_SCHEMA_ID,
    schema_version: SCHEMA_VERSION,
    created_at: EPOCH_1980.toString(),
    producer_version: PRODUCER_VERSION,
    pack_name: entry.pack_name,
    pack_version: entry.pack_version,
    digest,
    metadata_path: relative(options.cwd, metadataPath) || metadataPath,
    pin_path: pinPath(options.cacheDir, entry.pack_name),
    ...(pinned ? { pin_digest: `sha256:${pinned}` } : {}),
    pin_present: pinned !== undefined,
    pin_verified: pinVerified,
    signature_verified: signatureVerified,
    ...(publisher ? { publisher } : {}),
    ...(pack?.source ? { source: pack.source } : {}),
    publisher_allowed: publisherAllowed,
    status: reasons.length === 0 ? "pass" : "fail",
    failure_reasons: reasons,
  };
  return { report, installed, signature_checked: options.key !== undefined };
}
