/** The reducer: ddmin itself, the search over steps then free refs and events, the reference's predicates. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type Candidate,
  ddmin,
  ddminBound,
  EvaluationBudget,
  missingResultPredicate,
  nonOkStatusPredicate,
  parsePredicate,
  type ReducePredicate,
  searchReduction,
} from "../../src/reduce/index.ts";
import { CREATED_AT, load, stepId, syntheticInput } from "./reduce-helpers.ts";

const indices = (n: number) => Array.from({ length: n }, (_, i) => i);
const keyOf = (subset: readonly number[]) => subset.join(",");

/** Holds while the candidate keeps every failing step (tool.bad), and `ref` when given. */
function needs(count: number, ref?: string): ReducePredicate {
  return {
    spec: "command:test",
    slug: "test",
    deterministic: true,
    holds: (c: Candidate) =>
      c.runpack.intents.filter((i) => i.tool_name === "tool.bad").length === count &&
      (ref === undefined || c.runpack.refs.receipts.some((r) => r.ref_id === ref)),
  };
}

describe("ddmin", () => {
  it("finds the two elements that together fail, never evaluating a candidate twice", async () => {
    const seen = new Set<string>();
    const budget = new EvaluationBudget(1000);
    const result = await ddmin(
      indices(16),
      (subset) => {
        assert.equal(seen.has(keyOf(subset)), false, `evaluated twice: ${keyOf(subset)}`);
        seen.add(keyOf(subset));
        return subset.includes(3) && subset.includes(11);
      },
      budget,
      keyOf,
    );
    assert.deepEqual(result, { subset: [3, 11], complete: true });
    assert.equal(budget.evaluations, seen.size);
    assert.ok(budget.evaluations <= ddminBound(16));
  });

  it("stops at the bound with the smallest failing subset found so far", async () => {
    const budget = new EvaluationBudget(3);
    const test = (subset: readonly number[]) => subset.includes(5);
    const result = await ddmin(indices(64), test, budget, keyOf);
    assert.deepEqual(result.subset, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(result.complete, false);
    assert.equal(budget.exhausted, true);
    assert.equal(budget.evaluations, 3);
    assert.ok(test(result.subset), "the best result so far still fails");
    assert.ok(result.subset.length < 64);
  });

  it("property: for a random 1-2 element failure, returns exactly it within ddmin's bound", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 80 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 2 }),
            ),
          ),
        async ([n, failing]) => {
          const budget = new EvaluationBudget(1_000_000);
          const result = await ddmin(indices(n), (s) => failing.every((f) => s.includes(f)), budget, keyOf);
          assert.deepEqual(
            result.subset,
            [...failing].sort((a, b) => a - b),
          );
          assert.ok(budget.evaluations <= ddminBound(n), `${budget.evaluations} > bound ${ddminBound(n)}`);
        },
      ),
      { numRuns: 200, seed: 18 },
    );
  });
});

describe("searchReduction over runpacks", () => {
  it("property: random runs reduce to exactly the failing steps and the ref they need, within the bound", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 2 }),
            ),
          ),
        fc.boolean(),
        async ([n, failing], needsFreeRef) => {
          const loaded = load(syntheticInput(n, failing));
          const search = await searchReduction(
            loaded,
            needs(failing.length, needsFreeRef ? "ref_free" : undefined),
            { reducedRunId: "run_synthetic_reduced_test" },
          );
          const kept = search.built.runpack;
          assert.deepEqual(
            kept.intents.map((i) => i.intent_id),
            [...failing].sort((a, b) => a - b).map(stepId),
          );
          assert.deepEqual(
            kept.results.map((r) => r.intent_id),
            kept.intents.map((i) => i.intent_id),
            "a result never without its intent",
          );
          // ref_needed: pointed at by a kept step, so kept; ref_free: only when the predicate needs it.
          assert.deepEqual(
            kept.refs.receipts.map((r) => r.ref_id),
            needsFreeRef ? ["ref_free", "ref_needed"] : ["ref_needed"],
          );
          assert.deepEqual(
            kept.run.timeline.map((e) => e.ref),
            kept.intents.map((i) => i.intent_id),
          );
          assert.equal(search.complete, true);
          assert.ok(search.evaluations <= search.evaluationBound);
          assert.ok(search.evaluations <= ddminBound(n) + ddminBound(search.model.free.length) + 3);
        },
      ),
      { numRuns: 60, seed: 1818 },
    );
  });

  for (const n of [10, 100, 1000]) {
    it(`reduces a ${n}-step run with two failing steps to exactly them, well within the bound`, async () => {
      const failing = [Math.floor(n / 3), n - 2];
      const loaded = load(syntheticInput(n, failing));
      const search = await searchReduction(loaded, needs(2), { reducedRunId: "run_synthetic_reduced_test" });
      assert.deepEqual(
        search.built.runpack.intents.map((i) => i.intent_id),
        failing.map(stepId),
      );
      assert.deepEqual(
        search.built.runpack.refs.receipts.map((r) => r.ref_id),
        ["ref_needed"],
      );
      assert.ok(search.evaluations <= ddminBound(n), `${search.evaluations} evaluations for n=${n}`);
      // ddmin on a 2-element failure is logarithmic in practice: far below n² + 3n.
      assert.ok(search.evaluations <= 8 * Math.ceil(Math.log2(n)) + 12, `${search.evaluations} for n=${n}`);
    });
  }

  it("is deterministic: the same run and predicate give the same reduced bytes", async () => {
    const input = syntheticInput(40, [7, 30]);
    const a = await searchReduction(load(input), needs(2, "ref_free"), { reducedRunId: "run_x_reduced_t" });
    const b = await searchReduction(load(input), needs(2, "ref_free"), { reducedRunId: "run_x_reduced_t" });
    assert.deepEqual(a.built.entries, b.built.entries);
    assert.equal(a.evaluations, b.evaluations);
  });

  it("returns the best result so far, marked incomplete, when --max-evaluations is reached", async () => {
    const search = await searchReduction(load(syntheticInput(200, [50])), needs(1), {
      reducedRunId: "run_x_reduced_t",
      maxEvaluations: 5,
    });
    assert.equal(search.complete, false);
    assert.equal(search.evaluations, 5);
    assert.equal(search.failing, true);
    const kept = search.built.runpack.intents.map((i) => i.intent_id);
    assert.ok(kept.includes(stepId(50)));
    assert.equal(kept.length, 50);
  });

  it("reports a predicate that does not hold on the whole run", async () => {
    const search = await searchReduction(load(syntheticInput(5, [])), needs(1), {
      reducedRunId: "run_x_reduced_t",
    });
    assert.equal(search.failing, false);
  });
});

/** The reference's cases (REFERENCE.md v1.1-6): the first qualifying intent by sorted id, its result, refs and events. */
describe("the reference's predicates", () => {
  const at = CREATED_AT;
  const traceReceipt = (id: string) => ({
    ref_id: `trace_${id}`,
    source_type: "gait.trace",
    source_locator: `trace_${id}.json`,
    retrieved_at: at,
    redaction_mode: "reference",
  });
  const referenceRun = () => ({
    run: {
      run_id: "run_ref",
      created_at: at,
      timeline: [
        { event: "run_started", ts: at },
        { event: "tool_call", ts: at, ref: "intent_c" },
        { event: "tool_call", ts: at, ref: "intent_a" },
        { event: "tool_call", ts: at, ref: "intent_b" },
        { event: "tool_call", ts: at, ref: "intent_d" },
        { event: "run_finished", ts: at },
      ],
    },
    // Recorded out of id order: the reference picks by sorted intent_id, not by position.
    intents: ["intent_c", "intent_a", "intent_b", "intent_d"].map((id) => ({
      intent_id: id,
      tool_name: `tool.${id}`,
      args: { id },
    })),
    results: [
      { intent_id: "intent_a", status: "ok", result: { a: 1 } },
      { intent_id: "intent_c", status: "error", result: { c: 1 } },
      { intent_id: "intent_b", status: "error", result: { b: 1 } },
    ],
    refs: { receipts: ["intent_a", "intent_b", "intent_c"].map(traceReceipt) },
  });

  it("missing_result keeps the first intent without a result, alone", async () => {
    const search = await searchReduction(load(referenceRun()), missingResultPredicate, {
      reducedRunId: "run_ref_reduced_missingresult",
    });
    const r = search.built.runpack;
    assert.deepEqual(
      r.intents.map((i) => i.intent_id),
      ["intent_d"],
    );
    assert.deepEqual(r.results, []);
    assert.deepEqual(r.refs.receipts, []);
    assert.deepEqual(
      r.run.timeline.map((e) => e.ref),
      ["intent_d"],
    );
    assert.equal(r.run.run_id, "run_ref_reduced_missingresult");
  });

  it("non_ok_status keeps the first failing intent by sorted id, its result, trace ref and event", async () => {
    const search = await searchReduction(load(referenceRun()), nonOkStatusPredicate, {
      reducedRunId: "run_ref_reduced_nonokstatus",
    });
    const r = search.built.runpack;
    assert.deepEqual(
      r.intents.map((i) => i.intent_id),
      ["intent_b"],
    );
    assert.deepEqual(
      r.results.map((x) => [x.intent_id, x.status]),
      [["intent_b", "error"]],
    );
    assert.deepEqual(
      r.refs.receipts.map((x) => x.ref_id),
      ["trace_intent_b"],
    );
    assert.deepEqual(
      r.run.timeline.map((e) => e.ref),
      ["intent_b"],
    );
  });

  it("parses predicates and refuses unknown ones and verdict without a policy", async () => {
    assert.equal((await parsePredicate("missing_result", { cwd: ".", env: {} })).slug, "missingresult");
    await assert.rejects(parsePredicate("flaky", { cwd: ".", env: {} }), {
      code: "reduce_predicate_invalid",
    });
    await assert.rejects(parsePredicate("verdict:block", { cwd: ".", env: {} }), {
      code: "reduce_policy_required",
    });
    await assert.rejects(parsePredicate("verdict:maybe", { cwd: ".", env: {} }), {
      code: "reduce_predicate_invalid",
    });
  });
});
