/**
 * The artifact store (docs/encryption.md): age encryption at rest for every artifact Gait writes,
 * key hooks for the identity that reads them back, and the reference's encrypted envelope read for
 * compatibility. It sits just above the contract layer: runpack, gate, regress, pack and guard
 * write and read artifacts through it.
 */
export {
  AGE_SNIFF_BYTES,
  type AgeOpening,
  type AgeSealing,
  ageDecrypt,
  ageEncrypt,
  checkRecipient,
  isAgeCiphertext,
  parseIdentities,
  parseRecipients,
} from "./age.ts";
export {
  artifactPath,
  ENCRYPTED_SUFFIX,
  isSealed,
  openArtifact,
  readArtifactFile,
  refusePlaintextOutput,
  type StoreResolver,
  type StoreSettings,
  storeRecipients,
  useArtifactStore,
  writeArtifactAtomic,
  writeArtifactNew,
} from "./artifact-store.ts";
export { STORE_ERROR_CODES, type StoreErrorCode } from "./error-codes.ts";
export {
  GAIT_ENVELOPE_SCHEMA_ID,
  type GaitEnvelope,
  looksLikeGaitEnvelope,
  openGaitEnvelope,
  parseEnvelopeKey,
  parseGaitEnvelope,
} from "./gait-envelope.ts";
export {
  describeKeyHook,
  KEY_COMMAND_TIMEOUT_MS,
  KEY_MAX_BYTES,
  type KeyHook,
  type KeyHookContext,
  type KeyMaterial,
  readKeyMaterial,
  readRecipientsFile,
} from "./key-hooks.ts";
