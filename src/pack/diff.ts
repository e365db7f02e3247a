/**
 * Pack diff (`gait.pack.diff`): which declared entries were added, removed or changed between two
 * verified packs (PackSpec, Guard or legacy runpack), whether the manifest's content differs, and for two run packs the context drift
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

/** Pure: the diff of two opened, verified packs. */
export function comparePacks(left: OpenedPack, right: OpenedPack): PackDiff {
  const l = left.declared;
  const r = right.declared;
  const manifestDelta =
    left.manifestDigest !== right.manifestDigest ||
    left.verification.pack_type !== right.verification.pack_type ||
    left.verification.legacy_type !== right.verification.legacy_type;
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
  return pack.verification.legacy_type === "runpack" ? PackFiles.legacyRunpackManifest : PackFiles.manifest;
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
