import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { fixedClock } from "../../src/contract/time.ts";
import { PRODUCER_VERSION } from "../../src/contract/version.ts";
import {
  buildRunpack,
  manifestDigest,
  RAW_CAPTURE_WARNING,
  REFERENCE_STRIP_WARNING,
  recordRunpack,
  runpackZip,
  verifyRunpack,
} from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValid, assertPublicValidJsonl, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { build, CREATED_AT, clock, entryText, hostless, sampleInput } from "./fixtures.ts";

function rejects(fn: () => unknown, code: string) {
  assert.throws(
    fn,
    (error: unknown) => error instanceof GaitError && error.code === code,
    `expected ${code}`,
  );
}

describe("runpack record (pure core)", () => {
  it("writes exactly five entries in byte order", () => {
    const built = build();
    assert.deepEqual(
      built.entries.map((e) => e.path),
      ["intents.jsonl", "manifest.json", "refs.json", "results.jsonl", "run.json"],
    );
  });

  it("every file validates against the public v1 schema for its schema_id", {
    skip: publicSchemasSkip,
  }, () => {
    for (const captureMode of ["reference", "raw"] as const) {
      const built = build(sampleInput(), { captureMode, unsafeContextRaw: true });
      assertPublicValid(JSON.parse(entryText(built, "manifest.json")), "manifest.json");
      assertPublicValid(JSON.parse(entryText(built, "run.json")), "run.json");
      assertPublicValid(JSON.parse(entryText(built, "refs.json")), "refs.json");
      assertPublicValidJsonl(entryText(built, "intents.jsonl"), "intents.jsonl");
      assertPublicValidJsonl(entryText(built, "results.jsonl"), "results.jsonl");
    }
  });

  it("writes JCS bytes: single-line JSON, jsonl lines each ending in \\n, and 0-byte jsonl when empty", () => {
    const built = build({ run: { run_id: "run_empty", created_at: CREATED_AT } });
    assert.equal(entryText(built, "intents.jsonl"), "");
    assert.equal(entryText(built, "results.jsonl"), "");
    const run = entryText(built, "run.json");
    assert.ok(!run.includes("\n"));
    assert.equal(JSON.parse(run).timeline.length, 0, "timeline is [] not null");
    assert.deepEqual(JSON.parse(entryText(built, "refs.json")).receipts, []);
    const full = build();
    const lines = entryText(full, "intents.jsonl").split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[3], "");
  });

  it('computes the manifest digest with manifest_digest "" present and no signatures', () => {
    const built = build();
    const manifest = JSON.parse(entryText(built, "manifest.json"));
    assert.equal(manifest.manifest_digest, digestJcs({ ...manifest, manifest_digest: "" }));
    assert.equal(manifest.manifest_digest, manifestDigest(manifest));
    assert.deepEqual(
      manifest.files.map((f: { path: string }) => f.path),
      ["intents.jsonl", "refs.json", "results.jsonl", "run.json"],
    );
    assert.equal(manifest.signatures, undefined);
  });

  it("reference capture strips payloads after digesting and says so", () => {
    const built = build();
    const intents = entryText(built, "intents.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(intents[0].args, undefined);
    assert.equal(intents[0].args_digest, digestJcs({ q: "gait", limit: 3 }));
    assert.equal(intents[2].args_digest, digestJcs({ sql: "select 1" }), "normalization side-map digested");
    const results = entryText(built, "results.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(results[0].result, undefined);
    assert.deepEqual(built.warnings, [REFERENCE_STRIP_WARNING]);
    assert.equal(JSON.parse(entryText(built, "manifest.json")).capture_mode, "reference");
  });

  it("raw capture keeps payloads and always warns", () => {
    const built = build(sampleInput(), { captureMode: "raw" });
    const intents = entryText(built, "intents.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(intents[0].args, { q: "gait", limit: 3 });
    assert.deepEqual(intents[2].args, { sql: "select 1" });
    assert.deepEqual(built.warnings, [RAW_CAPTURE_WARNING]);
    const fromInput = build({ ...sampleInput(), capture_mode: "raw" });
    assert.equal(fromInput.runpack.manifest.capture_mode, "raw");
  });

  it("applies run defaults and inherits them into every record", () => {
    const built = build({
      run: { run_id: "run_defaults" },
      intents: [{ intent_id: "a", tool_name: "t", args: {} }],
    });
    const run = built.runpack.run;
    assert.equal(run.created_at, "2030-01-01T00:00:00Z", "created_at from the injected clock");
    assert.equal(run.producer_version, PRODUCER_VERSION);
    assert.deepEqual(run.env, hostless);
    assert.equal(built.runpack.intents[0]!.created_at, run.created_at);
    assert.equal(built.runpack.intents[0]!.producer_version, PRODUCER_VERSION);
    assert.equal(built.runpack.refs.run_id, "run_defaults");
    // The library writes no evidence mode unless asked (gait run record passes best_effort).
    assert.equal(built.runpack.refs.context_evidence_mode, undefined);
    const cliForm = build({ run: { run_id: "run_defaults" } }, { contextEvidenceMode: "best_effort" });
    assert.equal(cliForm.runpack.refs.context_evidence_mode, "best_effort");
  });

  it("keeps input-supplied values and renders timestamps Go-style", () => {
    const built = build();
    assert.equal(built.runpack.run.producer_version, "9.9.9-test");
    assert.equal(built.runpack.run.timeline[0]!.ts, "2026-02-05T00:00:00.123456789+02:00");
    const doc = built.runpack.refs.receipts.find((r) => r.ref_id === "doc_1")!;
    assert.equal(doc.query_digest, "a".repeat(64), "digests lower-cased");
    assert.equal(doc.immutability, "immutable");
    assert.equal(doc.retrieved_at, "1980-01-01T00:00:00Z", "zero retrieved_at becomes the 1980 epoch");
  });

  it("derives trace receipt digests from the intent and its result", () => {
    const built = build();
    const trace = built.runpack.refs.receipts.find((r) => r.ref_id === "trace_i1")!;
    const intent = built.runpack.intents[0]!;
    assert.equal(
      trace.query_digest,
      digestJcs({ tool_name: intent.tool_name, args_digest: intent.args_digest }),
    );
    assert.equal(trace.content_digest, built.runpack.results[0]!.result_digest);
    assert.equal(trace.retrieved_at, "2026-02-05T00:00:00Z", "retrieved_at in UTC");
    assert.deepEqual(
      built.runpack.refs.receipts.map((r) => r.ref_id),
      ["doc_1", "trace_i1"],
      "receipts sorted by ref_id",
    );
    assert.equal(built.runpack.refs.context_ref_count, 2);
  });

  it("--run-id overrides the run id in every record", () => {
    const built = build(sampleInput(), { runId: "run_override" });
    assert.equal(built.runpack.manifest.run_id, "run_override");
    assert.ok(built.runpack.intents.every((i) => i.run_id === "run_override"));
    assert.equal(built.runpack.refs.run_id, "run_override");
  });

  it("refuses inconsistent or incomplete inputs with coded errors", () => {
    const input = sampleInput() as {
      intents: Record<string, unknown>[];
      refs: { receipts: Record<string, unknown>[] };
    };
    rejects(() => build({ run: {} }), "invalid_run_id");
    rejects(() => build({ run: { run_id: "demo" } }), "invalid_run_id");
    rejects(
      () => build({ run: { run_id: "run_x" }, intents: [{ intent_id: "a", tool_name: "t" }] }),
      "digest_required",
    );
    rejects(
      () =>
        build({
          run: { run_id: "run_x" },
          intents: [{ intent_id: "a", tool_name: "t", args: {}, args_digest: "0".repeat(64) }],
        }),
      "digest_mismatch",
    );
    rejects(
      () =>
        build({
          run: { run_id: "run_x" },
          intents: [{ intent_id: "a", tool_name: "t", args_digest: "xyz" }],
        }),
      "invalid_digest",
    );
    rejects(
      () => build({ run: { run_id: "run_x" }, results: [{ intent_id: "a", status: "done", result: {} }] }),
      "invalid_result_status",
    );
    rejects(() => build({ run: { run_id: "run_x", created_at: "yesterday" } }), "invalid_timestamp");
    rejects(() => build({ run: { run_id: "run_x" }, intents: "nope" }), "runpack_input_invalid");
    rejects(() => build([1, 2]), "runpack_input_invalid");
    rejects(() => build({ ...input, intents: [...input.intents, input.intents[0]] }), "duplicate_intent_id");
    rejects(() => build({ ...input, capture_mode: "everything" }), "invalid_capture_mode");
    rejects(
      () =>
        build({
          run: { run_id: "run_x" },
          refs: { receipts: [{ ref_id: "r", source_type: "kb", redaction_mode: "reference" }] },
        }),
      "digest_required",
    );
    const raw = {
      ref_id: "r",
      source_type: "kb",
      query_digest: "a".repeat(64),
      content_digest: "b".repeat(64),
      redaction_mode: "raw",
    };
    rejects(() => build({ run: { run_id: "run_x" }, refs: { receipts: [raw] } }), "context_raw_refused");
    assert.ok(build({ run: { run_id: "run_x" }, refs: { receipts: [raw] } }, { unsafeContextRaw: true }));
    rejects(
      () => build({ run: { run_id: "run_x" }, refs: { context_evidence_mode: "required" } }),
      "context_set_digest_required",
    );
    rejects(
      () =>
        build({
          run: { run_id: "run_x" },
          intents: [{ intent_id: "a", tool_name: "t", args: {}, run_id: "run_other" }],
        }),
      "run_id_mismatch",
    );
    const badTrace = structuredClone(input);
    badTrace.refs.receipts[0]!.content_digest = "c".repeat(64);
    rejects(() => build(badTrace), "digest_mismatch");
  });

  it("same input twice gives byte-identical zips, whatever the wall clock", async () => {
    const a = await runpackZip(
      buildRunpack(sampleInput(), { clock: fixedClock("2031-01-01T00:00:00Z") }).entries,
    );
    const b = await runpackZip(
      buildRunpack(sampleInput(), { clock: fixedClock("2032-06-01T12:00:00Z") }).entries,
    );
    assert.ok(a.equals(b));
  });
});

describe("recordRunpack (I/O edge)", () => {
  it("writes runpack_<run_id>.zip atomically with mode 0600, re-verifies it and returns the footer", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const recorded = await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
      assert.equal(recorded.path, join(dir, "gait-out", "runpack_run_sample.zip"));
      assert.equal(recorded.bundle, `.${sep}${join("gait-out", "runpack_run_sample.zip")}`);
      assert.equal(statSync(recorded.path).mode & 0o777, 0o600);
      assert.equal(recorded.signatureStatus, "missing");
      assert.equal(
        recorded.ticketFooter,
        `GAIT run_id=run_sample manifest=sha256:${recorded.manifestDigest} verify="gait verify run_sample"`,
      );
      assert.equal((await verifyRunpack(readFileSync(recorded.path))).ok, true);
    } finally {
      cleanup();
    }
  });

  it("signs in dev mode with a warning, and the signature verifies with that key", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const recorded = await recordRunpack(sampleInput(), {
        cwd: dir,
        env: {},
        clock,
        signing: { mode: "dev" },
      });
      assert.equal(recorded.signatureStatus, "signed");
      assert.match(recorded.signatureKeyId ?? "", /^[0-9a-f]{64}$/);
      assert.ok(recorded.warnings.some((w) => w.startsWith("dev mode: ephemeral keypair generated")));
    } finally {
      cleanup();
    }
  });
});
