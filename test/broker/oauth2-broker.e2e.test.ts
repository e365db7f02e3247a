/**
 * The OAuth 2.0 broker end to end: the built CLI against a real OpenID provider (oidc-provider) on
 * 127.0.0.1. Allow with an issued token whose scope and audience match the rule; block when the
 * provider is down, refuses the scope, or returns an expired token; the token appears in no file
 * Gait wrote nor in its output. Run after `node scripts/build.mjs`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as oidc from "openid-client";
import { runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";
import { CLIENT_ID, CLIENT_SECRET, type OAuthServer, startOAuthServer } from "./oauth-server.ts";

const AUDIENCE = "https://api.example.com";
const SECRET_ENV = "GAIT_TEST_OAUTH2_SECRET";
const SUBJECT_ENV = "GAIT_TEST_OAUTH2_SUBJECT";

const intent = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "deploy.release",
  args: { service: "billing" },
  targets: [{ kind: "url", value: "https://api.example.com/releases", operation: "write" }],
  context: { identity: "agent.deployer", workspace: "/repo", risk_class: "high", run_id: "run-7" },
};

function policy(scopes: string[]): string {
  return [
    "default_verdict: block",
    "rules:",
    "  - name: brokered-deploys",
    "    effect: allow",
    "    match:",
    "      tool_names: [deploy.release]",
    "    require_broker_credential: true",
    "    broker_reference: release-api",
    `    broker_scopes: [${scopes.join(", ")}]`,
    "",
  ].join("\n");
}

interface Run {
  dir: string;
  result: Awaited<ReturnType<typeof runGait>>;
}

async function evaluate(issuer: string, scopes: string[], extra: string[] = [], env = {}): Promise<Run> {
  const { dir } = tempDir("gait-oauth2-");
  writeFileSync(join(dir, "policy.yaml"), policy(scopes));
  writeFileSync(join(dir, "intent.json"), JSON.stringify(intent));
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
      "oauth2",
      "--oauth2-issuer",
      issuer,
      "--oauth2-client-id",
      CLIENT_ID,
      "--oauth2-client-secret-env",
      SECRET_ENV,
      "--oauth2-audience",
      AUDIENCE,
      ...extra,
    ],
    { cwd: dir, env: { [SECRET_ENV]: CLIENT_SECRET, ...env } },
  );
  return { dir, result };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** No secret in any file under `dir` nor in the CLI's output. */
function assertNoSecrets(run: Run, secrets: string[]): void {
  const files = filesUnder(run.dir);
  assert.ok(files.length > 0);
  for (const secret of secrets) {
    assert.ok(secret.length > 20, "a real token or secret to look for");
    for (const file of files) {
      assert.ok(!readFileSync(file, "latin1").includes(secret), `${file} holds a secret`);
    }
    assert.ok(!run.result.stdout.includes(secret), "stdout holds a secret");
    assert.ok(!run.result.stderr.includes(secret), "stderr holds a secret");
  }
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

/** The allow, its trace and its evidence record name the same credential. */
function assertBrokeredAllow(run: Run, issuer: string): void {
  const json = run.result.json!;
  assert.equal(run.result.code, 0, run.result.stdout + run.result.stderr);
  assert.equal(json.verdict, "allow");
  assert.deepEqual(json.reason_codes, ["broker_credential_present", "matched_rule_brokered_deploys"]);
  assert.equal(json.credential_source, "oauth2");
  assert.equal(json.credential_access_type, "jit");
  assert.equal(json.credential_issuer, issuer);
  assert.match(String(json.credential_ref), /^oauth2:[0-9a-f]{24}$/);
  assert.ok(Number(json.credential_ttl_seconds) > 0 && Number(json.credential_ttl_seconds) <= 300);
  const trace = readJson(join(run.dir, String(json.trace_path)));
  assertPublicValidIfAvailable(trace, "trace");
  assert.equal(trace.broker_credential_ref, json.credential_ref);
  assert.equal(trace.broker_credential_source, "oauth2");
  assert.equal(trace.broker_credential_issuer, issuer);
  assert.match(String(trace.broker_request_digest), /^[0-9a-f]{64}$/);
  const record = readJson(join(run.dir, String(json.credential_evidence_path)));
  assertPublicValidIfAvailable(record, "broker credential record");
  assert.equal(record.trace_id, json.trace_id);
  assert.equal(record.credential_ref, json.credential_ref);
  assert.equal(record.request_digest, trace.broker_request_digest);
  assert.deepEqual(record.scope, ["deploy:write"]);
  assert.equal(record.reference, "release-api");
}

describe("oauth2 credential broker against a real OpenID provider on loopback", () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer();
  });
  after(() => server?.close());

  it("client credentials: allows with a token for exactly the rule's scope and the audience", async () => {
    const before = server.issued.length;
    const run = await evaluate(server.issuer, ["deploy:write"]);
    assertBrokeredAllow(run, server.issuer);
    const tokens = server.issued.slice(before);
    assert.equal(tokens.length, 1);
    assert.equal(claims(tokens[0]!).aud, AUDIENCE);
    assert.equal(claims(tokens[0]!).scope, "deploy:write");
    assertNoSecrets(run, [...tokens, CLIENT_SECRET]);
  });

  it("token exchange (RFC 8693): exchanges the subject token for one with the rule's scope and audience", async () => {
    const config = await oidc.discovery(
      new URL(server.issuer),
      CLIENT_ID,
      undefined,
      oidc.ClientSecretBasic(CLIENT_SECRET),
      { execute: [oidc.allowInsecureRequests] },
    );
    const subject = (await oidc.clientCredentialsGrant(config, { scope: "repo:read" })).access_token;
    const before = server.issued.length;
    const exchangesBefore = server.exchanges;
    const run = await evaluate(server.issuer, ["deploy:write"], ["--oauth2-subject-token-env", SUBJECT_ENV], {
      [SUBJECT_ENV]: subject,
    });
    assertBrokeredAllow(run, server.issuer);
    const tokens = server.issued.slice(before);
    assert.equal(tokens.length, 1);
    const exchanged = claims(tokens[0]!);
    assert.equal(exchanged.aud, AUDIENCE);
    assert.equal(exchanged.scope, "deploy:write");
    assert.equal(server.exchanges, exchangesBefore + 1, "the token came from the token exchange grant");
    assertNoSecrets(run, [...tokens, subject, CLIENT_SECRET]);
  });

  it("blocks when the provider refuses the scope", async () => {
    const run = await evaluate(server.issuer, ["admin"]);
    const json = run.result.json!;
    assert.equal(run.result.code, 3, run.result.stdout + run.result.stderr);
    assert.equal(json.verdict, "block");
    assert.deepEqual(json.reason_codes, ["broker_credential_missing", "matched_rule_brokered_deploys"]);
    assert.deepEqual(json.violations, ["broker_credential_missing"]);
    assert.equal((json.credential_error as { code: string }).code, "oauth2_grant_refused");
    assert.match((json.credential_error as { message: string }).message, /invalid_scope/);
    assert.equal(json.credential_ref, undefined);
    assert.equal(json.credential_evidence_path, undefined);
    assertPublicValidIfAvailable(readJson(join(run.dir, String(json.trace_path))), "trace");
  });

  it("blocks when the provider is down", async () => {
    const down = await startOAuthServer();
    const issuer = down.issuer;
    await down.close();
    const run = await evaluate(issuer, ["deploy:write"]);
    const json = run.result.json!;
    assert.equal(run.result.code, 3, run.result.stdout + run.result.stderr);
    assert.deepEqual(json.reason_codes, ["broker_credential_missing", "matched_rule_brokered_deploys"]);
    assert.equal((json.credential_error as { code: string }).code, "oauth2_unavailable");
  });

  it("blocks when the provider returns an expired token", async () => {
    const expiring = await startOAuthServer({ expiredTokens: true });
    try {
      const run = await evaluate(expiring.issuer, ["deploy:write"]);
      const json = run.result.json!;
      assert.equal(run.result.code, 3, run.result.stdout + run.result.stderr);
      assert.deepEqual(json.reason_codes, ["broker_ttl_exceeded", "matched_rule_brokered_deploys"]);
      assert.deepEqual(json.violations, ["broker_ttl_exceeded"]);
      assert.equal(expiring.issued.length, 1);
      assertNoSecrets(run, [...expiring.issued, CLIENT_SECRET]);
    } finally {
      await expiring.close();
    }
  });

  it("refuses a missing client secret variable as invalid input (exit 6)", async () => {
    const run = await evaluate(server.issuer, ["deploy:write"], [], { [SECRET_ENV]: "" });
    assert.equal(run.result.code, 6, run.result.stdout + run.result.stderr);
    assert.equal(run.result.json?.detail_code, "oauth2_secret_missing");
  });
});
