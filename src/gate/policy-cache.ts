/**
 * Compiled-policy cache for one-shot CLI calls: `gait gate eval` runs once per tool call, and on
 * the cold code of a fresh process reading a large policy (YAML parse, normalization, digest)
 * costs more than the rest of the call. A policy that loaded once is kept as its normalized model
 * and digest, keyed by the sha256 of its bytes and the build (contract/version.ts BUILD_ID), in
 * the per-user cache (contract/user-cache.ts: trusted entries only, atomic writes).
 *
 * An entry is `<sha256 of the body>\n<body>`, the body the JSON of the loaded policy; an entry
 * whose checksum, key or shape does not hold is ignored and replaced. A policy that fails to load
 * is never cached: its errors come from a fresh load every time.
 */
import { createHash } from "node:crypto";
import { readCacheEntry, userCacheDir, writeCacheEntry } from "../contract/user-cache.ts";
import { BUILD_ID } from "../contract/version.ts";
import { loadPolicyFile, parsePolicyYaml, readPolicyBytes } from "./policy.ts";
import type { LoadedPolicy, Policy } from "./policy-model.ts";

export interface PolicyCache {
  dir: string;
  buildId: string;
}

const FORMAT = 1;
/** The policies of a few projects, and their recent edits. */
const MAX_ENTRIES = 64;

/**
 * loadPolicyFile, through the per-user cache when running a build (not from source, where code
 * changes without a build id) and caching is on (`GAIT_NO_CACHE`).
 */
export function loadPolicyFileWithCache(
  path: string,
  source: string,
  env: NodeJS.ProcessEnv,
): Promise<LoadedPolicy> {
  const dir = userCacheDir(env, "policy");
  if (!dir || !BUILD_ID) return loadPolicyFile(path, source);
  return loadPolicyFileCached(path, source, { dir, buildId: BUILD_ID });
}

/** Loads a policy file as loadPolicyFile does, through the cache. */
export async function loadPolicyFileCached(
  path: string,
  source: string,
  cache: PolicyCache,
): Promise<LoadedPolicy> {
  const bytes = await readPolicyBytes(path, source);
  const sourceSha256 = createHash("sha256").update(bytes).digest("hex");
  const name = `policy-${sourceSha256}-${cache.buildId}.json`;
  const cached = fromEntry(readCacheEntry(cache.dir, name), sourceSha256, cache.buildId);
  if (cached) return { ...cached, path };
  const loaded = parsePolicyYaml(bytes.toString("utf8"), source);
  writeCacheEntry(cache.dir, name, toEntry(loaded, sourceSha256, cache.buildId), {
    // No build evicts another's entries (several may be in use); the oldest go past the limit.
    stale: (entry) => !entry.startsWith("policy-"),
    maxEntries: MAX_ENTRIES,
  });
  return { ...loaded, path };
}

interface EntryBody {
  format: number;
  build_id: string;
  source_sha256: string;
  policy_digest: string;
  policy: Policy;
}

function toEntry(loaded: LoadedPolicy, sourceSha256: string, buildId: string): string {
  const body: EntryBody = {
    format: FORMAT,
    build_id: buildId,
    source_sha256: sourceSha256,
    policy_digest: loaded.policyDigest,
    policy: loaded.policy,
  };
  const text = JSON.stringify(body);
  return `${sha256Hex(text)}\n${text}`;
}

function fromEntry(
  entry: Buffer | undefined,
  sourceSha256: string,
  buildId: string,
): LoadedPolicy | undefined {
  if (!entry) return undefined;
  const text = entry.toString("utf8");
  const newline = text.indexOf("\n");
  const body = text.slice(newline + 1);
  if (newline !== 64 || text.slice(0, 64) !== sha256Hex(body)) return undefined;
  try {
    const parsed = JSON.parse(body) as Partial<EntryBody>;
    const fits =
      parsed.format === FORMAT &&
      parsed.build_id === buildId &&
      parsed.source_sha256 === sourceSha256 &&
      typeof parsed.policy_digest === "string" &&
      /^[0-9a-f]{64}$/.test(parsed.policy_digest) &&
      typeof parsed.policy === "object" &&
      parsed.policy !== null &&
      Array.isArray(parsed.policy.rules);
    return fits
      ? { policy: parsed.policy as Policy, policyDigest: parsed.policy_digest as string }
      : undefined;
  } catch {
    return undefined;
  }
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
