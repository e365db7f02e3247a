/**
 * The artifact store's error codes (age encryption, key hooks, the reference's encrypted
 * envelope), each with the category it is raised with, and the factories that accept only these
 * and the contract's codes. Reading an encrypted artifact without a key, or with the wrong one,
 * is a verification failure (exit 2): the evidence cannot be checked.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const STORE_ERROR_CODES = {
  store_identity_required: "verification_failed",
  store_identity_invalid: "invalid_input",
  store_key_command_failed: "verification_failed",
  store_decrypt_failed: "verification_failed",
  store_recipient_invalid: "invalid_input",
  store_recipient_required: "invalid_input",
  store_envelope_invalid: "verification_failed",
  store_envelope_key_invalid: "invalid_input",
  store_envelope_digest_mismatch: "verification_failed",
  store_plaintext_output: "invalid_input",
} as const satisfies ErrorCodeTable;

export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<StoreErrorCode>();
