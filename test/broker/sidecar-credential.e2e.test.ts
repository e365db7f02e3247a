/**
 * `gait gate serve` hands the broker credential to its client: the built CLI with the env broker,
 * on an ephemeral loopback port. The secret is in the HTTP answer of an allow (in `credential`,
 * apart from the decision JSON) and nowhere else: not in a block's answer, not in any file under
 * the trace directory or the JSONL decision log, not on stdout or stderr. Run after
 * `node scripts/build.mjs`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../helpers/cli.ts";
import { call, eventually, type ServeProcess, startServe } from "../sidecar/support.ts";

const SECRET = "s3cr3t-release-token-9f2c7d1e";
const POLICY = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: brokered-deploys
    priority: 10
    effect: allow
    match:
      tool_names: [deploy.release]
    require_broker_credential: true
    broker_reference: release-api
    broker_scopes: [deploy:write]
`;

function intent(tool: string): Record<string, unknown> {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-03-01T12:00:00Z",
    producer_version: "test/1.0.0",
    tool_name: tool,
    args: { service: "billing" },
    targets: [{ kind: "url", value: "https://api.example.com/releases", operation: "write" }],
    context: { identity: "agent.deployer", workspace: "/work", risk_class: "high" },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

describe("gait gate serve with a credential broker (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  let server: ServeProcess;
  let stdout = "";

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-sidecar-credential-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    server = await startServe(
      [
        "--policy",
        "policy.yaml",
        "--listen",
        "127.0.0.1:0",
        "--trace-dir",
        "traces",
        "--export-log-out",
        "decisions.jsonl",
        "--credential-broker",
        "env",
      ],
      {
        cwd: dir,
        env: {
          GAIT_BROKER_TOKEN_RELEASE_API: SECRET,
          GAIT_BROKER_TOKEN_RELEASE_API_TTL_SECONDS: "600",
        },
      },
    );
    server.child.stdout!.on("data", (chunk) => {
      stdout += chunk;
    });
  });
  after(async () => {
    await server.stop("SIGKILL");
    cleanup();
  });

  it("returns the secret beside the decision of an allow, and only there", async () => {
    const allowed = await call(server.url, "/v1/evaluate", {
      body: intent("deploy.release"),
      token: server.token,
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.json.verdict, "allow");
    assert.ok((allowed.json.reason_codes as string[]).includes("broker_credential_present"));
    const credential = allowed.json.credential as Record<string, unknown>;
    assert.equal(credential.secret, SECRET);
    assert.equal(credential.ref, allowed.json.credential_ref);
    assert.match(String(credential.ref), /^env:GAIT_BROKER_TOKEN_RELEASE_API:[0-9a-f]{8}$/);
    assert.deepEqual(credential.scope, ["deploy:write"]);
    assert.equal(credential.issuer, "env");
    assert.match(String(credential.expires_at), /^\d{4}-\d\d-\d\dT/);
    assert.equal(allowed.headers["cache-control"], "no-store");
    const { credential: _, ...decision } = allowed.json;
    assert.equal(JSON.stringify(decision).includes(SECRET), false, "the decision JSON names the ref only");

    const blocked = await call(server.url, "/v1/evaluate", {
      body: intent("deploy.rollback"),
      token: server.token,
    });
    assert.equal(blocked.json.verdict, "block");
    assert.equal(blocked.json.credential, undefined);
  });

  it("writes the secret to no file under the trace dir, the decision log, stdout or stderr", async () => {
    await eventually(async () => {
      const health = await call(server.url, "/v1/health", { token: server.token });
      return health.json.traces_pending === 0 && health.json.traces_written === 2;
    });
    assert.equal(await server.stop("SIGTERM"), 0);
    const written = [...filesUnder(join(dir, "traces")), join(dir, "decisions.jsonl")];
    assert.ok(
      written.some((path) => path.includes("credential_evidence_")),
      "the evidence record is there",
    );
    assert.ok(readFileSync(join(dir, "decisions.jsonl"), "utf8").includes("deploy.release"));
    for (const path of written) {
      assert.equal(readFileSync(path, "utf8").includes(SECRET), false, `${path} holds the secret`);
    }
    assert.equal(stdout.includes(SECRET), false, "stdout holds the secret");
    assert.equal(server.stderr().includes(SECRET), false, "stderr holds the secret");
  });
});
