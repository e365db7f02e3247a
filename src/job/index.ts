/**
 * Durable jobs (REFERENCE.md §4): a local state machine persisted under `<job root>/<job_id>/`,
 * bound to an identity, an optional policy digest and an environment fingerprint, with
 * checkpoints, approvals, pause/resume/cancel/emergency stop and a fail-closed resume.
 */

export { DEMO_ENVIRONMENT, DEMO_JOB_ID, type DurableDemoOutcome, runDurableJobDemo } from "./demo.ts";
export { currentEnvironment, type EnvironmentFacts, environmentFingerprint } from "./environment.ts";
export { JOB_ERROR_CODES, type JobErrorCode } from "./error-codes.ts";
export * from "./model.ts";
export * from "./runtime.ts";
export {
  DEFAULT_JOB_ROOT,
  type JobChange,
  type JobFiles,
  type JobPackInput,
  type JobRecord,
  jobFiles,
  readJobForPack,
} from "./store.ts";
export {
  applyJobCommand,
  JOB_COMMAND_KINDS,
  type JobCommand,
  type JobCommandKind,
  type JobTransition,
  replayJobEvents,
} from "./transition.ts";
