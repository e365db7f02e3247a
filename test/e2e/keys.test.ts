import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parsePrivateKey, parsePublicKey } from "../../src/contract/signing.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

const posix = process.platform !== "win32";

describe("gait keys", () => {
  const tmp = tempDir("gait-e2e-keys-");
  after(tmp.cleanup);
  const keysDir = join(tmp.dir, "gait-out", "keys");
  let keyId = "";

  before(async () => {
    const r = await runGait(["keys", "init", "--json"], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    keyId = String(r.json?.key_id);
  });

  it("init writes a base64 key pair with modes 0600/0644 and reports key_id and paths", async () => {
    const privateText = readFileSync(join(keysDir, "gait_private.key"), "utf8");
    const publicText = readFileSync(join(keysDir, "gait_public.key"), "utf8");
    assert.match(privateText, /^[A-Za-z0-9+/]{86}==\n$/);
    assert.match(publicText, /^[A-Za-z0-9+/]{43}=\n$/);
    assert.equal(parsePrivateKey(privateText, "file").keyId, keyId);
    assert.equal(parsePublicKey(publicText, "file").keyId, keyId);
    assert.match(keyId, /^[0-9a-f]{64}$/);
    if (posix) {
      assert.equal(statSync(join(keysDir, "gait_private.key")).mode & 0o777, 0o600);
      assert.equal(statSync(join(keysDir, "gait_public.key")).mode & 0o777, 0o644);
    }
  });

  it("a private key flag means prod without --key-mode (gate eval, approve), and signs verifiably", async () => {
    writeFileSync(join(tmp.dir, "p.yaml"), "default_verdict: allow\n");
    writeFileSync(
      join(tmp.dir, "i.json"),
      JSON.stringify({
        tool_name: "t.read",
        args: {},
        context: { identity: "a", workspace: "/w", risk_class: "low" },
      }),
    );
    const key = ["--private-key", "gait-out/keys/gait_private.key"];
    const evaluated = await runGait(
      ["gate", "eval", "--policy", "p.yaml", "--intent", "i.json", "--json", ...key],
      {
        cwd: tmp.dir,
      },
    );
    assert.equal(evaluated.code, 0, evaluated.stdout);
    assert.equal(evaluated.json?.warnings, undefined, "no dev-key warning");
    const verified = await runGait(
      [
        "trace",
        "verify",
        String(evaluated.json?.trace_path),
        "--public-key",
        "gait-out/keys/gait_public.key",
        "--json",
      ],
      { cwd: tmp.dir },
    );
    assert.equal(verified.code, 0, verified.stdout);
    const approved = await runGait(
      [
        ...[
          "approve",
          "--intent-digest",
          "1".repeat(64),
          "--policy-digest",
          "2".repeat(64),
          "--scope",
          "tool:t",
        ],
        ...["--approver", "alice", "--reason-code", "r", "--ttl", "1h", "--json", ...key],
      ],
      { cwd: tmp.dir },
    );
    assert.equal(approved.code, 0, approved.stdout);
    assert.equal(approved.json?.key_id, keyId);
    const dev = await runGait(
      ["gate", "eval", "--policy", "p.yaml", "--intent", "i.json", "--key-mode", "dev", ...key],
      {
        cwd: tmp.dir,
      },
    );
    assert.equal(dev.code, 6, "an explicit dev mode with a key is still refused");
  });

  it("init refuses to overwrite without --force, and --force replaces the pair", async () => {
    const refused = await runGait(["keys", "init", "--json"], { cwd: tmp.dir });
    assert.equal(refused.code, 6);
    assert.equal(refused.json?.ok, false);
    assert.equal(refused.json?.error_code, "invalid_input");
    assert.equal(refused.json?.detail_code, "key_file_exists");
    assert.match(String(refused.json?.hint), /--force/);
    assert.equal(parsePublicKey(readFileSync(join(keysDir, "gait_public.key"), "utf8"), "f").keyId, keyId);

    const dir = tempDir("gait-e2e-force-");
    try {
      await runGait(["keys", "init", "--out-dir", "k", "--prefix", "svc"], { cwd: dir.dir });
      const before = readFileSync(join(dir.dir, "k", "svc_private.key"), "utf8");
      const forced = await runGait(
        ["keys", "init", "--out-dir", "k", "--prefix", "svc", "--force", "--json"],
        {
          cwd: dir.dir,
        },
      );
      assert.equal(forced.code, 0, forced.stdout);
      assert.equal(forced.json?.private_key_path, join("k", "svc_private.key"));
      assert.equal(forced.json?.public_key_path, join("k", "svc_public.key"));
      assert.notEqual(readFileSync(join(dir.dir, "k", "svc_private.key"), "utf8"), before);
    } finally {
      dir.cleanup();
    }
  });

  it("init prints short human lines with the paths and key_id", async () => {
    const dir = tempDir("gait-e2e-human-");
    try {
      const r = await runGait(["keys", "init"], { cwd: dir.dir });
      assert.equal(r.code, 0);
      assert.match(r.stdout, /gait_private\.key/);
      assert.match(r.stdout, /gait_public\.key/);
      assert.match(r.stdout, /key_id: +[0-9a-f]{64}/);
    } finally {
      dir.cleanup();
    }
  });

  it("verify accepts a matching pair (exit 0) with key_id and sources", async () => {
    const r = await runGait(
      [
        "keys",
        "verify",
        "--private-key",
        "gait-out/keys/gait_private.key",
        "--public-key",
        "gait-out/keys/gait_public.key",
        "--json",
      ],
      { cwd: tmp.dir },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json?.ok, true);
    assert.equal(r.json?.key_id, keyId);
    assert.equal(r.json?.pair_checked, true);
    assert.equal(r.json?.private_key_path, "gait-out/keys/gait_private.key");
    assert.equal(r.json?.public_key_path, "gait-out/keys/gait_public.key");
  });

  it("verify reads keys from named environment variables", async () => {
    const r = await runGait(["keys", "verify", "--private-key-env", "MY_SIGNING_KEY", "--json"], {
      cwd: tmp.dir,
      env: { MY_SIGNING_KEY: readFileSync(join(keysDir, "gait_private.key"), "utf8") },
    });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json?.key_id, keyId);
    assert.equal(r.json?.private_key_env, "MY_SIGNING_KEY");
    assert.equal(r.json?.pair_checked, false);
    assert.doesNotMatch(r.stdout, /[A-Za-z0-9+/]{86}==/, "never echoes the key");
  });

  it("rotate writes a timestamped pair and keeps the old keys; verify of a mixed pair exits 2", async () => {
    const r = await runGait(["keys", "rotate", "--json"], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const prefix = String(r.json?.prefix);
    assert.match(prefix, /^gait_\d{8}T\d{6}Z$/);
    assert.equal(r.json?.private_key_path, join("gait-out", "keys", `${prefix}_private.key`));
    assert.notEqual(r.json?.key_id, keyId);
    const files = readdirSync(keysDir).sort();
    assert.deepEqual(files, [
      `${prefix}_private.key`,
      `${prefix}_public.key`,
      "gait_private.key",
      "gait_public.key",
    ]);
    assert.equal(parsePublicKey(readFileSync(join(keysDir, "gait_public.key"), "utf8"), "f").keyId, keyId);
    if (posix) assert.equal(statSync(join(keysDir, `${prefix}_private.key`)).mode & 0o777, 0o600);

    const mismatch = await runGait(
      [
        "keys",
        "verify",
        "--private-key",
        "gait-out/keys/gait_private.key",
        "--public-key",
        `gait-out/keys/${prefix}_public.key`,
        "--json",
      ],
      { cwd: tmp.dir },
    );
    assert.equal(mismatch.code, 2, mismatch.stdout);
    assert.equal(mismatch.json?.ok, false);
    assert.equal(mismatch.json?.error_code, "key_pair_mismatch");
    assert.equal(mismatch.json?.error_category, "verification_failed");
    assert.equal(mismatch.json?.retryable, false);
    assert.equal(typeof mismatch.json?.hint, "string");
    assert.equal(mismatch.json?.private_key_id, keyId);
    assert.equal(mismatch.json?.public_key_id, r.json?.key_id);
  });

  it("verify rejects an undecodable key (exit 6) and needs at least one key", async () => {
    const bad = await runGait(["keys", "verify", "--public-key-env", "BAD_KEY", "--json"], {
      cwd: tmp.dir,
      env: { BAD_KEY: "bm90IGEga2V5" },
    });
    assert.equal(bad.code, 6);
    assert.equal(bad.json?.error_code, "invalid_input");
    assert.equal(bad.json?.detail_code, "invalid_public_key");
    const none = await runGait(["keys", "verify", "--json"], { cwd: tmp.dir });
    assert.equal(none.code, 6);
    assert.equal(none.json?.error_code, "invalid_input");
    assert.equal(none.json?.detail_code, "usage");
  });
});
