/** Shared inputs for the runpack tests. */
import { fixedClock } from "../../src/contract/time.ts";
import { type BuildOptions, type BuiltRunpack, buildRunpack } from "../../src/runpack/index.ts";

export const CREATED_AT = "2026-02-05T00:00:00Z";
export const clock = fixedClock("2030-01-01T00:00:00Z");
export const hostless = { os: "linux", arch: "amd64", runtime: "node" };

/** A run with three calls (one failing), payloads inline and via the normalization side-map, and receipts. */
export function sampleInput(): Record<string, unknown> {
  return {
    run: {
      run_id: "run_sample",
      created_at: CREATED_AT,
      producer_version: "9.9.9-test",
      timeline: [{ event: "start", ts: "2026-02-05T00:00:00.123456789+02:00" }],
    },
    intents: [
      { intent_id: "i1", tool_name: "tool.search", args: { q: "gait", limit: 3 } },
      { intent_id: "i2", tool_name: "http.fetch", args: { url: "https://example.com" } },
      { intent_id: "i3", tool_name: "db.query" },
    ],
    results: [
      { intent_id: "i1", status: "ok", result: { hits: ["a", "b"] } },
      { intent_id: "i2", status: "error", result: { error: "timeout" } },
    ],
    refs: {
      receipts: [
        {
          ref_id: "trace_i1",
          source_type: "GAIT.trace",
          source_locator: "trace_abc.json",
          retrieved_at: "2026-02-05T01:00:00+01:00",
          redaction_mode: "reference",
        },
        {
          ref_id: "doc_1",
          source_type: "kb",
          source_locator: "kb://doc/1",
          query_digest: "A".repeat(64),
          content_digest: "b".repeat(64),
          redaction_mode: "reference",
          immutability: "IMMUTABLE",
        },
      ],
    },
    normalization: { intent_args: { i3: { sql: "select 1" } } },
  };
}

export function build(input: unknown = sampleInput(), options: Partial<BuildOptions> = {}): BuiltRunpack {
  return buildRunpack(input, { clock, environment: hostless, ...options });
}

export function entryText(built: BuiltRunpack, path: string): string {
  const entry = built.entries.find((e) => e.path === path);
  if (!entry) throw new Error(`no entry ${path}`);
  return entry.data.toString("utf8");
}
