import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import {
  addFixture,
  fail,
  type Grader,
  initFixture,
  pass,
  type RegressConfig,
  type RegressResult,
  runRegress,
} from "../../src/regress/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { changedResult, demoLike, record, runInput, swappedTools } from "./helpers.ts";
import { parseXml } from "./xml.ts";

const hasCode = (code: string) => (error: unknown) => error instanceof GaitError && error.code === code;

describe("runRegress", () => {
  let dir: string;
  let cleanup: () => void;
  const run = (extra: Partial<Parameters<typeof runRegress>[0]> = {}) =>
    runRegress({ cwd: dir, env: {}, ...extra });
  const resultFile = () =>
    JSON.parse(readFileSync(join(dir, "regress_result.json"), "utf8")) as RegressResult;
  const editConfig = (edit: (config: RegressConfig) => void) => {
    const path = join(dir, "gait.yaml");
    const config = JSON.parse(readFileSync(path, "utf8")) as RegressConfig;
    edit(config);
    writeFileSync(path, JSON.stringify(config));
  };

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir("gait-regress-run-"));
    await record(dir, demoLike("run_base"));
    await initFixture({ from: "run_base", cwd: dir, env: {} });
  });
  afterEach(() => cleanup());

  it("passes a fixture against its own runpack and writes the result and JUnit", async () => {
    const outcome = await run({ junit: "out/junit.xml" });
    assert.equal(outcome.result.status, "pass");
    assert.deepEqual(
      outcome.result.graders.map((g) => g.name),
      ["run_base/diff", "run_base/expected_exit_code", "run_base/schema_validation", "run_base/trajectory"],
    );
    assert.equal(outcome.result.created_at, "2026-02-05T00:00:00Z");
    for (const grader of outcome.result.graders) {
      assert.equal(grader.details?.fixture, "run_base");
      assert.equal(grader.details?.run_id, "run_base");
    }
    assert.deepEqual(resultFile(), outcome.result);
    assert.ok(readFileSync(join(dir, "regress_result.json"), "utf8").endsWith("}\n"));
    assert.equal(parseXml(readFileSync(join(dir, "out/junit.xml"), "utf8")).attributes.tests, "4");
  });

  it("writes identical bytes when run twice", async () => {
    await record(dir, swappedTools());
    await run({ candidate: "run_swapped", junit: "junit.xml" });
    const first = [readFileSync(join(dir, "regress_result.json")), readFileSync(join(dir, "junit.xml"))];
    await run({ candidate: "run_swapped", junit: "junit.xml" });
    assert.deepEqual(
      [readFileSync(join(dir, "regress_result.json")), readFileSync(join(dir, "junit.xml"))],
      first,
    );
  });

  it("emits results that validate against the public v1 schema", { skip: publicSchemasSkip }, async () => {
    await run();
    assertPublicValid(resultFile(), "passing regress result");
    await record(dir, changedResult());
    await run({ candidate: "run_changed" });
    assertPublicValid(resultFile(), "failing regress result");
  });

  it("fails a candidate with another tool order in trajectory first, then diff", async () => {
    await record(dir, swappedTools());
    const outcome = await run({ candidate: "run_swapped" });
    assert.equal(outcome.result.status, "fail");
    assert.deepEqual(
      outcome.failures.map((f) => [f.fixture, f.grader, f.reason_codes]),
      [
        ["run_base", "trajectory", ["unexpected_tool_sequence"]],
        ["run_base", "diff", ["unexpected_diff"]],
      ],
    );
    assert.match(
      outcome.failures[0]!.summary,
      /fixture run_base failed grader trajectory: unexpected_tool_sequence/,
    );
    assert.match(outcome.failures[0]!.summary, /index 0: expected tool\.search, got tool\.fetch/);
    assert.equal(outcome.candidatePath, join(dir, "gait-out", "runpack_run_swapped.zip"));
  });

  it("uses a fixture's own candidate_runpack, relative to the fixture", async () => {
    await record(dir, changedResult());
    const fixturePath = join(dir, "fixtures/run_base/fixture.json");
    const fixture = JSON.parse(readFileSync(fixturePath, "utf8"));
    writeFileSync(
      fixturePath,
      JSON.stringify({ ...fixture, candidate_runpack: "../../gait-out/runpack_run_changed.zip" }),
    );
    const outcome = await run();
    assert.deepEqual(
      outcome.failures.map((f) => f.name),
      ["run_base/diff"],
    );
    const diff = outcome.result.graders.find((g) => g.name === "run_base/diff")!;
    assert.equal(diff.details?.candidate_runpack, "./gait-out/runpack_run_changed.zip");
  });

  it("runs in-process plugin graders and turns their exceptions into grader_error", async () => {
    const seen: string[] = [];
    const plugin: Grader = {
      name: "tool-count",
      deterministic: true,
      grade: (fixture) => {
        seen.push(fixture.name);
        return fixture.baseline.ok && fixture.baseline.runpack.intents.length === 3
          ? pass(["three_tools"])
          : fail(["wrong_count"]);
      },
    };
    const broken: Grader = {
      name: "broken",
      deterministic: true,
      grade: () => {
        throw new Error("boom");
      },
    };
    const outcome = await run({ graders: [plugin, broken] });
    assert.deepEqual(seen, ["run_base"]);
    const byName = Object.fromEntries(outcome.result.graders.map((g) => [g.name, g]));
    assert.deepEqual(byName["run_base/tool-count"]?.reason_codes, ["three_tools"]);
    assert.deepEqual(byName["run_base/broken"]?.reason_codes, ["grader_error"]);
    assert.equal(byName["run_base/broken"]?.details?.error, "boom");
  });

  it("refuses non-deterministic graders without the flag, and pins them with it", async () => {
    const pinning = { model: "judge-1", version: "2026-01", parameters: { temperature: 0 } };
    const judge: Grader = {
      name: "judge",
      deterministic: false,
      pinning: () => pinning,
      grade: () => pass(),
    };
    await assert.rejects(run({ graders: [judge] }), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.code, "nondeterministic_grader_refused");
      assert.equal(error.exitCode, 6);
      assert.match(error.message, /judge/);
      return true;
    });
    const outcome = await run({ graders: [judge], allowNondeterministic: true });
    const entry = outcome.result.graders.find((g) => g.name === "run_base/judge")!;
    assert.equal(entry.details?.pinning_digest, digestJcs(pinning));
    assert.deepEqual(entry.details?.pinning, pinning);
    assert.equal(entry.details?.deterministic, false);
  });

  it("refuses a non-deterministic grader that declares no pinning", async () => {
    const unpinned: Grader = { name: "vibes", deterministic: false, grade: () => pass() };
    await assert.rejects(
      run({ graders: [unpinned], allowNondeterministic: true }),
      hasCode("grader_pinning_missing"),
    );
  });

  describe("command grader", () => {
    const configure = (grader: Record<string, unknown>) =>
      editConfig((config) => {
        config.graders = [{ kind: "command", ...grader } as never];
      });

    it("passes on exit 0 and sees the fixture in its environment", async () => {
      configure({ command: ["sh", "-c", 'echo "$GAIT_REGRESS_FIXTURE $GAIT_REGRESS_RUN_ID"'], model: "m" });
      await assert.rejects(run(), hasCode("nondeterministic_grader_refused"));
      const outcome = await run({ allowNondeterministic: true });
      const entry = outcome.result.graders.find((g) => g.name === "run_base/command")!;
      assert.equal(entry.status, "pass");
      assert.equal(entry.details?.stdout, "run_base run_base\n");
      assert.equal((entry.details?.pinning as { model?: string } | undefined)?.model, "m");
      assert.match(String(entry.details?.pinning_digest), /^[0-9a-f]{64}$/);
    });

    it("fails on a non-zero exit, caps output and is named in the failure", async () => {
      configure({
        name: "judge",
        command: ["sh", "-c", "printf 'x%.0s' $(seq 100); exit 3"],
        max_output_bytes: 10,
      });
      const outcome = await run({ allowNondeterministic: true });
      assert.deepEqual(
        outcome.failures.map((f) => [f.grader, f.reason_codes]),
        [["judge", ["command_failed"]]],
      );
      const entry = outcome.result.graders.find((g) => g.name === "run_base/judge")!;
      assert.equal(entry.details?.exit_code, 3);
      assert.equal(entry.details?.stdout, "xxxxxxxxxx");
      assert.equal(entry.details?.truncated, true);
    });

    it("kills a command that runs past its timeout", async () => {
      configure({ command: ["sh", "-c", "sleep 30"], timeout_ms: 200 });
      const outcome = await run({ allowNondeterministic: true });
      assert.deepEqual(outcome.failures[0]?.reason_codes, ["command_timeout"]);
    });

    it("reports a command that cannot start as grader_error", async () => {
      configure({ command: ["/nonexistent/judge"] });
      const outcome = await run({ allowNondeterministic: true });
      assert.deepEqual(outcome.failures[0]?.reason_codes, ["grader_error"]);
    });

    it("can be configured for one fixture only", async () => {
      await record(dir, changedResult("run_other"));
      await addFixture({ from: "run_other", cwd: dir, env: {} });
      editConfig((config) => {
        config.fixtures[1]!.graders = [{ kind: "command", command: ["true"] }];
      });
      const outcome = await run({ allowNondeterministic: true });
      assert.deepEqual(
        outcome.result.graders.filter((g) => g.name.endsWith("/command")).map((g) => g.name),
        ["run_other/command"],
      );
    });
  });

  it("reports progress for long runs", async () => {
    for (let i = 0; i < 25; i++) await addFixture({ from: "run_base", name: `copy-${i}`, cwd: dir, env: {} });
    const messages: string[] = [];
    const outcome = await run({ onProgress: (m) => messages.push(m) });
    assert.equal(outcome.fixtures, 26);
    assert.ok(messages.includes("regress: graded 25/26 fixtures"), messages.join("\n"));
    for (const message of messages) assert.match(message, /^regress: graded \d+\/26 fixtures$/);
  });

  it("falls back to 1980-01-01 when no fixture runpack loads, and fails its schema validation", async () => {
    rmSync(join(dir, "fixtures/run_base/runpack.zip"));
    const outcome = await run();
    assert.equal(outcome.result.created_at, "1980-01-01T00:00:00Z");
    assert.deepEqual(outcome.failures[0]?.reason_codes, ["missing_files"]);
  });

  it("rejects a missing, empty or invalid config with exit 6", async () => {
    await assert.rejects(run({ config: "other.yaml" }), hasCode("regress_config_missing"));
    editConfig((config) => {
      config.fixtures = [];
    });
    await assert.rejects(run(), hasCode("regress_no_fixtures"));
    writeFileSync(join(dir, "gait.yaml"), '{"schema_id":"gait.regress.config"}');
    await assert.rejects(run(), hasCode("regress_config_invalid"));
    writeFileSync(join(dir, "gait.yaml"), "fixtures: []");
    await assert.rejects(run(), hasCode("regress_config_invalid"));
  });

  it("rejects a fixture listed in gait.yaml without its fixture.json", async () => {
    rmSync(join(dir, "fixtures/run_base/fixture.json"));
    await assert.rejects(run(), hasCode("regress_fixture_missing"));
  });

  it("reads fixtures ahead, yet each fixture gets its own runpack and errors come in config order", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `copy-${String(i).padStart(2, "0")}`);
    for (const name of names) await addFixture({ from: "run_base", name, cwd: dir, env: {} });
    rmSync(join(dir, "fixtures/copy-07/runpack.zip"));
    const outcome = await run();
    assert.equal(outcome.fixtures, 21);
    assert.deepEqual(Object.keys(outcome.runpackPaths), [...names, "run_base"]);
    for (const [name, path] of Object.entries(outcome.runpackPaths)) {
      assert.equal(path, join(dir, "fixtures", name, "runpack.zip"));
    }
    assert.deepEqual([...new Set(outcome.failures.map((f) => f.fixture))], ["copy-07"]);
    // The later fixture fails at once (no file), the earlier only once read: the earlier is reported.
    writeFileSync(join(dir, "fixtures/copy-02/fixture.json"), "{");
    rmSync(join(dir, "fixtures/copy-03/fixture.json"));
    await assert.rejects(
      run(),
      (error) => hasCode("regress_fixture_invalid")(error) && /copy-02/.test(String(error)),
    );
  });

  it("grades a run whose stub replay exits 2 when that is what was recorded", async () => {
    await record(
      dir,
      runInput("run_partial", [{ tool: "tool.search" }, { tool: "tool.think", status: null }]),
    );
    await initFixture({ from: "run_partial", cwd: dir, env: {} });
    const outcome = await run();
    assert.equal(outcome.result.status, "pass");
    const entry = outcome.result.graders.find((g) => g.name === "run_partial/expected_exit_code")!;
    assert.equal(entry.details?.actual_exit_code, 2);
  });
});
