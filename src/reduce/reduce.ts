/**
 * The reduction: ddmin over a runpack's steps, then over its free receipts and timeline events,
 * with one memoised, bounded evaluation budget. Pure apart from the predicate it is given: same
 * runpack and predicate, same selection, same reduced runpack bytes.
 */
import { fixedClock } from "../contract/time.ts";
import { type BuiltRunpack, buildRunpack, type LoadedRunpack, type Runpack } from "../runpack/index.ts";
import { type CandidateTest, ddmin, ddminBound, EvaluationBudget } from "./ddmin.ts";
import {
  buildReductionModel,
  candidateRecordInput,
  candidateRunpack,
  type KeptIndices,
  keptIndices,
  type ReductionModel,
  type Selection,
} from "./model.ts";

/** One candidate as a predicate sees it: its documents, and the runpack it would be written as. */
export interface Candidate {
  /** The kept records in their original order (run_id and manifest as in the input). */
  runpack: Runpack;
  /** The candidate built as the reduced runpack (reduced run_id, canonical entries); built on first use. */
  build(): BuiltRunpack;
}

/** "The failure still shows": a predicate over candidates. */
export interface ReducePredicate {
  /** As given on the command line (`missing_result`, `verdict:block`, ...). */
  spec: string;
  /** The predicate in the reduced run id and file name (`missingresult`, `verdict-block`, ...). */
  slug: string;
  /** False for a predicate whose outcome can change between runs (a user command). */
  deterministic: boolean;
  holds(candidate: Candidate): boolean | Promise<boolean>;
}

export const DEFAULT_MAX_EVALUATIONS = 2000;

export interface SearchOptions {
  /** Run id of the reduced runpack (and of every candidate as built). */
  reducedRunId: string;
  maxEvaluations?: number;
  /** Called after each predicate evaluation. */
  onEvaluation?: (progress: { evaluations: number; phase: "steps" | "refs" }) => void;
}

export interface SearchResult {
  model: ReductionModel;
  selection: Selection;
  kept: KeptIndices;
  /** The reduced runpack, built. */
  built: BuiltRunpack;
  evaluations: number;
  cacheHits: number;
  maxEvaluations: number;
  /** ddmin's worst case for this run: bound(steps) + bound(free items) + the three whole-set checks. */
  evaluationBound: number;
  /** Steps across all evaluated candidates: the work the predicate was asked to do. */
  stepsTried: number;
  /** False when --max-evaluations stopped the search: the selection is the best found, maybe not minimal. */
  complete: boolean;
  /** False when the predicate does not hold on the whole run (nothing was reduced). */
  failing: boolean;
}

/** Builds a selection's candidate for the predicate (its build memoised). */
export function makeCandidate(
  loaded: Pick<LoadedRunpack, "documents" | "runpack">,
  kept: KeptIndices,
  reducedRunId: string,
): Candidate {
  let built: BuiltRunpack | undefined;
  const run = loaded.runpack.run;
  return {
    runpack: candidateRunpack(loaded.runpack, kept),
    build: () => {
      built ??= buildRunpack(candidateRecordInput(loaded, kept, reducedRunId), {
        clock: fixedClock(run.created_at),
        runId: reducedRunId,
        captureMode: loaded.runpack.manifest.capture_mode,
        environment: run.env,
      });
      return built;
    },
  };
}

/** Reduces a loaded runpack to a 1-minimal run (steps, then free refs and events) on which the predicate holds. */
export async function searchReduction(
  loaded: Pick<LoadedRunpack, "documents" | "runpack">,
  predicate: ReducePredicate,
  options: SearchOptions,
): Promise<SearchResult> {
  const model = buildReductionModel(loaded.runpack);
  const maxEvaluations = options.maxEvaluations ?? DEFAULT_MAX_EVALUATIONS;
  const budget = new EvaluationBudget(maxEvaluations);
  const allSteps = model.steps.map((_, i) => i);
  const allFree = model.free.map((_, i) => i);
  let stepsTried = 0;
  let phase: "steps" | "refs" = "steps";
  const progress = options.onEvaluation;
  if (progress) budget.onEvaluation = (evaluations) => progress({ evaluations, phase });

  const keyOf = (selection: Selection) =>
    `${selection.steps.join(",")}|${selection.free.length === allFree.length ? "*" : selection.free.join(",")}`;
  const evaluate = (selection: Selection) => {
    stepsTried += selection.steps.length;
    const kept = keptIndices(model, selection);
    return predicate.holds(makeCandidate(loaded, kept, options.reducedRunId));
  };
  const check = (selection: Selection) => budget.check(keyOf(selection), () => evaluate(selection));
  const result = (selection: Selection, complete: boolean, failing: boolean): SearchResult => {
    const kept = keptIndices(model, selection);
    return {
      model,
      selection,
      kept,
      built: makeCandidate(loaded, kept, options.reducedRunId).build(),
      evaluations: budget.evaluations,
      cacheHits: budget.cacheHits,
      maxEvaluations,
      evaluationBound: ddminBound(allSteps.length) + ddminBound(allFree.length) + 3,
      stepsTried,
      complete,
      failing,
    };
  };

  const whole: Selection = { steps: allSteps, free: allFree };
  const failing = await check(whole);
  if (failing !== true) return result(whole, failing === false, false);

  // Phase 1: the steps, every free item kept.
  let steps: readonly number[] = allSteps;
  const noSteps = await check({ steps: [], free: allFree });
  if (noSteps === undefined) return result(whole, false, true);
  if (noSteps) steps = [];
  else {
    const testSteps: CandidateTest = (subset) => evaluate({ steps: subset, free: allFree });
    const found = await ddmin(allSteps, testSteps, budget, (subset) =>
      keyOf({ steps: subset, free: allFree }),
    );
    steps = found.subset;
    if (!found.complete || budget.exhausted) return result({ steps, free: allFree }, false, true);
  }

  // Phase 2: the free receipts and events, the steps fixed.
  phase = "refs";
  let free: readonly number[] = allFree;
  if (allFree.length > 0) {
    const noFree = await check({ steps, free: [] });
    if (noFree === undefined) return result({ steps, free: allFree }, false, true);
    if (noFree) free = [];
    else {
      const testFree: CandidateTest = (subset) => evaluate({ steps, free: subset });
      const found = await ddmin(allFree, testFree, budget, (subset) => keyOf({ steps, free: subset }));
      free = found.subset;
      if (!found.complete || budget.exhausted) return result({ steps, free }, false, true);
    }
  }
  return result({ steps, free }, true, true);
}
