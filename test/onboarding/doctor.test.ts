import assert from "node:assert/strict";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encodePrivateKey, encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { nodeVersionCheck } from "../../src/onboarding/doctor.ts";
import { type DoctorResult, doctorExitCode, initProject, runDoctor } from "../../src/onboarding/index.ts";
import { tempDir } from "../helpers/cli.ts";

const byName = (result: DoctorResult, name: string) => {
  const check = result.checks.find((c) => c.name === name);
  assert.ok(check, `no check ${name}`);
  return check;
};

function writeConfig(dir: string, text: string): void {
  mkdirSync(join(dir, ".gait"), { recursive: true });
  writeFileSync(join(dir, ".gait/config.yaml"), text);
}

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : 0 });
    });
  });
}

describe("gait doctor", () => {
  it("an old Node is a non-fixable failure (exit 7)", () => {
    const check = nodeVersionCheck("18.19.0");
    assert.equal(check.status, "fail");
    assert.equal(check.non_fixable, true);
    assert.match(check.fix_command, /nvm install 20/);
    assert.equal(nodeVersionCheck("20.0.0").status, "pass");
  });

  it("a fresh directory warns about config, policy and keys and exits 0", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const result = await runDoctor({ cwd: dir, env: {}, productionReadiness: false });
      assert.equal(result.schema_id, "gait.doctor.result");
      assert.equal(result.status, "warn");
      assert.equal(doctorExitCode(result), 0);
      for (const name of ["project_config", "repo_policy", "signing_key"]) {
        assert.equal(byName(result, name).status, "warn", name);
      }
      for (const check of result.checks) {
        if (check.status !== "pass") assert.notEqual(check.fix_command, "", check.name);
        else assert.equal(check.fix_command, "");
      }
      assert.ok(result.fix_commands.includes("gait init"));
      const old = await runDoctor({ cwd: dir, env: {}, productionReadiness: false, nodeVersion: "16.0.0" });
      assert.equal(doctorExitCode(old), 7);
    } finally {
      cleanup();
    }
  });

  it("production readiness fails (exit 2) until init --profile oss-prod with a key", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const fresh = await runDoctor({ cwd: dir, env: {}, productionReadiness: true });
      assert.equal(doctorExitCode(fresh), 2);
      const production = fresh.checks.filter((c) => c.name.startsWith("production_"));
      assert.deepEqual(
        production.map((c) => `${c.name}:${c.status}`),
        [
          "production_key_mode:fail",
          "production_policy_default:fail",
          "production_profile:warn",
          "production_fail_closed:warn",
        ],
      );
      await initProject({
        cwd: dir,
        template: "baseline-highrisk",
        policyPath: ".gait.yaml",
        profile: "oss-prod",
        force: false,
      });
      const noKey = await runDoctor({ cwd: dir, env: {}, productionReadiness: true });
      assert.equal(byName(noKey, "signing_key").status, "fail");
      assert.match(
        byName(noKey, "signing_key").fix_command,
        /^gait keys init --out-dir gait-out\/keys --prefix gait$/,
      );
      assert.equal(byName(noKey, "production_key_mode").status, "fail");
      assert.equal(doctorExitCode(noKey), 2);
    } finally {
      cleanup();
    }
  });

  it("reports an invalid config and an invalid policy as failures naming the position", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeConfig(dir, "gate:\n  polcy: x.yaml\n");
      writeFileSync(join(dir, ".gait.yaml"), "default_verdict: sometimes\n");
      const result = await runDoctor({ cwd: dir, env: {}, productionReadiness: false });
      assert.equal(byName(result, "project_config").status, "fail");
      assert.match(byName(result, "project_config").message, /config\.yaml:2:3: unknown field "polcy"/);
      assert.equal(byName(result, "repo_policy").status, "fail");
      assert.equal(byName(result, "repo_policy").fix_command, "gait policy validate .gait.yaml");
      assert.equal(doctorExitCode(result), 0);
    } finally {
      cleanup();
    }
  });

  it("finds stale lock files and leaves fresh ones alone", async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, ".gait-out"), { recursive: true });
      mkdirSync(join(dir, "gait-out/jobs/x"), { recursive: true });
      writeFileSync(join(dir, ".gait-out/gate_rate_limits.json.lock"), "{}");
      writeFileSync(join(dir, "gait-out/jobs/x/state.lock"), "{}");
      writeFileSync(join(dir, "gait-out/fresh.lock"), "{}");
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(dir, ".gait-out/gate_rate_limits.json.lock"), old, old);
      utimesSync(join(dir, "gait-out/jobs/x/state.lock"), old, old);
      const check = byName(await runDoctor({ cwd: dir, env: {}, productionReadiness: false }), "stale_locks");
      assert.equal(check.status, "warn");
      assert.match(
        check.message,
        /\.gait-out\/gate_rate_limits\.json\.lock, gait-out\/jobs\/x\/state\.lock$/,
      );
      assert.match(
        check.fix_command,
        /^rm -f \.gait-out\/gate_rate_limits\.json\.lock gait-out\/jobs\/x\/state\.lock/,
      );
    } finally {
      cleanup();
    }
  });

  it("probes the configured sidecar port on loopback: free passes, in use warns", async () => {
    const { dir, cleanup } = tempDir();
    const { server, port } = await listen();
    try {
      writeConfig(dir, `sidecar:\n  listen: 127.0.0.1:${port}\n`);
      const busy = byName(await runDoctor({ cwd: dir, env: {}, productionReadiness: false }), "sidecar_port");
      assert.equal(busy.status, "warn");
      assert.match(busy.message, /already in use/);
      await new Promise((resolve) => server.close(resolve));
      const free = byName(await runDoctor({ cwd: dir, env: {}, productionReadiness: false }), "sidecar_port");
      assert.equal(free.status, "pass");
      writeConfig(dir, "sidecar:\n  listen: 10.1.2.3:8787\n");
      const remote = byName(
        await runDoctor({ cwd: dir, env: {}, productionReadiness: false }),
        "sidecar_port",
      );
      assert.equal(remote.status, "warn");
      assert.match(remote.message, /not a loopback address; not probed/);
    } finally {
      server.close();
      cleanup();
    }
  });

  it("flags a private key file readable by others", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeConfig(dir, "gate:\n  key_mode: prod\n  private_key: k/gait_private.key\n");
      mkdirSync(join(dir, "k"));
      writeFileSync(join(dir, "k/gait_private.key"), encodePrivateKey(generateSigningKey()), { mode: 0o640 });
      const result = await runDoctor({ cwd: dir, env: {}, productionReadiness: false });
      assert.equal(byName(result, "signing_key").status, "pass");
      const perms = byName(result, "key_permissions");
      assert.equal(perms.status, "warn");
      assert.equal(perms.fix_command, "chmod 600 k/gait_private.key");
    } finally {
      cleanup();
    }
  });

  it("--workdir: the project checked is another directory, and a missing one fails the workdir check", async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, "svc"));
      writeConfig(join(dir, "svc"), "run:\n  out_dir: build/gait\n");
      const result = await runDoctor({ cwd: dir, env: {}, productionReadiness: false, workdir: "svc" });
      assert.equal(byName(result, "workdir").status, "pass");
      assert.equal(byName(result, "workdir").message, "svc is writable");
      assert.equal(byName(result, "project_config").status, "pass", "svc/.gait/config.yaml is read");
      assert.match(byName(result, "output_dir").message, /^build\/gait /, "config paths are the workdir's");
      const missing = await runDoctor({ cwd: dir, env: {}, productionReadiness: false, workdir: "nope" });
      const workdir = byName(missing, "workdir");
      assert.equal(workdir.status, "fail");
      assert.equal(workdir.fix_command, "mkdir -p nope && chmod u+rwx nope");
    } finally {
      cleanup();
    }
  });

  it("--output-dir replaces run.out_dir and is relative to where gait runs", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeConfig(dir, "run:\n  out_dir: configured\n");
      writeFileSync(join(dir, "a-file"), "");
      const result = await runDoctor({ cwd: dir, env: {}, productionReadiness: false, outputDir: "a-file" });
      const output = byName(result, "output_dir");
      assert.equal(output.status, "fail");
      assert.equal(output.message, "a-file exists but is not a directory");
    } finally {
      cleanup();
    }
  });

  it("key flags replace the config's key settings: ambiguity, prod without a key, a mismatched public key", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeConfig(dir, "gate:\n  key_mode: dev\n");
      const key = generateSigningKey();
      const other = generateSigningKey();
      writeFileSync(join(dir, "priv.key"), encodePrivateKey(key), { mode: 0o600 });
      writeFileSync(join(dir, "pub.key"), encodePublicKey(key));
      writeFileSync(join(dir, "other.key"), encodePublicKey(other));
      const run = (keyFlags: Parameters<typeof runDoctor>[0]["keyFlags"]) =>
        runDoctor({
          cwd: dir,
          env: { K: encodePrivateKey(key) },
          productionReadiness: false,
          ...(keyFlags ? { keyFlags } : {}),
        });
      const plain = await run(undefined);
      assert.equal(
        plain.checks.find((c) => c.name === "key_source_ambiguity"),
        undefined,
      );
      assert.equal(byName(plain, "signing_key").status, "warn", "dev keys from the config");

      const good = await run({ privateKey: { path: "priv.key" }, publicKey: { path: "pub.key" } });
      assert.equal(byName(good, "key_source_ambiguity").status, "pass");
      assert.equal(byName(good, "signing_key").status, "pass", "a private key flag means prod");
      assert.match(byName(good, "signing_key").message, /^--private-key priv\.key loads/);
      assert.equal(byName(good, "key_config").status, "pass");

      const fromEnv = await run({ privateKey: { env: "K" } });
      assert.match(byName(fromEnv, "signing_key").message, /^--private-key-env K loads/);

      const ambiguous = await run({ privateKey: { path: "priv.key", env: "K" } });
      assert.equal(byName(ambiguous, "key_source_ambiguity").status, "fail");
      assert.match(byName(ambiguous, "key_source_ambiguity").message, /--private-key and --private-key-env/);

      const prod = await run({ keyMode: "prod" });
      assert.equal(byName(prod, "signing_key").status, "fail");
      assert.match(byName(prod, "signing_key").message, /--key-mode prod needs a signing key/);

      const mismatch = await run({ privateKey: { path: "priv.key" }, publicKey: { path: "other.key" } });
      const config = byName(mismatch, "key_config");
      assert.equal(config.status, "fail");
      assert.match(config.message, /is not the public half of --private-key priv\.key/);
      assert.equal(config.fix_command, "gait keys verify --private-key priv.key --public-key other.key");
    } finally {
      cleanup();
    }
  });
});
