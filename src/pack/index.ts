/** The pack module's public face: PackSpec v1 build, verify, inspect and diff (CONTRACTS.md §7.1). */
export { packZip, withPackZip } from "./archive.ts";
export {
  type AssembledPack,
  assemblePack,
  type BuildPackOptions,
  type BuiltPack,
  buildJobPack,
  buildRunPack,
  type PackSubject,
} from "./build.ts";
export { comparePacks, diffPacks } from "./diff.ts";
export {
  describePack,
  type InspectedEntry,
  inspectPack,
  type JobSummary,
  type PackInspection,
  type RunSummary,
} from "./inspect.ts";
export {
  buildPackManifest,
  entryType,
  packIdOf,
  parsePackManifest,
  signablePackManifest,
} from "./manifest.ts";
export {
  type JobPackSource,
  jobPackFiles,
  jobPayloadFor,
  parseJobPackSource,
  runPackFiles,
  runPayloadFor,
} from "./payload.ts";
export { buildProofRecords, ENTRY_PERMISSIONS, verifyProofRecords } from "./proof.ts";
export * from "./types.ts";
export {
  type GuardPackVerifier,
  type LegacyType,
  type OpenedPack,
  openPack,
  type PackVerification,
  type PackVerifyOptions,
  verifyPack,
} from "./verify.ts";
export {
  defaultPackViewPath,
  type PackReport,
  type PackViewOutcome,
  type PackViewRequest,
  renderPackViewPage,
  viewPack,
} from "./view/index.ts";
