import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  compilePolicy,
  evaluate,
  evaluateRequest,
  parsePolicyYaml,
  prepareIntent,
} from "../../src/gate/index.ts";

const now = Timestamp.parse("2026-03-01T12:00:00Z");

function decide(policyYaml: string, raw: Record<string, unknown>) {
  const compiled = compilePolicy(parsePolicyYaml(policyYaml, "test.yaml"));
  return evaluate(compiled, prepareIntent(raw).intent, { now });
}

function intent(overrides: Record<string, unknown> = {}, context: Record<string, unknown> = {}) {
  return {
    tool_name: "tool.write",
    args: {},
    targets: [{ kind: "path", value: "/work/a.txt", operation: "write" }],
    context: { identity: "agent.a", workspace: "/work", risk_class: "low", ...context },
    ...overrides,
  };
}

describe("evaluate: rules, tiers and defaults", () => {
  it("falls back to default_verdict with default_<verdict>", () => {
    const d = decide("default_verdict: require_approval\n", intent());
    assert.equal(d.verdict, "require_approval");
    assert.deepEqual(d.reasonCodes, ["default_require_approval"]);
    assert.equal(d.minApprovals, 1);
  });

  it("the first matching priority wins; equal priorities merge most-restrictive", () => {
    const policy = `default_verdict: allow
rules:
  - name: allow-writes
    priority: 10
    effect: allow
    match: { tool_names: [tool.write] }
  - name: approve-writes
    priority: 10
    effect: require_approval
    reason_codes: [needs_review]
    match: { tool_names: [tool.write] }
  - name: block-everything
    priority: 20
    effect: block
`;
    const d = decide(policy, intent());
    assert.equal(d.verdict, "require_approval");
    assert.deepEqual(d.reasonCodes, ["needs_review"]);
    assert.equal(d.matchedRule, "allow-writes,approve-writes");
    const other = decide(policy, intent({ tool_name: "tool.read" }));
    assert.equal(other.verdict, "block");
    assert.deepEqual(other.reasonCodes, ["matched_rule_block_everything"]);
  });

  it("a tier's requirements come from its deciding rules only, merged and sorted", () => {
    const policy = `default_verdict: allow
rules:
  - name: zz-approve
    priority: 10
    effect: require_approval
    reason_codes: [r_b, r_a]
    violations: [v_b]
    min_approvals: 2
    require_broker_credential: true
    broker_scopes: [s2]
    rate_limit: { requests: 5, window: minute, scope: tool }
    destructive_budget: { requests: 3, window: hour, scope: identity }
    match: { tool_names: [tool.delete] }
  - name: aa-approve
    priority: 10
    effect: require_approval
    reason_codes: [r_a]
    violations: [v_a]
    require_distinct_approvers: false
    require_broker_credential: true
    broker_reference: vault
    broker_scopes: [s1, s2]
    match: { tool_names: [tool.delete] }
  - name: mm-allow
    priority: 10
    effect: allow
    reason_codes: [r_allow]
    broker_reference: kms
    rate_limit: { requests: 9, window: minute, scope: tool }
    match: { tool_names: [tool.delete] }
`;
    const target = (operation: string) => [{ kind: "path", value: "/work/a.txt", operation }];
    const d = decide(policy, intent({ tool_name: "tool.delete", targets: target("delete") }));
    assert.equal(d.verdict, "require_approval");
    // The destructive target raises every rule of the tier to require_approval: all three decide.
    assert.deepEqual(d.reasonCodes, ["destructive_apply_requires_approval", "r_a", "r_allow", "r_b"]);
    assert.deepEqual(d.violations, ["v_a", "v_b"]);
    assert.equal(d.matchedRule, "aa-approve,mm-allow,zz-approve");
    assert.deepEqual(
      d.matchedRules.map((r) => `${r.name}:${r.effect}`),
      ["aa-approve:require_approval", "mm-allow:require_approval", "zz-approve:require_approval"],
    );
    assert.equal(d.minApprovals, 2);
    assert.equal(d.requireDistinctApprovers, true, "two approvals need two approvers");
    assert.equal(d.requireBrokerCredential, true);
    assert.equal(d.brokerReference, "vault", "the first deciding rule (tier order: by name) that names one");
    assert.deepEqual(d.brokerScopes, ["s1", "s2"]);
    assert.equal(d.brokerPostures.length, 2);
    assert.deepEqual(
      d.rateLimits.map((l) => `${l.rule}:${l.limit.requests}`),
      ["mm-allow:9", "zz-approve:5"],
    );
    assert.deepEqual(
      d.destructiveBudgets.map((l) => `${l.rule}:${l.limit.requests}`),
      ["zz-approve:3"],
    );

    // Without a destructive target the allow rule stays allow, so it no longer decides, and
    // destructive budgets do not apply.
    const read = decide(policy, intent({ tool_name: "tool.delete", targets: target("read") }));
    assert.equal(read.verdict, "require_approval");
    assert.deepEqual(read.reasonCodes, ["r_a", "r_b"]);
    assert.deepEqual(
      read.rateLimits.map((l) => l.rule),
      ["zz-approve"],
    );
    assert.deepEqual(read.destructiveBudgets, []);
  });

  it("renaming rules of equal priority never changes the verdict", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("allow", "block", "dry_run", "require_approval"), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 10, maxLength: 10 }),
        (effects, names) => {
          const unique = [...new Set(names)];
          fc.pre(unique.length >= effects.length * 2);
          const build = (offset: number) =>
            `default_verdict: allow\nrules:\n${effects
              .map((e, i) => `  - name: ${unique[i + offset]}\n    priority: 5\n    effect: ${e}\n`)
              .join("")}`;
          return decide(build(0), intent()).verdict === decide(build(effects.length), intent()).verdict;
        },
      ),
      { numRuns: 200 },
    );
  });

  it("destructive targets in apply need approval; in plan they dry-run", () => {
    const policy = "rules:\n  - name: allow-all\n    effect: allow\n";
    const del = intent({ targets: [{ kind: "path", value: "/work/a", operation: "delete" }] });
    const apply = decide(policy, del);
    assert.equal(apply.verdict, "require_approval");
    assert.ok(apply.reasonCodes.includes("destructive_apply_requires_approval"));
    const plan = decide(policy, { ...del, context: { ...del.context, phase: "plan" } });
    assert.equal(plan.verdict, "dry_run");
    assert.ok(plan.reasonCodes.includes("plan_phase_non_destructive"));
  });

  it("matches on risk class, identity, workspace prefix, target kinds and provenance", () => {
    const policy = `default_verdict: allow
rules:
  - name: block-tainted-egress
    priority: 1
    effect: block
    match:
      risk_classes: [high]
      identities: [agent.a]
      workspace_prefixes: [/work]
      target_kinds: [url]
      provenance_sources: [external]
`;
    const egress = intent(
      {
        tool_name: "tool.post",
        targets: [{ kind: "url", value: "https://evil.example/x" }],
        arg_provenance: [{ arg_path: "$.body", source: "external" }],
      },
      { risk_class: "high" },
    );
    assert.equal(decide(policy, egress).verdict, "block");
    assert.equal(
      decide(policy, { ...egress, arg_provenance: [{ arg_path: "$.body", source: "user" }] }).verdict,
      "allow",
    );
  });

  it("dataflow raises tainted flows to destinations to the configured action", () => {
    const policy = `default_verdict: block
rules:
  - name: allow-http
    effect: allow
    match: { endpoint_classes: [net.http] }
    dataflow: { enabled: true }
`;
    const raw = intent({
      tool_name: "tool.fetch",
      targets: [{ kind: "host", value: "api.example.com" }],
      arg_provenance: [{ arg_path: "$.q", source: "tool_output" }],
    });
    const d = decide(policy, raw);
    assert.equal(d.verdict, "require_approval");
    assert.deepEqual(d.reasonCodes.includes("dataflow_tainted_destination"), true);
    assert.deepEqual(d.violations, ["tainted_dataflow"]);
  });

  it("endpoint constraints deny paths and domains", () => {
    const policy = `default_verdict: block
rules:
  - name: files
    effect: allow
    match: { target_kinds: [path, host] }
    endpoint:
      path_allowlist: [/work/**]
      path_denylist: [/work/secrets/*]
      domain_denylist: ["*.evil.example"]
`;
    assert.equal(decide(policy, intent()).verdict, "allow");
    const secret = decide(
      policy,
      intent({ targets: [{ kind: "path", value: "/work/secrets/key", operation: "write" }] }),
    );
    assert.equal(secret.verdict, "block");
    assert.ok(secret.reasonCodes.includes("endpoint_path_denied"));
    const outside = decide(
      policy,
      intent({ targets: [{ kind: "path", value: "/etc/passwd", operation: "write" }] }),
    );
    assert.ok(outside.reasonCodes.includes("endpoint_path_not_allowlisted"));
    const evil = decide(policy, intent({ targets: [{ kind: "host", value: "api.evil.example" }] }));
    assert.ok(evil.reasonCodes.includes("endpoint_domain_denied"));
  });

  it("scripts get per-step verdicts, the most restrictive overall, and script controls", () => {
    const policy = `default_verdict: allow
scripts: { max_steps: 2, block_mixed_risk: false }
rules:
  - name: block-delete
    effect: block
    match: { tool_names: [tool.delete] }
`;
    const script = {
      tool_name: "x",
      args: {},
      context: { identity: "a", workspace: "/w", risk_class: "low" },
      script: {
        steps: [
          { tool_name: "tool.read", args: {}, targets: [{ kind: "path", value: "/w/a", operation: "read" }] },
          {
            tool_name: "tool.delete",
            args: {},
            targets: [{ kind: "path", value: "/w/b", operation: "delete" }],
          },
          { tool_name: "tool.read", args: {}, targets: [{ kind: "path", value: "/w/c", operation: "read" }] },
        ],
      },
    };
    const d = decide(policy, script);
    assert.equal(d.verdict, "block");
    assert.equal(d.script?.stepCount, 3);
    assert.deepEqual(
      d.script?.stepVerdicts.map((s) => s.verdict),
      ["allow", "block", "allow"],
    );
    assert.ok(d.reasonCodes.includes("script_max_steps_exceeded"));
    assert.equal(d.script?.compositeRiskClass, "high");
  });
});

describe("evaluate: fail closed", () => {
  const failClosed = `default_verdict: allow
fail_closed:
  enabled: true
  required_fields: [targets, arg_provenance]
rules:
  - name: allow-all
    effect: allow
`;

  it("blocks high-risk intents missing required fields or with unknown endpoint classes", () => {
    const d = decide(failClosed, intent({}, { risk_class: "high" }));
    assert.equal(d.verdict, "block");
    assert.ok(d.reasonCodes.includes("fail_closed_missing_arg_provenance"));
    const unknown = decide(
      failClosed,
      intent(
        {
          targets: [{ kind: "bucket", value: "s3://b" }],
          arg_provenance: [{ arg_path: "$", source: "user" }],
        },
        {
          risk_class: "critical",
        },
      ),
    );
    assert.ok(unknown.reasonCodes.includes("fail_closed_endpoint_class_unknown"));
    assert.equal(decide(failClosed, intent()).verdict, "allow", "low risk is not covered");
  });

  it("an unnormalizable intent blocks when its raw risk class is fail-closed, else errors", () => {
    const compiled = compilePolicy(parsePolicyYaml(failClosed, "p.yaml"));
    const bad = {
      tool_name: "t",
      args: "nope",
      context: { identity: "a", workspace: "/w", risk_class: "HIGH" },
    };
    const { decision } = evaluateRequest(compiled, bad, { now });
    assert.equal(decision.verdict, "block");
    assert.deepEqual(decision.reasonCodes, ["fail_closed_intent_invalid"]);
    assert.throws(
      () => evaluateRequest(compiled, { ...bad, context: { ...bad.context, risk_class: "low" } }, { now }),
      (e: unknown) => e instanceof GaitError && e.exitCode === 6,
    );
  });

  it("fuzz: random intents under a fail-closed policy never allow a high-risk intent that lacks provenance", () => {
    const compiled = compilePolicy(parsePolicyYaml(failClosed, "p.yaml"));
    const target = fc.record({
      kind: fc.constantFrom("path", "url", "host", "other", "bucket", "planet"),
      value: fc.string({ maxLength: 12 }),
      operation: fc.constantFrom("read", "write", "delete", "exec", "", "zap"),
    });
    fc.assert(
      fc.property(
        fc.array(target, { maxLength: 3 }),
        fc.constantFrom("high", "critical", "HIGH", " high "),
        fc.jsonValue(),
        (targets, risk, args) => {
          const raw = {
            tool_name: "tool.x",
            args,
            targets,
            context: { identity: "a", workspace: "/w", risk_class: risk },
          };
          try {
            return evaluateRequest(compiled, raw, { now }).decision.verdict !== "allow";
          } catch (error) {
            return error instanceof GaitError && error.exitCode === 6;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
