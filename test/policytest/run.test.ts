import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize, digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { PRODUCER_VERSION } from "../../src/contract/version.ts";
import { compilePolicy, parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";
import { runPolicyTest, withoutExpectation } from "../../src/policytest/index.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const now = Timestamp.parse("2026-03-01T12:00:00Z");

const policy = compilePolicy(
  parsePolicyYaml(
    `default_verdict: require_approval
fail_closed:
  enabled: true
  risk_classes: [critical]
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
  - name: delegated-write
    priority: 20
    effect: allow
    match: { tool_names: [tool.write], require_delegation: true }
`,
    "policy.yaml",
  ),
);

function intent(overrides: Record<string, unknown> = {}, context: Record<string, unknown> = {}) {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-05T01:02:03+01:00",
    producer_version: "0.0.0-test",
    tool_name: "tool.read",
    args: { path: "/work/a.txt" },
    targets: [{ kind: "path", value: "/work/a.txt", operation: "read" }],
    context: { identity: "agent.a", workspace: "/work", risk_class: "low", ...context },
    ...overrides,
  };
}

describe("runPolicyTest", () => {
  it("builds the gait.policytest.result object", () => {
    const raw = intent();
    const result = runPolicyTest(policy, raw, { now });
    assert.deepEqual(result, {
      schema_id: "gait.policytest.result",
      schema_version: "1.0.0",
      created_at: "2026-02-05T00:02:03Z",
      producer_version: PRODUCER_VERSION,
      policy_digest: policy.policyDigest,
      intent_digest: prepareIntent(raw).intentDigest,
      verdict: "allow",
      reason_codes: ["matched_rule_allow_read"],
      violations: [],
      matched_rule: "allow-read",
    });
  });

  it("reports block with sorted reasons and violations, and omits matched_rule for the default", () => {
    const blocked = runPolicyTest(policy, intent({ tool_name: "tool.delete" }), { now });
    assert.equal(blocked.verdict, "block");
    assert.deepEqual(blocked.reason_codes, ["delete_blocked"]);
    assert.deepEqual(blocked.violations, ["destructive_action"]);
    const fallback = runPolicyTest(policy, intent({ tool_name: "tool.other" }), { now });
    assert.equal(fallback.verdict, "require_approval");
    assert.deepEqual(fallback.reason_codes, ["default_require_approval"]);
    assert.equal("matched_rule" in fallback, false);
  });

  it("uses 1980-01-01 when the intent has no created_at", () => {
    const { created_at: _omit, ...raw } = intent();
    assert.equal(runPolicyTest(policy, raw, { now }).created_at, "1980-01-01T00:00:00Z");
  });

  it("is deterministic: the same inputs give the same bytes", () => {
    const a = canonicalize(runPolicyTest(policy, intent({ tool_name: "tool.delete" }), { now }));
    const b = canonicalize(runPolicyTest(policy, intent({ tool_name: "tool.delete" }), { now }));
    assert.equal(a, b);
  });

  it("reports delegation depth and scope, and whether a deciding rule selected on delegation", () => {
    const delegation = {
      requester_identity: "agent.a",
      scope_class: "Write",
      chain: [{ delegator_identity: "user.b", delegate_identity: "agent.a" }],
    };
    const result = runPolicyTest(policy, intent({ tool_name: "tool.write", delegation }), { now });
    assert.equal(result.verdict, "allow");
    assert.equal(result.delegation_matched, true);
    assert.equal(result.delegation_depth, 1);
    assert.equal(result.delegation_scope, "write");
    const read = runPolicyTest(policy, intent({ delegation }), { now });
    assert.equal(read.delegation_matched, false);
  });

  it("blocks an unnormalizable intent when fail_closed covers its risk class, digesting the raw request", () => {
    const raw = intent({ targets: [{ kind: "spaceship", value: "x" }] }, { risk_class: "critical" });
    const result = runPolicyTest(policy, raw, { now });
    assert.equal(result.verdict, "block");
    assert.deepEqual(result.reason_codes, ["fail_closed_intent_invalid"]);
    assert.deepEqual(result.violations, ["intent_not_evaluable"]);
    assert.equal(result.intent_digest, digestJcs(raw));
    assert.equal(result.created_at, "2026-02-05T00:02:03Z");
  });

  it("throws a coded invalid_input error (exit 6) for an unnormalizable intent otherwise", () => {
    assert.throws(
      () => runPolicyTest(policy, intent({ targets: [{ kind: "spaceship", value: "x" }] }), { now }),
      (error: unknown) => error instanceof GaitError && error.exitCode === 6,
    );
  });

  it("withoutExpectation removes expected_verdict and leaves the intent digest unchanged", () => {
    const raw = intent();
    const withExpectation = { ...raw, expected_verdict: "allow" };
    assert.deepEqual(withoutExpectation(withExpectation), raw);
    assert.equal(
      runPolicyTest(policy, withoutExpectation(withExpectation), { now }).intent_digest,
      runPolicyTest(policy, raw, { now }).intent_digest,
    );
  });

  it("validates against the public policy test result schema", { skip: publicSchemasSkip }, () => {
    const delegation = { requester_identity: "agent.a", chain: [] };
    for (const raw of [
      intent(),
      intent({ tool_name: "tool.delete" }),
      intent({ tool_name: "tool.other" }),
      intent({ tool_name: "tool.write", delegation }),
      intent({ targets: [{ kind: "spaceship", value: "x" }] }, { risk_class: "critical" }),
    ]) {
      assertPublicValid(runPolicyTest(policy, raw, { now }), `policy test result for ${raw.tool_name}`);
    }
  });
});
