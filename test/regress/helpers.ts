/** Shared inputs for the regress tests: run record inputs and runpacks written to temp dirs. */
import { fixedClock } from "../../src/contract/time.ts";
import { type BuiltRunpack, buildRunpack, recordRunpack } from "../../src/runpack/index.ts";

const CREATED_AT = "2026-02-05T00:00:00Z";
const environment = { os: "linux", arch: "amd64", runtime: "node" };

export interface Call {
  tool: string;
  /** Result status; omit the result entirely with `null`. */
  status?: string | null;
  result?: Record<string, unknown>;
}

const demoCalls: Call[] = [
  { tool: "tool.search", result: { hits: 3, top: "docs/runpack.md" } },
  { tool: "tool.fetch", result: { status: 200, bytes: 4096 } },
  { tool: "tool.summarize", result: { summary: "A runpack is a signed zip of one agent run." } },
];

/** A run record input (CONTRACTS.md §3) with one intent and (usually) one result per call. */
export function runInput(runId: string, calls: Call[] = demoCalls, extra: Record<string, unknown> = {}) {
  return {
    run: { run_id: runId, created_at: CREATED_AT, timeline: [] },
    intents: calls.map((call, i) => ({
      intent_id: `intent_${i + 1}`,
      tool_name: call.tool,
      args: { step: i },
    })),
    results: calls.flatMap((call, i) =>
      call.status === null
        ? []
        : [{ intent_id: `intent_${i + 1}`, status: call.status ?? "ok", result: call.result ?? { step: i } }],
    ),
    refs: { receipts: [] },
    ...extra,
  };
}

export const demoLike = (runId = "run_base") => runInput(runId);

/** The demo's calls in another order (tools at index 0 and 1 swapped). */
export const swappedTools = (runId = "run_swapped") =>
  runInput(runId, [demoCalls[1]!, demoCalls[0]!, demoCalls[2]!]);

/** The demo's calls with the last result changed. */
export const changedResult = (runId = "run_changed") =>
  runInput(runId, [
    demoCalls[0]!,
    demoCalls[1]!,
    { tool: "tool.summarize", result: { summary: "different" } },
  ]);

export function built(input: unknown): BuiltRunpack {
  return buildRunpack(input, { clock: fixedClock(CREATED_AT), environment });
}

/** Records `input` into `<dir>/gait-out/runpack_<run_id>.zip` and returns the path. */
export async function record(dir: string, input: unknown): Promise<string> {
  const recorded = await recordRunpack(input, {
    cwd: dir,
    env: {},
    clock: fixedClock(CREATED_AT),
    environment,
  });
  return recorded.path;
}
