/**
 * The shipped skills end to end, through the built CLI: each skill's documented command sequence
 * (its `gait-step` blocks, read from SKILL.md) runs in a temp project as an agent would run it,
 * and `gait skills validate|install|list` behave as docs/skills.md says.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { gaitShimDir, runStep, type SkillStep, skillSteps } from "./steps.ts";

const SKILLS = ["gait-capture-runpack", "gait-incident-to-regression", "gait-policy-test-rollout"];

/** A temp project with gait on PATH; `ran` collects the step ids run, to prove every step was. */
function project(skill: string) {
  const temp = tempDir(`gait-skill-${skill}-`);
  const env: Record<string, string> = {
    PATH: `${gaitShimDir(temp.dir)}:${process.env.PATH ?? ""}`,
    SKILL_DIR: join(repoRoot, "skills", skill),
  };
  const steps = new Map(skillSteps(skill).map((step) => [step.id, step] as const));
  const ran = new Set<string>();
  const step = (id: string, expectExit: number, errorEnvelope = false) => {
    const found = steps.get(id);
    assert.ok(found, `${skill} documents no step ${id}`);
    ran.add(id);
    return runStep(found as SkillStep, { cwd: temp.dir, env, expectExit, errorEnvelope });
  };
  return { dir: temp.dir, env, step, steps, ran, cleanup: temp.cleanup };
}

const example = (...parts: string[]) => join(repoRoot, "examples", ...parts);

describe("skill command sequences against the built CLI", () => {
  it("gait-capture-runpack: record, verify, stub replay", (t) => {
    const p = project("gait-capture-runpack");
    t.after(p.cleanup);
    copyFileSync(example("regress", "changed_run.json"), join(p.dir, "run.json"));
    p.env.RUN_RECORD = "run.json";

    const record = p.step("record", 0).json;
    assert.equal(record.ok, true);
    assert.equal(record.run_id, "run_new");
    assert.match(String(record.ticket_footer), /^GAIT run_id=run_new manifest=sha256:[0-9a-f]{64} verify=/);
    assert.ok(existsSync(join(p.dir, String(record.bundle))));

    const verify = p.step("verify", 0).json;
    assert.equal(verify.ok, true);
    assert.equal(verify.manifest_digest, record.manifest_digest);

    const replay = p.step("replay", 0).json;
    assert.equal(replay.mode, "stub");
    assert.deepEqual(replay.missing_results, []);

    // A damaged runpack: verify's documented exit 2.
    const bundle = join(p.dir, String(record.bundle));
    const bytes = readFileSync(bundle);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(bundle, bytes);
    assert.equal(p.step("verify", 2, true).json.ok, false);
    assert.deepEqual([...p.ran].sort(), [...p.steps.keys()].sort());
  });

  it("gait-incident-to-regression: fixture, pass, then exit 5 on a changed run", async (t) => {
    const p = project("gait-incident-to-regression");
    t.after(p.cleanup);
    assert.equal((await runGait(["demo"], { cwd: p.dir })).code, 0);
    p.env.INCIDENT_RUN = "./gait-out/runpack_run_demo.zip";

    assert.equal(p.step("verify", 0).json.ok, true);
    const add = p.step("add", 0).json;
    assert.equal(add.fixture_name, "run_demo");
    assert.ok(existsSync(join(p.dir, "gait.yaml")));
    // Adding it again: the documented refusal, by its detail code.
    assert.equal(p.step("add", 6, true).json.detail_code, "fixture_exists");

    const pass = p.step("run", 0).json;
    assert.equal(pass.status, "pass");
    assert.ok(existsSync(join(p.dir, "gait-out", "junit.xml")));

    // The same run as a candidate passes; a run that fetched before it searched does not.
    p.env.CANDIDATE_RUN = "./gait-out/runpack_run_demo.zip";
    assert.equal(p.step("candidate", 0).json.status, "pass");
    copyFileSync(example("regress", "changed_run.json"), join(p.dir, "changed_run.json"));
    assert.equal((await runGait(["run", "record", "changed_run.json"], { cwd: p.dir })).code, 0);
    p.env.CANDIDATE_RUN = "./gait-out/runpack_run_new.zip";
    const drift = p.step("candidate", 5).json;
    assert.equal(drift.status, "fail");
    assert.equal(drift.top_failure_reason, "unexpected_tool_sequence");
    assert.match(String(drift.next_command), /^gait run diff /);
    assert.deepEqual([...p.ran].sort(), [...p.steps.keys()].sort());
  });

  it("gait-policy-test-rollout: validate, test, simulate, report, observe", async (t) => {
    const p = project("gait-policy-test-rollout");
    t.after(p.cleanup);
    for (const [template, out] of [
      ["baseline-mediumrisk", "baseline.yaml"],
      ["baseline-highrisk", "candidate.yaml"],
    ] as const) {
      assert.equal((await runGait(["policy", "init", template, "--out", out], { cwd: p.dir })).code, 0);
    }
    copyFileSync(example("policy", "fixtures", "baseline-highrisk.jsonl"), join(p.dir, "fixtures.jsonl"));
    copyFileSync(example("policy", "intents", "delete.json"), join(p.dir, "delete.json"));
    Object.assign(p.env, {
      BASELINE: "baseline.yaml",
      CANDIDATE: "candidate.yaml",
      FIXTURES: "fixtures.jsonl",
      INTENT: "delete.json",
    });

    const validate = p.step("validate", 0).json;
    assert.match(String(validate.policy_digest), /^[0-9a-f]{64}$/);
    const test = p.step("test", 0).json;
    assert.equal(test.failed, 0);
    assert.equal(test.passed, test.total);
    // examples/policy: the high-risk template requires two approvers for this delete.
    assert.equal(p.step("test-intent", 4).json.verdict, "require_approval");

    const simulate = p.step("simulate", 0).json;
    assert.ok(["enforce", "observe", "require_approval"].includes(String(simulate.recommendation)));
    assert.equal((simulate.changed as unknown[]).length, simulate.changed_fixtures);

    const report = p.step("report", 0).json;
    assert.equal(report.ok, true);
    assert.equal(report.policy_digest, validate.policy_digest);
    const summary = report.simulate as Record<string, unknown>;
    assert.equal(summary.recommendation, simulate.recommendation);
    assert.equal(summary.changed_fixtures, simulate.changed_fixtures);
    const changed = simulate.changed as Array<{ fixture_path: string; candidate_verdict: string }>;
    assert.deepEqual(
      summary.new_blocks,
      changed.filter((c) => c.candidate_verdict === "block").map((c) => c.fixture_path),
    );

    const observe = p.step("observe", 0).json;
    assert.equal(observe.verdict, "allow");
    assert.equal(observe.simulated_verdict, "require_approval");

    // Fixtures whose expectations the candidate does not meet: exit 2 from the test and the report.
    copyFileSync(example("policy", "fixtures", "baseline-mediumrisk.jsonl"), join(p.dir, "fixtures.jsonl"));
    assert.ok(Number(p.step("test", 2).json.failed) > 0);
    const failing = p.step("report", 2).json;
    assert.equal(failing.ok, false);
    assert.ok(((failing.policy_test as { failing: unknown[] }).failing ?? []).length > 0);
    // A candidate that is not a policy: exit 6 from validate and from the report, naming the stage.
    writeFileSync(join(p.dir, "candidate.yaml"), "rules: [\n");
    p.step("validate", 6, true);
    assert.equal(p.step("report", 6, true).json.stage, "validate");
    assert.deepEqual([...p.ran].sort(), [...p.steps.keys()].sort());
  });
});

describe("gait skills", () => {
  let temp: ReturnType<typeof tempDir>;
  before(() => {
    temp = tempDir("gait-skills-cli-");
  });
  after(() => temp.cleanup());

  it("validate passes the shipped skills and fails a broken fixture skill with exit 2", async () => {
    const shipped = await runGait(["skills", "validate", "--json"]);
    assert.equal(shipped.code, 0, shipped.stdout);
    assert.deepEqual(
      (shipped.json!.skills as Array<{ name: string }>).map((s) => s.name),
      SKILLS,
    );
    const broken = await runGait(["skills", "validate", "test/skills/fixtures/broken", "--json"]);
    assert.equal(broken.code, 2, broken.stdout);
    assert.equal(broken.json!.ok, false);
    assert.equal(broken.json!.error_code, "skills_invalid");
    const missing = await runGait(["skills", "validate", "no/such/dir", "--json"]);
    assert.equal(missing.code, 6);
    assert.equal(missing.json!.detail_code, "skills_dir_missing");
  });

  it("install copies into the target's folder, list tells the states, an edited copy needs --force", async () => {
    const install = await runGait(["skills", "install", "--target", "claude", "--json"], { cwd: temp.dir });
    assert.equal(install.code, 0, install.stdout);
    assert.equal(install.json!.dir, "./.claude/skills");
    for (const name of SKILLS) assert.ok(existsSync(join(temp.dir, ".claude", "skills", name, "SKILL.md")));
    const installed = await runGait(["skills", "validate", ".claude/skills"], { cwd: temp.dir });
    assert.equal(installed.code, 0, installed.stdout);

    const skillMd = join(temp.dir, ".claude", "skills", SKILLS[0]!, "SKILL.md");
    writeFileSync(skillMd, `${readFileSync(skillMd, "utf8")}\nmy note\n`);
    const list = await runGait(["skills", "list", "--target", "claude", "--json"], { cwd: temp.dir });
    assert.deepEqual(
      (list.json!.skills as Array<{ state: string }>).map((s) => s.state),
      ["modified", "current", "current"],
    );
    const refused = await runGait(["skills", "install", "--target", "claude", "--json"], { cwd: temp.dir });
    assert.equal(refused.code, 6);
    assert.equal(refused.json!.detail_code, "skill_modified");
    assert.match(readFileSync(skillMd, "utf8"), /my note/);
    const forced = await runGait(["skills", "install", "--target", "claude", "--force", "--json"], {
      cwd: temp.dir,
    });
    assert.equal(forced.code, 0);
    assert.doesNotMatch(readFileSync(skillMd, "utf8"), /my note/);

    const codex = await runGait(["skills", "install", "--target", "codex", "--json"], { cwd: temp.dir });
    assert.equal(codex.json!.dir, "./.agents/skills");
    const custom = await runGait(["skills", "install", "--dir", "elsewhere/skills", "--json"], {
      cwd: temp.dir,
    });
    assert.equal(custom.json!.dir, "./elsewhere/skills");
  });
});
