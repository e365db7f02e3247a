/**
 * Packs for the pack view tests, built straight from the contract (CONTRACTS.md §7.1, §7.2) with
 * the contract layer's JCS, signing and zip writer, so the page's verifier is checked against an
 * independent producer. Each builder takes hooks to tamper at every stage: before signing, after
 * signing, and in the zip itself.
 */
import { canonicalize, digestJcs, sha256Hex } from "../../src/contract/canonical.ts";
import { generateSigningKey, type SigningKey, signJson } from "../../src/contract/signing.ts";
import { writeZip, type ZipEntryInput } from "../../src/contract/zip.ts";
import { runpackZip } from "../../src/runpack/index.ts";
import { build, sampleInput } from "../runpack/fixtures.ts";

export type Manifest = Record<string, unknown>;

export interface TestPackOptions {
  /** Entries besides the manifest (default: a small run pack). */
  files?: Record<string, string | Buffer>;
  /** Sign with this key (none: unsigned). */
  key?: SigningKey;
  /** Edit the manifest before pack_id and signature are computed. */
  beforeId?: (manifest: Manifest) => void;
  /** Edit the manifest after it was signed. */
  afterSign?: (manifest: Manifest) => void;
  /** Zip entries replaced (or removed, with null) after the manifest was written. */
  zip?: Record<string, string | Buffer | null>;
}

export interface TestPack {
  zip: Buffer;
  manifest: Manifest;
}

export const TEST_KEY = generateSigningKey();
export const OTHER_KEY = generateSigningKey();

/** A run pack's entries: a real runpack re-zipped, and its payload derived by hand from §7.1. */
export async function runPackFiles(runId = "run_view_pack"): Promise<Record<string, string | Buffer>> {
  const input = sampleInput() as { run: Record<string, unknown> };
  input.run.run_id = runId;
  const built = build(input);
  const { run, manifest, intents, results, refs } = built.runpack;
  const payload = {
    schema_id: "gait.pack.run",
    schema_version: "1.0.0",
    created_at: run.created_at,
    run_id: run.run_id,
    capture_mode: manifest.capture_mode,
    manifest_digest: manifest.manifest_digest,
    intents_count: intents.length,
    results_count: results.length,
    refs_count: refs.receipts.length,
    ...(refs.context_set_digest ? { context_set_digest: refs.context_set_digest } : {}),
    ...(refs.context_ref_count ? { context_ref_count: refs.context_ref_count } : {}),
    ...(refs.context_evidence_mode ? { context_evidence_mode: refs.context_evidence_mode } : {}),
  };
  return {
    "run_payload.json": canonicalize(payload),
    "source/runpack.zip": await runpackZip(built.entries),
  };
}

function entryType(path: string): string {
  if (path.endsWith(".jsonl")) return "jsonl";
  if (path.endsWith(".json")) return "json";
  if (path.endsWith(".zip")) return "zip";
  return "blob";
}

async function zipWith(files: Record<string, string | Buffer>, manifest: Manifest, options: TestPackOptions) {
  const entries = new Map<string, string | Buffer | null>([
    ...Object.entries(files),
    ["pack_manifest.json", canonicalize(manifest)],
    ...Object.entries(options.zip ?? {}),
  ]);
  const zipEntries: ZipEntryInput[] = [];
  for (const [path, data] of entries) if (data !== null) zipEntries.push({ path, data });
  return writeZip(zipEntries);
}

function sortedPaths(files: Record<string, unknown>): string[] {
  return Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** A PackSpec v1 pack (§7.1): pack_id over the manifest with pack_id "" and no signatures. */
export async function buildPackSpec(options: TestPackOptions = {}): Promise<TestPack> {
  const files = options.files ?? (await runPackFiles());
  const manifest: Manifest = {
    schema_id: "gait.pack.manifest",
    schema_version: "1.0.0",
    created_at: "1980-01-01T00:00:00Z",
    producer_version: "0.0.0-test",
    pack_id: "",
    pack_type: "run",
    source_ref: "run_view_pack",
    contents: sortedPaths(files).map((path) => ({
      path,
      sha256: sha256Hex(files[path]!),
      type: entryType(path),
    })),
  };
  options.beforeId?.(manifest);
  manifest.pack_id = digestJcs({ ...manifest, pack_id: "" });
  if (options.key) manifest.signatures = [signJson(options.key, manifest)];
  options.afterSign?.(manifest);
  return { zip: await zipWith(files, manifest, options), manifest };
}

/** Guard evidence pack entries: summaries and a control index, as a guard pack carries them. */
export function guardFiles(): Record<string, string> {
  return {
    "runpack_summary.json": canonicalize({
      run_id: "run_view_guard",
      intents: 3,
      results: 2,
      manifest_digest: "4".repeat(64),
    }),
    "trace_summary.json": canonicalize({ traces: 4, verdicts: { allow: 2, block: 1, require_approval: 1 } }),
    "regress_summary.json": canonicalize({ status: "pass", graders: { diff: "pass", schema: "pass" } }),
    "control_index.json": canonicalize([
      { control_id: "CC6.6", title: "Change management", evidence_paths: ["trace_summary.json"] },
    ]),
  };
}

const GUARD_TYPES: Record<string, string> = {
  "runpack_summary.json": "runpack",
  "trace_summary.json": "trace",
  "regress_summary.json": "report",
  "control_index.json": "report",
};

/** A Guard evidence pack (§7.2): pack_id = "pack_" + 16 hex of the digest of {run_id, contents}. */
export async function buildGuardPack(options: TestPackOptions = {}): Promise<TestPack> {
  const files = options.files ?? guardFiles();
  const manifest: Manifest = {
    schema_id: "gait.guard.pack_manifest",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    producer_version: "0.0.0-test",
    pack_id: "",
    run_id: "run_view_guard",
    case_id: "INC-7",
    template_id: "soc2",
    generated_at: "2026-02-05T00:00:00Z",
    control_index: [
      {
        control_id: "CC6.6",
        title: "Change management",
        evidence_paths: ["trace_summary.json", "regress_summary.json"],
      },
      { control_id: "CC7.2", title: "Monitoring", evidence_paths: ["runpack_summary.json"] },
    ],
    contents: sortedPaths(files).map((path) => ({
      path,
      sha256: sha256Hex(files[path]!),
      type: GUARD_TYPES[path] ?? "evidence",
    })),
  };
  options.beforeId?.(manifest);
  manifest.pack_id = `pack_${digestJcs({ run_id: manifest.run_id, contents: manifest.contents }).slice(0, 16)}`;
  if (options.key) manifest.signatures = [signJson(options.key, manifest)];
  options.afterSign?.(manifest);
  return { zip: await zipWith(files, manifest, options), manifest };
}
