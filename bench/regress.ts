/**
 * Regress run cost over 50, 100 and 200 fixtures (in-process API, temp dir, result file written):
 * the ms per fixture should stay flat as the fixture count grows (linear total cost). And
 * `gait regress run` on the demo fixture as a user runs it, beside `node -e 0` timed in the same
 * interleaved rounds (issue 14: within 2x).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fixedClock } from "../src/contract/time.ts";
import {
  addFixture,
  configFixtureEntry,
  emptyConfig,
  type RegressConfig,
  runRegress,
  upsertConfigFixture,
} from "../src/regress/index.ts";
import { recordRunpack } from "../src/runpack/index.ts";
import { type BenchRow, interleavedProcessMs, medianMs, percentile } from "./lib.ts";

const SIZES = [50, 100, 200] as const;
const CALLS = 10;

/** A ten-call run: what a typical incident runpack holds. */
function runInput() {
  const at = "2026-02-05T00:00:00Z";
  const ids = Array.from({ length: CALLS }, (_, i) => `intent_${i + 1}`);
  return {
    run: {
      run_id: "run_bench",
      created_at: at,
      timeline: ids.map((ref) => ({ event: "tool_call", ts: at, ref })),
    },
    intents: ids.map((intent_id, i) => ({
      intent_id,
      tool_name: `tool.step${i % 4}`,
      args: { i, q: "x".repeat(200) },
    })),
    results: ids.map((intent_id, i) => ({ intent_id, status: "ok", result: { i, body: "y".repeat(500) } })),
    refs: { receipts: [] },
  };
}

export async function benchRegress(): Promise<BenchRow[]> {
  return [...(await benchInProcess()), ...benchCli()];
}

async function benchInProcess(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-regress-"));
  try {
    const env = {};
    await recordRunpack(runInput(), { cwd: dir, env, clock: fixedClock("2026-02-05T00:00:00Z") });
    const largest = SIZES[SIZES.length - 1]!;
    const names = Array.from({ length: largest }, (_, i) => `fixture-${String(i).padStart(3, "0")}`);
    for (const name of names) await addFixture({ from: "run_bench", name, cwd: dir, env });
    for (const size of SIZES) {
      const entries = names.slice(0, size).map((name) => configFixtureEntry(name, "run_bench"));
      const config = entries.reduce<RegressConfig>(upsertConfigFixture, emptyConfig());
      writeFileSync(join(dir, `gait-${size}.yaml`), JSON.stringify(config));
    }
    // Warm-up (JIT, first-use module loads), so the smallest size is not charged for it.
    await runRegress({ cwd: dir, env, config: `gait-${SIZES[0]}.yaml`, output: "warmup.json" });
    const rows: BenchRow[] = [];
    const totals: number[] = [];
    for (const size of SIZES) {
      const ms = await medianMs(
        () => runRegress({ cwd: dir, env, config: `gait-${size}.yaml`, output: `result-${size}.json` }),
        3,
      );
      totals.push(ms);
      rows.push({
        name: `regress run, ${size} fixtures`,
        value: ms / size,
        unit: "ms/fix",
        note: `${ms.toFixed(0)} ms total, 4 graders x ${CALLS}-call runpacks`,
      });
    }
    const smallest = SIZES[0];
    const marginal = (totals[totals.length - 1]! - totals[0]!) / (largest - smallest);
    rows.push({
      name: `  marginal cost per fixture ${smallest}->${largest}`,
      value: marginal,
      unit: "ms/fix",
      note: `fixed cost per run about ${(totals[0]! - marginal * smallest).toFixed(0)} ms (config, schemas, result write)`,
    });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLI_ROUNDS = 21;

/** `gait regress run --json` on the demo's fixture, and `node -e 0`, one after the other each round. */
function benchCli(): BenchRow[] {
  const gait = resolve(import.meta.dirname, "../dist/gait.cjs");
  if (!existsSync(gait)) {
    return [
      {
        name: "gait regress run (process)",
        value: Number.NaN,
        unit: "ms",
        note: "build first: npm run build",
      },
    ];
  }
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-regress-cli-"));
  try {
    // The CLI's caches in a directory of this run, so the timed runs see this build's entries.
    const env = { ...process.env, GAIT_CACHE_DIR: join(dir, ".gait-cache") };
    const setUp = { rounds: 1, cwd: dir, env, warmupRounds: 0 };
    interleavedProcessMs({ demo: [gait, "demo"] }, setUp);
    interleavedProcessMs({ init: [gait, "regress", "init", "--from", "run_demo"] }, setUp);
    const times = interleavedProcessMs(
      { regress: [gait, "regress", "run", "--json"], node: ["-e", "0"] },
      { rounds: CLI_ROUNDS, cwd: dir, env },
    );
    return [
      {
        name: "gait regress run --json (process, demo fixture) p50",
        value: percentile(times.regress, 50),
        unit: "ms",
        floor: { name: "node -e 0 p50", value: percentile(times.node, 50), target: 2 },
        note: `${CLI_ROUNDS} interleaved rounds`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
