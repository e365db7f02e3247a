/**
 * Runpack benchmarks: verify of a runpack with 10,000 intents and results, and of a raw-capture
 * runpack whose single result payload is 100 MB, each beside the raw floor for the same bytes
 * (zlib inflateRaw + sha256 of every entry, no parsing or checks). Prints nothing; `npm run bench`
 * renders the rows.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { fixedClock } from "../src/contract/time.ts";
import { buildRunpack, type RunpackEntry, runpackZip, verifyRunpack } from "../src/runpack/index.ts";
import { type BenchRow, medianMs } from "./lib.ts";

const clock = fixedClock("2026-02-05T00:00:00Z");
const environment = { os: "linux", arch: "amd64", runtime: "node" };

function manyIntentsInput(count: number) {
  const intents = [];
  const results = [];
  for (let i = 0; i < count; i++) {
    intents.push({
      intent_id: `intent_${i}`,
      tool_name: "tool.fetch",
      args: { url: `https://example.com/${i}`, page: i },
    });
    results.push({ intent_id: `intent_${i}`, status: "ok", result: { status: 200, bytes: i * 7 } });
  }
  return { run: { run_id: "run_bench_10k", created_at: "2026-02-05T00:00:00Z" }, intents, results };
}

export function bigPayloadInput(payloadBytes: number, runId = "run_bench_100mb") {
  // Random base64 does not compress, so the zip-bomb ratio guard sees an ordinary entry.
  const blob = randomBytes(Math.ceil((payloadBytes * 3) / 4))
    .toString("base64")
    .slice(0, payloadBytes);
  return {
    run: { run_id: runId, created_at: "2026-02-05T00:00:00Z" },
    intents: [{ intent_id: "big", tool_name: "tool.export", args: { format: "blob" } }],
    results: [{ intent_id: "big", status: "ok", result: { blob } }],
    capture_mode: "raw",
  };
}

/** The least any verifier must do: inflate every entry and hash it. */
function inflateAndHash(compressed: readonly Buffer[]): Promise<void> {
  for (const data of compressed) createHash("sha256").update(inflateRawSync(data)).digest();
  return Promise.resolve();
}

async function measure(name: string, input: unknown, runs: number, dir: string): Promise<BenchRow[]> {
  const built = buildRunpack(input, { clock, environment });
  const path = join(dir, `${name}.zip`);
  writeFileSync(path, await runpackZip(built.entries));
  const megabytes = built.entries.reduce((sum, e) => sum + e.data.length, 0) / 1e6;
  const verifyMs = await medianMs(async () => {
    const result = await verifyRunpack(path);
    if (!result.ok) throw new Error(`bench runpack ${name} failed verification`);
  }, runs);
  const compressed = built.entries.map((e: RunpackEntry) => deflateRawSync(e.data, { level: 5 }));
  const floorMs = await medianMs(() => inflateAndHash(compressed), runs);
  return [
    {
      name: `runpack verify (${name})`,
      value: verifyMs,
      unit: "ms",
      note: `${megabytes.toFixed(1)} MB uncompressed; ${((floorMs / verifyMs) * 100).toFixed(0)}% of the floor's speed`,
    },
    { name: "  floor: zlib inflateRaw + sha256 of the same entries", value: floorMs, unit: "ms" },
  ];
}

export async function benchRunpack(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-runpack-"));
  try {
    return [
      ...(await measure("10,000 intents + results", manyIntentsInput(10_000), 7, dir)),
      ...(await measure("100 MB raw result", bigPayloadInput(100_000_000), 3, dir)),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
