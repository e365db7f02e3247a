/** `changes` of a runpack diff: each changed field with its value on both sides. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize } from "../../src/contract/canonical.ts";
import { diffRunpacks, parseRunpackEntries } from "../../src/runpack/index.ts";
import { build, sampleInput } from "./fixtures.ts";

type Input = Record<string, unknown> & {
  intents: Record<string, unknown>[];
  results: Record<string, unknown>[];
  refs: { receipts: Record<string, unknown>[] };
  run: Record<string, unknown>;
};

const sample = () => sampleInput() as Input;
const parse = (input: unknown, captureMode: "raw" | "reference" = "raw") =>
  parseRunpackEntries(build(input, { captureMode }).entries).runpack;

describe("runpack diff: changes with before and after values", () => {
  it("is empty for identical runs, and keeps the summary as it was", () => {
    const diff = diffRunpacks(parse(sample()), parse(sample()));
    assert.deepEqual(diff.changes, []);
    assert.equal(diff.identical, true);
    assert.deepEqual(Object.keys(diff).sort(), ["changes", "identical", "privacy", "summary"]);
  });

  it("names each changed field of a matched record with both values, and whole records on one side", () => {
    const other = sample();
    other.intents[0] = { intent_id: "i1", tool_name: "tool.search", args: { q: "other", limit: 3 } };
    other.intents.push({ intent_id: "i9", tool_name: "tool.extra", args: { x: 1 } });
    other.results[1] = { intent_id: "i2", status: "ok", result: { error: "timeout", retried: true } };
    const left = parse(sample());
    const right = parse(other);
    const diff = diffRunpacks(left, right);
    const byPath = new Map(diff.changes.map((c) => [c.path, c]));
    assert.deepEqual(byPath.get("intents[i1].args.q"), {
      path: "intents[i1].args.q",
      kind: "changed",
      before: "gait",
      after: "other",
    });
    assert.equal(byPath.get("intents[i1].args_digest")?.before, left.intents[0]!.args_digest);
    assert.equal(byPath.get("intents[i1].args_digest")?.after, right.intents[0]!.args_digest);
    assert.equal(byPath.has("intents[i1].tool_name"), false, "unchanged fields are not listed");
    assert.deepEqual(byPath.get("intents[i9]"), {
      path: "intents[i9]",
      kind: "added",
      before: null,
      after: { tool_name: "tool.extra", args_digest: right.intents[3]!.args_digest, args: { x: 1 } },
    });
    assert.deepEqual(byPath.get("results[i2].status"), {
      path: "results[i2].status",
      kind: "changed",
      before: "error",
      after: "ok",
    });
    assert.deepEqual(byPath.get("results[i2].result.retried"), {
      path: "results[i2].result.retried",
      kind: "added",
      before: null,
      after: true,
    });
    // The trace receipt of i1 derives its query digest from the intent.
    assert.equal(byPath.get("refs.receipts[trace_i1].query_digest")?.kind, "changed");
    // Every id the summary names has at least one entry.
    for (const id of diff.summary.changed_intents) {
      assert.ok(diff.changes.some((c) => c.path.startsWith(`intents[${id}]`)));
    }
    assert.equal(diffRunpacks(left, right).changes.length, diff.changes.length, "deterministic");
  });

  it("lists runtime-only receipt changes, which do not make the runs differ", () => {
    const runtime = sample();
    runtime.refs.receipts[1] = { ...runtime.refs.receipts[1], retrieved_at: "2026-03-01T00:00:00Z" };
    const diff = diffRunpacks(parse(sample()), parse(runtime));
    assert.equal(diff.identical, true);
    assert.deepEqual(diff.changes, [
      {
        path: "refs.receipts[doc_1].retrieved_at",
        kind: "changed",
        before: "1980-01-01T00:00:00Z", // no retrieved_at in the input: the fixed default
        after: "2026-03-01T00:00:00Z",
      },
    ]);
  });

  it("shows manifest, environment and timeline changes", () => {
    const other = sample();
    other.run = { ...other.run, timeline: [{ event: "begin", ts: "2026-02-05T00:00:00Z" }] };
    const left = parse(sample(), "raw");
    const right = parse(other, "reference");
    right.run.env = { ...right.run.env, os: "darwin" };
    const diff = diffRunpacks(left, right);
    const paths = diff.changes.map((c) => c.path);
    assert.ok(paths.includes("manifest.capture_mode"));
    assert.deepEqual(
      diff.changes.find((c) => c.path === "run.env.os"),
      { path: "run.env.os", kind: "changed", before: "linux", after: "darwin" },
    );
    assert.deepEqual(
      diff.changes.find((c) => c.path === "run.timeline[0].event"),
      { path: "run.timeline[0].event", kind: "changed", before: "start", after: "begin" },
    );
    // A payload only one side captured is not a change (as in the summary).
    assert.ok(!paths.some((p) => p.includes(".args")));
  });

  it("quotes ids and keys that are not plain names", () => {
    const left = sample();
    const right = sample();
    left.intents[0] = { intent_id: "i 1]", tool_name: "t", args: { "a.b": 1 } };
    right.intents[0] = { intent_id: "i 1]", tool_name: "t", args: { "a.b": 2 } };
    left.results[0] = { ...left.results[0], intent_id: "i 1]" };
    right.results[0] = { ...right.results[0], intent_id: "i 1]" };
    left.refs.receipts = [left.refs.receipts[1]!];
    right.refs.receipts = [right.refs.receipts[1]!];
    const diff = diffRunpacks(parse(left), parse(right));
    assert.ok(diff.changes.some((c) => c.path === 'intents["i 1]"].args["a.b"]'));
  });

  it("puts no payload value in the changes in metadata privacy", () => {
    const left = parse(sample());
    const right = structuredClone(left);
    right.intents[0]!.args = { secret: "changed" };
    right.intents[0]!.args_digest = "f".repeat(64);
    right.results[0]!.result = { secret: "also changed" };
    right.refs.receipts.push({ ...right.refs.receipts[0]!, ref_id: "extra" });
    const diff = diffRunpacks(left, right, "metadata");
    assert.ok(!canonicalize(diff).includes("secret"));
    assert.ok(!canonicalize(diff).includes("gait"), "not even the unchanged args");
    assert.deepEqual(
      diff.changes.map((c) => c.path),
      ["intents[i1].args_digest", "refs.receipt_count"],
    );
    assert.deepEqual(diff.changes[1], { path: "refs.receipt_count", kind: "changed", before: 2, after: 3 });
  });
});
