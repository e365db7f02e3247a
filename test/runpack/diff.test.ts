import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { canonicalize } from "../../src/contract/canonical.ts";
import {
  diffRunpackRefs,
  diffRunpacks,
  parseRunpackEntries,
  recordRunpack,
} from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { build, clock, sampleInput } from "./fixtures.ts";

type Input = ReturnType<typeof sampleInput> & {
  intents: Record<string, unknown>[];
  results: Record<string, unknown>[];
  refs: { receipts: Record<string, unknown>[] };
  run: Record<string, unknown>;
};

const parse = (input: unknown, options = {}) => parseRunpackEntries(build(input, options).entries).runpack;
const sample = () => sampleInput() as Input;

describe("runpack diff", () => {
  it("sees no difference between the same run recorded under another id, time and producer", () => {
    const other = sample();
    other.run = {
      ...other.run,
      run_id: "run_other",
      created_at: "2027-01-01T00:00:00Z",
      producer_version: "1.2.3",
    };
    const diff = diffRunpacks(parse(sample()), parse(other));
    assert.equal(diff.identical, true);
    assert.equal(diff.summary.run_id_right, "run_other");
    assert.equal(diff.summary.context_drift_classification, "none");
  });

  it("reports changed, added and removed intents and results by intent_id", () => {
    const other = sample();
    other.intents[0] = { intent_id: "i1", tool_name: "tool.search", args: { q: "other" } };
    other.intents.push({ intent_id: "i9", tool_name: "tool.extra", args: {} });
    other.results = [other.results[0]!];
    const diff = diffRunpacks(parse(sample()), parse(other));
    assert.equal(diff.identical, false);
    assert.deepEqual(diff.summary.changed_intents, ["i1"]);
    assert.deepEqual(diff.summary.right_only_intents, ["i9"]);
    assert.deepEqual(diff.summary.left_only_results, ["i2"]);
    // i1's trace receipt derives its digests from the intent, so the refs change too.
    assert.deepEqual(diff.summary.files_changed, ["intents.jsonl", "refs.json", "results.jsonl"]);
  });

  it("classifies context drift: runtime-only changes do not make runs differ, semantic ones do", () => {
    const runtime = sample();
    runtime.refs.receipts[1] = { ...runtime.refs.receipts[1], retrieved_at: "2026-03-01T00:00:00Z" };
    const r = diffRunpacks(parse(sample()), parse(runtime));
    assert.equal(r.identical, true);
    assert.equal(r.summary.context_drift_classification, "runtime_only");
    assert.deepEqual(r.summary.context_runtime_only_changes, ["doc_1"]);
    const semantic = sample();
    semantic.refs.receipts[1] = { ...semantic.refs.receipts[1], content_digest: "c".repeat(64) };
    const s = diffRunpacks(parse(sample()), parse(semantic));
    assert.equal(s.identical, false);
    assert.equal(s.summary.context_drift_classification, "semantic");
    assert.equal(s.summary.refs_changed, true);
  });

  it("metadata privacy compares no payload values and only receipt counts", () => {
    const left = parse(sample(), { captureMode: "raw" });
    const right = structuredClone(left);
    right.intents[0]!.args = { secret: "changed" };
    right.refs.receipts[1]!.content_digest = "c".repeat(64);
    const metadata = diffRunpacks(left, right, "metadata");
    assert.equal(metadata.identical, true);
    assert.equal(metadata.summary.context_drift_classification, undefined);
    assert.ok(!canonicalize(metadata).includes("secret"));
    const full = diffRunpacks(left, right, "full");
    assert.deepEqual(full.summary.changed_intents, ["i1"]);
  });

  it("flags a capture-mode change as a manifest change", () => {
    const diff = diffRunpacks(parse(sample()), parse(sample(), { captureMode: "raw" }));
    assert.equal(diff.summary.manifest_changed, true);
    assert.equal(diff.identical, false);
  });

  it("reads runpacks by id or path and writes the same diff JSON every time", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
      const other = sample();
      other.run.run_id = "run_b";
      other.results[1] = { intent_id: "i2", status: "ok", result: { fixed: true } };
      await recordRunpack(other, { cwd: dir, env: {}, clock });
      const request = {
        left: "run_sample",
        right: "./gait-out/runpack_run_b.zip",
        cwd: dir,
        env: {},
        output: "d.json",
      };
      const first = await diffRunpackRefs(request);
      const written = readFileSync(join(dir, "d.json"), "utf8");
      const second = await diffRunpackRefs(request);
      assert.equal(readFileSync(join(dir, "d.json"), "utf8"), written);
      assert.deepEqual(first, second);
      assert.deepEqual(first.summary.changed_results, ["i2"]);
      assert.deepEqual(JSON.parse(written).summary, first.summary);
    } finally {
      cleanup();
    }
  });
});
