/**
 * A real OTLP/HTTP receiver for tests: a node:http server on 127.0.0.1 that accepts the OTLP/JSON
 * requests of the official exporters (/v1/traces, /v1/metrics; gzip or not), decodes them per
 * the OTLP JSON mapping and keeps the spans and metric data points for assertions.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export type Decoded = string | number | boolean | Decoded[] | undefined;

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code?: number; message?: string };
  attributes: Record<string, Decoded>;
  resource: Record<string, Decoded>;
}

export interface ReceivedPoint {
  metric: string;
  unit: string;
  attributes: Record<string, Decoded>;
  /** A sum's value, or a histogram's count. */
  value: number;
  sum?: number;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Every data point of every metrics request, in arrival order (cumulative: last one wins). */
  points: ReceivedPoint[];
  requests: Array<{ path: string; headers: IncomingMessage["headers"] }>;
  /** The last received value of a metric with these attributes. */
  lastValue(metric: string, attributes?: Record<string, Decoded>): number | undefined;
  close(): Promise<void>;
}

interface KeyValue {
  key: string;
  value: AnyValue;
}
interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}

function decodeValue(value: AnyValue): Decoded {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

function decodeAttributes(list: KeyValue[] | undefined): Record<string, Decoded> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const requests: OtlpReceiver["requests"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      requests.push({ path: req.url ?? "", headers: req.headers });
      if (!String(req.headers["content-type"]).startsWith("application/json")) {
        res.writeHead(415).end();
        return;
      }
      const payload = JSON.parse(body.toString("utf8"));
      if (req.url === "/v1/traces") collectSpans(payload, spans);
      else if (req.url === "/v1/metrics") collectPoints(payload, points);
      else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    points,
    requests,
    lastValue(metric, attributes = {}) {
      const matching = points.filter(
        (p) =>
          p.metric === metric &&
          Object.entries(attributes).every(([key, value]) => p.attributes[key] === value),
      );
      return matching.at(-1)?.value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the decoded OTLP JSON payload
function collectSpans(payload: any, out: ReceivedSpan[]): void {
  for (const rs of payload.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        out.push({
          name: span.name,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? "",
          startTimeUnixNano: String(span.startTimeUnixNano),
          endTimeUnixNano: String(span.endTimeUnixNano),
          status: span.status ?? {},
          attributes: decodeAttributes(span.attributes),
          resource,
        });
      }
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the decoded OTLP JSON payload
function collectPoints(payload: any, out: ReceivedPoint[]): void {
  for (const rm of payload.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const metric of sm.metrics ?? []) {
        const data = metric.sum ?? metric.gauge ?? metric.histogram;
        for (const point of data?.dataPoints ?? []) {
          const histogram = metric.histogram !== undefined;
          out.push({
            metric: metric.name,
            unit: metric.unit ?? "",
            attributes: decodeAttributes(point.attributes),
            value: Number(histogram ? point.count : (point.asInt ?? point.asDouble)),
            ...(histogram ? { sum: Number(point.sum) } : {}),
          });
        }
      }
    }
  }
}
