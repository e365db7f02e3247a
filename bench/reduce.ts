/**
 * Reducer benchmark: runs of 10, 100 and 1,000 steps with two failure-inducing steps (one names the
 * ref they need), reduced with an in-process predicate. Figures: wall time, and the predicate
 * evaluations used against ddmin's worst case (n² + 3n per phase, plus the three whole-set checks).
 * Prints nothing; `npm run bench` renders the rows.
 */
import { type Candidate, type ReducePredicate, searchReduction } from "../src/reduce/index.ts";
import { load, syntheticInput } from "../test/runpack/reduce-helpers.ts";
import type { BenchRow } from "./lib.ts";

const twoBadSteps: ReducePredicate = {
  spec: "bench",
  slug: "bench",
  deterministic: true,
  holds: (c: Candidate) => c.runpack.intents.filter((i) => i.tool_name === "tool.bad").length === 2,
};

export async function benchReduce(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of [10, 100, 1000]) {
    const loaded = load(syntheticInput(n, [Math.floor(n / 3), n - 2]));
    const started = performance.now();
    const search = await searchReduction(loaded, twoBadSteps, {
      reducedRunId: "run_synthetic_reduced_bench",
    });
    const ms = performance.now() - started;
    if (search.built.runpack.intents.length !== 2) throw new Error(`bench reduce n=${n}: not minimal`);
    rows.push({
      name: `reduce ${n.toLocaleString("en-US")} steps to 2`,
      value: ms,
      unit: "ms",
      note: `${search.evaluations} evaluations (${search.cacheHits} cache hits), ddmin bound ${search.evaluationBound.toLocaleString("en-US")}`,
    });
  }
  return rows;
}
