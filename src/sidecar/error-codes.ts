/**
 * The sidecar's error codes (listening, authentication, HTTP requests, policy reloads), each with
 * the category it is raised with, and the factories that accept only these and the contract's
 * codes. A failed evaluation answers with the gate's code.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const SIDECAR_ERROR_CODES = {
  method_not_allowed: "invalid_input",
  not_found: "invalid_input",
  policy_load_failed: "internal_failure",
  policy_not_loaded: "internal_failure",
  policy_unavailable: "io_failure",
  request_too_large: "invalid_input",
  sidecar_address_in_use: "invalid_input",
  sidecar_listen_failed: "invalid_input",
  sidecar_listen_invalid: "invalid_input",
  sidecar_remote_bind_refused: "invalid_input",
  sidecar_request_invalid: "invalid_input",
  sidecar_socket_path_taken: "invalid_input",
  sidecar_token_missing: "invalid_input",
  sidecar_token_weak: "invalid_input",
  unauthorized: "invalid_input",
  unsupported_media_type: "invalid_input",
} as const satisfies ErrorCodeTable;

export type SidecarErrorCode = keyof typeof SIDECAR_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<SidecarErrorCode>();
