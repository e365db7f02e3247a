/**
 * Export benchmark (issue 23): in-process gate decision latency with the exporters off and on
 * (OTLP/HTTP spans and metrics to a receiver on loopback, plus the JSONL decision log). The
 * decision path only queues; the sinks run between rounds of decisions, as they would between
 * requests, so the figures show what a decision pays for export (goal: p50 overhead under 5 µs).
 * Off and on alternate in rounds so both see the same machine state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey } from "../src/contract/signing.ts";
import { Timestamp } from "../src/contract/time.ts";
import { createExporters } from "../src/export/index.ts";
import { parsePolicyYaml } from "../src/gate/index.ts";
import { createGate, type Gate, type IntentRequest } from "../src/sdk/index.ts";
import { sampleIntent } from "./contract.ts";
import { generatedPolicyYaml } from "./gate.ts";
import { type BenchRow, latencySamplesUs, percentile } from "./lib.ts";

const ROUNDS = 40;
/** Decisions per round: well under the hand-off queue (4096), so nothing is dropped. */
const PER_ROUND = 500;
/** Warm-up decisions, per round of the first few rounds (each round within the queue). */
const WARMUP = 1_000;
const NOW = Timestamp.parse("2026-02-18T12:00:00Z");

export async function benchExport(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-export-"));
  const received = { requests: 0 };
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.requests++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  try {
    const loaded = parsePolicyYaml(generatedPolicyYaml(100), "generated-100.yaml");
    const raw = sampleIntent() as IntentRequest;
    const key = generateSigningKey();
    const gateWith = (exporters?: Awaited<ReturnType<typeof createExporters>>) =>
      createGate({
        policy: loaded,
        signingKey: key,
        traceDir: null,
        clock: () => NOW,
        onTrace: () => undefined,
        ...(exporters ? { exporters } : {}),
      });
    const exporters = await createExporters({
      otlpEndpoint: endpoint,
      logOut: join(dir, "decisions.jsonl"),
      env: { OTEL_BSP_SCHEDULE_DELAY: "200" },
    });
    if (!exporters) throw new Error("exporters not configured");
    const off = await gateWith();
    const on = await gateWith(exporters);
    const round = async (gate: Gate, warmup: number) => {
      const samples = latencySamplesUs(() => gate.evaluate(raw), PER_ROUND, warmup);
      await gate.flush();
      await new Promise((resolve) => setImmediate(resolve)); // the exporters' drain
      return samples;
    };
    const offSamples: number[] = [];
    const onSamples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      offSamples.push(...(await round(off, i < 3 ? WARMUP : 0)));
      onSamples.push(...(await round(on, i < 3 ? WARMUP : 0)));
    }
    await Promise.all([off.close(), on.close()]);
    const stats = await exporters.shutdown();
    const offP50 = percentile(offSamples, 50);
    const onP50 = percentile(onSamples, 50);
    const overhead = onP50 - offP50;
    return [
      { name: "gate.evaluate, exporters off p50", value: offP50, unit: "µs" },
      { name: "gate.evaluate, exporters off p99", value: percentile(offSamples, 99), unit: "µs" },
      { name: "gate.evaluate, OTLP + JSONL on p50", value: onP50, unit: "µs" },
      { name: "gate.evaluate, OTLP + JSONL on p99", value: percentile(onSamples, 99), unit: "µs" },
      {
        name: "export overhead p50 (on − off)",
        value: overhead,
        unit: "µs",
        note: `goal < 5 µs: ${overhead < 5 ? "met" : "NOT met"}`,
      },
      {
        name: "exported items (spans, metric points, lines)",
        value: Object.values(stats.sinks).reduce((sum, sink) => sum + sink.exported, 0),
        unit: "items",
        note: `dropped ${stats.dropped} (hand-off queue ${stats.queueDropped}, ${Object.entries(stats.sinks)
          .map(([name, sink]) => `${name} ${sink.dropped}`)
          .join(", ")}), OTLP requests ${received.requests}`,
      },
    ];
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
