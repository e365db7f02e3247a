import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import {
  addFixture,
  assertFixtureName,
  emptyConfig,
  fixtureNameFor,
  initFixture,
  type RegressConfig,
  type RegressFixture,
  upsertConfigFixture,
} from "../../src/regress/index.ts";
import { runpackZip } from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { built, changedResult, demoLike, record } from "./helpers.ts";

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const hasCode = (code: string) => (error: unknown) => error instanceof GaitError && error.code === code;

describe("fixture names", () => {
  it("sanitises run ids as the contract says", () => {
    assert.equal(fixtureNameFor("run_demo"), "run_demo");
    assert.equal(fixtureNameFor("Run Checkout/Loop!!"), "run-checkout-loop");
    assert.equal(fixtureNameFor("__x__"), "x");
    assert.equal(fixtureNameFor("run.v1-"), "run.v1");
  });

  it("rejects names that are not safe path segments", () => {
    for (const bad of ["", "-x", "a/b", "..", "A"]) {
      assert.throws(() => assertFixtureName(bad), hasCode("fixture_name_invalid"));
    }
  });
});

describe("upsertConfigFixture", () => {
  it("keeps fixtures sorted, the fixture set and every configured grader", () => {
    const judge = { kind: "command" as const, command: ["judge"] };
    let config: RegressConfig = { ...emptyConfig(), fixture_set: "nightly", graders: [judge] };
    config = upsertConfigFixture(config, { name: "b", run_id: "run_b", runpack: "fixtures/b/runpack.zip" });
    config = upsertConfigFixture(config, {
      name: "a",
      run_id: "run_a",
      runpack: "fixtures/a/runpack.zip",
      graders: [judge],
    });
    config = upsertConfigFixture(config, { name: "a", run_id: "run_a2", runpack: "fixtures/a/runpack.zip" });
    assert.deepEqual(
      config.fixtures.map((f) => [f.name, f.run_id, f.graders?.length ?? 0]),
      [
        ["a", "run_a2", 1],
        ["b", "run_b", 0],
      ],
    );
    assert.equal(config.fixture_set, "nightly");
    assert.deepEqual(config.graders, [judge]);
  });
});

describe("initFixture / addFixture", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir("gait-regress-fixtures-"));
  });
  afterEach(() => cleanup());

  it("copies the verified runpack, records what it did and lists it in gait.yaml", async () => {
    const source = await record(dir, demoLike("run_base"));
    const outcome = await initFixture({ from: "run_base", cwd: dir, env: {} });
    assert.equal(outcome.fixtureName, "run_base");
    assert.deepEqual(readFileSync(join(dir, "fixtures/run_base/runpack.zip")), readFileSync(source));
    const fixture = readJson<RegressFixture>(join(dir, "fixtures/run_base/fixture.json"));
    assert.deepEqual(fixture, {
      schema_id: "gait.regress.fixture",
      schema_version: "1.0.0",
      name: "run_base",
      run_id: "run_base",
      runpack: "runpack.zip",
      expected_replay_exit_code: 0,
      expected_tool_sequence: ["tool.search", "tool.fetch", "tool.summarize"],
      expected_verdict_sequence: ["allow", "allow", "allow"],
    });
    const text = readFileSync(join(dir, "gait.yaml"), "utf8");
    assert.ok(text.endsWith("}\n") && text.includes('\n  "fixtures": ['), "pretty JSON with 2-space indent");
    assert.deepEqual(readJson(join(dir, "gait.yaml")), {
      schema_id: "gait.regress.config",
      schema_version: "1.0.0",
      fixture_set: "default",
      fixtures: [{ name: "run_base", run_id: "run_base", runpack: "fixtures/run_base/runpack.zip" }],
    });
  });

  it("add refuses an existing name; init replaces it and keeps the user's tuning", async () => {
    await record(dir, demoLike("run_base"));
    await record(dir, changedResult("run_changed"));
    await initFixture({ from: "run_base", cwd: dir, env: {} });
    await assert.rejects(addFixture({ from: "run_base", cwd: dir, env: {} }), hasCode("fixture_exists"));

    const fixturePath = join(dir, "fixtures/run_base/fixture.json");
    const tuned = { ...readJson<RegressFixture>(fixturePath), diff_allow_changed_files: ["run.json"] };
    writeFileSync(fixturePath, JSON.stringify(tuned));
    const replaced = await initFixture({ from: "run_changed", name: "run_base", cwd: dir, env: {} });
    assert.equal(replaced.replaced, true);
    const fixture = readJson<RegressFixture>(fixturePath);
    assert.equal(fixture.run_id, "run_changed");
    assert.deepEqual(fixture.diff_allow_changed_files, ["run.json"]);

    await addFixture({ from: "run_changed", cwd: dir, env: {} });
    const config = readJson<RegressConfig>(join(dir, "gait.yaml"));
    assert.deepEqual(
      config.fixtures.map((f) => f.name),
      ["run_base", "run_changed"],
    );
  });

  it("writes next to --config and accepts a path as the source", async () => {
    const source = await record(dir, demoLike("run_base"));
    const outcome = await initFixture({
      from: source,
      name: "base",
      config: "ci/gait.yaml",
      cwd: dir,
      env: {},
    });
    assert.equal(outcome.fixtureDir, join(dir, "ci/fixtures/base"));
    assert.equal(readJson<RegressConfig>(join(dir, "ci/gait.yaml")).fixtures[0]?.name, "base");
  });

  it("refuses a runpack that fails verification, writing nothing", async () => {
    const tampered = built(demoLike("run_base")).entries.map((e) =>
      e.path === "results.jsonl" ? { path: e.path, data: Buffer.concat([e.data, Buffer.from("\n")]) } : e,
    );
    writeFileSync(join(dir, "bad.zip"), await runpackZip(tampered));
    await assert.rejects(initFixture({ from: "bad.zip", cwd: dir, env: {} }), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.code, "runpack_verify_failed");
      assert.equal(error.exitCode, 2);
      return true;
    });
    assert.throws(() => readFileSync(join(dir, "gait.yaml")));
  });

  it("reports an unknown run id with exit 6", async () => {
    await assert.rejects(initFixture({ from: "run_nope", cwd: dir, env: {} }), hasCode("runpack_not_found"));
  });
});
