/**
 * `gait run reduce`, the I/O edge: resolve and read (verify) the runpack, parse the predicate,
 * search, write the reduced runpack atomically, read it back (verify) and check the predicate on
 * what was written, then write the report.
 */

import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { compareBytes } from "../contract/bytes.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import {
  type ResolveContext,
  readRunpack,
  resolveRunpackPath,
  runpackFileName,
  runpackZip,
} from "../runpack/index.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { type PredicateContext, parsePredicate } from "./predicates.ts";
import { DEFAULT_MAX_EVALUATIONS, makeCandidate, type SearchResult, searchReduction } from "./reduce.ts";
import { REDUCE_REPORT_SCHEMA_ID, type ReduceReport } from "./report.ts";

export interface ReduceRequest extends ResolveContext, Omit<PredicateContext, "cwd" | "env"> {
  /** `<run_id|path>` of the failing run. */
  from: string;
  predicate: string;
  /** Reduced runpack path (default: runpack_<reduced_run_id>.zip next to the input). */
  out?: string;
  /** Report path (default: `<out>.reduce_report.json`). */
  reportOut?: string;
  maxEvaluations?: number;
  onProgress?: (message: string) => void;
}

export interface ReduceOutcome {
  report: ReduceReport;
  /** Absolute paths. */
  path: string;
  reportPath: string;
}

/** `<run_id>_reduced_<slug>` (CONTRACTS.md §3.4; the reference's predicate without underscores). */
export function reducedRunId(runId: string, slug: string): string {
  return `${runId}_reduced_${slug}`;
}

export async function reduceRunpackRef(request: ReduceRequest): Promise<ReduceOutcome> {
  const started = performance.now();
  const maxEvaluations = request.maxEvaluations ?? DEFAULT_MAX_EVALUATIONS;
  if (!Number.isInteger(maxEvaluations) || maxEvaluations < 1) {
    throw invalidInput("reduce_max_evaluations_invalid", "--max-evaluations must be a positive integer", {
      hint: `e.g. --max-evaluations ${DEFAULT_MAX_EVALUATIONS}`,
    });
  }
  const context: PredicateContext = {
    cwd: request.cwd,
    env: request.env,
    ...(request.policy ? { policy: request.policy } : {}),
    ...(request.config ? { config: request.config } : {}),
    ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
  };
  const predicate = await parsePredicate(request.predicate, context);
  const inputPath = resolveRunpackPath(request.from, request);
  const loaded = await readRunpack(inputPath);
  const runId = loaded.runpack.run.run_id;
  const reducedId = reducedRunId(runId, predicate.slug);
  const progress = request.onProgress;
  const search = await searchReduction(loaded, predicate, {
    reducedRunId: reducedId,
    maxEvaluations,
    ...(progress
      ? {
          onEvaluation: ({ evaluations, phase }) => {
            if (evaluations % 10 === 0) progress(`reduce: ${evaluations} evaluations (${phase})`);
          },
        }
      : {}),
  });
  if (!search.failing) {
    throw invalidInput(
      "reduce_predicate_not_failing",
      `the predicate ${predicate.spec} does not hold on run ${runId}: there is no failure to reduce`,
      { hint: "check the predicate (and --policy or the regress fixture it names) against the run" },
    );
  }
  const path = request.out
    ? resolve(request.cwd, request.out)
    : resolve(dirname(inputPath), runpackFileName(reducedId));
  await writeFileAtomic(path, await runpackZip(search.built.entries), { mode: 0o600 });
  const written = await readRunpack(path);
  const all = {
    intents: written.runpack.intents.map((_, i) => i),
    results: written.runpack.results.map((_, i) => i),
    receipts: written.runpack.refs.receipts.map((_, i) => i),
    events: written.runpack.run.timeline.map((_, i) => i),
  };
  const stillFailing = await predicate.holds(makeCandidate(written, all, reducedId));
  if (!stillFailing) {
    throw verificationFailed(
      "reduce_predicate_lost",
      `the reduced runpack ${path} no longer satisfies ${predicate.spec}`,
      {
        hint: predicate.deterministic
          ? "this is a bug in the reducer; please report it with the input runpack"
          : "the command's outcome changed between runs; make it deterministic and reduce again",
      },
    );
  }
  const report = buildReport(loaded.runpack, search, {
    predicate: predicate.spec,
    reducedRunId: reducedId,
    deterministic: predicate.deterministic,
    elapsedMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const reportPath = request.reportOut
    ? resolve(request.cwd, request.reportOut)
    : `${path}.reduce_report.json`;
  await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
  return { report, path, reportPath };
}

interface ReportFacts {
  predicate: string;
  reducedRunId: string;
  deterministic: boolean;
  elapsedMs: number;
}

/** The report for a finished search (pure). */
export function buildReport(
  original: SearchResult["built"]["runpack"],
  search: SearchResult,
  facts: ReportFacts,
): ReduceReport {
  const reduced = search.built.runpack;
  const keptIntents = reduced.intents.map((i) => i.intent_id).sort(compareBytes);
  return {
    schema_id: REDUCE_REPORT_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: original.run.created_at,
    producer_version: PRODUCER_VERSION,
    run_id: original.run.run_id,
    reduced_run_id: facts.reducedRunId,
    predicate: facts.predicate,
    selected_intent_id: keptIntents[0] ?? "",
    original_intent_count: original.intents.length,
    original_result_count: original.results.length,
    original_ref_count: original.refs.receipts.length,
    reduced_intent_count: reduced.intents.length,
    reduced_result_count: reduced.results.length,
    reduced_ref_count: reduced.refs.receipts.length,
    still_failing: true,
    kept_intent_ids: keptIntents,
    kept_ref_ids: reduced.refs.receipts.map((r) => r.ref_id).sort(compareBytes),
    original_event_count: original.run.timeline.length,
    reduced_event_count: reduced.run.timeline.length,
    evaluations: search.evaluations,
    cache_hits: search.cacheHits,
    max_evaluations: search.maxEvaluations,
    evaluation_bound: search.evaluationBound,
    max_evaluations_reached: !search.complete,
    minimal: search.complete,
    steps_tried: search.stepsTried,
    elapsed_ms: facts.elapsedMs,
    deterministic: facts.deterministic,
    manifest_digest: search.built.manifestDigest,
  };
}
