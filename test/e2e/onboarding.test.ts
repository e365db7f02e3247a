import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";

const intent = (tool: string, path: string) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: tool,
  args: { path },
  targets: [{ kind: "path", value: path, operation: "read" }],
  arg_provenance: [{ arg_path: "$.path", source: "user" }],
  context: { identity: "agent.a", workspace: "/workspace", risk_class: "high" },
});

/** Runs `fn` in a fresh temp dir and removes it afterwards. */
async function inFreshDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    await fn(dir);
  } finally {
    cleanup();
  }
}

describe("gait doctor, init, check (e2e)", () => {
  it("doctor --json in a fresh dir passes with warnings and exits 0", () =>
    inFreshDir(async (dir) => {
      const result = await runGait(["doctor", "--json"], { cwd: dir });
      assert.equal(result.code, 0, result.stdout);
      const json = result.json!;
      assert.equal(json.ok, true);
      assert.equal(json.schema_id, "gait.doctor.result");
      assert.equal(json.schema_version, "1.0.0");
      assert.equal(json.status, "warn");
      assert.equal(json.non_fixable, false);
      const checks = json.checks as Array<{ name: string; status: string; fix_command: string }>;
      const status = Object.fromEntries(checks.map((c) => [c.name, c.status]));
      assert.equal(status.node_version, "pass");
      assert.equal(status.output_dir, "pass");
      assert.equal(status.state_dir, "pass");
      assert.equal(status.temp_dir, "pass");
      assert.equal(status.repo_policy, "warn");
      assert.equal(status.signing_key, "warn");
      assert.ok((json.fix_commands as string[]).includes("gait init"));
      assert.ok(!existsSync(join(dir, "gait-out")), "doctor must not write into the project");
    }));

  it("doctor --production-readiness exits 2 in a fresh dir and 0 after keys init + init --profile oss-prod", () =>
    inFreshDir(async (dir) => {
      const fresh = await runGait(["doctor", "--production-readiness", "--json"], { cwd: dir });
      assert.equal(fresh.code, 2);
      assert.equal(fresh.json?.ok, false);
      assert.equal(fresh.json?.error_code, "verification_failed");
      assert.ok(
        (fresh.json!.fix_commands as string[]).includes("gait keys init && gait init --profile oss-prod"),
      );
      assert.equal((await runGait(["keys", "init"], { cwd: dir })).code, 0);
      assert.equal((await runGait(["init", "--profile", "oss-prod"], { cwd: dir })).code, 0);
      const ready = await runGait(["doctor", "--production-readiness"], { cwd: dir });
      assert.equal(ready.code, 0, ready.stdout);
      assert.match(ready.stdout, /doctor: pass/);
    }));

  it("init then check then gate eval with the config's policy (no --policy)", () =>
    inFreshDir(async (dir) => {
      const init = await runGait(["init", "--json"], { cwd: dir });
      assert.equal(init.code, 0, init.stdout);
      assert.equal(init.json?.policy_path, ".gait.yaml");
      assert.equal(init.json?.config_path, ".gait/config.yaml");
      assert.equal(init.json?.template, "baseline-highrisk");
      assert.match(String(init.json?.policy_digest), /^[0-9a-f]{64}$/);
      assert.deepEqual(
        (init.json!.contract as Record<string, string>).project_defaults_path,
        ".gait/config.yaml",
      );
      assert.match(
        readFileSync(join(dir, ".gait.yaml"), "utf8"),
        /^# Repo policy for Gait.*\n#\n# Contract paths/,
      );

      const check = await runGait(["check", "--json"], { cwd: dir });
      assert.equal(check.code, 0, check.stdout);
      assert.equal(check.json?.policy_digest, init.json?.policy_digest);
      assert.deepEqual(check.json?.summary, { error: 0, warn: 0, info: 2 });

      writeFileSync(join(dir, "read.json"), JSON.stringify(intent("tool.read", "/workspace/a.txt")));
      writeFileSync(join(dir, "unknown.json"), JSON.stringify(intent("tool.unknown", "/workspace/a.txt")));
      const allowed = await runGait(["gate", "eval", "--intent", "read.json", "--json"], { cwd: dir });
      assert.equal(allowed.code, 0, allowed.stdout);
      assert.equal(allowed.json?.verdict, "allow");
      assert.equal(allowed.json?.policy_digest, init.json?.policy_digest);
      assert.match(String(allowed.json?.trace_path), /^\.\/gait-out\/traces\/trace_[0-9a-f]+\.json$/);
      assert.ok(existsSync(join(dir, String(allowed.json?.trace_path))));
      const blocked = await runGait(["gate", "eval", "--intent", "unknown.json", "--json"], { cwd: dir });
      assert.equal(blocked.code, 3);

      const noConfig = await runGait(["gate", "eval", "--intent", "read.json", "--no-config", "--json"], {
        cwd: dir,
      });
      assert.equal(noConfig.code, 6);
      assert.match(String(noConfig.json?.error), /--policy is required/);
      const flagWins = await runGait(
        ["gate", "eval", "--intent", "read.json", "--trace-out", "mine.json", "--json"],
        { cwd: dir },
      );
      assert.equal(flagWins.json?.trace_path, "./mine.json");
    }));

  it("init refuses to overwrite without --force; check reports error findings (2) and invalid files (6)", () =>
    inFreshDir(async (dir) => {
      assert.equal((await runGait(["init"], { cwd: dir })).code, 0);
      const again = await runGait(["init", "--json"], { cwd: dir });
      assert.equal(again.code, 6);
      assert.equal(again.json?.error_code, "invalid_input");
      assert.equal(again.json?.detail_code, "init_target_exists");
      assert.equal(
        (await runGait(["init", "--force", "--template", "baseline-lowrisk"], { cwd: dir })).code,
        0,
      );

      writeFileSync(join(dir, ".gait/config.yaml"), "gate:\n  policy: .gait.yaml\n  key_mode: prod\n");
      const gaps = await runGait(["check", "--json"], { cwd: dir });
      assert.equal(gaps.code, 2, gaps.stdout);
      assert.equal(gaps.json?.ok, false);
      const findings = gaps.json?.findings as Array<{ code: string; severity: string }>;
      assert.ok(findings.some((f) => f.code === "key_mode_prod_without_key" && f.severity === "error"));

      writeFileSync(join(dir, ".gait/config.yaml"), "gate:\n  policy: .gait.yaml\n  trace_dri: x\n");
      const invalid = await runGait(["check", "--json"], { cwd: dir });
      assert.equal(invalid.code, 6);
      assert.equal(invalid.json?.error_code, "invalid_input");
      assert.equal(invalid.json?.detail_code, "config_unknown_field");
      assert.match(String(invalid.json?.error), /\.gait\/config\.yaml:3:3: unknown field "trace_dri"/);
      const evalInvalid = await runGait(["gate", "eval", "--intent", "x.json"], { cwd: dir });
      assert.equal(evalInvalid.code, 6);
      const missingExplicit = await runGait(["check", "--config", "nope.yaml", "--json"], { cwd: dir });
      assert.equal(missingExplicit.json?.error_code, "invalid_input");
      assert.equal(missingExplicit.json?.detail_code, "config_not_found");
    }));
});
