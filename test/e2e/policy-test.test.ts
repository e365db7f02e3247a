import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, runGait, tempDir } from "../helpers/cli.ts";

const intent = (
  tool: string,
  extra: Record<string, unknown> = {},
  context: Record<string, unknown> = {},
) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: tool,
  args: { path: "/repo/a.txt" },
  targets: [{ kind: "path", value: "/repo/a.txt", operation: "read" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "low", ...context },
  ...extra,
});

const policyYaml = `default_verdict: require_approval
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match: { tool_names: [tool.read] }
  - name: block-delete
    priority: 10
    effect: block
    match: { tool_names: [tool.delete] }
    reason_codes: [delete_blocked]
    violations: [destructive_action]
  - name: allow-cleanup
    priority: 10
    effect: allow
    match: { tool_names: [tool.cleanup] }
`;

const candidateYaml = `default_verdict: block
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match: { tool_names: [tool.read] }
  - name: approve-delete
    priority: 10
    effect: require_approval
    match: { tool_names: [tool.delete] }
`;

const json = (value: unknown) => JSON.stringify(value);

describe("gait policy test / simulate (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, "policy.yaml"), policyYaml);
    writeFileSync(join(dir, "candidate.yaml"), candidateYaml);
    writeFileSync(join(dir, "read.json"), json(intent("tool.read")));
    writeFileSync(join(dir, "delete.json"), json(intent("tool.delete")));
    writeFileSync(join(dir, "write.json"), json(intent("tool.write")));
    const cleanupTarget = [{ kind: "path", value: "/repo/tmp", operation: "delete" }];
    writeFileSync(
      join(dir, "plan-cleanup.json"),
      json(intent("tool.cleanup", { targets: cleanupTarget }, { phase: "plan" })),
    );
    writeFileSync(
      join(dir, "invalid.json"),
      json(intent("tool.read", { targets: [{ kind: "moon", value: "x" }] })),
    );
    writeFileSync(join(dir, "policy-bad.yaml"), "default_verdict: maybe\n");

    mkdirSync(join(dir, "passing"));
    writeFileSync(
      join(dir, "passing", "1-read.json"),
      json({ ...intent("tool.read"), expected_verdict: "allow" }),
    );
    writeFileSync(
      join(dir, "passing", "2-delete.json"),
      json({ ...intent("tool.delete"), expected_verdict: "block" }),
    );
    writeFileSync(join(dir, "passing", "3-write.json"), json(intent("tool.write")));

    mkdirSync(join(dir, "failing"));
    writeFileSync(
      join(dir, "failing", "1-read.json"),
      json({ ...intent("tool.read"), expected_verdict: "block" }),
    );
    writeFileSync(join(dir, "failing", "2-broken.json"), "{not json");

    writeFileSync(
      join(dir, "cases.jsonl"),
      `${json({ ...intent("tool.read"), expected_verdict: "allow" })}\n\n${json({ ...intent("tool.write"), expected_verdict: "require_approval" })}\n`,
    );
  });
  after(() => cleanup());

  const policyTest = (...args: string[]) => runGait(["policy", "test", "policy.yaml", ...args], { cwd: dir });

  describe("one intent", () => {
    it("allow exits 0 with the contract's JSON fields", async () => {
      const r = await policyTest("read.json", "--json");
      assert.equal(r.code, 0, r.stderr);
      const out = r.json!;
      assert.deepEqual(Object.keys(out).sort(), [
        "correlation_id",
        "created_at",
        "intent_digest",
        "matched_rule",
        "ok",
        "policy_digest",
        "reason_codes",
        "schema_id",
        "schema_version",
        "summary",
        "verdict",
        "violations",
      ]);
      assert.equal(out.ok, true);
      assert.equal(out.schema_id, "gait.policytest.result");
      assert.equal(out.created_at, "2026-02-18T00:00:00Z");
      assert.equal(out.verdict, "allow");
      assert.equal(out.matched_rule, "allow-read");
      assert.equal(out.summary, "policy test verdict=allow reasons=matched_rule_allow_read violations=none");
    });

    it("block exits 3, require_approval exits 4, dry_run exits 0", async () => {
      const blocked = await policyTest("delete.json", "--json");
      assert.equal(blocked.code, 3);
      assert.equal(
        blocked.json?.summary,
        "policy test verdict=block reasons=delete_blocked violations=destructive_action",
      );
      const approval = await policyTest("write.json", "--json");
      assert.equal(approval.code, 4);
      assert.equal(approval.json?.verdict, "require_approval");
      assert.equal("matched_rule" in approval.json!, false);
      const dryRun = await policyTest("plan-cleanup.json", "--json");
      assert.equal(dryRun.code, 0);
      assert.equal(dryRun.json?.verdict, "dry_run");
    });

    it("prints the summary line in human mode", async () => {
      const r = await policyTest("delete.json");
      assert.equal(r.code, 3);
      assert.equal(
        r.stdout,
        "policy test verdict=block reasons=delete_blocked violations=destructive_action\nmatched_rule=block-delete\n",
      );
    });

    it("reads the intent from stdin with -", async () => {
      const r = await runGait(["policy", "test", "policy.yaml", "-", "--json"], {
        cwd: dir,
        input: json(intent("tool.delete")),
      });
      assert.equal(r.code, 3);
      assert.equal(r.json?.verdict, "block");
    });

    it("gives the same output bytes every run", async () => {
      for (const args of [["delete.json", "--json"], ["delete.json"], ["passing", "--json"]]) {
        const first = await policyTest(...args);
        const second = await policyTest(...args);
        assert.equal(first.stdout, second.stdout);
        assert.equal(first.code, second.code);
      }
    });

    it("exits 6 on an invalid intent, an invalid policy, a missing file or a bad --evaluation-time", async () => {
      const invalid = await policyTest("invalid.json", "--json");
      assert.equal(invalid.code, 6);
      assert.equal(invalid.json?.ok, false);
      assert.equal(invalid.json?.error_code, "invalid_input");
      assert.equal(invalid.json?.detail_code, "intent_invalid");
      const badPolicy = await runGait(["policy", "test", "policy-bad.yaml", "read.json", "--json"], {
        cwd: dir,
      });
      assert.equal(badPolicy.code, 6);
      const missing = await policyTest("nope.json", "--json");
      assert.equal(missing.code, 6);
      assert.equal(missing.json?.error_code, "invalid_input");
      assert.equal(missing.json?.detail_code, "file_not_found");
      const badTime = await policyTest("read.json", "--evaluation-time", "yesterday", "--json");
      assert.equal(badTime.code, 6);
      const noIntent = await runGait(["policy", "test", "policy.yaml", "--json"], { cwd: dir });
      assert.equal(noIntent.code, 6);
    });
  });

  describe("fixtures", () => {
    it("a directory whose expectations all hold exits 0 and reports every fixture", async () => {
      const r = await policyTest("passing", "--json");
      assert.equal(r.code, 0, r.stdout);
      const out = r.json!;
      assert.equal(out.mode, "fixtures");
      assert.deepEqual([out.total, out.passed, out.failed, out.unchecked], [3, 2, 0, 1]);
      const fixtures = out.fixtures as Array<Record<string, unknown>>;
      assert.deepEqual(
        fixtures.map((f) => [f.fixture, f.status, f.verdict]),
        [
          [join("passing", "1-read.json"), "pass", "allow"],
          [join("passing", "2-delete.json"), "pass", "block"],
          [join("passing", "3-write.json"), "unchecked", "require_approval"],
        ],
      );
    });

    it("a JSONL file works the same way", async () => {
      const r = await policyTest("cases.jsonl", "--json");
      assert.equal(r.code, 0, r.stdout);
      const fixtures = r.json!.fixtures as Array<Record<string, unknown>>;
      assert.deepEqual(
        fixtures.map((f) => f.fixture),
        ["cases.jsonl:1", "cases.jsonl:3"],
      );
    });

    it("a failed expectation or an unreadable fixture exits 2 with the error envelope", async () => {
      const r = await policyTest("failing", "--json");
      assert.equal(r.code, 2);
      const out = r.json!;
      assert.equal(out.ok, false);
      assert.equal(out.error_code, "policy_test_failed");
      assert.equal(out.error_category, "verification_failed");
      assert.deepEqual([out.total, out.passed, out.failed, out.errors], [2, 0, 2, 1]);
      const human = await policyTest("failing");
      assert.equal(human.code, 2);
      assert.match(human.stdout, /^FAIL\s+failing\/1-read\.json\s+allow \(expected block\)/m);
      assert.match(human.stdout, /^ERROR\s+failing\/2-broken\.json\s+invalid_json/m);
    });

    for (const template of ["baseline-lowrisk", "baseline-mediumrisk", "baseline-highrisk"]) {
      it(`examples/policy fixtures pass under ${template}`, async () => {
        const r = await runGait(
          [
            "policy",
            "test",
            `templates/policy/${template}.yaml`,
            `examples/policy/fixtures/${template}.jsonl`,
            "--json",
          ],
          { cwd: repoRoot },
        );
        assert.equal(r.code, 0, r.stdout);
        assert.equal(r.json?.passed, 5);
      });
    }
  });

  describe("simulate", () => {
    const simulate = (...args: string[]) =>
      runGait(["policy", "simulate", "--baseline", "policy.yaml", "--policy", "candidate.yaml", ...args], {
        cwd: dir,
      });

    it("reports changed verdicts and a recommendation, exit 0", async () => {
      const r = await simulate("--fixtures", "read.json,delete.json,write.json,cases.jsonl", "--json");
      assert.equal(r.code, 0, r.stdout);
      const out = r.json!;
      assert.equal(out.fixtures_total, 5);
      assert.equal(out.changed_fixtures, 3);
      const changed = out.changed as Array<Record<string, unknown>>;
      assert.deepEqual(
        changed.map((c) => [c.fixture_path, c.baseline_verdict, c.candidate_verdict, c.changed]),
        [
          ["delete.json", "block", "require_approval", true],
          ["write.json", "require_approval", "block", true],
          ["cases.jsonl:3", "require_approval", "block", true],
        ],
      );
      assert.equal(out.recommendation, "require_approval");
      assert.equal(typeof out.recommendation_reason, "string");
      assert.deepEqual(out.baseline_verdicts, [
        { count: 2, verdict: "allow" },
        { count: 1, verdict: "block" },
        { count: 2, verdict: "require_approval" },
      ]);
    });

    it("prints a table of the changed fixtures", async () => {
      const r = await simulate("--fixtures", "read.json,delete.json,write.json");
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^policy simulate fixtures=3 changed=2 recommendation=require_approval$/m);
      assert.match(r.stdout, /^\s+FIXTURE\s+BASELINE\s+CANDIDATE$/m);
      assert.match(r.stdout, /^\s+write\.json\s+require_approval\s+block$/m);
      assert.match(r.stdout, /^recommendation: require_approval\n {2}1 fixture newly blocked/m);
    });

    it("exits 6 without --fixtures or on an unreadable fixture", async () => {
      assert.equal((await simulate("--json")).code, 6);
      const broken = await simulate("--fixtures", "failing", "--json");
      assert.equal(broken.code, 6);
      assert.match(String(broken.json?.error), /2-broken\.json/);
    });
  });
});
