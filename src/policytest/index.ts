/** The policytest module's public face: `policy test` (one intent or fixtures) and `policy simulate`. */
export {
  fixtureFromDocument,
  parseJsonFixture,
  parseJsonlFixtures,
  runFixtures,
  withoutExpectation,
} from "./fixtures.ts";
export { type PolicyTestInput, readFixtureSources, readFixtures, readPolicyTestInput } from "./load.ts";
export { type PolicyTestOptions, runPolicyTest } from "./run.ts";
export { recommend, type SimulateRequest, simulatePolicies } from "./simulate.ts";
export { SUMMARY_MAX_CHARS, truncateSummary, verdictSummary } from "./summary.ts";
export * from "./types.ts";
