/**
 * What `gait scout snapshot` does end to end, as one call: take the snapshot, load the policies
 * and compute coverage when asked, and write both files (never into the scanned roots' results:
 * ./gait-out is skipped by the walk). The CLI only maps flags to this request.
 */
import { resolve } from "node:path";
import { writeFileAtomic } from "../contract/files.ts";
import { showPath } from "../contract/paths.ts";
import { coverageReport } from "./coverage.ts";
import { loadPolicies } from "./read.ts";
import { type SnapshotRequest, type SnapshotResult, takeSnapshot } from "./snapshot.ts";
import type { CoverageReport } from "./types.ts";

export interface ScoutRunRequest extends SnapshotRequest {
  policies?: readonly string[];
  /** Snapshot file (default ./gait-out/inventory_snapshot_<snapshot_id>.json). */
  out?: string;
  /** Coverage file (default ./gait-out/inventory_coverage_<snapshot_id>.json, only with policies). */
  coverageOut?: string;
}

export interface ScoutRunResult extends SnapshotResult {
  snapshotPath: string;
  coverage?: CoverageReport;
  coveragePath?: string;
}

/** The file text of a scout document: 2-space JSON, members in their defined order, newline. */
export function scoutJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export async function runScoutSnapshot(request: ScoutRunRequest): Promise<ScoutRunResult> {
  // Policies first: a broken --policy fails before the tree is walked.
  const policies =
    request.policies && request.policies.length > 0
      ? await loadPolicies(request.cwd, request.policies)
      : undefined;
  const result = await takeSnapshot(request);
  const { snapshot } = result;
  const snapshotAbs = resolve(
    request.cwd,
    request.out ?? `gait-out/inventory_snapshot_${snapshot.snapshot_id}.json`,
  );
  await writeFileAtomic(snapshotAbs, scoutJson(snapshot), { mode: 0o644 });
  const run: ScoutRunResult = { ...result, snapshotPath: showPath(request.cwd, snapshotAbs) };
  if (policies) {
    const coverage = coverageReport(snapshot, policies);
    const coverageAbs = resolve(
      request.cwd,
      request.coverageOut ?? `gait-out/inventory_coverage_${snapshot.snapshot_id}.json`,
    );
    await writeFileAtomic(coverageAbs, scoutJson(coverage), { mode: 0o644 });
    run.coverage = coverage;
    run.coveragePath = showPath(request.cwd, coverageAbs);
  }
  return run;
}
