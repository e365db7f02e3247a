/** Inspect (counts derived from the artifacts) and diff (`gait.pack.diff`) of packs. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { JsonObject } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { diffPacks, inspectPack } from "../../src/pack/index.ts";
import { runpackZip } from "../../src/runpack/index.ts";
import { conformanceDir } from "../helpers/conformance.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { build, sampleInput } from "../runpack/fixtures.ts";
import { filesOf, jobPackOf, jobSource, rezip, runPackOf } from "./fixtures.ts";

describe("pack inspect", () => {
  it("a run pack: counts come from the source runpack's records", async () => {
    const inspection = await inspectPack((await runPackOf()).zip);
    assert.equal(inspection.pack_type, "run");
    assert.deepEqual(
      inspection.contents.map((e) => e.path),
      ["proof_records.jsonl", "run_payload.json", "source/runpack.zip"],
    );
    assert.ok(inspection.contents.every((e) => e.size_bytes > 0));
    const run = inspection.run!;
    assert.equal(run.intents_total, 3);
    assert.equal(run.results_total, 2);
    assert.equal(run.receipts_total, 2);
    assert.deepEqual(run.intents_by_status, { error: 1, missing: 1, ok: 1 });
    assert.deepEqual(run.intents_by_tool, { "db.query": 1, "http.fetch": 1, "tool.search": 1 });
    assert.equal(inspection.payload?.intents_count, run.intents_total);
  });

  it("a job pack: counts come from job_state.json and job_events.jsonl", async () => {
    const inspection = await inspectPack((await jobPackOf()).zip);
    assert.deepEqual(inspection.job, {
      job_id: "job_demo",
      status: "paused",
      stop_reason: "paused_by_user",
      status_reason_code: "paused",
      checkpoints_total: 2,
      approvals_total: 1,
      events_total: 4,
      events_by_type: { checkpoint_added: 2, paused: 1, submitted: 1 },
    });
  });

  it("a legacy runpack zip is inspected as one", async () => {
    const inspection = await inspectPack(await runpackZip(build().entries));
    assert.equal(inspection.legacy_type, "runpack");
    assert.equal(inspection.run?.intents_total, 3);
  });

  it("refuses a pack that fails verification", async () => {
    const files = await filesOf((await runPackOf()).zip);
    await assert.rejects(
      inspectPack(await rezip(files, { "extra.txt": Buffer.from("x") })),
      (error: unknown) =>
        error instanceof GaitError && error.code === "pack_verify_failed" && error.exitCode === 2,
    );
  });
});

describe("pack diff", () => {
  it("identical packs: unchanged, no manifest delta", async () => {
    const { zip } = await runPackOf();
    const diff = await diffPacks(zip, zip);
    assert.deepEqual(diff.summary, {
      changed: false,
      manifest_delta: false,
      context_changed: false,
      context_runtime_only_changes: false,
      context_drift_classification: "none",
    });
  });

  it("two runs: the changed entries, the manifest, and the runpacks' context drift", async () => {
    const other = sampleInput() as { refs: { receipts: JsonObject[] } };
    other.refs.receipts = other.refs.receipts.slice(1);
    const diff = await diffPacks((await runPackOf()).zip, (await runPackOf(other)).zip);
    assert.equal(diff.summary.changed, true);
    assert.equal(diff.summary.manifest_delta, true);
    assert.deepEqual(diff.summary.changed_files, [
      "pack_manifest.json",
      "proof_records.jsonl",
      "run_payload.json",
      "source/runpack.zip",
    ]);
    assert.equal(diff.summary.context_drift_classification, "semantic");
    assert.equal(diff.summary.context_changed, true);
  });

  it("a run pack against a job pack: added and removed entries", async () => {
    const diff = await diffPacks((await runPackOf()).zip, (await jobPackOf(jobSource())).zip);
    assert.deepEqual(diff.summary.added_files, ["job_events.jsonl", "job_payload.json", "job_state.json"]);
    assert.deepEqual(diff.summary.removed_files, ["run_payload.json", "source/runpack.zip"]);
    assert.equal(diff.summary.context_drift_classification, undefined);
    assert.equal(diff.left_pack_type, "run");
    assert.equal(diff.right_pack_type, "job");
  });

  it("validates against the public and published diff schemas; the public sample against ours", {
    skip: publicSchemasSkip,
  }, async () => {
    const diff = await diffPacks((await runPackOf()).zip, (await jobPackOf()).zip);
    assertPublicValid(diff, "pack diff");
    assertPublishedValid(diff, "pack/diff.schema.json");
    const sample = JSON.parse(readFileSync(join(conformanceDir, "testdata", "pack_diff_valid.json"), "utf8"));
    assertPublishedValid(sample, "pack/diff.schema.json", "pack_diff_valid.json");
  });
});
