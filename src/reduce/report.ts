/**
 * The reduce report (`gait.runpack.reduce_report` / `1.0.0`), defined once as a TypeBox schema:
 * the reference's fields (run ids, predicate, selected intent, counts, still_failing) and ours
 * (what was kept, evaluations used against the bound, steps tried, time, determinism).
 */
import { type Static, Type } from "@sinclair/typebox";

export const REDUCE_REPORT_SCHEMA_ID = "gait.runpack.reduce_report";
const RUN_ID_PATTERN = "^run_[A-Za-z0-9_-]+$";
const Count = () => Type.Integer({ minimum: 0 });

export const ReduceReportSchema = Type.Object(
  {
    schema_id: Type.Literal(REDUCE_REPORT_SCHEMA_ID, { type: "string" }),
    schema_version: Type.String({ pattern: "^1\\.0\\.0$" }),
    created_at: Type.String({ format: "date-time", description: "the input run's created_at" }),
    producer_version: Type.String(),
    run_id: Type.String({ pattern: RUN_ID_PATTERN }),
    reduced_run_id: Type.String({ pattern: RUN_ID_PATTERN }),
    predicate: Type.String({
      description: "as given: missing_result, non_ok_status, verdict:<v>, regress:<f>[/<g>], command:<cmd>",
    }),
    selected_intent_id: Type.String({
      description: "the first kept intent (byte order); empty when none is kept",
    }),
    original_intent_count: Count(),
    original_result_count: Count(),
    original_ref_count: Count(),
    reduced_intent_count: Count(),
    reduced_result_count: Count(),
    reduced_ref_count: Count(),
    still_failing: Type.Boolean({
      description: "the written runpack re-verified and the predicate holds on it",
    }),
    kept_intent_ids: Type.Array(Type.String(), { description: "byte order" }),
    kept_ref_ids: Type.Array(Type.String(), { description: "byte order" }),
    original_event_count: Count(),
    reduced_event_count: Count(),
    evaluations: Count(),
    cache_hits: Count(),
    max_evaluations: Type.Integer({ minimum: 1 }),
    evaluation_bound: Type.Integer({
      minimum: 0,
      description: "ddmin's worst case for this run (n² + 3n per phase, plus 3)",
    }),
    max_evaluations_reached: Type.Boolean({
      description:
        "true when the bound stopped the search: the result is the best found, perhaps not minimal",
    }),
    minimal: Type.Boolean({
      description: "1-minimal: removing any one kept step or free item makes the predicate pass",
    }),
    steps_tried: Count(),
    elapsed_ms: Type.Number({ minimum: 0 }),
    deterministic: Type.Boolean({ description: "false for command: predicates" }),
    manifest_digest: Type.String({ pattern: "^[a-f0-9]{64}$" }),
  },
  { title: "Runpack Reduce Report", additionalProperties: false },
);
export type ReduceReport = Static<typeof ReduceReportSchema>;
