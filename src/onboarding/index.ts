/** Onboarding: `gait init` (starter policy and config), `gait check` (gaps), `gait doctor` (environment). */
export {
  type CheckReport,
  checkFindings,
  checkProject,
  type Finding,
  type ProjectFacts,
  type Severity,
} from "./check.ts";
export {
  type CheckStatus,
  // The doctor result's schema id, exported like every module's artifact ids (docs/doctor.md).
  DOCTOR_SCHEMA_ID,
  type DoctorCheck,
  type DoctorOptions,
  type DoctorResult,
  doctorExitCode,
  runDoctor,
} from "./doctor.ts";
export {
  CONTRACT_PATHS,
  DEFAULT_INIT_TEMPLATE,
  type InitOptions,
  type InitResult,
  initProject,
} from "./init.ts";
