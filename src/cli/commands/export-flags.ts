/**
 * Export destination flags, shared by `gait export` and the long-running gate front ends
 * (`gait gate serve`, and the MCP proxy): `--otlp-endpoint` and a JSONL log flag, filled from
 * `.gait/config.yaml` (`export.otlp_endpoint`, `export.log_out`) when not given. Without an
 * endpoint from either, the standard OTEL_EXPORTER_OTLP_* environment variables apply.
 */
import { type ExportDefaults, loadProjectConfig } from "../../config/index.ts";
import type { CommandContext, OptionSpec, Options } from "../command.ts";
import { stringOption } from "../command.ts";

export const OTLP_ENDPOINT_OPTION: OptionSpec = {
  name: "otlp-endpoint",
  value: "url",
  description:
    "send spans and metrics over OTLP/HTTP to this base URL (default export.otlp_endpoint, else OTEL_EXPORTER_OTLP_ENDPOINT)",
};

/** `gait export`'s flags: the log file is the command's whole output, so it is `--log-out`. */
export const exportDestinationOptions: OptionSpec[] = [
  OTLP_ENDPOINT_OPTION,
  {
    name: "log-out",
    value: "path",
    description: "append one JSONL line per decision to this file (- for stdout)",
  },
];

/** A gate front end's flags: `--export-log-out`, as the reference names it. */
export const liveExportOptions: OptionSpec[] = [
  OTLP_ENDPOINT_OPTION,
  {
    name: "export-log-out",
    value: "path",
    description: "append one JSONL line per decision to this file, - for stdout (default export.log_out)",
  },
];

export interface ExportDestinations {
  otlpEndpoint?: string;
  logOut?: string;
}

/** `gait export`'s destinations: the flags, then the project config (unless --no-config). */
export async function readExportDestinations(
  options: Options,
  ctx: Pick<CommandContext, "cwd">,
): Promise<ExportDestinations> {
  const defaults =
    options["no-config"] === true
      ? undefined
      : (await loadProjectConfig(ctx.cwd, stringOption(options, "config"))).config.export;
  return exportDestinations(options, defaults, "log-out");
}

/**
 * The flags, else the config's defaults. `gait export` takes only the endpoint from the config:
 * its `log_out` is the live decision log of gate front ends.
 */
export function exportDestinations(
  options: Options,
  defaults: ExportDefaults | undefined,
  logFlag: "log-out" | "export-log-out",
): ExportDestinations {
  const otlpEndpoint = stringOption(options, "otlp-endpoint") ?? defaults?.otlpEndpoint;
  const logOut =
    stringOption(options, logFlag) ?? (logFlag === "export-log-out" ? defaults?.logOut : undefined);
  return { ...(otlpEndpoint ? { otlpEndpoint } : {}), ...(logOut ? { logOut } : {}) };
}
