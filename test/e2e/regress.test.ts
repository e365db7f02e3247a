/** The regress CLI end to end: demo → bootstrap → drifting candidates → exit 5, through the built binary. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { addFixture } from "../../src/regress/index.ts";
import { runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { childrenNamed, parseXml } from "../regress/xml.ts";

/** The demo's three calls as a `gait run record` input, optionally reordered or changed. */
function demoInput(
  runId: string,
  order = [0, 1, 2],
  summary = "A runpack is a signed zip of one agent run.",
) {
  const calls = [
    {
      tool: "tool.search",
      args: { query: "gait runpack verification" },
      result: { hits: 3, top: "docs/runpack.md" },
    },
    {
      tool: "tool.fetch",
      args: { url: "https://example.com/docs/runpack.md" },
      result: { status: 200, bytes: 4096 },
    },
    { tool: "tool.summarize", args: { max_words: 50, source: "docs/runpack.md" }, result: { summary } },
  ];
  const ordered = order.map((i) => calls[i]!);
  const at = "2026-02-05T00:00:00Z";
  return {
    run: {
      run_id: runId,
      created_at: at,
      // The demo's timeline, so that only the calls themselves differ from it.
      timeline: [
        { event: "run_started", ts: at },
        ...ordered.map((_, i) => ({ event: "tool_call", ts: at, ref: `intent_${i + 1}` })),
        { event: "run_finished", ts: at },
      ],
    },
    intents: ordered.map((c, i) => ({ intent_id: `intent_${i + 1}`, tool_name: c.tool, args: c.args })),
    results: ordered.map((c, i) => ({ intent_id: `intent_${i + 1}`, status: "ok", result: c.result })),
    refs: { receipts: [] },
  };
}

describe("gait regress (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  const gait = (...args: string[]) => runGait(args, { cwd: dir });

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-regress-"));
    assert.equal((await gait("demo")).code, 0);
    const boot = await gait("regress", "bootstrap", "--from", "run_demo", "--junit", "out/junit.xml");
    assert.equal(boot.code, 0, boot.stderr + boot.stdout);
    for (const [name, input] of [
      ["swapped", demoInput("run_swapped", [1, 0, 2])],
      ["changed", demoInput("run_changed", [0, 1, 2], "a different summary")],
    ] as const) {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(input));
      assert.equal((await gait("run", "record", "--input", `${name}.json`, "--json")).code, 0);
    }
  });
  after(() => cleanup());

  it("bootstraps the demo into a passing gate whose JUnit parses", () => {
    const doc = parseXml(readFileSync(join(dir, "out/junit.xml"), "utf8"));
    assert.equal(doc.name, "testsuites");
    assert.equal(doc.attributes.failures, "0");
    const suite = childrenNamed(doc, "testsuite")[0]!;
    assert.equal(suite.attributes.name, "gait.regress.default");
    assert.deepEqual(
      childrenNamed(suite, "testcase").map((c) => c.attributes.name),
      ["run_demo/diff", "run_demo/expected_exit_code", "run_demo/schema_validation", "run_demo/trajectory"],
    );
  });

  it("passes with the run JSON the contract names", async () => {
    const res = await gait("regress", "run", "--json");
    assert.equal(res.code, 0);
    const json = res.json!;
    for (const key of [
      "ok",
      "status",
      "fixture_set",
      "graders",
      "failed",
      "top_failure_reason",
      "next_command",
    ]) {
      assert.ok(key in json, `missing ${key}`);
    }
    assert.equal(json.ok, true);
    assert.equal(json.status, "pass");
    assert.equal(json.graders, 4);
    assert.equal(json.failed, 0);
    assert.deepEqual(json.artifact_paths, [json.output]);
    assert.equal(json.junit, "");
  });

  it("fails a candidate with another tool order: exit 5 naming fixture, trajectory and reason", async () => {
    const res = await gait("regress", "run", "--candidate", "run_swapped", "--json");
    assert.equal(res.code, 5);
    const json = res.json!;
    assert.equal(json.ok, false);
    assert.equal(json.status, "fail");
    assert.equal(json.top_failure_reason, "unexpected_tool_sequence");
    assert.deepEqual(json.top_failure, {
      name: "run_demo/trajectory",
      fixture: "run_demo",
      grader: "trajectory",
      reason_codes: ["unexpected_tool_sequence"],
      summary:
        "fixture run_demo failed grader trajectory: unexpected_tool_sequence (first tool mismatch at index 0: expected tool.search, got tool.fetch)",
    });
    const human = await gait("regress", "run", "--candidate", "run_swapped");
    assert.equal(human.code, 5);
    assert.match(human.stdout, /fixture run_demo failed grader trajectory: unexpected_tool_sequence/);
    assert.equal(human.stderr, "");
  });

  it("fails a candidate with a changed result: exit 5 naming fixture, diff and reason", async () => {
    const res = await gait("regress", "run", "--candidate", "./gait-out/runpack_run_changed.zip", "--json");
    assert.equal(res.code, 5);
    const json = res.json!;
    assert.equal(json.top_failure_reason, "unexpected_diff");
    assert.equal((json.top_failure as { grader: string }).grader, "diff");
    assert.match(
      String(json.summary),
      /fixture run_demo failed grader diff: unexpected_diff .*results\.jsonl/,
    );
    const result = JSON.parse(readFileSync(join(dir, "regress_result.json"), "utf8"));
    const diff = result.graders.find((g: { name: string }) => g.name === "run_demo/diff");
    assert.deepEqual(diff.details.unexpected_changed_files, ["results.jsonl"]);
  });

  it("writes a result that validates against the public schema", { skip: publicSchemasSkip }, async () => {
    await gait("regress", "run", "--candidate", "run_changed");
    assertPublicValid(JSON.parse(readFileSync(join(dir, "regress_result.json"), "utf8")), "regress result");
    await gait("regress", "run");
    assertPublicValid(JSON.parse(readFileSync(join(dir, "regress_result.json"), "utf8")), "regress result");
  });

  it("writes identical bytes when run twice", async () => {
    const files = () => [readFileSync(join(dir, "r.json")), readFileSync(join(dir, "j.xml"))];
    await gait("regress", "run", "--candidate", "run_swapped", "--output", "r.json", "--junit", "j.xml");
    const first = files();
    await gait("regress", "run", "--candidate", "run_swapped", "--output", "r.json", "--junit", "j.xml");
    assert.deepEqual(files(), first);
  });

  it("refuses a non-deterministic grader without the flag and pins it with the flag", async () => {
    const configPath = join(dir, "gait.yaml");
    const original = readFileSync(configPath, "utf8");
    const config = JSON.parse(original);
    config.graders = [
      {
        kind: "command",
        name: "judge",
        command: ["node", "-e", "process.exit(0)"],
        model: "judge-1",
        version: "7",
      },
    ];
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    try {
      const refused = await gait("regress", "run", "--json");
      assert.equal(refused.code, 6);
      assert.equal(refused.json?.error_code, "invalid_input");
      assert.equal(refused.json?.detail_code, "nondeterministic_grader_refused");
      assert.match(String(refused.json?.error), /judge/);

      const allowed = await gait("regress", "run", "--allow-nondeterministic", "--json");
      assert.equal(allowed.code, 0, allowed.stdout);
      const result = JSON.parse(readFileSync(join(dir, "regress_result.json"), "utf8"));
      const judge = result.graders.find((g: { name: string }) => g.name === "run_demo/judge");
      assert.equal(judge.status, "pass");
      assert.match(judge.details.pinning_digest, /^[0-9a-f]{64}$/);
      assert.equal(judge.details.pinning.model, "judge-1");
    } finally {
      writeFileSync(configPath, original);
    }
  });

  it("keeps progress off stdout in --json mode for many fixtures", async () => {
    const { dir: many, cleanup: done } = tempDir("gait-e2e-regress-many-");
    try {
      const run = (...args: string[]) => runGait(args, { cwd: many });
      assert.equal((await run("demo")).code, 0);
      assert.equal((await run("regress", "add", "--from", "run_demo", "--name", "demo-0")).code, 0);
      for (let i = 1; i < 26; i++)
        await addFixture({ from: "run_demo", name: `demo-${i}`, cwd: many, env: {} });
      const res = await run("regress", "run", "--json");
      assert.equal(res.code, 0);
      assert.equal(res.json?.graders, 26 * 4);
      assert.match(res.stderr, /regress: graded 25\/26 fixtures/);
      assert.equal(res.stdout.trim().split("\n").length, 1);
    } finally {
      done();
    }
  });

  it("rejects a usage mistake and a missing config with exit 6", async () => {
    assert.equal((await gait("regress", "init", "--json")).code, 6);
    const missing = await gait("regress", "run", "--config", "nope.yaml", "--json");
    assert.equal(missing.code, 6);
    assert.equal(missing.json?.error_code, "invalid_input");
    assert.equal(missing.json?.detail_code, "regress_config_missing");
  });
});
