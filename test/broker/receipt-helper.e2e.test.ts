/**
 * `gait gate eval --credential-broker command` with a real helper that prints a provider receipt
 * (AWS STS's answer, fresh times) instead of the broker response: the built CLI allows with the
 * receipt's credential, names it by its access key id in the JSON, trace and evidence record, and
 * writes the secret key nowhere. Run after `node scripts/build.mjs`.
 */
import assert from "node:assert/strict";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFRESHKEY9";
const HELPER = `#!/usr/bin/env node
let request = "";
process.stdin.on("data", (chunk) => { request += chunk; });
process.stdin.on("end", () => {
  JSON.parse(request);
  const expiration = new Date(Date.now() + 300_000).toISOString();
  process.stdout.write(JSON.stringify({
    Credentials: {
      AccessKeyId: "ASIAFRESHEXAMPLE0001",
      SecretAccessKey: ${JSON.stringify(SECRET_KEY)},
      SessionToken: "IQoJb3JpZ2luX2VjFRESHSESSIONTOKENnotreal",
      Expiration: expiration,
    },
    AssumedRoleUser: { AssumedRoleId: "AROAEXAMPLE:gait", Arn: "arn:aws:sts::123456789012:assumed-role/deployer/gait" },
  }));
});
`;
const POLICY = `default_verdict: block
rules:
  - name: brokered-deploys
    effect: allow
    match: { tool_names: [deploy.release] }
    require_broker_credential: true
    broker_reference: release-api
    broker_scopes: [deploy:write]
`;
const INTENT = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-03-01T12:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "deploy.release",
  args: { service: "billing" },
  targets: [{ kind: "url", value: "https://api.example.com/releases", operation: "write" }],
  context: { identity: "agent.deployer", workspace: "/repo", risk_class: "high" },
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

describe("command broker with a provider receipt (built CLI)", () => {
  const { dir, cleanup } = tempDir("gait-e2e-receipt-");
  after(cleanup);

  it("allows with the receipt's credential, recorded by reference and never by secret", async () => {
    writeFileSync(join(dir, "helper.mjs"), HELPER);
    chmodSync(join(dir, "helper.mjs"), 0o755);
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    writeFileSync(join(dir, "intent.json"), JSON.stringify(INTENT));
    const result = await runGait(
      [
        "gate",
        "eval",
        "--policy",
        "policy.yaml",
        "--intent",
        "intent.json",
        "--no-config",
        "--json",
        "--trace-dir",
        "out",
        "--credential-broker",
        "command",
        "--credential-command",
        "./helper.mjs",
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const json = result.json!;
    assert.equal(json.verdict, "allow");
    assert.equal(json.credential_source, "aws_sts");
    assert.equal(json.credential_issuer, "https://sts.amazonaws.com");
    assert.equal(json.credential_ref, "aws_sts:ASIAFRESHEXAMPLE0001");
    const record = JSON.parse(readFileSync(join(dir, String(json.credential_evidence_path)), "utf8"));
    assertPublicValidIfAvailable(record, "broker credential record");
    assert.equal(record.credential_ref, "aws_sts:ASIAFRESHEXAMPLE0001");
    assert.equal(record.credential_subject, "arn:aws:sts::123456789012:assumed-role/deployer/gait");
    const trace = JSON.parse(readFileSync(join(dir, String(json.trace_path)), "utf8"));
    assert.equal(trace.broker_credential_ref, "aws_sts:ASIAFRESHEXAMPLE0001");
    for (const file of filesUnder(join(dir, "out"))) {
      assert.equal(readFileSync(file, "utf8").includes(SECRET_KEY), false, `${file} holds the secret`);
    }
    assert.equal(result.stdout.includes(SECRET_KEY), false);
    assert.equal(result.stderr.includes(SECRET_KEY), false);
  });
});
