import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { writeZip } from "../../src/contract/zip.ts";
import {
  inspectRunpack,
  inspectRunpackRef,
  loadRunpackEntries,
  manifestDigest,
  migrateRunpack,
  parseRunpackEntries,
  recordRunpack,
  runReceipt,
  verifyRunpack,
} from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { build, clock, sampleInput } from "./fixtures.ts";

describe("runpack inspect", () => {
  it("lists the timeline in recorded order with statuses, digests and unmatched results", () => {
    const input = sampleInput() as { results: Record<string, unknown>[] };
    input.results.push({ intent_id: "ghost", status: "ok", result_digest: "d".repeat(64) });
    const inspection = inspectRunpack(parseRunpackEntries(build(input).entries).runpack);
    assert.equal(inspection.artifact_type, "runpack");
    assert.equal(inspection.intents_total, 3);
    assert.equal(inspection.results_total, 3);
    assert.deepEqual(
      inspection.entries.map((e) => [e.index, e.intent_id, e.tool_name, e.status]),
      [
        [0, "i1", "tool.search", "ok"],
        [1, "i2", "http.fetch", "error"],
        [2, "i3", "db.query", "missing"],
      ],
    );
    assert.deepEqual(inspection.unmatched_results, ["ghost"]);
    assert.equal(inspection.warnings.length, 1);
  });

  it("refuses a runpack that fails verification", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const recorded = await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
      const entries = await loadRunpackEntries(recorded.path);
      const tampered = entries.map((e) =>
        e.path === "results.jsonl" ? { ...e, data: Buffer.from("{}\n") } : e,
      );
      writeFileSync(recorded.path, await writeZip(tampered));
      await assert.rejects(
        inspectRunpackRef("run_sample", { cwd: dir, env: {} }),
        (e: unknown) => e instanceof GaitError && e.code === "runpack_verify_failed" && e.exitCode === 2,
      );
      await assert.rejects(
        runReceipt("run_sample", { cwd: dir, env: {} }),
        (e: unknown) => e instanceof GaitError && e.exitCode === 2,
      );
    } finally {
      cleanup();
    }
  });
});

describe("runpack migrate", () => {
  it("reports no_change for a current runpack and writes the sibling _migrated file", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const recorded = await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
      const before = readFileSync(recorded.path);
      const outcome = await migrateRunpack({ ref: "run_sample", cwd: dir, env: {} });
      assert.equal(outcome.status, "no_change");
      assert.equal(outcome.output, "./gait-out/runpack_run_sample_migrated.zip");
      assert.ok(readFileSync(recorded.path).equals(before), "input untouched");
      assert.equal((await verifyRunpack(join(dir, "gait-out", "runpack_run_sample_migrated.zip"))).ok, true);
    } finally {
      cleanup();
    }
  });

  it("re-records a non-canonical, older runpack in canonical v1 form", async () => {
    const { dir, cleanup } = tempDir();
    try {
      // Pretty-printed documents, uppercase digests, no timeline, no receipts array, a signature to drop.
      const run = {
        schema_id: "gait.runpack.run",
        schema_version: "1.0.0",
        run_id: "run_old",
        created_at: "2025-01-01T00:00:00.000Z",
        producer_version: "0.0.0-dev",
        env: { os: "linux", arch: "amd64", runtime: "go" },
      };
      const intent = { intent_id: "a", tool_name: "tool.x", args_digest: "AB".repeat(32), run_id: "run_old" };
      const files: Record<string, string> = {
        "run.json": JSON.stringify(run, null, 2),
        "intents.jsonl": `${JSON.stringify(intent)}\n`,
        "results.jsonl": "",
        "refs.json": JSON.stringify({ run_id: "run_old" }, null, 1),
      };
      const { createHash } = await import("node:crypto");
      const manifest: Record<string, unknown> = {
        schema_id: "gait.runpack.manifest",
        schema_version: "1.0.0",
        created_at: "2025-01-01T00:00:00Z",
        producer_version: "0.0.0-dev",
        run_id: "run_old",
        capture_mode: "reference",
        files: Object.keys(files)
          .sort()
          .map((path) => ({ path, sha256: createHash("sha256").update(files[path]!).digest("hex") })),
      };
      manifest.manifest_digest = manifestDigest(manifest as never);
      const old = join(dir, "old.zip");
      writeFileSync(
        old,
        await writeZip([
          ...Object.entries(files).map(([path, data]) => ({ path, data })),
          { path: "manifest.json", data: JSON.stringify(manifest, null, 2) },
        ]),
      );
      await assert.rejects(
        verifyRunpack(old),
        (e: unknown) => e instanceof GaitError && e.code === "runpack_manifest_not_canonical",
      );
      const outcome = await migrateRunpack({ ref: "old.zip", cwd: dir, env: {} });
      assert.equal(outcome.status, "migrated");
      const migrated = join(dir, "runpack_run_old_migrated.zip");
      const verified = await verifyRunpack(migrated);
      assert.equal(verified.ok, true);
      const { runpack } = parseRunpackEntries(await loadRunpackEntries(migrated));
      assert.equal(runpack.run.created_at, "2025-01-01T00:00:00Z");
      assert.equal(runpack.run.env.runtime, "go", "the recorded environment is kept");
      assert.equal(runpack.intents[0]!.args_digest, "ab".repeat(32));
      assert.deepEqual(runpack.refs.receipts, []);
      const again = await migrateRunpack({ ref: migrated, cwd: dir, env: {}, out: "again.zip" });
      assert.equal(again.status, "no_change", "migration is idempotent");
    } finally {
      cleanup();
    }
  });

  it("never overwrites its input and only knows target v1", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
      await assert.rejects(
        migrateRunpack({ ref: "run_sample", cwd: dir, env: {}, out: "gait-out/runpack_run_sample.zip" }),
        (e: unknown) => e instanceof GaitError && e.code === "migrate_output_is_input" && e.exitCode === 6,
      );
      await assert.rejects(
        migrateRunpack({ ref: "run_sample", cwd: dir, env: {}, target: "v2" }),
        (e: unknown) => e instanceof GaitError && e.code === "migrate_target_unsupported",
      );
      assert.ok(!existsSync(join(dir, "gait-out", "runpack_run_sample_migrated.zip")));
    } finally {
      cleanup();
    }
  });
});
