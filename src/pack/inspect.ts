/**
 * Inspect: what a verified pack holds, with every count derived from the artifacts themselves
 * (the source runpack's records, the job's state and events), never copied from the payload.
 * A pack that fails verification is refused, as `gait run inspect` refuses a damaged runpack.
 */
import { compareBytes } from "../contract/bytes.ts";
import { isJsonObject, type JsonObject, parseJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { inspectRunpack, type Runpack } from "../runpack/index.ts";
import { verificationFailed } from "./error-codes.ts";
import { PackFiles } from "./types.ts";
import { type LegacyType, type OpenedPack, openPack, type PackVerifyOptions } from "./verify.ts";

export interface InspectedEntry {
  path: string;
  type: string;
  sha256: string;
  size_bytes: number;
}

/** A run pack's run, counted from its source runpack's records. */
export interface RunSummary {
  run_id: string;
  capture_mode: string;
  created_at: string;
  manifest_digest: string;
  intents_total: number;
  results_total: number;
  receipts_total: number;
  /** Intents by the status of their result (`ok`, `error`, `missing` when none was recorded). */
  intents_by_status: Record<string, number>;
  intents_by_tool: Record<string, number>;
  /** Results whose intent_id matches no intent. */
  unmatched_results: string[];
}

/** A job pack's job, counted from job_state.json and job_events.jsonl. */
export interface JobSummary {
  job_id: string;
  status: string;
  stop_reason: string;
  status_reason_code: string;
  checkpoints_total: number;
  approvals_total: number;
  events_total: number;
  /** Events by their `type` member (`(none)` when absent). */
  events_by_type: Record<string, number>;
}

export interface PackInspection {
  pack_id: string;
  pack_type: string;
  source_ref: string;
  legacy_type?: LegacyType;
  created_at?: string;
  producer_version?: string;
  signature_status: string;
  contents: InspectedEntry[];
  payload?: JsonObject;
  run?: RunSummary;
  job?: JobSummary;
}

/** Verifies the pack (signatures as `options` ask) and describes it; throws unless it verifies. */
export async function inspectPack(
  source: string | Buffer,
  options: PackVerifyOptions = {},
): Promise<PackInspection> {
  const opened = await openPack(source, options);
  const { verification: v } = opened;
  if (!v.ok) {
    throw verificationFailed("pack_verify_failed", `pack ${v.pack_id} failed verification`, {
      hint: "run gait pack verify on it for the full report",
      details: {
        missing_files: v.missing_files,
        hash_mismatches: v.hash_mismatches,
        undeclared_files: v.undeclared_files,
        signature_status: v.signature_status,
      },
    });
  }
  return describePack(opened);
}

/** Pure: the inspection of an opened, verified pack. */
export function describePack(opened: OpenedPack): PackInspection {
  const { verification: v, manifest, files, runpack } = opened;
  const inspection: PackInspection = {
    pack_id: v.pack_id,
    pack_type: v.pack_type,
    source_ref: v.source_ref,
    ...(v.legacy_type ? { legacy_type: v.legacy_type } : {}),
    signature_status: v.signature_status,
    contents: [],
  };
  if (manifest) {
    inspection.created_at = manifest.created_at;
    inspection.producer_version = manifest.producer_version;
    inspection.contents = manifest.contents.map((entry) => ({
      ...entry,
      size_bytes: files.get(entry.path)?.length ?? 0,
    }));
    const payloadPath = manifest.pack_type === "run" ? PackFiles.runPayload : PackFiles.jobPayload;
    const payload = files.get(payloadPath);
    if (payload && manifest.pack_type !== "call") {
      inspection.payload = parseJsonObject(payload.toString("utf8"), payloadPath);
    }
  } else if (runpack) {
    inspection.contents = runpack.entries.map((entry) => ({
      path: entry.path,
      type: "json",
      sha256: entry.sha256 ?? "",
      size_bytes: entry.data.length,
    }));
  }
  if (runpack) inspection.run = summarizeRun(runpack.runpack);
  if (v.pack_type === "job" && manifest) inspection.job = summarizeJob(files);
  return inspection;
}

function summarizeRun(runpack: Runpack): RunSummary {
  const timeline = inspectRunpack(runpack);
  return {
    run_id: timeline.run_id,
    capture_mode: timeline.capture_mode,
    created_at: timeline.created_at,
    manifest_digest: runpack.manifest.manifest_digest,
    intents_total: timeline.intents_total,
    results_total: timeline.results_total,
    receipts_total: timeline.receipts_total,
    intents_by_status: countBy(timeline.entries.map((entry) => entry.status)),
    intents_by_tool: countBy(timeline.entries.map((entry) => entry.tool_name)),
    unmatched_results: timeline.unmatched_results,
  };
}

function summarizeJob(files: ReadonlyMap<string, Buffer>): JobSummary {
  const state = parseJsonObject(files.get(PackFiles.jobState)?.toString("utf8") ?? "{}", PackFiles.jobState);
  const events = (files.get(PackFiles.jobEvents)?.toString("utf8") ?? "")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => parseJsonStrict(line, PackFiles.jobEvents))
    .filter(isJsonObject);
  const text = (key: string) => (typeof state[key] === "string" ? (state[key] as string) : "");
  const length = (key: string) => (Array.isArray(state[key]) ? (state[key] as unknown[]).length : 0);
  return {
    job_id: text("job_id"),
    status: text("status"),
    stop_reason: text("stop_reason"),
    status_reason_code: text("status_reason_code"),
    checkpoints_total: length("checkpoints"),
    approvals_total: length("approvals"),
    events_total: events.length,
    events_by_type: countBy(events.map((event) => (typeof event.type === "string" ? event.type : "(none)"))),
  };
}

/** Occurrences of each value, keys in byte order. */
function countBy(values: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => compareBytes(a, b)));
}
