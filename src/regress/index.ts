/**
 * The regress module's public face: fixtures (init/add), the grader plugin interface and the
 * built-in graders, running a fixture set, the `gait.regress.result` artifact and JUnit XML.
 */
export {
  addFixture,
  assertFixtureName,
  configFixtureEntry,
  emptyConfig,
  type FixtureOutcome,
  type FixtureRequest,
  fixtureFor,
  fixtureNameFor,
  initFixture,
  upsertConfigFixture,
} from "./fixtures.ts";
export {
  type FailedRunpackRef,
  type FixtureUnderTest,
  fail,
  type Grader,
  type GraderContext,
  type GraderResult,
  type LoadedRunpackRef,
  pass,
  type RunpackLoad,
} from "./grader.ts";
export {
  contextConformanceGrader,
  diffGrader,
  expectedExitCodeGrader,
  schemaValidationGrader,
  trajectoryGrader,
} from "./graders.ts";
export { escapeXml, renderJunit } from "./junit.ts";
export {
  buildRegressResult,
  type FailureSummary,
  type GradedFixture,
  graderEntry,
  type ResultInput,
} from "./result.ts";
export {
  type BootstrapOutcome,
  bootstrapRegress,
  type RegressRunOutcome,
  type RegressRunRequest,
  runRegress,
} from "./run.ts";
export {
  firstMismatchIndex,
  toolSequence,
  verdictFromStatus,
  verdictSequence,
} from "./trajectory.ts";
export * from "./types.ts";
export { loadSchemaValidator } from "./validate.ts";
