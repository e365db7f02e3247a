/** Producer test: the run diff (`gait run diff --output`) validates against schemas/v1/runpack/run_diff. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  diffRunpackRefs,
  diffRunpacks,
  parseRunpackEntries,
  recordRunpack,
} from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublishedInvalid, assertPublishedValid } from "../helpers/published-schemas.ts";
import { build, clock, sampleInput } from "./fixtures.ts";

const SCHEMA = "runpack/run_diff.schema.json";

type Input = ReturnType<typeof sampleInput> & {
  intents: Record<string, unknown>[];
  results: Record<string, unknown>[];
  refs: { receipts: Record<string, unknown>[] };
  run: Record<string, unknown>;
};
const sample = () => sampleInput() as Input;
const parse = (input: unknown, options = {}) => parseRunpackEntries(build(input, options).entries).runpack;

describe("the run diff against the published schema", () => {
  it("the file gait run diff --output writes", async (t) => {
    const { dir, cleanup } = tempDir("gait-diff-schema-");
    t.after(cleanup);
    await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
    const other = sample();
    other.run.run_id = "run_b";
    other.results[1] = { intent_id: "i2", status: "ok", result: { fixed: true } };
    other.intents.push({ intent_id: "i9", tool_name: "tool.extra", args: {} });
    await recordRunpack(other, { cwd: dir, env: {}, clock });
    for (const privacy of ["full", "metadata"] as const) {
      await diffRunpackRefs({
        left: "run_sample",
        right: "run_b",
        cwd: dir,
        env: {},
        output: `${privacy}.json`,
        privacy,
      });
      const written = JSON.parse(readFileSync(join(dir, `${privacy}.json`), "utf8"));
      assert.equal(written.identical, false);
      assertPublishedValid(written, SCHEMA, `${privacy} diff`);
    }
  });

  it("identical runs, runtime-only and semantic context drift, a capture mode change", () => {
    const runtime = sample();
    runtime.refs.receipts[1] = { ...runtime.refs.receipts[1], retrieved_at: "2026-03-01T00:00:00Z" };
    const semantic = sample();
    semantic.refs.receipts[1] = { ...semantic.refs.receipts[1], content_digest: "c".repeat(64) };
    const diffs = [
      diffRunpacks(parse(sample()), parse(sample())),
      diffRunpacks(parse(sample()), parse(runtime)),
      diffRunpacks(parse(sample()), parse(semantic)),
      diffRunpacks(parse(sample()), parse(sample(), { captureMode: "raw" })),
    ];
    assert.deepEqual(
      diffs.map((d) => d.summary.context_drift_classification),
      ["none", "runtime_only", "semantic", "none"],
    );
    for (const diff of diffs) assertPublishedValid(JSON.parse(JSON.stringify(diff)), SCHEMA, "diff");
    assertPublishedInvalid({ ...diffs[0], privacy: "partial" }, SCHEMA, "an unknown privacy");
  });
});
