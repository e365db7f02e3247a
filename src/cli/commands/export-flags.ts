/**
 * Export destination flags, shared by `gait export` and the long-running gate front ends
 * (`gait gate serve`, and the MCP proxy): `--otlp-endpoint` and a JSONL log flag, filled from
 * `.gait/config.yaml` (`export.otlp_endpoint`, `export.log_out`) when not given. Without an
 * endpoint from either, the standard OTEL_EXPORTER_OTLP_* environment variables apply.
 */
import { type ExportDefaults, loadProjectConfig } from "../../config/index.ts";
import { asError } from "../../contract/errors.ts";
import type { OperationEvent } from "../../export/events.ts";
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

/**
 * `--otlp-endpoint` for the one-shot commands whose operations become spans (`gait run record`,
 * `gait verify`, `gait pack verify`, `gait regress run|bootstrap`). They make no decisions, so
 * there is no log flag.
 */
export const operationExportOptions: OptionSpec[] = [OTLP_ENDPOINT_OPTION];

/**
 * A one-shot command's exit waits for delivery: this bounds each OTLP request, retries included,
 * unless OTEL_EXPORTER_OTLP_TIMEOUT (or a per-signal one) says otherwise.
 */
const ONE_SHOT_TIMEOUT_MS = 2000;

type Operations = typeof import("../../export/operations.ts");

/** How the exported operation ended. */
export type Done<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Builds the spans of an operation that ran from `at.startedAtMs` to `at.endedAtMs`. */
export type OperationEvents<T> = (
  done: Done<T>,
  at: { startedAtMs: number; endedAtMs: number },
  operations: Operations,
) => OperationEvent[] | Promise<OperationEvent[]>;

/**
 * Runs a one-shot command's `work` and, when export is configured (openOperationExporters),
 * sends the spans `events` builds from its outcome, success or failure, and waits until they are
 * delivered or dropped before returning (or rethrowing) what `work` gave. Export never changes
 * the command's output or exit code: what was not delivered is a warning on stderr.
 */
export async function runExported<T>(
  options: Options,
  ctx: Pick<CommandContext, "cwd" | "env" | "progress">,
  work: () => Promise<T>,
  events: OperationEvents<T>,
): Promise<T> {
  const warn = (message: string) => ctx.progress(`gait: export: ${message}`);
  const exporters = await openOperationExporters(options, ctx, warn);
  if (!exporters) return work();
  const startedAtMs = Date.now();
  let done: Done<T>;
  try {
    done = { ok: true, value: await work() };
  } catch (error) {
    done = { ok: false, error };
  }
  const at = { startedAtMs, endedAtMs: Date.now() };
  try {
    const operations = await import("../../export/operations.ts");
    for (const event of await events(done, at, operations)) exporters.operation(event);
  } catch (error) {
    warn(`not exported: ${asError(error).message}`);
  }
  const stats = await exporters.shutdown();
  if (stats.dropped > 0) {
    warn(
      `not delivered to ${exporters.destinations.join(", ")}: ${stats.dropped} spans and metric points (is the endpoint up?)`,
    );
  }
  if (!done.ok) throw done.error;
  return done.value;
}

/**
 * The exporters of a one-shot command, or undefined when none is configured: `--otlp-endpoint`,
 * else `export.otlp_endpoint` of .gait/config.yaml, else the OTEL environment variables. Export
 * is never required for correctness: a bad flag is the user's mistake (exit 6, before any work),
 * but a config file or an environment that cannot be used only gives a warning.
 * OpenTelemetry is loaded only when an endpoint is configured.
 */
async function openOperationExporters(
  options: Options,
  ctx: Pick<CommandContext, "cwd" | "env">,
  warn: (message: string) => void,
) {
  const flag = stringOption(options, "otlp-endpoint");
  let otlpEndpoint = flag;
  if (otlpEndpoint === undefined) {
    try {
      otlpEndpoint = (await loadProjectConfig(ctx.cwd)).config.export?.otlpEndpoint;
    } catch (error) {
      warn(`ignoring the project config: ${asError(error).message}`);
    }
  }
  const { createExporters } = await import("../../export/setup.ts");
  try {
    return await createExporters({
      otlpEndpoint,
      cwd: ctx.cwd,
      env: ctx.env,
      defaultTimeoutMs: ONE_SHOT_TIMEOUT_MS,
      onWarning: warn,
    });
  } catch (error) {
    if (flag !== undefined) throw error;
    warn(`not exporting: ${asError(error).message}`);
    return undefined;
  }
}
