/**
 * The oss-prod profile is one set of rules in the gate core: `gait gate eval`, `gait gate serve`
 * and `createGate` refuse the same setups with the same codes, and the same decisions.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { encodePrivateKey, generateSigningKey } from "../../src/contract/signing.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { createGate, type GateOptions } from "../../src/sdk/index.ts";
import { runGait, tempDir } from "../helpers/cli.ts";
import { call, intent, startServe } from "../sidecar/support.ts";

const STRICT =
  "default_verdict: block\nrules:\n  - name: approve-write\n    effect: require_approval\n    match: { tool_names: [tool.write] }\n";
const LAX = "default_verdict: allow\n";

describe("oss-prod refuses the same things through gate eval, gate serve and createGate", () => {
  let dir: string;
  let cleanup: () => void;
  const prodKey = ["--key-mode", "prod", "--private-key", "gait_private.key"];
  const key = generateSigningKey();

  before(() => {
    ({ dir, cleanup } = tempDir("gait-profile-"));
    writeFileSync(join(dir, "strict.yaml"), STRICT);
    writeFileSync(join(dir, "lax.yaml"), LAX);
    writeFileSync(join(dir, "gait_private.key"), `${encodePrivateKey(key)}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "write.json"), JSON.stringify(intent("tool.write")));
    writeFileSync(join(dir, "token.json"), JSON.stringify({ schema_id: "gait.gate.approval_token" }));
  });
  after(() => cleanup());

  const evalCode = async (args: string[]) => {
    const r = await runGait(
      ["gate", "eval", "--intent", "write.json", "--profile", "oss-prod", "--json", "--no-config", ...args],
      { cwd: dir },
    );
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.equal(r.json?.error_code, "invalid_input");
    return String(r.json?.detail_code);
  };
  const serveCode = async (args: string[]) => {
    const r = await runGait(
      ["gate", "serve", "--listen", "127.0.0.1:0", "--profile", "oss-prod", "--json", "--no-config", ...args],
      { cwd: dir, timeoutMs: 20_000 },
    );
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.equal(r.json?.error_code, "invalid_input");
    return String(r.json?.detail_code);
  };
  const sdkCode = async (options: Partial<GateOptions>) => {
    const error = await createGate({ profile: "oss-prod", cwd: dir, traceDir: null, ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof GaitError, String(error));
    return error.code;
  };

  it("a dev (ephemeral) signing key", async () => {
    assert.equal(await evalCode(["--policy", "strict.yaml"]), "profile_refused");
    assert.equal(await serveCode(["--policy", "strict.yaml"]), "profile_refused");
    assert.equal(await sdkCode({ policy: "strict.yaml", keyMode: "dev" }), "profile_refused");
  });

  it("a policy whose default verdict is allow", async () => {
    assert.equal(await evalCode(["--policy", "lax.yaml", ...prodKey]), "policy_invalid");
    assert.equal(await serveCode(["--policy", "lax.yaml", ...prodKey]), "policy_invalid");
    assert.equal(await sdkCode({ policy: "lax.yaml", signingKey: key }), "policy_invalid");
  });

  it("simulation (gate eval and createGate; gate serve has no simulate mode)", async () => {
    assert.equal(await evalCode(["--policy", "strict.yaml", ...prodKey, "--simulate"]), "profile_refused");
    assert.equal(
      await sdkCode({ policy: "strict.yaml", signingKey: key, simulate: true }),
      "profile_refused",
    );
  });

  it("per decision: a replay time, and tokens without an explicit approval key", async () => {
    const at = ["--evaluation-time", "2026-03-01T12:00:00Z"];
    assert.equal(await evalCode(["--policy", "strict.yaml", ...prodKey, ...at]), "profile_refused");
    assert.equal(
      await evalCode(["--policy", "strict.yaml", ...prodKey, "--approval-token", "token.json"]),
      "profile_refused",
    );
    const gate = await createGate({
      policy: "strict.yaml",
      profile: "oss-prod",
      signingKey: key,
      cwd: dir,
      traceDir: null,
    });
    const replay = await gate.evaluateAsync(intent("tool.write") as never, {
      evaluationTime: Timestamp.parse("2026-03-01T12:00:00Z"),
    });
    assert.equal(replay.error?.code, "profile_refused");
    assert.equal(replay.verdict, "block");
    const tokens = await gate.evaluateAsync(intent("tool.write") as never, { approvalTokens: [{}] });
    assert.equal(tokens.error?.code, "profile_refused");
    await gate.close();
    const server = await startServe(
      ["--policy", "strict.yaml", "--listen", "127.0.0.1:0", "--profile", "oss-prod", ...prodKey],
      {
        cwd: dir,
      },
    );
    try {
      const answer = await call(server.url, "/v1/evaluate", {
        body: { intent: intent("tool.write"), approval_tokens: [{}] },
        token: server.token,
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.json.error_code, "invalid_input");
      assert.equal(answer.json.detail_code, "profile_refused");
    } finally {
      await server.stop("SIGKILL");
    }
  });
});
