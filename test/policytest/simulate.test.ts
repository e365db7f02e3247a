import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { compilePolicy, parsePolicyYaml, prepareIntent, type Verdict } from "../../src/gate/index.ts";
import {
  fixtureFromDocument,
  parseJsonFixture,
  recommend,
  simulatePolicies,
} from "../../src/policytest/index.ts";

const now = Timestamp.parse("2026-03-01T12:00:00Z");

const change = (baseline: Verdict, candidate: Verdict, name = "f.json") => ({
  fixture_path: name,
  baseline_verdict: baseline,
  candidate_verdict: candidate,
});

describe("recommend", () => {
  it("enforces when nothing changes", () => {
    const { recommendation, reason } = recommend([]);
    assert.equal(recommendation, "enforce");
    assert.match(reason, /no fixture changes verdict/);
  });

  it("observes when any verdict relaxes to allow", () => {
    for (const from of ["block", "require_approval", "dry_run"] as const) {
      assert.equal(recommend([change(from, "allow")]).recommendation, "observe");
    }
  });

  it("relaxation outranks new blocks (checked first)", () => {
    const result = recommend([change("allow", "block", "a.json"), change("block", "allow", "b.json")]);
    assert.equal(result.recommendation, "observe");
    assert.match(result.reason, /1 fixture newly allowed \(b\.json from block to allow\)/);
  });

  it("requires approval when any fixture becomes blocked", () => {
    for (const from of ["allow", "require_approval", "dry_run"] as const) {
      assert.equal(recommend([change(from, "block")]).recommendation, "require_approval");
    }
  });

  it("enforces when verdicts change only among dry_run and require_approval (or away from block)", () => {
    const result = recommend([
      change("dry_run", "require_approval"),
      change("block", "require_approval"),
      change("allow", "dry_run"),
    ]);
    assert.equal(result.recommendation, "enforce");
    assert.match(result.reason, /3 fixtures changed verdict/);
  });

  it("names at most three examples in the reason", () => {
    const many = ["a", "b", "c", "d", "e"].map((n) => change("allow", "block", `${n}.json`));
    assert.match(
      recommend(many).reason,
      /5 fixtures newly blocked \(a\.json.*c\.json from allow to block; \+2 more\)/,
    );
  });
});

describe("simulatePolicies", () => {
  const policy = (yaml: string) => compilePolicy(parsePolicyYaml(yaml, "p.yaml"));
  const baseline = policy("default_verdict: allow\n");
  const candidate = policy(`default_verdict: allow
rules:
  - name: block-fetch
    priority: 10
    effect: block
    match: { tool_names: [tool.fetch] }
    reason_codes: [fetch_blocked]
    violations: [egress]
`);
  const intent = (tool: string) => ({
    tool_name: tool,
    args: {},
    targets: [{ kind: "url", value: "https://example.com/x", operation: "get" }],
    context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
  });
  const fixtures = [
    fixtureFromDocument("read.json", intent("tool.read")),
    fixtureFromDocument("fetch.json", { ...intent("tool.fetch"), expected_verdict: "allow" }),
  ];

  it("reports what would have been blocked and recommends a rollout", () => {
    const report = simulatePolicies({ baseline, candidate, fixtures }, { now });
    assert.deepEqual(report, {
      baseline_policy_digest: baseline.policyDigest,
      candidate_policy_digest: candidate.policyDigest,
      fixtures_total: 2,
      changed_fixtures: 1,
      baseline_verdicts: [{ verdict: "allow", count: 2 }],
      candidate_verdicts: [
        { verdict: "allow", count: 1 },
        { verdict: "block", count: 1 },
      ],
      changed: [
        {
          fixture_path: "fetch.json",
          intent_digest: prepareIntent(intent("tool.fetch")).intentDigest,
          baseline_verdict: "allow",
          candidate_verdict: "block",
          baseline_reason_codes: ["default_allow"],
          candidate_reason_codes: ["fetch_blocked"],
          baseline_violations: [],
          candidate_violations: ["egress"],
          candidate_matched_rule: "block-fetch",
          changed: true,
        },
      ],
      recommendation: "require_approval",
      recommendation_reason: report.recommendation_reason,
      summary: "policy simulate fixtures=2 changed=1 recommendation=require_approval",
    });
  });

  it("swapping the policies turns the new block into a relaxation", () => {
    const report = simulatePolicies({ baseline: candidate, candidate: baseline, fixtures }, { now });
    assert.equal(report.recommendation, "observe");
  });

  it("the same policy on both sides changes nothing", () => {
    const report = simulatePolicies({ baseline, candidate: baseline, fixtures }, { now });
    assert.equal(report.changed_fixtures, 0);
    assert.equal(report.recommendation, "enforce");
  });

  it("refuses no fixtures, unreadable fixtures and unnormalizable intents with exit 6", () => {
    const exit6 = (name: string) => (error: unknown) =>
      error instanceof GaitError && error.exitCode === 6 && error.message.includes(name);
    assert.throws(
      () => simulatePolicies({ baseline, candidate, fixtures: [] }, { now }),
      exit6("at least one"),
    );
    assert.throws(
      () => simulatePolicies({ baseline, candidate, fixtures: [parseJsonFixture("bad.json", "{")] }, { now }),
      exit6("bad.json"),
    );
    const invalid = fixtureFromDocument("odd.json", { ...intent("tool.read"), targets: [{ kind: "moon" }] });
    assert.throws(
      () => simulatePolicies({ baseline, candidate, fixtures: [invalid] }, { now }),
      exit6("odd.json"),
    );
  });
});
