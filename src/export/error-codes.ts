/**
 * The export module's error codes (exporter configuration, the log file, `gait export`), each
 * with the category it is raised with. Export failures at run time are counted, never thrown
 * into a decision (see hub.ts); these codes are for set-up and for `gait export` itself.
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const EXPORT_ERROR_CODES = {
  export_destination_missing: "invalid_input",
  export_endpoint_invalid: "invalid_input",
  export_headers_invalid: "invalid_input",
  export_log_open_failed: "io_failure",
  export_delivery_failed: "network_transient",
} as const satisfies ErrorCodeTable;

export type ExportErrorCode = keyof typeof EXPORT_ERROR_CODES;

export const { invalidInput, ioFailure, gaitError } = errorsFor<ExportErrorCode>();
