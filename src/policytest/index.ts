/** The policytest module's public face: `policy test` (one intent or fixtures) and `policy simulate`. */
export {
  countVerdicts,
  EXPECTED_VERDICT_FIELD,
  fixtureFromDocument,
  parseJsonFixture,
  parseJsonlFixtures,
  runFixtures,
  withoutExpectation,
} from "./fixtures.ts";
export { type PolicyTestInput, readFixtureSources, readFixtures, readPolicyTestInput } from "./load.ts";
export { evaluateIntent, type IntentEvaluation, type PolicyTestOptions, runPolicyTest } from "./run.ts";
export { recommend, type SimulateRequest, simulatePolicies } from "./simulate.ts";
export { SUMMARY_MAX_CHARS, truncateSummary, verdictSummary } from "./summary.ts";
export * from "./types.ts";
