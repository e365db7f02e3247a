/**
 * Where OTLP goes and how, from a flag and the standard OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/protocol/exporter/): OTEL_EXPORTER_OTLP_ENDPOINT,
 * _HEADERS, _TIMEOUT, _PROTOCOL and their _TRACES_/_METRICS_ variants, OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED, OTEL_BSP_* and OTEL_METRIC_EXPORT_INTERVAL.
 * Pure: the environment is a parameter, so it is resolved once and tested without a process.
 */
import { invalidInput } from "./error-codes.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface OtlpSettings {
  /** Full URL spans are POSTed to (…/v1/traces); undefined sends no spans. */
  tracesUrl?: string;
  /** Full URL metrics are POSTed to (…/v1/metrics); undefined sends no metrics. */
  metricsUrl?: string;
  tracesHeaders: Record<string, string>;
  metricsHeaders: Record<string, string>;
  tracesTimeoutMs: number;
  metricsTimeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  /** Spans held before they are dropped (OTEL_BSP_MAX_QUEUE_SIZE). */
  maxQueueSize: number;
  /** Spans per export request (OTEL_BSP_MAX_EXPORT_BATCH_SIZE). */
  maxExportBatchSize: number;
  /** How long spans wait to be batched (OTEL_BSP_SCHEDULE_DELAY). */
  scheduleDelayMs: number;
  /** Metrics are pushed this often (OTEL_METRIC_EXPORT_INTERVAL), and on flush. */
  metricIntervalMs: number;
  /** Settings that were given but cannot apply (e.g. a protocol other than http/json). */
  warnings: string[];
}

export interface OtlpRequest {
  /** Base URL (as OTEL_EXPORTER_OTLP_ENDPOINT): /v1/traces and /v1/metrics are appended. Wins over the environment. */
  endpoint?: string | undefined;
  serviceName?: string | undefined;
  /** Request timeout when no OTEL_EXPORTER_OTLP_*TIMEOUT is set (default 10000 ms). */
  defaultTimeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const SUPPORTED_PROTOCOL = "http/json";

/** The settings, or undefined when neither the request nor the environment names an endpoint. */
export function resolveOtlpSettings(request: OtlpRequest, env: Env): OtlpSettings | undefined {
  const urls =
    request.endpoint !== undefined ? urlsFromBase(request.endpoint, "--otlp-endpoint") : envUrls(env);
  if (!urls.traces && !urls.metrics) return undefined;
  const warnings: string[] = [];
  for (const signal of ["TRACES", "METRICS"] as const) {
    const protocol = perSignal(env, signal, "PROTOCOL");
    if (protocol !== undefined && protocol !== SUPPORTED_PROTOCOL) {
      warnings.push(
        `OTLP ${signal.toLowerCase()}: protocol ${JSON.stringify(protocol)} is not supported here; sending ${SUPPORTED_PROTOCOL}`,
      );
    }
  }
  const resourceAttributes = parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES, "OTEL_RESOURCE_ATTRIBUTES");
  const settings: OtlpSettings = {
    tracesHeaders: headersFor(env, "TRACES"),
    metricsHeaders: headersFor(env, "METRICS"),
    tracesTimeoutMs: positiveInt(
      perSignal(env, "TRACES", "TIMEOUT"),
      request.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      "OTEL_EXPORTER_OTLP_TIMEOUT",
    ),
    metricsTimeoutMs: positiveInt(
      perSignal(env, "METRICS", "TIMEOUT"),
      request.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      "OTEL_EXPORTER_OTLP_TIMEOUT",
    ),
    serviceName:
      request.serviceName ?? nonEmpty(env.OTEL_SERVICE_NAME) ?? resourceAttributes["service.name"] ?? "gait",
    resourceAttributes,
    maxQueueSize: positiveInt(env.OTEL_BSP_MAX_QUEUE_SIZE, 2048, "OTEL_BSP_MAX_QUEUE_SIZE"),
    maxExportBatchSize: positiveInt(
      env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
      512,
      "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    ),
    scheduleDelayMs: positiveInt(env.OTEL_BSP_SCHEDULE_DELAY, 5000, "OTEL_BSP_SCHEDULE_DELAY"),
    metricIntervalMs: positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000, "OTEL_METRIC_EXPORT_INTERVAL"),
    warnings,
  };
  if (urls.traces) settings.tracesUrl = urls.traces;
  if (urls.metrics) settings.metricsUrl = urls.metrics;
  return settings;
}

/** The env's URLs: per-signal endpoints as given, else the base endpoint plus the signal's path. */
function envUrls(env: Env): { traces?: string; metrics?: string } {
  if (nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true") return {};
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const fromBase = base ? urlsFromBase(base, "OTEL_EXPORTER_OTLP_ENDPOINT") : {};
  const traces = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const metrics = nonEmpty(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  const urls: { traces?: string; metrics?: string } = { ...fromBase };
  if (traces) urls.traces = checkedUrl(traces, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").href;
  if (metrics) urls.metrics = checkedUrl(metrics, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT").href;
  return urls;
}

function urlsFromBase(base: string, source: string): { traces: string; metrics: string } {
  const url = checkedUrl(base, source);
  const root = url.href.replace(/\/+$/, "");
  return { traces: `${root}/v1/traces`, metrics: `${root}/v1/metrics` };
}

function checkedUrl(text: string, source: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw invalidInput(
      "export_endpoint_invalid",
      `${source}: ${JSON.stringify(text)} is not an http(s) URL`,
      {
        hint: "e.g. http://127.0.0.1:4318 (an OTLP/HTTP collector's base URL)",
      },
    );
  }
  return url;
}

/** The signal's variable when set, else the general one (OTEL_EXPORTER_OTLP_<SIGNAL>_<NAME>). */
function perSignal(env: Env, signal: "TRACES" | "METRICS", name: string): string | undefined {
  return nonEmpty(env[`OTEL_EXPORTER_OTLP_${signal}_${name}`]) ?? nonEmpty(env[`OTEL_EXPORTER_OTLP_${name}`]);
}

/** The general headers, overridden key by key by the signal's. Values may be secrets: never logged. */
function headersFor(env: Env, signal: "TRACES" | "METRICS"): Record<string, string> {
  return {
    ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS"),
    ...parseKeyValues(env[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`], `OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
  };
}

/** `key1=value1,key2=value2` with percent-encoded values (W3C Baggage form, as the spec says). */
export function parseKeyValues(text: string | undefined, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!nonEmpty(text)) return out;
  for (const item of text!.split(",")) {
    if (item.trim() === "") continue;
    const at = item.indexOf("=");
    const key = at > 0 ? item.slice(0, at).trim() : "";
    if (key === "") throw badKeyValues(source, "an item without key=value");
    try {
      out[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      throw badKeyValues(source, `the value of ${JSON.stringify(key)} is not valid percent-encoding`);
    }
  }
  return out;
}

function badKeyValues(source: string, what: string) {
  // The value may hold credentials (Authorization headers): the message names only the variable.
  return invalidInput("export_headers_invalid", `${source} has ${what}`, {
    hint: "write key=value pairs separated by commas, values percent-encoded (e.g. Authorization=Bearer%20abc)",
  });
}

function positiveInt(text: string | undefined, fallback: number, source: string): number {
  if (!nonEmpty(text)) return fallback;
  const value = Number(text!.trim());
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw invalidInput("usage", `${source} must be a positive integer, not ${JSON.stringify(text)}`, {
      hint: "unset it to use the default",
    });
  }
  return value;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text !== undefined && text.trim() !== "" ? text.trim() : undefined;
}
