import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { compilePolicy, parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";
import {
  fixtureFromDocument,
  parseJsonFixture,
  parseJsonlFixtures,
  readFixtures,
  readPolicyTestInput,
  runFixtures,
} from "../../src/policytest/index.ts";
import { tempDir } from "../helpers/cli.ts";

const now = Timestamp.parse("2026-03-01T12:00:00Z");

const policy = compilePolicy(
  parsePolicyYaml(
    `default_verdict: allow
rules:
  - name: block-delete
    priority: 10
    effect: block
    match: { tool_names: [tool.delete] }
`,
    "policy.yaml",
  ),
);

const intent = (tool: string) => ({
  tool_name: tool,
  args: {},
  targets: [{ kind: "path", value: "/work/a.txt", operation: "read" }],
  context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
});

describe("fixture parsing", () => {
  it("takes expected_verdict off the intent", () => {
    const fixture = fixtureFromDocument("a.json", { ...intent("tool.read"), expected_verdict: "allow" });
    assert.equal(fixture.expectedVerdict, "allow");
    assert.deepEqual(fixture.intent, intent("tool.read"));
  });

  it("leaves a fixture without expectation unchecked", () => {
    const fixture = fixtureFromDocument("a.json", intent("tool.read"));
    assert.equal(fixture.expectedVerdict, undefined);
    assert.deepEqual(fixture.intent, intent("tool.read"));
  });

  it("rejects an expected_verdict that is not a verdict, as that fixture's error", () => {
    for (const bad of ["deny", "ALLOW", 3, null]) {
      const fixture = fixtureFromDocument("a.json", { ...intent("tool.read"), expected_verdict: bad });
      assert.equal(fixture.error?.code, "fixture_invalid");
      assert.equal(fixture.intent, undefined);
    }
  });

  it("turns bad JSON and duplicate keys into fixture errors", () => {
    assert.equal(parseJsonFixture("a.json", "{nope").error?.code, "invalid_json");
    assert.equal(parseJsonFixture("b.json", '{"a":1,"a":2}').error?.code, "invalid_json");
  });

  it("reads one fixture per non-blank JSONL line, named <file>:<line>", () => {
    const text = [
      JSON.stringify({ ...intent("tool.read"), expected_verdict: "allow" }),
      "",
      "   ",
      JSON.stringify(intent("tool.delete")),
      "{broken",
      "",
    ].join("\n");
    const fixtures = parseJsonlFixtures("cases.jsonl", text);
    assert.deepEqual(
      fixtures.map((f) => f.name),
      ["cases.jsonl:1", "cases.jsonl:4", "cases.jsonl:5"],
    );
    assert.equal(fixtures[2]?.error?.code, "invalid_json");
  });

  it("accepts CRLF line endings", () => {
    const text = `${JSON.stringify(intent("tool.read"))}\r\n${JSON.stringify(intent("tool.delete"))}\r\n`;
    const fixtures = parseJsonlFixtures("crlf.jsonl", text);
    assert.equal(fixtures.length, 2);
    assert.ok(fixtures.every((f) => !f.error));
  });
});

describe("runFixtures", () => {
  const fixtures = [
    fixtureFromDocument("pass.json", { ...intent("tool.read"), expected_verdict: "allow" }),
    fixtureFromDocument("fail.json", { ...intent("tool.delete"), expected_verdict: "allow" }),
    fixtureFromDocument("unchecked.json", intent("tool.delete")),
    fixtureFromDocument("invalid.json", {
      ...intent("tool.read"),
      targets: "nope",
      expected_verdict: "allow",
    }),
    parseJsonFixture("broken.json", "{"),
  ];
  const report = runFixtures(policy, fixtures, { now });

  it("reports each fixture with its status", () => {
    assert.deepEqual(
      report.fixtures.map((f) => [f.fixture, f.status, f.pass]),
      [
        ["pass.json", "pass", true],
        ["fail.json", "fail", false],
        ["unchecked.json", "unchecked", undefined],
        ["invalid.json", "error", false],
        ["broken.json", "error", false],
      ],
    );
    const [pass, fail] = report.fixtures;
    assert.deepEqual(pass, {
      fixture: "pass.json",
      status: "pass",
      pass: true,
      expected_verdict: "allow",
      intent_digest: prepareIntent(intent("tool.read")).intentDigest,
      verdict: "allow",
      reason_codes: ["default_allow"],
      violations: [],
    });
    assert.equal(fail?.verdict, "block");
    assert.equal(fail?.matched_rule, "block-delete");
    assert.equal(report.fixtures[3]?.error_code, "intent_invalid");
    assert.equal(report.fixtures[3]?.expected_verdict, "allow");
  });

  it("counts passes, failures (errors included) and unchecked fixtures, and verdicts", () => {
    assert.equal(report.policy_digest, policy.policyDigest);
    assert.deepEqual(
      [report.total, report.passed, report.failed, report.errors, report.unchecked],
      [5, 1, 3, 2, 1],
    );
    assert.deepEqual(report.verdicts, [
      { verdict: "allow", count: 1 },
      { verdict: "block", count: 2 },
    ]);
    assert.equal(report.summary, "policy test fixtures=5 passed=1 failed=3 unchecked=1");
  });
});

describe("reading fixtures from disk", () => {
  it("takes a directory's *.json files in byte order of their names, not recursing", async () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const name of ["b.json", "B.json", "a.json", "notes.txt", "x.jsonl"]) {
        writeFileSync(join(dir, name), JSON.stringify(intent("tool.read")));
      }
      mkdirSync(join(dir, "nested"));
      writeFileSync(join(dir, "nested", "c.json"), JSON.stringify(intent("tool.read")));
      const fixtures = await readFixtures(dir, "fx");
      assert.deepEqual(
        fixtures.map((f) => f.name),
        [join("fx", "B.json"), join("fx", "a.json"), join("fx", "b.json")],
      );
    } finally {
      cleanup();
    }
  });

  it("tells an intent file from fixtures (JSONL file or directory)", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, "one.json"), JSON.stringify(intent("tool.read")));
      writeFileSync(join(dir, "many.jsonl"), `${JSON.stringify(intent("tool.read"))}\n`);
      assert.equal((await readPolicyTestInput(join(dir, "one.json"), "one.json")).kind, "intent");
      assert.equal((await readPolicyTestInput(join(dir, "many.jsonl"), "many.jsonl")).kind, "fixtures");
      assert.equal((await readPolicyTestInput(dir, "dir")).kind, "fixtures");
    } finally {
      cleanup();
    }
  });

  it("refuses an empty fixture source and a missing path with exit 6", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, "empty.jsonl"), "\n\n");
      const exit6 = (error: unknown) => error instanceof GaitError && error.exitCode === 6;
      await assert.rejects(readFixtures(dir, "dir"), exit6);
      await assert.rejects(readFixtures(join(dir, "empty.jsonl"), "empty.jsonl"), exit6);
      await assert.rejects(readPolicyTestInput(join(dir, "missing.json"), "missing.json"), exit6);
    } finally {
      cleanup();
    }
  });
});

describe("examples/policy fixtures", () => {
  const examples = join(import.meta.dirname, "..", "..", "examples", "policy");
  const templates = join(import.meta.dirname, "..", "..", "templates", "policy");
  const templateNames = ["baseline-lowrisk", "baseline-mediumrisk", "baseline-highrisk"];

  for (const template of templateNames) {
    it(`${template}: every fixture gets its expected verdict`, async () => {
      const compiled = compilePolicy(
        parsePolicyYaml(readFileSync(join(templates, `${template}.yaml`), "utf8"), template),
      );
      const fixtures = await readFixtures(join(examples, "fixtures", `${template}.jsonl`), template);
      const report = runFixtures(compiled, fixtures, { now });
      assert.ok(
        report.fixtures.every((f) => f.status === "pass"),
        JSON.stringify(
          report.fixtures.filter((f) => f.status !== "pass"),
          null,
          2,
        ),
      );
      assert.equal(report.total, 5);
    });

    it(`${template}: the fixture intents are exactly examples/policy/intents/*.json`, async () => {
      const fixtures = await readFixtures(join(examples, "fixtures", `${template}.jsonl`), template);
      const intentsDir = join(examples, "intents");
      const intents = readdirSync(intentsDir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => JSON.parse(readFileSync(join(intentsDir, f), "utf8")));
      assert.deepEqual(
        fixtures.map((f) => f.intent),
        intents,
      );
    });
  }
});
