/** `gait run reduce` through the built CLI: every predicate kind, the output zip and report, bad input, regress init on the result. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gaitBin, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { syntheticInput } from "../runpack/reduce-helpers.ts";

const POLICY = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: allow
rules:
  - name: block-bad
    priority: 10
    effect: block
    match:
      tool_names: [tool.bad]
    reason_codes: [bad_blocked]
`;

// Exit 0 ("still fails") while the candidate runpack has an intent of tool.bad.
const CHECK_SCRIPT = `import { execFileSync } from "node:child_process";
const out = execFileSync(process.execPath, [process.env.GAIT_BIN, "run", "inspect", process.argv.at(-1), "--json"]).toString();
process.exit(JSON.parse(out).entries.some((e) => e.tool_name === "tool.bad") ? 0 : 1);
`;

describe("gait run reduce (built CLI)", () => {
  const { dir, cleanup } = tempDir("gait-reduce-");
  const gait = (args: string[]) => runGait(args, { cwd: dir, env: { GAIT_BIN: gaitBin } });

  before(async () => {
    // 12 steps, step 4 fails (tool.bad, no result) and names ref_needed; step 9 has an error result.
    const input = syntheticInput(12, [4]) as ReturnType<typeof syntheticInput> & {
      results: Array<{ intent_id: string; status: string }>;
    };
    input.results = input.results.filter((r) => r.intent_id !== "s00004");
    input.results.find((r) => r.intent_id === "s00009")!.status = "error";
    writeFileSync(join(dir, "run.json"), JSON.stringify(input));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    writeFileSync(join(dir, "check.mjs"), CHECK_SCRIPT);
    const recorded = await gait(["run", "record", "run.json", "--json"]);
    assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
  });
  after(cleanup);

  it("missing_result: writes the reduced runpack and the report, which verify and still fail", async () => {
    const r = await gait([
      "run",
      "reduce",
      "--from",
      "run_synthetic",
      "--predicate",
      "missing_result",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.json!;
    assert.equal(out.reduced_run_id, "run_synthetic_reduced_missingresult");
    assert.equal(out.path, "./gait-out/runpack_run_synthetic_reduced_missingresult.zip");
    assert.deepEqual(out.kept_intent_ids, ["s00004"]);
    assert.equal(out.selected_intent_id, "s00004");
    assert.deepEqual(out.kept_ref_ids, ["ref_needed"]);
    assert.equal(out.reduced_result_count, 0);
    assert.equal(out.still_failing, true);
    assert.equal(out.deterministic, true);
    assert.equal(out.max_evaluations_reached, false);
    assert.ok((out.evaluations as number) <= (out.evaluation_bound as number));
    assert.equal(r.stderr, "", "no progress when stderr is not a terminal");
    const report = JSON.parse(readFileSync(join(dir, `${out.path as string}.reduce_report.json`), "utf8"));
    assert.equal(report.schema_id, "gait.runpack.reduce_report");
    assertPublishedValid(report, "runpack/reduce_report.schema.json", "the reduce report");
    assert.equal(report.manifest_digest, out.manifest_digest);
    const verified = await gait(["verify", out.path as string, "--json"]);
    assert.equal(verified.code, 0, verified.stdout);

    // Same input, same output bytes.
    const first = readFileSync(join(dir, out.path as string));
    const again = await gait(["run", "reduce", "run_synthetic", "--predicate", "missing_result", "--json"]);
    assert.equal(again.code, 0);
    assert.deepEqual(readFileSync(join(dir, out.path as string)), first);

    // The reduced runpack becomes a regress fixture.
    const init = await gait(["regress", "init", "--from", out.path as string, "--json"]);
    assert.equal(init.code, 0, init.stdout + init.stderr);
    assert.equal(init.json!.fixture_name, "run_synthetic_reduced_missingresult");
    const run = await gait(["regress", "run", "--json"]);
    assert.equal(run.code, 0, run.stdout);
  });

  it("non_ok_status keeps the failing step with its result; --out and --report-out are honoured", async () => {
    const r = await gait([
      "run",
      "reduce",
      "run_synthetic",
      "--predicate",
      "non_ok_status",
      "--out",
      "small.zip",
      "--report-out",
      "reduce.json",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json!.kept_intent_ids, ["s00009"]);
    assert.equal(r.json!.reduced_result_count, 1);
    assert.equal(r.json!.path, "./small.zip");
    assert.equal(JSON.parse(readFileSync(join(dir, "reduce.json"), "utf8")).predicate, "non_ok_status");
  });

  it("verdict:block replays the gate's policy on each candidate", async () => {
    const r = await gait([
      "run",
      "reduce",
      "run_synthetic",
      "--predicate",
      "verdict:block",
      "--policy",
      "policy.yaml",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json!.kept_intent_ids, ["s00004"]);
    assert.equal(r.json!.reduced_run_id, "run_synthetic_reduced_verdict-block");
  });

  it("command: runs a user program on each candidate, marked non-deterministic", async () => {
    const r = await gait([
      "run",
      "reduce",
      "run_synthetic",
      "--predicate",
      "command:node check.mjs",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json!.kept_intent_ids, ["s00004"]);
    assert.equal(r.json!.deterministic, false);
    assert.match(r.json!.reduced_run_id as string, /^run_synthetic_reduced_command-[0-9a-f]{8}$/);
  });

  it("regress:<fixture>/<grader> reduces while the grader fails on the candidate", async () => {
    // The fixture from the missing_result test pins the tool sequence [tool.bad]: every other run fails it.
    const r = await gait([
      "run",
      "reduce",
      "run_synthetic",
      "--predicate",
      "regress:run_synthetic_reduced_missingresult/trajectory",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json!.reduced_intent_count, 0, "the empty run already fails the trajectory grader");
    const unknown = await gait(["run", "reduce", "run_synthetic", "--predicate", "regress:nope", "--json"]);
    assert.equal(unknown.code, 6);
    assert.equal(unknown.json!.detail_code, "reduce_regress_fixture_unknown");
  });

  it("--max-evaluations returns the best result so far and says so", async () => {
    const r = await gait([
      "run",
      "reduce",
      "run_synthetic",
      "--predicate",
      "missing_result",
      "--max-evaluations",
      "3",
      "--out",
      "partial.zip",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json!.max_evaluations_reached, true);
    assert.equal(r.json!.minimal, false);
    assert.equal(r.json!.evaluations, 3);
    assert.ok((r.json!.kept_intent_ids as string[]).includes("s00004"));
  });

  for (const [name, args, code] of [
    ["an unknown predicate", ["--predicate", "flaky"], "reduce_predicate_invalid"],
    ["verdict without --policy", ["--predicate", "verdict:block"], "reduce_policy_required"],
    ["a bad --max-evaluations", ["--max-evaluations", "zero"], "reduce_max_evaluations_invalid"],
    [
      "a predicate the run does not show",
      ["--predicate", "verdict:require_approval", "--policy", "policy.yaml"],
      "reduce_predicate_not_failing",
    ],
  ] as const) {
    it(`refuses ${name} with exit 6 and a hint`, async () => {
      const r = await gait(["run", "reduce", "run_synthetic", ...args, "--json"]);
      assert.equal(r.code, 6, r.stdout);
      assert.equal(r.json!.detail_code, code);
      assert.ok(typeof r.json!.hint === "string" && r.json!.hint.length > 0);
    });
  }

  it("refuses a missing run with exit 6 and a hint", async () => {
    const r = await gait(["run", "reduce", "run_missing", "--json"]);
    assert.equal(r.code, 6);
    assert.equal(r.json!.detail_code, "runpack_not_found");
    assert.ok(r.json!.hint);
  });

  it("has --help", async () => {
    const r = await gait(["run", "reduce", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--max-evaluations/);
  });
});
