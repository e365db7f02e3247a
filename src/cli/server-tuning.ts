/**
 * V8 settings for the long-running commands (`gait gate serve`, `gait mcp proxy`): V8's defaults
 * suit a short burst of work, and let a server that answers small requests hold far more memory
 * than it uses, and compile more than it needs to on the few cores a sidecar gets.
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
 * - The optimizing compiler: TurboFan inlines the functions a hot function calls, up to 920 bytes
 *   of bytecode per compilation, so the decision path's functions (normalization, rule merging,
 *   trace building, the group commit) compile into large graphs, each for 10–45 ms of a
 *   background thread's CPU, several times over while the server warms up (a shape seen later
 *   costs a recompilation). On a host with two cores that thread takes a core from the answering
 *   thread or the client: those compilations were the largest part of the single-connection p99.
 *   A budget of 300 bytes keeps the small helpers inlined and compiles far less: single-connection
 *   p99 10–24% lower in three batches of paired runs (async and durable), median unchanged,
 *   throughput within the noise (no inlining at all gained up to 31% on the tail but cost 8% of
 *   throughput). V8 reads the budget at each compilation, so it takes effect when set at run time.
 *
 * V8 flags are per process: the trace worker thread (sdk/trace-worker.ts) follows them too.
 * Measured under the sidecar benchmark's load, see docs/performance.md.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/** Each semi-space's cap: scavenges stay rare at the sidecar's allocation rate, and cheap. */
const SEMI_SPACE_CAP_MB = 4;
/** The young generation's size as V8 reports it: two semi-spaces. */
const YOUNG_GENERATION_CAP_BYTES = 2 * SEMI_SPACE_CAP_MB * 1024 * 1024;
/** The old generation may grow by this much over what the last full collection left live. */
const OLD_GENERATION_GROWTH_PERCENT = 20;
/** TurboFan's inlining budget per compilation, in bytes of bytecode (V8's default is 920). */
const INLINING_BUDGET_BYTES = 300;

/** Applies the settings to this process; call before the server starts. */
export function tuneV8ForServer(): void {
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET_BYTES}`);
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
