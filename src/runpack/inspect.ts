/**
 * Inspect (REFERENCE.md §2.3): the run's timeline, one entry per intent in recorded order with
 * its tool, status and digests, plus results that match no intent.
 */
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { readRunpack } from "./read.ts";
import type { ResultRecord, Runpack } from "./types.ts";

export interface InspectEntry {
  index: number;
  intent_id: string;
  tool_name: string;
  created_at: string;
  args_digest: string;
  /** The result's status, or `missing` when the intent has no result. */
  status: string;
  result_digest: string;
}

export interface RunpackInspection {
  artifact_type: "runpack";
  run_id: string;
  capture_mode: string;
  created_at: string;
  intents_total: number;
  results_total: number;
  receipts_total: number;
  entries: InspectEntry[];
  unmatched_results: string[];
  warnings: string[];
}

/** Pure: the timeline of a parsed runpack. */
export function inspectRunpack(runpack: Runpack): RunpackInspection {
  const results = new Map<string, ResultRecord>();
  for (const result of runpack.results)
    if (!results.has(result.intent_id)) results.set(result.intent_id, result);
  const intentIds = new Set(runpack.intents.map((i) => i.intent_id));
  const entries = runpack.intents.map((intent, index) => {
    const result = results.get(intent.intent_id);
    return {
      index,
      intent_id: intent.intent_id,
      tool_name: intent.tool_name,
      created_at: intent.created_at,
      args_digest: intent.args_digest,
      status: result?.status ?? "missing",
      result_digest: result?.result_digest ?? "",
    };
  });
  const unmatched = runpack.results.filter((r) => !intentIds.has(r.intent_id)).map((r) => r.intent_id);
  const missing = entries.filter((e) => e.status === "missing").length;
  return {
    artifact_type: "runpack",
    run_id: runpack.run.run_id,
    capture_mode: runpack.manifest.capture_mode,
    created_at: runpack.run.created_at,
    intents_total: runpack.intents.length,
    results_total: runpack.results.length,
    receipts_total: runpack.refs.receipts.length,
    entries,
    unmatched_results: unmatched,
    warnings: missing > 0 ? [`${missing} intent(s) have no recorded result`] : [],
  };
}

/** Reads (integrity-checked) and inspects the runpack `ref` names. */
export async function inspectRunpackRef(ref: string, context: ResolveContext): Promise<RunpackInspection> {
  const { runpack } = await readRunpack(resolveRunpackPath(ref, context));
  return inspectRunpack(runpack);
}
