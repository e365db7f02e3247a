/**
 * The command broker with real helper scripts (sh): a helper that answers the request, one that
 * hangs past the timeout (killed), one that prints more than 16 KiB, one that exits non-zero, one
 * that answers for other scopes; and the allowlist. Then the pure checks: response validation
 * against the request and the rule, the gate step (incl. simulate), and the evidence record
 * against the public schema.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  buildBrokerCredentialRecord,
  type CredentialBroker,
  createBroker,
  requestCredential,
} from "../../src/broker/index.ts";
import { credentialMismatches } from "../../src/broker/validate.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  applyCredentialCheck,
  compilePolicy,
  decideGateSync,
  type GateOutcome,
  parsePolicyYaml,
} from "../../src/gate/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const { dir, cleanup } = tempDir("gait-command-broker-");
after(cleanup);

const POLICY = `default_verdict: block
rules:
  - name: brokered
    effect: allow
    require_broker_credential: true
    broker_reference: deploy
    broker_scopes: [deploy:write]
    max_credential_ttl_seconds: 600
`;
const INTENT = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-03-01T11:59:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "deploy.release",
  args: {},
  targets: [{ kind: "url", value: "https://api.example.com/releases", operation: "write" }],
  // The declared credential context meets the rule's posture (max TTL); the broker's must too.
  context: {
    identity: "agent.a",
    workspace: "/repo",
    risk_class: "high",
    run_id: "run-1",
    credential_ref: "ref:deploy",
    credential_access_type: "jit",
    credential_ttl_seconds: 300,
  },
};

function outcome(options: { simulate?: boolean } = {}): GateOutcome {
  return decideGateSync({
    compiled: compilePolicy(parsePolicyYaml(POLICY, "policy.yaml")),
    intent: INTENT,
    now: NOW,
    brokerConfigured: true,
    simulate: options.simulate,
  });
}

/** A helper script that answers by echoing the request's digest and scope, as a broker should. */
function helper(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const SECRET = "helper-secret-4f8a2c9e7b1d";
// Reads the request, takes its digest with sed (no jq on the box), answers the response shape.
const answering = (scope: string, ttl = 300) =>
  helper(
    `answer-${scope.replace(/\W/g, "")}-${ttl}.sh`,
    `request=$(cat)
digest=$(printf '%s' "$request" | sed -n 's/.*"request_digest":"\\([0-9a-f]*\\)".*/\\1/p')
printf '{"issued_by":"vault-helper","source":"vault_dynamic","access_type":"jit","issuer":"vault.example","scope":["${scope}"],"credential_ref":"vault:lease/42","request_digest":"%s","issued_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T12:05:00Z","ttl_seconds":${ttl},"secret":"${SECRET}"}' "$digest"`,
  );

async function commandBroker(command: string, env: Record<string, string> = {}): Promise<CredentialBroker> {
  return (await createBroker(
    { kind: "command", command },
    { env: { PATH: process.env.PATH, ...env }, cwd: dir },
  ))!;
}

describe("command broker with real helper scripts", () => {
  it("issues the credential the helper answers; the gate allows and hands over the secret", async () => {
    const decided = outcome();
    assert.equal(decided.credentialNeeded, true);
    const result = await requestCredential(await commandBroker(answering("deploy:write")), decided, NOW);
    assert.ok("issued" in result.check, JSON.stringify(result.check));
    assert.equal(result.credential?.secret, SECRET);
    assert.equal(result.credential?.ref, "vault:lease/42");
    const settled = applyCredentialCheck(decided, result.check);
    assert.equal(settled.verdict, "allow");
    assert.deepEqual(settled.reasonCodes, ["broker_credential_present", "matched_rule_brokered"]);
    assert.equal(settled.credentialNeeded, undefined);
    assert.ok(!JSON.stringify(settled).includes(SECRET), "the outcome carries no secret");
    const record = buildBrokerCredentialRecord(settled, settled.credential!, "0123456789abcdef01234567");
    assertPublicValidIfAvailable(record, "broker credential record");
    assert.ok(!JSON.stringify(record).includes(SECRET));
  });

  it("blocks on a credential for other scopes, or longer-lived than the rule allows", async () => {
    const other = await requestCredential(await commandBroker(answering("deploy:admin")), outcome(), NOW);
    assert.deepEqual(other.check, { failed: { reasonCodes: ["broker_scope_mismatch"] } });
    const long = await requestCredential(
      await commandBroker(answering("deploy:write", 3600)),
      outcome(),
      NOW,
    );
    assert.deepEqual(long.check, { failed: { reasonCodes: ["broker_ttl_exceeded"] } });
    const settled = applyCredentialCheck(outcome(), other.check);
    assert.equal(settled.verdict, "block");
    assert.deepEqual(settled.violations, ["broker_scope_mismatch"]);
  });

  it("kills a helper that does not answer within the timeout and blocks", async () => {
    const broker = (await import("../../src/broker/command.ts")).commandBroker({
      command: helper("hang.sh", "sleep 30"),
      env: { PATH: process.env.PATH },
      timeoutMs: 200,
    });
    const result = await requestCredential(broker, outcome(), NOW);
    assert.ok("failed" in result.check);
    assert.deepEqual(result.check.failed.reasonCodes, ["broker_credential_missing"]);
    assert.equal(result.check.failed.error?.code, "broker_command_timeout");
  });

  it("refuses more than 16 KiB of output", async () => {
    const noisy = helper("noisy.sh", `head -c 20000 /dev/zero | tr '\\0' x`);
    const result = await requestCredential(await commandBroker(noisy), outcome(), NOW);
    assert.ok("failed" in result.check);
    assert.equal(result.check.failed.error?.code, "broker_command_output_too_large");
  });

  it("fails closed on a non-zero exit or an answer that is not a response", async () => {
    const failing = helper("fail.sh", `echo "${SECRET}" >&2; exit 4`);
    const failed = await requestCredential(await commandBroker(failing), outcome(), NOW);
    assert.ok("failed" in failed.check);
    assert.equal(failed.check.failed.error?.code, "broker_command_failed");
    assert.ok(!failed.check.failed.error?.message.includes(SECRET), "stderr is not repeated");
    const garbage = helper("garbage.sh", `echo '{"token":"x"}'`);
    const invalid = await requestCredential(await commandBroker(garbage), outcome(), NOW);
    assert.ok("failed" in invalid.check);
    // Neither the response shape nor a provider receipt (receipts.test.ts).
    assert.equal(invalid.check.failed.error?.code, "broker_receipt_unknown");
    const notJson = helper("not-json.sh", "echo 'token=x'");
    const unreadable = await requestCredential(await commandBroker(notJson), outcome(), NOW);
    assert.ok("failed" in unreadable.check);
    assert.equal(unreadable.check.failed.error?.code, "broker_response_invalid");
  });

  it("honours GAIT_CREDENTIAL_COMMAND_ALLOWLIST and refuses a command line with whitespace", async () => {
    const path = answering("deploy:write");
    await assert.rejects(commandBroker(path, { GAIT_CREDENTIAL_COMMAND_ALLOWLIST: "/usr/bin/other" }), {
      code: "broker_command_not_allowed",
    });
    await commandBroker(path, { GAIT_CREDENTIAL_COMMAND_ALLOWLIST: `/usr/bin/other,${path}` });
    await assert.rejects(commandBroker(`${path} --flag`), { code: "broker_config_invalid" });
  });
});

describe("broker step, pure", () => {
  it("a simulated decision reports the broker's block without enforcing it", () => {
    const simulated = outcome({ simulate: true });
    assert.equal(simulated.credentialNeeded, true);
    const settled = applyCredentialCheck(simulated, {
      failed: { reasonCodes: ["broker_credential_missing"] },
    });
    assert.equal(settled.verdict, "allow");
    assert.deepEqual(settled.simulated, {
      verdict: "block",
      reasonCodes: ["broker_credential_missing", "matched_rule_brokered"],
      wouldHaveBlocked: true,
    });
    assert.ok(settled.reasonCodes.includes("simulated_block"));
  });

  it("without a broker the allow blocks as broker_credential_required", () => {
    const decided = decideGateSync({
      compiled: compilePolicy(parsePolicyYaml(POLICY, "policy.yaml")),
      intent: INTENT,
      now: NOW,
    });
    assert.equal(decided.verdict, "block");
    assert.deepEqual(decided.violations, ["broker_credential_required"]);
  });

  it("checks the digest, bindings, expiry and the secret staying out of the reference", () => {
    const request = { tool_name: "t", identity: "a", run_id: "run-1", scope: ["s"] };
    const digest = "a".repeat(64);
    const response = {
      issued_by: "x",
      source: "stub",
      access_type: "jit",
      issuer: "i",
      scope: ["s"],
      credential_ref: "ref:1",
      request_digest: digest,
      issued_at: "2026-03-01T12:00:00Z",
      expires_at: "2026-03-01T12:05:00Z",
      ttl_seconds: 300,
    };
    const check = (changes: object, secret?: string) =>
      credentialMismatches(
        { response: { ...response, ...changes }, ...(secret ? { secret } : {}) },
        { request, requestDigest: digest, postures: [], now: NOW },
      );
    assert.deepEqual(check({}), []);
    assert.deepEqual(check({ request_digest: "b".repeat(64) }), ["broker_request_digest_mismatch"]);
    assert.deepEqual(check({ request_digest: "" }), ["broker_request_digest_missing"]);
    assert.deepEqual(check({ run_binding: "run-2" }), ["broker_run_binding_mismatch"]);
    assert.deepEqual(check({ target_binding: "c".repeat(64) }), ["broker_target_binding_mismatch"]);
    assert.deepEqual(check({ expires_at: "2026-03-01T11:59:59Z" }), ["broker_ttl_exceeded"]);
    assert.deepEqual(check({ credential_ref: "ref:tok-123456789" }, "tok-123456789"), [
      "broker_credential_ref_mismatch",
    ]);
    assert.deepEqual(check({ scope: ["s", "t"] }), ["broker_scope_mismatch"]);
  });
});
