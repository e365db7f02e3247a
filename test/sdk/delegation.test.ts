/** Delegation through the SDK Gate: tokens per decision, the checker loaded only when needed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import { mintDelegationToken } from "../../src/gate/delegation.ts";
import { createGate } from "../../src/sdk/gate.ts";
import type { IntentRequest } from "../../src/sdk/intent-request.ts";

const policyText = `default_verdict: block
rules:
  - name: delegated
    effect: allow
    match: { require_delegation: true }
`;
const intent: IntentRequest = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "test",
  tool_name: "tool.write",
  args: {},
  targets: [],
  context: { identity: "agent.worker", workspace: "/repo", risk_class: "low" },
  delegation: { requester_identity: "agent.worker" },
};
const now = Timestamp.parse("2026-03-01T00:00:00Z");
const lead = generateSigningKey();
const token = mintDelegationToken(
  { delegator: "human.lead", delegate: "agent.worker", scope: ["*"], ttlNanos: 3600n * 1_000_000_000n, now },
  lead,
);

describe("SDK Gate delegation", () => {
  it("evaluate() checks tokens with the delegationPublicKey it was given", async () => {
    const gate = await createGate({
      policyText,
      traceDir: null,
      delegationPublicKey: verifyKeyFor(lead),
      clock: fixedClock(now),
      onWarning: () => {},
    });
    const granted = gate.evaluate(intent, { delegationTokens: [token] });
    assert.equal(granted.verdict, "allow");
    assert.deepEqual(granted.outcome?.delegation?.delegationRef, token.token_id);
    const missing = gate.evaluate(intent);
    assert.deepEqual(
      [missing.verdict, missing.reasonCodes],
      ["block", ["delegation_token_missing", "matched_rule_delegated"]],
    );
  });

  it("without a delegation key, evaluateAsync loads the checker (trace key fallback) and evaluate() fails closed", async () => {
    const gate = await createGate({
      policyText,
      traceDir: null,
      clock: fixedClock(now),
      onWarning: () => {},
    });
    const sync = gate.evaluate(intent, { delegationTokens: [token] });
    assert.equal(sync.verdict, "block");
    assert.equal(sync.error?.code, "delegation_checker_missing");
    const asyncDecision = await gate.evaluateAsync(intent, { delegationTokens: [token] });
    assert.equal(asyncDecision.verdict, "block");
    assert.ok(asyncDecision.reasonCodes.includes("delegation_token_signature_invalid"));
  });
});
