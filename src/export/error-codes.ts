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

/** No OTLP endpoint (flag, config or OTEL environment) and no log file: nothing to export to. */
export function destinationMissing() {
  return invalidInput("export_destination_missing", "no export destination is configured", {
    hint: "pass --otlp-endpoint URL (or set OTEL_EXPORTER_OTLP_ENDPOINT) and/or --log-out FILE",
  });
}

/** Some events could not be delivered (endpoint down, refused, timed out; or the log not written). */
export function deliveryFailed(dropped: number, destinations: string[]) {
  return gaitError(
    "network_transient",
    "export_delivery_failed",
    `${dropped} export item(s) were not delivered`,
    {
      hint: "check that the OTLP endpoint is up and reachable (and the log file writable), then export again",
      details: { dropped, destinations },
    },
  );
}
