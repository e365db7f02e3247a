/** The registry's public face: signed policy packs, static registries, install, lockfile, verify. */
export { REGISTRY_ERROR_CODES, type RegistryErrorCode } from "./error-codes.ts";
export {
  type InstalledPack,
  type InstallOptions,
  installPacks,
  parsePackSpec,
  registryKeyRequired,
} from "./install.ts";
export { LOCKFILE_NAME, readLockfile } from "./lockfile.ts";
export {
  artifactPathProblem,
  compareVersions,
  parseRegistryIndex,
  parseRegistryPack,
  registryIndexDigest,
  registryPackDigest,
  signRegistryPack,
  verifyRegistryPack,
} from "./manifest.ts";
export { isPackPolicyRef, type PackPolicyFile, readPackPolicy } from "./pack-policy.ts";
export {
  buildPack,
  INDEX_FILE,
  METADATA_FILE,
  PACK_SOURCE_FILE,
  type PublishResult,
  publishPack,
} from "./publish.ts";
export { DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_REMOTE_OPTIONS, type RemoteOptions } from "./source.ts";
export { defaultCacheDir, PROJECT_PACKS_DIR } from "./store.ts";
export * from "./types.ts";
export { type PackCheck, verifyInstalled } from "./verify.ts";
