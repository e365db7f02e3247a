/**
 * Builds the exporters a configuration asks for: OTLP when an endpoint is given (or set in the
 * standard OTEL environment variables), a JSONL log when a file (or `-`) is given. Returns
 * undefined when nothing is configured, so callers keep a plain, exporter-free decision path;
 * OpenTelemetry itself is imported only when an OTLP endpoint is configured.
 */
import { Exporters, type ExportSink } from "./exporters.ts";
import { openLogSink } from "./log-sink.ts";
import { resolveOtlpSettings } from "./otlp-config.ts";

export interface ExportOptions {
  /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); without it the OTEL_EXPORTER_OTLP_* variables apply. */
  otlpEndpoint?: string | undefined;
  /** Append one JSONL line per decision to this file (relative to `cwd`), or `-` for stdout. */
  logOut?: string | undefined;
  serviceName?: string | undefined;
  /**
   * OTLP request timeout (retries included) unless the OTEL environment sets one: one-shot
   * commands pass a short one, since their exit waits for delivery.
   */
  defaultTimeoutMs?: number | undefined;
  /** Events held for the sinks before new ones are dropped (default 4096). */
  maxQueue?: number;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Configuration warnings and the first failed log write; default a process warning. */
  onWarning?: (message: string) => void;
}

export async function createExporters(options: ExportOptions = {}): Promise<Exporters | undefined> {
  const env = options.env ?? process.env;
  const warn =
    options.onWarning ?? ((message: string) => process.emitWarning(message, { code: "GAIT_EXPORT" }));
  const otlp = resolveOtlpSettings(
    {
      endpoint: options.otlpEndpoint,
      serviceName: options.serviceName,
      defaultTimeoutMs: options.defaultTimeoutMs,
    },
    env,
  );
  const sinks: ExportSink[] = [];
  if (otlp) {
    for (const warning of otlp.warnings) warn(warning);
    const { openOtlpSink } = await import("./otlp-sink.ts");
    sinks.push(openOtlpSink(otlp));
  }
  if (options.logOut !== undefined) {
    sinks.push(await openLogSink({ out: options.logOut, cwd: options.cwd ?? process.cwd(), onError: warn }));
  }
  if (sinks.length === 0) return undefined;
  return new Exporters(sinks, options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {});
}
