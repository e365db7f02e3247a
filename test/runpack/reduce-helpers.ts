/** Synthetic runs for the reducer's tests and benchmark: n ok steps, some failing, refs they need. */
import { fixedClock } from "../../src/contract/time.ts";
import { buildRunpack, type LoadedRunpack, parseRunpackEntries } from "../../src/runpack/index.ts";

export const CREATED_AT = "2026-02-05T00:00:00Z";

export const stepId = (i: number) => `s${String(i).padStart(5, "0")}`;

const receipt = (refId: string) => ({
  ref_id: refId,
  source_type: "kb",
  source_locator: `kb://${refId}`,
  query_digest: "a".repeat(64),
  content_digest: "b".repeat(64),
  retrieved_at: CREATED_AT,
  redaction_mode: "reference",
});

/**
 * A raw-capture run of `n` steps (`s00000`...), each `tool.step` with an ok result and a timeline
 * event; the first failing step's args name `ref_needed`; decoy refs and run events are free.
 */
export function syntheticInput(n: number, failing: readonly number[], runId = "run_synthetic") {
  const first = failing[0];
  return {
    run: {
      run_id: runId,
      created_at: CREATED_AT,
      timeline: [
        { event: "run_started", ts: CREATED_AT },
        ...Array.from({ length: n }, (_, i) => ({ event: "tool_call", ts: CREATED_AT, ref: stepId(i) })),
        { event: "context_loaded", ts: CREATED_AT, ref: "ref_decoy_1" },
        { event: "run_finished", ts: CREATED_AT },
      ],
    },
    intents: Array.from({ length: n }, (_, i) => ({
      intent_id: stepId(i),
      tool_name: failing.includes(i) ? "tool.bad" : "tool.step",
      args: i === first ? { page: i, context: "ref_needed" } : { page: i },
    })),
    results: Array.from({ length: n }, (_, i) => ({
      intent_id: stepId(i),
      status: "ok",
      result: { n: i },
    })),
    refs: {
      receipts: [receipt("ref_needed"), receipt("ref_decoy_1"), receipt("ref_decoy_2"), receipt("ref_free")],
    },
    capture_mode: "raw",
  };
}

export function load(input: unknown): LoadedRunpack {
  const built = buildRunpack(input, {
    clock: fixedClock(CREATED_AT),
    environment: { os: "linux", arch: "amd64", runtime: "node" },
  });
  return parseRunpackEntries(built.entries);
}
