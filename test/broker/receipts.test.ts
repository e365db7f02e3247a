/**
 * Provider receipts: one offline sample per provider (examples/credential-brokers/receipts) mapped
 * onto the broker response, each accepted by the gate's credential check for the rule's scope;
 * wrapped receipts; unknown, ambiguous and malformed receipts refused with coded errors that
 * repeat no secret; and a real helper script printing a receipt through the command broker.
 */
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createBroker, requestCredential } from "../../src/broker/index.ts";
import { parseHelperAnswer, RECEIPT_TYPES } from "../../src/broker/receipts.ts";
import { brokerRequestDigest } from "../../src/broker/request.ts";
import type { BrokerIssue, BrokerRequest } from "../../src/broker/types.ts";
import { credentialMismatches } from "../../src/broker/validate.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  applyCredentialCheck,
  compilePolicy,
  decideGateSync,
  parsePolicyYaml,
} from "../../src/gate/index.ts";
import { repoRoot, tempDir } from "../helpers/cli.ts";

const RECEIPTS = join(repoRoot, "examples", "credential-brokers", "receipts");
const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const REQUEST: BrokerRequest = {
  tool_name: "deploy.release",
  identity: "agent.deployer",
  reference: "release-api",
  scope: ["deploy:write"],
};
const CONTEXT = { request: REQUEST, requestDigest: brokerRequestDigest(REQUEST), now: NOW };

function receipt(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(RECEIPTS, `${name}.json`), "utf8")) as Record<string, unknown>;
}

function coded(code: string, secret?: string) {
  return (e: unknown) =>
    e instanceof GaitError &&
    e.code === code &&
    e.exitCode === 2 &&
    e.hint !== undefined &&
    (secret === undefined || !e.message.includes(secret));
}

const EXPECTED: Record<string, { source: string; issuer: string; subject?: string; ref: RegExp }> = {
  aws_sts: {
    source: "aws_sts",
    issuer: "https://sts.amazonaws.com",
    subject: "arn:aws:sts::123456789012:assumed-role/release-deployer/gait-deploy",
    ref: /^aws_sts:ASIAEXAMPLE7Q4RZ2KJD$/,
  },
  github_oidc: {
    source: "github_oidc",
    issuer: "https://token.actions.githubusercontent.com",
    subject: "repo:acme/release-tools:ref:refs/heads/main",
    ref: /^github_oidc:7e9f3c1a-52d4-4b8e-9a61-0c2d8f4e6b13$/,
  },
  vault: {
    source: "vault",
    issuer: "vault",
    subject: "v-approle-release-w-wGLPkpDyc6AgqBfMZTD3-1772366400",
    ref: /^vault:database\/creds\/release-writer\/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6$/,
  },
  vault_token: {
    source: "vault",
    issuer: "vault",
    subject: "4e2f1c7a-9b3d-4a8e-b6c5-0d1f2e3a4b5c",
    ref: /^vault:accessor:8Lq3ZbFcXhP2vN7dKm4sWt9y$/,
  },
  gcp_sts: { source: "gcp_sts", issuer: "https://sts.googleapis.com", ref: /^gcp_sts:[0-9a-f]{24}$/ },
  azure_federated: {
    source: "azure_federated",
    issuer: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
    subject: "a1b2c3d4-e5f6-4789-9abc-def012345678",
    ref: /^azure_federated:kZJmXbExampleUtiQ0AA$/,
  },
  okta: {
    source: "okta",
    issuer: "https://acme.okta.com/oauth2/default",
    subject: "0oa1example2client3id",
    ref: /^okta:AT\.ExampleOktaJti_Q4w8vN2kLmP0rStUv$/,
  },
  cyberark: {
    source: "cyberark",
    issuer: "https://abc1234.id.cyberark.cloud/release/",
    subject: "2b1c4d6e-8f0a-4b2c-9d3e-5f7a9b1c3d5e",
    ref: /^cyberark:CyberArkExampleJti1234567890$/,
  },
};

function assertUsable(issue: BrokerIssue): void {
  assert.deepEqual(
    credentialMismatches(issue, { ...CONTEXT, postures: [] }),
    [],
    "the gate accepts it for the rule's scope",
  );
  assert.ok(issue.secret, "the secret travels beside the response");
  assert.equal(JSON.stringify(issue.response).includes(issue.secret!), false, "the response holds no secret");
}

describe("provider receipts", () => {
  it("maps a bare sample receipt of every provider onto the broker response", () => {
    assert.deepEqual(
      new Set(Object.values(EXPECTED).map((e) => e.source)),
      new Set(RECEIPT_TYPES),
      "every normaliser has a sample",
    );
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const issue = parseHelperAnswer(receipt(name), CONTEXT, "helper");
      const { response } = issue;
      assert.equal(response.source, expected.source, name);
      assert.equal(response.issued_by, "command", name);
      assert.equal(response.access_type, "jit", name);
      assert.equal(response.issuer, expected.issuer, name);
      assert.equal(response.subject, expected.subject, name);
      assert.match(response.credential_ref, expected.ref, name);
      assert.deepEqual(response.scope, ["deploy:write"], name);
      assert.equal(response.request_digest, CONTEXT.requestDigest, name);
      assert.equal(response.expires_at, "2026-03-01T12:10:00Z", name);
      assert.equal(response.ttl_seconds, 600, name);
      assertUsable(issue);
    }
  });

  it("hands over the provider's credential material as the secret", () => {
    const aws = JSON.parse(parseHelperAnswer(receipt("aws_sts"), CONTEXT, "h").secret!);
    assert.equal(aws.SecretAccessKey, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert.match(aws.SessionToken, /^IQoJ/);
    const vault = JSON.parse(parseHelperAnswer(receipt("vault"), CONTEXT, "h").secret!);
    assert.deepEqual(Object.keys(vault), ["password", "username"]);
    assert.equal(
      parseHelperAnswer(receipt("github_oidc"), CONTEXT, "h").secret,
      receipt("github_oidc").value,
    );
    assert.match(parseHelperAnswer(receipt("gcp_sts"), CONTEXT, "h").secret!, /^ya29\./);
  });

  it("a provider-reported scope must match: an Okta token for other scopes is refused by the gate", () => {
    const okta = receipt("okta");
    const issue = parseHelperAnswer({ ...okta, scope: "deploy:admin" }, CONTEXT, "h");
    assert.deepEqual(issue.response.scope, ["deploy:admin"]);
    assert.deepEqual(credentialMismatches(issue, { ...CONTEXT, postures: [] }), ["broker_scope_mismatch"]);
  });

  it("an expired receipt maps to a non-positive TTL, which the gate refuses", () => {
    const later = { ...CONTEXT, now: Timestamp.parse("2026-03-01T12:30:00Z") };
    for (const name of ["aws_sts", "github_oidc", "okta"]) {
      const issue = parseHelperAnswer(receipt(name), later, "h");
      assert.ok(issue.response.ttl_seconds <= 0, name);
      assert.deepEqual(
        credentialMismatches(issue, { ...later, postures: [] }),
        ["broker_ttl_exceeded"],
        name,
      );
    }
  });

  it("accepts a wrapped receipt, with the digest it echoes", () => {
    const issue = parseHelperAnswer(
      { receipt_type: "gcp_sts", receipt: receipt("gcp_sts"), request_digest: CONTEXT.requestDigest },
      CONTEXT,
      "h",
    );
    assert.equal(issue.response.source, "gcp_sts");
    assertUsable(issue);
    const other = parseHelperAnswer(
      { receipt_type: "gcp_sts", receipt: receipt("gcp_sts"), request_digest: "0".repeat(64) },
      CONTEXT,
      "h",
    );
    assert.deepEqual(credentialMismatches(other, { ...CONTEXT, postures: [] }), [
      "broker_request_digest_mismatch",
    ]);
  });

  it("refuses unknown, ambiguous and malformed receipts with coded errors that repeat no secret", () => {
    const aws = receipt("aws_sts");
    const credentials = aws.Credentials as Record<string, unknown>;
    const secret = String(credentials.SecretAccessKey);
    assert.throws(() => parseHelperAnswer({ token: "x" }, CONTEXT, "h"), coded("broker_receipt_unknown"));
    assert.throws(
      () => parseHelperAnswer({ ...aws, ...receipt("vault") }, CONTEXT, "h"),
      coded("broker_receipt_unknown", secret),
      "claimed by two normalisers",
    );
    assert.throws(
      () => parseHelperAnswer({ receipt_type: "ldap", receipt: {} }, CONTEXT, "h"),
      coded("broker_receipt_unknown"),
    );
    assert.throws(
      () => parseHelperAnswer({ receipt_type: "okta", receipt: aws }, CONTEXT, "h"),
      coded("broker_receipt_invalid", secret),
    );
    assert.throws(
      () => parseHelperAnswer({ receipt_type: "aws_sts", receipt: aws, extra: 1 }, CONTEXT, "h"),
      coded("broker_receipt_invalid"),
    );
    const { Expiration: _, ...noExpiry } = credentials;
    assert.throws(
      () => parseHelperAnswer({ ...aws, Credentials: noExpiry }, CONTEXT, "h"),
      coded("broker_receipt_invalid", secret),
    );
    assert.throws(
      () => parseHelperAnswer({ ...aws, Credentials: { ...credentials, Expiration: "soon" } }, CONTEXT, "h"),
      coded("broker_receipt_invalid", secret),
    );
    const gcp = receipt("gcp_sts");
    const { expires_in: __, ...noLifetime } = gcp;
    assert.throws(
      () => parseHelperAnswer(noLifetime, CONTEXT, "h"),
      coded("broker_receipt_invalid", String(gcp.access_token)),
    );
    // The response shape stays strict: a response marker means a response.
    assert.throws(
      () => parseHelperAnswer({ ...aws, credential_ref: "x" }, CONTEXT, "h"),
      coded("broker_response_invalid"),
    );
  });
});

describe("a credential helper printing a provider receipt (command broker)", () => {
  const { dir, cleanup } = tempDir("gait-receipt-helper-");
  after(cleanup);

  it("allows with the receipt's credential; the outcome names it by reference only", async () => {
    const helper = join(dir, "aws-sts-helper.sh");
    writeFileSync(helper, `#!/bin/sh\ncat >/dev/null\ncat '${join(RECEIPTS, "aws_sts.json")}'\n`);
    chmodSync(helper, 0o755);
    const broker = (await createBroker(
      { kind: "command", command: helper },
      { env: { PATH: process.env.PATH }, cwd: dir },
    ))!;
    const policy = [
      "default_verdict: block",
      "rules:",
      "  - name: brokered",
      "    effect: allow",
      "    require_broker_credential: true",
      "    broker_reference: release-api",
      "    broker_scopes: [deploy:write]",
      "    allowed_credential_sources: [aws_sts]",
      "",
    ].join("\n");
    const decided = decideGateSync({
      compiled: compilePolicy(parsePolicyYaml(policy, "policy.yaml")),
      intent: {
        schema_id: "gait.gate.intent_request",
        schema_version: "1.0.0",
        created_at: "2026-03-01T11:59:00Z",
        producer_version: "0.0.0-dev",
        tool_name: "deploy.release",
        args: {},
        targets: [{ kind: "url", value: "https://api.example.com/releases", operation: "write" }],
        // The declared credential context meets the rule's posture; the issued credential must too.
        context: {
          identity: "agent.deployer",
          workspace: "/repo",
          risk_class: "high",
          credential_ref: "ref:release-api",
          credential_source: "aws_sts",
          credential_access_type: "jit",
          credential_ttl_seconds: 600,
        },
      },
      now: NOW,
      brokerConfigured: true,
    });
    const result = await requestCredential(broker, decided, NOW);
    assert.ok("issued" in result.check, JSON.stringify(result.check));
    const settled = applyCredentialCheck(decided, result.check);
    assert.equal(settled.verdict, "allow", JSON.stringify(settled.reasonCodes));
    assert.equal(settled.credential?.ref, "aws_sts:ASIAEXAMPLE7Q4RZ2KJD");
    assert.equal(settled.credential?.source, "aws_sts");
    assert.match(String(result.credential?.secret), /wJalrXUtnFEMI/);
    assert.equal(JSON.stringify(settled).includes("wJalrXUtnFEMI"), false);
  });
});
