/** Tiny benchmark helpers: ops/s over a time budget, latency percentiles, a printed table. */
import { spawnSync } from "node:child_process";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  note?: string;
  /**
   * The floor this figure is judged against, measured in the same run (same unit), and the
   * issue's target as a ratio to it: printed as "floor F, ratio R (target ≤ T)". `higherIsBetter`
   * for throughputs, where the target is a minimum ratio.
   */
  floor?: { value: number; name: string; target?: number; higherIsBetter?: boolean };
}

/** The ratio of a row to its floor, or undefined without one. */
export function ratioToFloor(row: BenchRow): number | undefined {
  return row.floor ? row.value / row.floor.value : undefined;
}

/** Runs `fn` repeatedly for about `budgetMs` (after a warm-up) and returns operations per second. */
export function opsPerSecond(fn: () => unknown, budgetMs = 1000): number {
  const warmUntil = performance.now() + Math.min(200, budgetMs / 4);
  while (performance.now() < warmUntil) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < budgetMs) {
    for (let i = 0; i < 64; i++) fn();
    ops += 64;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

/** Latency samples in microseconds for `count` runs of `fn` (after `warmup` runs). */
export function latencySamplesUs(fn: () => unknown, count: number, warmup = Math.min(1000, count)): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    fn();
    samples[i] = (performance.now() - t0) * 1000;
  }
  return samples;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Median wall time in ms of an async operation run `runs` times. */
export async function medianMs(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}

export function printRows(title: string, rows: BenchRow[]): void {
  console.log(`\n## ${title}`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  for (const row of rows) {
    const value = row.value >= 100 ? row.value.toFixed(0) : row.value.toPrecision(3);
    console.log(
      `${row.name.padEnd(width)}  ${value.padStart(12)} ${row.unit.padEnd(8)}${floorText(row)}${row.note ? `  ${row.note}` : ""}`,
    );
  }
}

function floorText(row: BenchRow): string {
  const ratio = ratioToFloor(row);
  if (!row.floor || ratio === undefined) return "";
  const { value, name, target, higherIsBetter } = row.floor;
  const floorValue = value >= 100 ? value.toFixed(0) : value.toPrecision(3);
  const goal =
    target === undefined
      ? ""
      : ` (target ${higherIsBetter ? "≥" : "≤"} ${target}×${met(ratio, target, higherIsBetter) ? ", met" : ", NOT met"})`;
  return `  ${ratio.toFixed(2)}× ${name} ${floorValue}${goal}`;
}

function met(ratio: number, target: number, higherIsBetter = false): boolean {
  return higherIsBetter ? ratio >= target : ratio <= target;
}

/**
 * Wall times in ms of processes (`node <args>`), run one after the other in each round so every
 * variant sees the same machine state; `warmupRounds` first rounds are not kept (file cache, the
 * CLI's code cache). A run exiting above `maxExitCode` fails the benchmark.
 */
export function interleavedProcessMs<Name extends string>(
  variants: Record<Name, string[]>,
  options: {
    rounds: number;
    cwd: string;
    env?: NodeJS.ProcessEnv;
    warmupRounds?: number;
    maxExitCode?: number;
  },
): Record<Name, number[]> {
  const { rounds, cwd, env = process.env, warmupRounds = 2, maxExitCode = 0 } = options;
  const names = Object.keys(variants) as Name[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  for (let round = -warmupRounds; round < rounds; round++) {
    for (const name of names) {
      const t0 = performance.now();
      const result = spawnSync(process.execPath, variants[name], {
        cwd,
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      const ms = performance.now() - t0;
      if (result.status === null || result.status > maxExitCode) {
        throw new Error(`node ${variants[name].join(" ")} failed (${result.status}): ${result.stderr}`);
      }
      if (round >= 0) times[name].push(ms);
    }
  }
  return times;
}

/**
 * Writes back the file systems' dirty data and metadata (`sync`, where there is one) before a
 * measurement, so what earlier work left unwritten is not written during it. On an ext4 volume
 * without a journal (this benchmark's VM) it also matters for file creation: while the blocks of
 * recently freed inodes are dirty, the inode allocator skips every inode freed in the last five
 * minutes, one lookup each, and creating a file after a large deletion (a test run, an earlier
 * benchmark's clean-up) cost 160 µs instead of 15 µs of kernel CPU (docs/performance.md).
 */
export function settleFileSystems(): void {
  spawnSync("sync", { stdio: "ignore" });
}
