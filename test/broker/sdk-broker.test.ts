/**
 * The SDK: createGate({ broker }) issues a credential on allow and guardToolWithCredential hands
 * it to the tool; the sync evaluate() cannot wait for a broker and fails closed; without a broker
 * the rule blocks. Uses the env broker (the secret comes from the given environment).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fixedClock } from "../../src/contract/time.ts";
import { createGate, guardToolWithCredential, isToolRefused } from "../../src/sdk/index.ts";
import type { IntentRequest } from "../../src/sdk/intent-request.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const { dir, cleanup } = tempDir("gait-sdk-broker-");
after(cleanup);
const SECRET = "env-secret-7d1e0b5c9a";
const policyText = `default_verdict: block
rules:
  - name: brokered
    effect: allow
    require_broker_credential: true
    broker_reference: release
    broker_scopes: [deploy:write]
`;
const intent = (service: string): IntentRequest => ({
  tool_name: "deploy.release",
  args: { service },
  targets: [{ kind: "url", value: `https://api.example.com/${service}`, operation: "write" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "high" },
});

describe("SDK Gate with a broker", () => {
  it("guardToolWithCredential runs the tool with the issued credential and writes its evidence", async () => {
    const gate = await createGate({
      policyText,
      keyMode: "dev",
      onWarning: () => {},
      traceDir: dir,
      traceDurability: "durable",
      clock: fixedClock("2026-03-01T12:00:00Z"),
      broker: { kind: "env" },
      env: { GAIT_BROKER_TOKEN_RELEASE: SECRET, GAIT_BROKER_TOKEN_RELEASE_TTL_SECONDS: "120" },
    });
    const calls: Array<{ secret: string | undefined; service: string }> = [];
    const release = guardToolWithCredential(
      (credential, service: string) => {
        calls.push({ secret: credential?.secret, service });
        return `released ${service}`;
      },
      (service) => intent(service),
      { gate },
    );
    assert.equal(await release("billing"), "released billing");
    assert.deepEqual(calls, [{ secret: SECRET, service: "billing" }]);
    await gate.close();
    const files = readdirSync(dir);
    const evidence = files.filter((f) => f.startsWith("credential_evidence_"));
    assert.equal(evidence.length, 1);
    const record = JSON.parse(readFileSync(join(dir, evidence[0]!), "utf8"));
    assertPublicValidIfAvailable(record, "broker credential record");
    assert.equal(record.broker, "env");
    assert.equal(record.credential_access_type, "jit");
    assert.match(record.credential_ref, /^env:GAIT_BROKER_TOKEN_RELEASE:[0-9a-f]{8}$/);
    for (const file of files) assert.ok(!readFileSync(join(dir, file), "utf8").includes(SECRET), file);
  });

  it("blocks when the env broker has no credential, and evaluate() fails closed", async () => {
    const gate = await createGate({
      policyText,
      keyMode: "dev",
      onWarning: () => {},
      traceDir: null,
      broker: { kind: "env" },
      env: {},
    });
    const release = guardToolWithCredential((_credential, _service: string) => "ran", intent, { gate });
    await assert.rejects(release("billing"), (error) => {
      assert.ok(isToolRefused(error));
      assert.deepEqual(error.reasonCodes, ["broker_credential_missing", "matched_rule_brokered"]);
      return true;
    });
    const sync = gate.evaluate(intent("billing"));
    assert.equal(sync.verdict, "block");
    assert.equal(sync.error?.code, "broker_requires_async");
  });

  it("without a broker the rule blocks as broker_credential_required", async () => {
    const gate = await createGate({ policyText, keyMode: "dev", onWarning: () => {}, traceDir: null });
    const decision = await gate.evaluateAsync(intent("billing"));
    assert.deepEqual(decision.violations, ["broker_credential_required"]);
  });
});
