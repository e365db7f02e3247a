/**
 * Pack diff (`gait.pack.diff`): which declared entries were added, removed or changed between two
 * verified packs, whether the manifest (pack_id) differs, and for two run packs the context drift
 * of their source runpacks (the runpack diff's classification). Deterministic: created_at is the
 * fixed PackSpec time, lists are in byte order.
 */
import { sortedUnique } from "../contract/bytes.ts";
import { diffRunpacks } from "../runpack/index.ts";
import { verificationFailed } from "./error-codes.ts";
import {
  PACK_CREATED_AT,
  PACK_SCHEMA_VERSION,
  type PackDiff,
  type PackDiffSummary,
  PackFiles,
  PackSchemaIds,
} from "./types.ts";
import { type OpenedPack, openPack, type PackVerifyOptions } from "./verify.ts";

/** Verifies both packs and compares them; throws if either fails verification. */
export async function diffPacks(
  left: string | Buffer,
  right: string | Buffer,
  options: PackVerifyOptions = {},
): Promise<PackDiff> {
  return comparePacks(await openVerified(left, "left", options), await openVerified(right, "right", options));
}

async function openVerified(
  source: string | Buffer,
  side: string,
  options: PackVerifyOptions,
): Promise<OpenedPack> {
  const opened = await openPack(source, options);
  if (!opened.verification.ok) {
    throw verificationFailed(
      "pack_verify_failed",
      `the ${side} pack (${opened.verification.pack_id}) failed verification`,
      {
        hint: `run gait pack verify on the ${side} pack for the full report`,
        details: { side },
      },
    );
  }
  return opened;
}

/** The declared entries of a pack by path (a legacy runpack's by its manifest's files). */
function declaredDigests(pack: OpenedPack): Map<string, string> {
  if (pack.manifest)
    return new Map(pack.manifest.contents.map((entry) => [entry.path, entry.sha256.toLowerCase()]));
  const files = pack.runpack?.runpack.manifest.files ?? [];
  return new Map(files.map((file) => [file.path, file.sha256.toLowerCase()]));
}

/** Pure: the diff of two opened, verified packs. */
export function comparePacks(left: OpenedPack, right: OpenedPack): PackDiff {
  const l = declaredDigests(left);
  const r = declaredDigests(right);
  const manifestDelta =
    left.verification.pack_id.toLowerCase() !== right.verification.pack_id.toLowerCase() ||
    left.verification.pack_type !== right.verification.pack_type;
  const added = sortedUnique([...r.keys()].filter((path) => !l.has(path)));
  const removed = sortedUnique([...l.keys()].filter((path) => !r.has(path)));
  const changed = sortedUnique([
    ...[...l].filter(([path, sha]) => r.has(path) && r.get(path) !== sha).map(([path]) => path),
    ...(manifestDelta ? [manifestName(left), manifestName(right)] : []),
  ]);
  const summary: PackDiffSummary = {
    changed: added.length > 0 || removed.length > 0 || changed.length > 0,
    ...(added.length > 0 ? { added_files: added } : {}),
    ...(removed.length > 0 ? { removed_files: removed } : {}),
    ...(changed.length > 0 ? { changed_files: changed } : {}),
    manifest_delta: manifestDelta,
    ...contextDrift(left, right),
  };
  return {
    schema_id: PackSchemaIds.diff,
    schema_version: PACK_SCHEMA_VERSION,
    created_at: PACK_CREATED_AT,
    left_pack_id: left.verification.pack_id,
    right_pack_id: right.verification.pack_id,
    left_pack_type: left.verification.pack_type,
    right_pack_type: right.verification.pack_type,
    summary,
  };
}

function manifestName(pack: OpenedPack): string {
  return pack.manifest ? PackFiles.manifest : PackFiles.legacyRunpackManifest;
}

function contextDrift(left: OpenedPack, right: OpenedPack): Partial<PackDiffSummary> {
  if (!left.runpack || !right.runpack) return {};
  const drift = diffRunpacks(left.runpack.runpack, right.runpack.runpack, "full").summary;
  const classification = drift.context_drift_classification ?? "none";
  return {
    context_changed: classification !== "none",
    context_runtime_only_changes: classification === "runtime_only",
    context_drift_classification: classification,
  };
}
