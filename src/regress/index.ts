/**
 * The regress module's public face: fixtures (init/add), the grader plugin interface and the
 * built-in graders, running a fixture set, the `gait.regress.result` artifact and JUnit XML.
 */
export {
  COMMAND_GRADER_NAME,
  type CommandRun,
  commandGrader,
  DEFAULT_COMMAND_OUTPUT_BYTES,
  DEFAULT_COMMAND_TIMEOUT_MS,
  runCommand,
} from "./command-grader.ts";
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
  readFixtureFile,
  readRegressConfig,
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
  subjectOf,
} from "./grader.ts";
export {
  BuiltinGraderNames,
  builtinGraders,
  contextConformanceGrader,
  diffGrader,
  expectedExitCodeGrader,
  GRADER_ERROR,
  schemaValidationGrader,
  stubReplayExitCode,
  trajectoryGrader,
} from "./graders.ts";
export { escapeXml, renderJunit } from "./junit.ts";
export {
  buildRegressResult,
  type FailureSummary,
  failures,
  type GradedFixture,
  graderEntry,
  type ResultInput,
  renderRegressResult,
} from "./result.ts";
export {
  type BootstrapOutcome,
  bootstrapRegress,
  graderFromConfig,
  type RegressRunOutcome,
  type RegressRunRequest,
  runRegress,
} from "./run.ts";
export {
  firstMismatchIndex,
  resultVerdict,
  toolSequence,
  verdictFromStatus,
  verdictSequence,
} from "./trajectory.ts";
export * from "./types.ts";
export { loadSchemaValidator } from "./validate.ts";
