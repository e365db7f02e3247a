/**
 * The OpenTelemetry exporter: spans and metrics over OTLP/HTTP (JSON) with the official SDK.
 * This file is the only one that imports OpenTelemetry, and it is loaded with a dynamic import
 * only when an endpoint is configured (exporters.ts users pay nothing otherwise).
 *
 * Spans are batched by CountingBatchProcessor rather than the SDK's BatchSpanProcessor: the same
 * bounded queue and batch-by-size-or-delay, but it counts what it drops (queue full, failed
 * export), which the issue asks for and the SDK's processor only logs.
 */
import {
  type Context,
  type Counter,
  type Histogram,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  type IdGenerator,
  RandomIdGenerator,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "@opentelemetry/semantic-conventions";
import { PRODUCER_VERSION } from "../contract/version.ts";
import {
  type DecisionEvent,
  decisionAttributes,
  type ExportEvent,
  type OperationEvent,
  type SpanPlacement,
} from "./events.ts";
import type { ExportSink, SinkStats } from "./exporters.ts";
import type { OtlpSettings } from "./otlp-config.ts";

/** ExportResultCode.SUCCESS of @opentelemetry/core (the exporters' callbacks carry it). */
const EXPORT_SUCCESS = 0;
/** Decision latency buckets in ms: decisions take microseconds in process, milliseconds over HTTP. */
const LATENCY_BUCKETS_MS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000];

export function openOtlpSink(settings: OtlpSettings): ExportSink {
  return new OtlpSink(settings);
}

class OtlpSink implements ExportSink {
  readonly name = "otlp";
  private readonly ids = new PlacedIdGenerator();
  private readonly spans: CountingBatchProcessor | undefined;
  private readonly tracerProvider: BasicTracerProvider | undefined;
  private readonly metrics: DecisionMetrics | undefined;

  constructor(settings: OtlpSettings) {
    const resource = resourceFromAttributes({
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]: PRODUCER_VERSION,
    });
    if (settings.tracesUrl) {
      const exporter = new OTLPTraceExporter({
        url: settings.tracesUrl,
        headers: settings.tracesHeaders,
        timeoutMillis: settings.tracesTimeoutMs,
      });
      this.spans = new CountingBatchProcessor(exporter, settings);
      this.tracerProvider = new BasicTracerProvider({
        resource,
        idGenerator: this.ids,
        spanProcessors: [this.spans],
      });
    }
    if (settings.metricsUrl) {
      const exporter = new CountingMetricExporter(
        new OTLPMetricExporter({
          url: settings.metricsUrl,
          headers: settings.metricsHeaders,
          timeoutMillis: settings.metricsTimeoutMs,
        }),
      );
      this.metrics = new DecisionMetrics(exporter, resource, settings.metricIntervalMs);
    }
  }

  accept(events: readonly ExportEvent[]): void {
    const tracer = this.tracerProvider?.getTracer("gait", PRODUCER_VERSION);
    for (const event of events) {
      if (event.kind === "decision") {
        if (tracer) this.decisionSpan(tracer, event);
        this.metrics?.recordDecision(event);
      } else {
        if (tracer) this.operationSpan(tracer, event);
        // A passing regress run adds 0: the series exists (a rate of 0) before the first failure.
        if (event.regressFailures !== undefined) this.metrics?.recordRegressFailures(event.regressFailures);
      }
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.spans?.forceFlush(), this.metrics?.flush()]);
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.tracerProvider?.shutdown().catch(() => {}), this.metrics?.shutdown()]);
  }

  stats(): SinkStats {
    const spans = this.spans?.counts ?? { exported: 0, dropped: 0 };
    const metrics = this.metrics?.exporter.counts ?? { exported: 0, dropped: 0 };
    return { exported: spans.exported + metrics.exported, dropped: spans.dropped + metrics.dropped };
  }

  private decisionSpan(tracer: ReturnType<BasicTracerProvider["getTracer"]>, event: DecisionEvent): void {
    const startMs = event.endedAtMs - event.latencyMs;
    const span = this.startSpan(
      tracer,
      "gait.gate.eval",
      startMs,
      decisionAttributes(event),
      event.placement,
    );
    if (event.decision.error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.decision.error.code });
      span.setAttribute(ATTR_ERROR_TYPE, event.decision.error.code);
    }
    span.end(event.endedAtMs);
  }

  private operationSpan(tracer: ReturnType<BasicTracerProvider["getTracer"]>, event: OperationEvent): void {
    const name = event.spanName ?? event.operation;
    const span = this.startSpan(tracer, name, event.startedAtMs, event.attributes, event.placement);
    if (!event.ok) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        ...(event.errorType ? { message: event.errorType } : {}),
      });
      span.setAttribute(ATTR_ERROR_TYPE, event.errorType ?? "failed");
    }
    span.end(event.endedAtMs);
  }

  /**
   * Starts a span where `placement` says: under its parent (same trace), or as a root with the
   * given trace id; the span's own id is the given one when there is one.
   */
  private startSpan(
    tracer: ReturnType<BasicTracerProvider["getTracer"]>,
    name: string,
    startMs: number,
    attributes: OperationEvent["attributes"],
    placement: SpanPlacement | undefined,
  ): Span {
    // Never the caller's active span: the drain runs later, under no context of the decision.
    let parent: Context = ROOT_CONTEXT;
    if (placement?.traceId && placement.parentSpanId) {
      parent = trace.setSpanContext(parent, {
        traceId: placement.traceId,
        spanId: placement.parentSpanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
    }
    this.ids.place(placement);
    try {
      return tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: startMs, attributes }, parent);
    } finally {
      this.ids.place(undefined);
    }
  }
}

/** Random ids, except the ones a placement fixes for the span being started (single-threaded). */
class PlacedIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private placement: SpanPlacement | undefined;

  place(placement: SpanPlacement | undefined): void {
    this.placement = placement;
  }

  generateTraceId(): string {
    return this.placement?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.placement?.spanId ?? this.random.generateSpanId();
  }
}

/** Export requests sent at once: enough to keep up with a busy gate over a slow link. */
const MAX_CONCURRENT_EXPORTS = 4;

/**
 * Batches ended spans and exports them: when `maxExportBatchSize` are waiting or
 * `scheduleDelayMs` after the first, up to MAX_CONCURRENT_EXPORTS requests at a time. Past
 * `maxQueueSize` waiting spans, new ones are dropped; a failed export drops its spans. Both are
 * counted.
 */
class CountingBatchProcessor implements SpanProcessor {
  readonly counts = { exported: 0, dropped: 0 };
  private readonly exporter: SpanExporter;
  private readonly settings: OtlpSettings;
  private buffer: ReadableSpan[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(exporter: SpanExporter, settings: OtlpSettings) {
    this.exporter = exporter;
    this.settings = settings;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.buffer.length >= this.settings.maxQueueSize) {
      this.counts.dropped++;
      return;
    }
    this.buffer.push(span);
    if (this.buffer.length >= this.settings.maxExportBatchSize) this.exportSoon();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.exportSoon(), this.settings.scheduleDelayMs);
      this.timer.unref();
    }
  }

  async forceFlush(): Promise<void> {
    while (this.buffer.length > 0 || this.inFlight.size > 0) {
      this.exportSoon();
      await Promise.race(this.inFlight);
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown().catch(() => {});
  }

  /** Sends waiting spans in batches, as many requests at once as allowed. */
  private exportSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buffer.length > 0 && this.inFlight.size < MAX_CONCURRENT_EXPORTS) {
      const request = this.exportBatch(this.buffer.splice(0, this.settings.maxExportBatchSize));
      this.inFlight.add(request);
      void request.finally(() => {
        this.inFlight.delete(request);
        if (this.buffer.length >= this.settings.maxExportBatchSize) this.exportSoon();
      });
    }
  }

  private async exportBatch(batch: ReadableSpan[]): Promise<void> {
    const ok = await new Promise<boolean>((done) => {
      try {
        this.exporter.export(batch, (result) => done(result.code === EXPORT_SUCCESS));
      } catch {
        done(false);
      }
    });
    if (ok) this.counts.exported += batch.length;
    else this.counts.dropped += batch.length;
  }
}

/** Counts metric exports that the endpoint accepted and those that failed. */
class CountingMetricExporter implements PushMetricExporter {
  readonly counts = { exported: 0, dropped: 0 };
  private readonly inner: OTLPMetricExporter;

  constructor(inner: OTLPMetricExporter) {
    this.inner = inner;
  }

  export(...[metrics, done]: Parameters<PushMetricExporter["export"]>): void {
    // An export with no data points carries nothing: neither delivered nor lost.
    const points = metrics.scopeMetrics.reduce(
      (sum, scope) => sum + scope.metrics.reduce((n, metric) => n + metric.dataPoints.length, 0),
      0,
    );
    this.inner.export(metrics, (result) => {
      if (result.code === EXPORT_SUCCESS) this.counts.exported += points;
      else this.counts.dropped += points;
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality(
    ...args: Parameters<NonNullable<PushMetricExporter["selectAggregationTemporality"]>>
  ) {
    return this.inner.selectAggregationTemporality(...args);
  }
}

/** Decisions by verdict, blocked, approval required, decision latency; regress failures. */
class DecisionMetrics {
  readonly exporter: CountingMetricExporter;
  private readonly provider: MeterProvider;
  private readonly decisions: Counter;
  private readonly blocked: Counter;
  private readonly approvalRequired: Counter;
  private readonly latency: Histogram;
  private readonly regressFailures: Counter;

  constructor(
    exporter: CountingMetricExporter,
    resource: ReturnType<typeof resourceFromAttributes>,
    intervalMs: number,
  ) {
    this.exporter = exporter;
    this.provider = new MeterProvider({
      resource,
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMs })],
    });
    const meter = this.provider.getMeter("gait", PRODUCER_VERSION);
    this.decisions = meter.createCounter("gait.gate.decisions", {
      description: "Gate decisions, by verdict (attribute gait.verdict)",
      unit: "{decision}",
    });
    this.blocked = meter.createCounter("gait.gate.blocked", {
      description: "Gate decisions that blocked the tool call",
      unit: "{decision}",
    });
    this.approvalRequired = meter.createCounter("gait.gate.approval_required", {
      description: "Gate decisions that required an approval",
      unit: "{decision}",
    });
    this.latency = meter.createHistogram("gait.gate.decision.duration", {
      description: "Gate decision latency",
      unit: "ms",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
    });
    this.regressFailures = meter.createCounter("gait.regress.failures", {
      description: "Regress fixtures that failed",
      unit: "{fixture}",
    });
  }

  recordDecision(event: DecisionEvent): void {
    const verdict = event.decision.verdict;
    this.decisions.add(1, { "gait.verdict": verdict });
    if (verdict === "block") this.blocked.add(1);
    if (verdict === "require_approval") this.approvalRequired.add(1);
    this.latency.record(event.latencyMs, { "gait.verdict": verdict });
  }

  recordRegressFailures(count: number): void {
    this.regressFailures.add(count);
  }

  async flush(): Promise<void> {
    await this.provider.forceFlush().catch(() => {});
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => {});
  }
}
