/**
 * Reference parity vectors (issue 13, items 3 and 6), as literals:
 * - the runpack the reference *library* writes for a fixed input (no `context_evidence_mode`),
 *   which the SDK recorder must reproduce byte for byte, and the form the reference *CLI* writes
 *   (`gait run record` defaults the mode to best_effort, CONTRACTS.md §3.2), which differs from it
 *   by exactly that one refs field;
 * - the JUnit test case names and class names of a regress run (CONTRACTS.md §6.2);
 * - the permission bits of regress_result.json (0600, like every artifact the reference writes).
 *
 * The expected digests were computed from the hand-written JCS documents below with nothing but
 * sha256, so they do not depend on our canonicalizer.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fixedClock } from "../../src/contract/time.ts";
import { initFixture, runRegress } from "../../src/regress/index.ts";
import { readRunpack, recordRunpack, runDemo } from "../../src/runpack/index.ts";
import { startRun } from "../../src/sdk/index.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

const T = "2026-02-05T00:00:00Z";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The five documents of the reference library's runpack for the fixed input, as JCS text. */
const ARGS_DIGEST = "37cbe3edf6717b043d9c10ec9ca12769ae1fd1b12c5585db0dfb344b71adfd51"; // {"limit":3,"q":"gait"}
const RESULT_DIGEST = "909b256f2bb9da081d9bcf48656ba8a0fcdd873e0e497614c93b52008efccad3"; // {"hits":2}
const RUN_JSON = `{"created_at":"${T}","env":{"arch":"amd64","os":"linux","runtime":"go"},"producer_version":"0.0.0-dev","run_id":"run_parity","schema_id":"gait.runpack.run","schema_version":"1.0.0","timeline":[{"event":"run_started","ts":"${T}"}]}`;
const INTENTS_JSONL = `{"args_digest":"${ARGS_DIGEST}","created_at":"${T}","intent_id":"intent_1","producer_version":"0.0.0-dev","run_id":"run_parity","schema_id":"gait.runpack.intent","schema_version":"1.0.0","tool_name":"tool.search"}\n`;
const RESULTS_JSONL = `{"created_at":"${T}","intent_id":"intent_1","producer_version":"0.0.0-dev","result_digest":"${RESULT_DIGEST}","run_id":"run_parity","schema_id":"gait.runpack.result","schema_version":"1.0.0","status":"ok"}\n`;
const REFS_LIBRARY = `{"created_at":"${T}","producer_version":"0.0.0-dev","receipts":[],"run_id":"run_parity","schema_id":"gait.runpack.refs","schema_version":"1.0.0"}`;
const REFS_CLI = `{"context_evidence_mode":"best_effort","created_at":"${T}","producer_version":"0.0.0-dev","receipts":[],"run_id":"run_parity","schema_id":"gait.runpack.refs","schema_version":"1.0.0"}`;

/** Manifest digests (manifest with manifest_digest "" and no signatures). */
const LIBRARY_MANIFEST_DIGEST = "b780b6ebf9eec979dbb069e851825455a6c698b0f82c161be2e16be499d29ac4";
const CLI_MANIFEST_DIGEST = "bfc2e35ba5466983ba8b6c0ade479b6a8d94af3d32e0c2f150712a30f245dc91";

function manifestDigestFor(refs: string): string {
  const files = [
    ["intents.jsonl", INTENTS_JSONL],
    ["refs.json", refs],
    ["results.jsonl", RESULTS_JSONL],
    ["run.json", RUN_JSON],
  ]
    .map(([path, text]) => `{"path":"${path}","sha256":"${sha256(text!)}"}`)
    .join(",");
  return sha256(
    `{"capture_mode":"reference","created_at":"${T}","files":[${files}],"manifest_digest":"","producer_version":"0.0.0-dev","run_id":"run_parity","schema_id":"gait.runpack.manifest","schema_version":"1.0.0"}`,
  );
}

function parityRun(cwd: string) {
  return startRun({
    runId: "run_parity",
    createdAt: T,
    producerVersion: "0.0.0-dev",
    environment: { os: "linux", arch: "amd64", runtime: "go" },
    cwd,
    env: {},
    clock: fixedClock("2030-01-01T00:00:00Z"),
  })
    .addEvent("run_started", { ts: T })
    .addIntent({ intent_id: "intent_1", tool_name: "tool.search", args: { q: "gait", limit: 3 } })
    .addResult({ intent_id: "intent_1", status: "ok", result: { hits: 2 } });
}

async function entries(path: string): Promise<Record<string, string>> {
  const { entries: files } = await readRunpack(path);
  return Object.fromEntries(files.map((e) => [e.path, e.data.toString("utf8")]));
}

describe("parity vectors: the reference library's runpack (item 3)", () => {
  it("the literals are self-consistent", () => {
    assert.equal(sha256('{"limit":3,"q":"gait"}'), ARGS_DIGEST);
    assert.equal(sha256('{"hits":2}'), RESULT_DIGEST);
    assert.equal(manifestDigestFor(REFS_LIBRARY), LIBRARY_MANIFEST_DIGEST);
    assert.equal(manifestDigestFor(REFS_CLI), CLI_MANIFEST_DIGEST);
  });

  it("startRun() writes the reference library's bytes: no context_evidence_mode, its manifest digest", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const finished = await parityRun(dir).finish();
      assert.equal(finished.manifestDigest, LIBRARY_MANIFEST_DIGEST);
      const files = await entries(finished.path);
      assert.equal(files["run.json"], RUN_JSON);
      assert.equal(files["intents.jsonl"], INTENTS_JSONL);
      assert.equal(files["results.jsonl"], RESULTS_JSONL);
      assert.equal(files["refs.json"], REFS_LIBRARY);
      assert.equal(JSON.parse(files["manifest.json"]!).manifest_digest, LIBRARY_MANIFEST_DIGEST);
    } finally {
      cleanup();
    }
  });

  it("the CLI form (best_effort) has the CLI digest and differs by exactly that refs field", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const input = parityRun(dir).toInput();
      const cli = await recordRunpack(JSON.parse(JSON.stringify(input)), {
        cwd: dir,
        env: {},
        clock: fixedClock("2030-01-01T00:00:00Z"),
        contextEvidenceMode: "best_effort",
      });
      assert.equal(cli.manifestDigest, CLI_MANIFEST_DIGEST);
      const files = await entries(cli.path);
      assert.equal(files["refs.json"], REFS_CLI);
      const { context_evidence_mode, ...rest } = JSON.parse(REFS_CLI);
      assert.equal(context_evidence_mode, "best_effort");
      assert.deepEqual(rest, JSON.parse(REFS_LIBRARY));
      for (const name of ["run.json", "intents.jsonl", "results.jsonl"]) {
        assert.equal(
          files[name],
          { "run.json": RUN_JSON, "intents.jsonl": INTENTS_JSONL, "results.jsonl": RESULTS_JSONL }[name],
        );
      }
    } finally {
      cleanup();
    }
  });

  it("gait run record (built CLI) writes the CLI form; --context-evidence-mode still overrides", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const input = JSON.stringify(parityRun(dir).toInput());
      const recorded = await runGait(["run", "record", "-", "--json"], { cwd: dir, input });
      assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
      assert.equal(recorded.json?.manifest_digest, CLI_MANIFEST_DIGEST);
    } finally {
      cleanup();
    }
  });
});

describe("parity vectors: regress result and JUnit (item 6)", () => {
  it("regress_result.json is mode 0600; JUnit names are <fixture>/<grader>, classnames the fixture", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await runDemo({ cwd: dir, env: {} });
      await initFixture({ from: "run_demo", cwd: dir, env: {} });
      const run = await runRegress({ cwd: dir, env: {}, junit: "junit.xml" });
      assert.equal(run.result.status, "pass");
      if (process.platform !== "win32") {
        assert.equal(statSync(join(dir, "regress_result.json")).mode & 0o777, 0o600);
      }
      const junit = readFileSync(join(dir, "junit.xml"), "utf8");
      assert.deepEqual(
        junit.split("\n").filter((line) => line.includes("<testcase")),
        [
          '    <testcase name="run_demo/diff" classname="run_demo" time="0"></testcase>',
          '    <testcase name="run_demo/expected_exit_code" classname="run_demo" time="0"></testcase>',
          '    <testcase name="run_demo/schema_validation" classname="run_demo" time="0"></testcase>',
          '    <testcase name="run_demo/trajectory" classname="run_demo" time="0"></testcase>',
        ],
      );
      assert.match(junit, /<testsuite name="gait\.regress\.default" tests="4" failures="0"/);
    } finally {
      cleanup();
    }
  });
});
