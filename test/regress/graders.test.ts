import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { canonicalize } from "../../src/contract/canonical.ts";
import type { SchemaValidator } from "../../src/contract/schema.ts";
import {
  contextConformanceGrader,
  diffGrader,
  expectedExitCodeGrader,
  type FixtureUnderTest,
  fixtureFor,
  type Grader,
  type GraderContext,
  type GraderResult,
  loadSchemaValidator,
  type RegressFixture,
  type RunpackLoad,
  schemaValidationGrader,
  trajectoryGrader,
} from "../../src/regress/index.ts";
import { buildManifest, type RunpackEntry } from "../../src/runpack/index.ts";
import { built, changedResult, demoLike, runInput, swappedTools } from "./helpers.ts";

const ctx: GraderContext = {
  workDir: "/work",
  env: {},
  contextConformance: false,
  allowContextRuntimeDrift: false,
};

function loaded(input: unknown, display = "fixtures/f/runpack.zip"): RunpackLoad {
  const { entries, runpack } = built(input);
  return { ok: true, path: `/work/${display}`, display, entries, runpack };
}

function fixtureUnder(
  baseline: RunpackLoad,
  options: { candidate?: RunpackLoad; fixture?: Partial<RegressFixture> } = {},
): FixtureUnderTest {
  if (!baseline.ok) throw new Error("baseline must load");
  return {
    name: "f",
    dir: "/work/fixtures/f",
    fixture: { ...fixtureFor("f", baseline.runpack), ...options.fixture },
    baseline,
    ...(options.candidate ? { candidate: options.candidate } : {}),
  };
}

async function grade(grader: Grader, under: FixtureUnderTest): Promise<GraderResult> {
  return grader.grade(under, ctx);
}

/** Entries with one file replaced and the manifest re-sealed, so integrity holds but content changed. */
function resealed(entries: RunpackEntry[], path: string, text: string): RunpackEntry[] {
  const replaced = entries.map((e) => (e.path === path ? { path, data: Buffer.from(text) } : e));
  const data = (p: string) => replaced.find((e) => e.path === p)!.data;
  const old = JSON.parse(data("manifest.json").toString("utf8"));
  const manifest = buildManifest({
    createdAt: old.created_at,
    producerVersion: old.producer_version,
    runId: old.run_id,
    captureMode: old.capture_mode,
    files: {
      "intents.jsonl": data("intents.jsonl"),
      "refs.json": data("refs.json"),
      "results.jsonl": data("results.jsonl"),
      "run.json": data("run.json"),
    },
  });
  return replaced.map((e) =>
    e.path === "manifest.json" ? { path: e.path, data: Buffer.from(canonicalize(manifest)) } : e,
  );
}

describe("schema_validation", () => {
  let validator: SchemaValidator;
  before(async () => {
    validator = await loadSchemaValidator();
  });

  const withEntries = (entries: RunpackEntry[]): FixtureUnderTest => {
    const base = fixtureUnder(loaded(demoLike()));
    return {
      ...base,
      baseline: { ...base.baseline, ok: false, missing: false, entries, error: new Error("x") },
    };
  };

  it("passes an intact runpack", async () => {
    const result = await grade(schemaValidationGrader(validator), fixtureUnder(loaded(demoLike())));
    assert.equal(result.status, "pass");
    assert.deepEqual(result.reason_codes, []);
  });

  it("reports hash mismatches and missing files", async () => {
    const { entries } = built(demoLike());
    const tampered = entries
      .filter((e) => e.path !== "refs.json")
      .map((e) =>
        e.path === "results.jsonl" ? { path: e.path, data: Buffer.concat([e.data, Buffer.from("\n")]) } : e,
      );
    const result = await grade(schemaValidationGrader(validator), withEntries(tampered));
    assert.equal(result.status, "fail");
    assert.deepEqual([...result.reason_codes].sort(), ["hash_mismatch", "missing_files"]);
    assert.deepEqual(result.details?.missing_files, ["refs.json"]);
    assert.deepEqual(result.details?.hash_mismatches, ["results.jsonl"]);
  });

  it("reports documents that break their schema even when the hashes agree", async () => {
    const { entries } = built(demoLike());
    const results = entries.find((e) => e.path === "results.jsonl")!.data.toString("utf8");
    const bad = results.replace('"status":"ok"', '"status":"maybe"');
    const result = await grade(
      schemaValidationGrader(validator),
      withEntries(resealed(entries, "results.jsonl", bad)),
    );
    assert.deepEqual(result.reason_codes, ["result_schema_invalid"]);
    assert.match(
      String((result.details?.schema_errors as string[] | undefined)?.[0]),
      /results\.jsonl line 1/,
    );
  });

  it("reports unparsable documents and a missing manifest", async () => {
    const { entries } = built(demoLike());
    const parse = await grade(
      schemaValidationGrader(validator),
      withEntries(resealed(entries, "run.json", "{not json")),
    );
    assert.deepEqual(parse.reason_codes, ["runpack_parse_error"]);
    const noManifest = await grade(
      schemaValidationGrader(validator),
      withEntries(entries.filter((e) => e.path !== "manifest.json")),
    );
    assert.ok(noManifest.reason_codes.includes("missing_files"));
  });
});

describe("expected_exit_code", () => {
  it("passes when the stub replay exits as recorded and fails otherwise", async () => {
    const complete = loaded(demoLike());
    assert.equal((await grade(expectedExitCodeGrader, fixtureUnder(complete))).status, "pass");
    const missing = loaded(
      runInput("run_missing", [{ tool: "tool.search" }, { tool: "tool.think", status: null }]),
    );
    const result = await grade(expectedExitCodeGrader, fixtureUnder(complete, { candidate: missing }));
    assert.equal(result.status, "fail");
    assert.deepEqual(result.reason_codes, ["unexpected_exit_code"]);
    assert.equal(result.details?.actual_exit_code, 2);
    assert.deepEqual(result.details?.missing_results, ["intent_2"]);
  });
});

describe("trajectory", () => {
  const base = loaded(demoLike());

  it("matches the recorded sequences, or is not required without them", async () => {
    assert.deepEqual((await grade(trajectoryGrader, fixtureUnder(base))).reason_codes, ["trajectory_match"]);
    const bare = fixtureUnder(base);
    delete bare.fixture.expected_tool_sequence;
    delete bare.fixture.expected_verdict_sequence;
    assert.deepEqual((await grade(trajectoryGrader, bare)).reason_codes, ["trajectory_not_required"]);
  });

  it("fails a different tool order with the first mismatch index", async () => {
    const result = await grade(trajectoryGrader, fixtureUnder(base, { candidate: loaded(swappedTools()) }));
    assert.equal(result.status, "fail");
    assert.deepEqual(result.reason_codes, ["unexpected_tool_sequence"]);
    assert.equal(result.details?.tool_sequence_first_mismatch, 0);
    assert.equal(result.details?.expected_tool, "tool.search");
    assert.equal(result.details?.actual_tool, "tool.fetch");
  });

  it("fails a changed verdict and a shorter run at the first missing step", async () => {
    const blocked = loaded(
      runInput("run_b", [{ tool: "tool.search" }, { tool: "tool.fetch", status: "error" }]),
    );
    const result = await grade(trajectoryGrader, fixtureUnder(base, { candidate: blocked }));
    assert.deepEqual(result.reason_codes, ["unexpected_tool_sequence", "unexpected_verdict_sequence"]);
    assert.equal(result.details?.tool_sequence_first_mismatch, 2);
    assert.equal(result.details?.actual_tool, null);
    assert.equal(result.details?.verdict_sequence_first_mismatch, 1);
  });

  it("names a candidate that is missing or invalid", async () => {
    const missing: RunpackLoad = {
      ok: false,
      path: "/x.zip",
      display: "/x.zip",
      missing: true,
      error: new Error("no"),
    };
    const invalid: RunpackLoad = { ...missing, missing: false };
    assert.deepEqual(
      (await grade(trajectoryGrader, fixtureUnder(base, { candidate: missing }))).reason_codes,
      ["candidate_path_invalid"],
    );
    assert.deepEqual(
      (await grade(trajectoryGrader, fixtureUnder(base, { candidate: invalid }))).reason_codes,
      ["candidate_runpack_invalid"],
    );
  });
});

describe("diff", () => {
  const base = loaded(demoLike());

  it("passes without a candidate and when only run ids differ", async () => {
    assert.equal((await grade(diffGrader, fixtureUnder(base))).status, "pass");
    const same = await grade(diffGrader, fixtureUnder(base, { candidate: loaded(demoLike("run_other")) }));
    assert.equal(same.status, "pass");
    assert.deepEqual(same.details?.changed_files, []);
  });

  it("fails a changed result, listing the changed files that are not allow-listed", async () => {
    const result = await grade(diffGrader, fixtureUnder(base, { candidate: loaded(changedResult()) }));
    assert.equal(result.status, "fail");
    assert.deepEqual(result.reason_codes, ["unexpected_diff"]);
    assert.deepEqual(result.details?.unexpected_changed_files, ["results.jsonl"]);
    assert.deepEqual(result.details?.changed_results, ["intent_3"]);
  });

  it("passes changes that the fixture allow-lists", async () => {
    const under = fixtureUnder(base, {
      candidate: loaded(changedResult()),
      fixture: { diff_allow_changed_files: ["results.jsonl"] },
    });
    const result = await grade(diffGrader, under);
    assert.equal(result.status, "pass");
    assert.deepEqual(result.details?.changed_files, ["results.jsonl"]);
  });

  it("reports diff_error for an unusable candidate", async () => {
    const broken: RunpackLoad = {
      ok: false,
      path: "/x.zip",
      display: "x.zip",
      missing: false,
      error: new Error("bad"),
    };
    assert.deepEqual((await grade(diffGrader, fixtureUnder(base, { candidate: broken }))).reason_codes, [
      "diff_error",
    ]);
  });
});

describe("context_conformance", () => {
  const digest = "a".repeat(64);
  const withContext = (runId: string, setDigest?: string) =>
    loaded(
      runInput(runId, undefined, {
        refs: {
          receipts: [],
          ...(setDigest ? { context_set_digest: setDigest, context_evidence_mode: "required" } : {}),
        },
      }),
    );

  it("is not required unless the fixture or the run asks for it", async () => {
    const result = await grade(contextConformanceGrader, fixtureUnder(loaded(demoLike())));
    assert.deepEqual(result.reason_codes, ["context_conformance_not_required"]);
  });

  it("records context conformance from a runpack with a context digest and passes it", async () => {
    const base = withContext("run_ctx", digest);
    const under = fixtureUnder(base);
    assert.equal(under.fixture.context_conformance, "required");
    assert.equal(under.fixture.expected_context_set_digest, digest);
    const result = await grade(contextConformanceGrader, under);
    assert.deepEqual(result.reason_codes, ["context_conformance_pass"]);
    assert.equal(result.context_conformance, "none");
  });

  it("fails a candidate without context evidence or with another context set", async () => {
    const base = withContext("run_ctx", digest);
    const none = await grade(
      contextConformanceGrader,
      fixtureUnder(base, { candidate: withContext("run_none") }),
    );
    assert.deepEqual(none.reason_codes, ["context_evidence_missing"]);
    assert.equal(none.context_conformance, "missing");
    const other = await grade(
      contextConformanceGrader,
      fixtureUnder(base, { candidate: withContext("run_other", "b".repeat(64)) }),
    );
    assert.deepEqual([...other.reason_codes].sort(), [
      "context_semantic_drift",
      "context_set_digest_mismatch",
    ]);
    assert.equal(other.context_conformance, "semantic");
  });
});
