/**
 * A smaller young generation for the long-running commands (`gait gate serve`, `gait mcp proxy`).
 *
 * Under any sustained load V8 grows the young generation to its maximum (two 16 MB semi-spaces
 * on 64-bit), about 25 MB more resident memory than a server answering small requests needs.
 * `node --max-semi-space-size` would cap it, but only as a flag of the `node` process, which the
 * `gait` bin cannot pass without starting a second process (Node 20 has no execve), and V8 reads
 * that limit once, when the heap is set up. The growth factor, though, is read each time the young
 * generation grows: it is left at 2 until the young generation reaches the cap, then set to 1 so
 * it grows no further (checked after every garbage collection, so it also grows back to the cap
 * if V8 shrank it while idle). Measured under the sidecar benchmark's load: the same resident
 * memory as `--max-semi-space-size=4`, and the same throughput (docs/performance.md).
 */
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/** Each semi-space's cap: scavenges stay rare at the sidecar's allocation rate, and cheap. */
const SEMI_SPACE_CAP_MB = 4;
/** The young generation's size as V8 reports it: two semi-spaces. */
const YOUNG_GENERATION_CAP_BYTES = 2 * SEMI_SPACE_CAP_MB * 1024 * 1024;

/** Keeps this process's young generation at or under SEMI_SPACE_CAP_MB per semi-space. */
export function capYoungGeneration(): void {
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
