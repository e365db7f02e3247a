/**
 * Settings for the long-running commands (`gait gate serve`, `gait mcp proxy`), applied by the
 * launcher before the command runs.
 *
 * Thread priority: V8's own threads (garbage-collection helpers, the optimizing compiler, which
 * works through the first thousands of requests) run at the lowest CPU priority (Linux), so that
 * on a small machine they yield the CPU to the thread that answers and to the agent waiting for
 * the answer. On two shared vCPUs they otherwise held a CPU for up to a scheduler tick (4 ms) while
 * the agent, woken by its answer, waited behind them: one connection's p99 fell from 2.6-2.9 to
 * 2.0-2.2 ms (docs/performance.md). libuv's thread pool is not affected: it starts later, when
 * the first file is synced, with the main thread's priority, so the syncs a durable answer waits
 * for keep theirs.
 *
 * Heap: V8's defaults suit a short burst of work, and let a server that answers small requests
 * hold far more memory than it uses.
 *
 * - The young generation: under any sustained load V8 grows it to its maximum (two 16 MB
 *   semi-spaces on 64-bit). `node --max-semi-space-size` would cap it, but only as a flag of the
 *   `node` process, which the `gait` bin cannot pass without starting a second process (Node 20
 *   has no execve), and V8 reads that limit once, when the heap is set up. The growth factor,
 *   though, is read each time the young generation grows: it is left at 2 until the young
 *   generation reaches the cap, then set to 1 so it grows no further (checked after every
 *   garbage collection, so it grows back to the cap if V8 shrank it while idle).
 * - The old generation: objects that outlive a few scavenges (a durable decision waits for the
 *   disk) are promoted, and by default the old generation grows to several times what is live
 *   before a full collection; a growing factor of 1.2 collects earlier, in the background (read
 *   at each full collection).
 *
 * V8 flags are per process: the trace worker thread (sdk/trace-worker.ts) follows them too.
 * Measured under the sidecar benchmark's load, see docs/performance.md.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { lowerOtherThreadsPriority } from "../contract/thread-priority.ts";

/** Each semi-space's cap: scavenges stay rare at the sidecar's allocation rate, and cheap. */
const SEMI_SPACE_CAP_MB = 4;
/** The young generation's size as V8 reports it: two semi-spaces. */
const YOUNG_GENERATION_CAP_BYTES = 2 * SEMI_SPACE_CAP_MB * 1024 * 1024;
/** The old generation may grow by this much over what the last full collection left live. */
const OLD_GENERATION_GROWTH_PERCENT = 20;

/** Applies the settings to this process; call first, before anything uses the thread pool. */
export function tuneForServer(): void {
  lowerOtherThreadsPriority();
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  capYoungGeneration();
}

function capYoungGeneration(): void {
  let growthFactor = 0;
  const setGrowthFactor = (factor: number) => {
    if (factor === growthFactor) return;
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
    growthFactor = factor;
  };
  setGrowthFactor(2);
  new PerformanceObserver(() => {
    setGrowthFactor(youngGenerationBytes() >= YOUNG_GENERATION_CAP_BYTES ? 1 : 2);
  }).observe({ entryTypes: ["gc"] });
}

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
}
