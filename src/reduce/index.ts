/** The reducer's public face: shrink a failing runpack to a 1-minimal run that still fails (ddmin). */
export { type CandidateTest, ddmin, ddminBound, EvaluationBudget } from "./ddmin.ts";
export { REDUCE_ERROR_CODES, type ReduceErrorCode } from "./error-codes.ts";
export {
  buildReductionModel,
  candidateRunpack,
  type KeptIndices,
  keptIndices,
  type ReductionModel,
  type Selection,
} from "./model.ts";
export {
  commandPredicate,
  hasMissingResult,
  hasNonOkStatus,
  missingResultPredicate,
  nonOkStatusPredicate,
  type PredicateContext,
  parsePredicate,
  regressPredicate,
  verdictFor,
  verdictPredicate,
} from "./predicates.ts";
export {
  type Candidate,
  DEFAULT_MAX_EVALUATIONS,
  makeCandidate,
  type ReducePredicate,
  type SearchOptions,
  type SearchResult,
  searchReduction,
} from "./reduce.ts";
export { REDUCE_REPORT_SCHEMA_ID, type ReduceReport, ReduceReportSchema } from "./report.ts";
export {
  buildReport,
  type ReduceOutcome,
  type ReduceRequest,
  reducedRunId,
  reduceRunpackRef,
} from "./run.ts";
