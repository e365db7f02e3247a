import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { emptyProjectConfig, type ProjectConfig } from "../../src/config/index.ts";
import { encodePrivateKey, generateSigningKey } from "../../src/contract/signing.ts";
import { parsePolicyYaml } from "../../src/gate/policy.ts";
import { checkFindings, checkProject, type Finding, initProject } from "../../src/onboarding/index.ts";
import { tempDir } from "../helpers/cli.ts";

const strictPolicy = `default_verdict: block
fail_closed:
  enabled: true
  risk_classes: [critical, high]
rules:
  - name: allow-read
    effect: allow
    match:
      tool_names: [tool.read]
`;

function findings(policyText: string, gate: ProjectConfig["gate"] = {}, configFound = true): Finding[] {
  return checkFindings({
    policy: parsePolicyYaml(policyText, "p.yaml").policy,
    policyPath: "p.yaml",
    config: { ...emptyProjectConfig(), gate },
    configPath: ".gait/config.yaml",
    configFound,
    keys: [],
  });
}

const codes = (list: Finding[]) => list.map((f) => `${f.severity}:${f.code}`);

describe("gait check findings", () => {
  it("a strict policy with prod keys has no gaps", () => {
    assert.deepEqual(findings(strictPolicy, { keyMode: "prod", privateKey: { path: "k" } }), []);
  });

  it("a default-allow policy is a warning, and an error under oss-prod", () => {
    const text = strictPolicy.replace("default_verdict: block", "default_verdict: allow");
    assert.ok(codes(findings(text)).includes("warn:policy_default_allow"));
    const prod = findings(text, { profile: "oss-prod", keyMode: "prod", privateKey: { env: "K" } });
    assert.deepEqual(codes(prod), ["error:policy_default_allow"]);
  });

  it("flags missing rules, missing fail_closed coverage and allow-everything rules", () => {
    assert.deepEqual(
      codes(findings("default_verdict: block\n", { keyMode: "prod", privateKey: { path: "k" } })),
      ["warn:policy_no_rules", "warn:policy_fail_closed_missing"],
    );
    const partial = strictPolicy.replace("[critical, high]", "[critical]");
    const partialFinding = findings(partial, { keyMode: "prod", privateKey: { path: "k" } })[0]!;
    assert.equal(partialFinding.code, "policy_fail_closed_missing");
    assert.match(partialFinding.summary, /does not cover risk classes high/);
    const open = `${strictPolicy}  - name: allow-all\n    priority: 99\n    effect: allow\n`;
    const all = findings(open, { keyMode: "prod", privateKey: { path: "k" } });
    assert.deepEqual(codes(all), ["warn:policy_allow_rule_matches_all"]);
    assert.match(all[0]!.remediation, /narrow rule allow-all/);
  });

  it("reports key mode gaps: prod without a key (error), a key in dev mode, dev keys", () => {
    const prodNoKey = findings(strictPolicy, { keyMode: "prod" });
    assert.deepEqual(codes(prodNoKey), ["error:key_mode_prod_without_key"]);
    assert.match(prodNoKey[0]!.remediation, /gait keys init/);
    assert.deepEqual(codes(findings(strictPolicy, { privateKey: { path: "k" } })), [
      "warn:private_key_unused",
    ]);
    assert.deepEqual(codes(findings(strictPolicy)), ["info:key_mode_dev"]);
    assert.deepEqual(codes(findings(strictPolicy, { profile: "oss-prod" })), [
      "error:oss_prod_requires_prod_keys",
    ]);
  });

  it("notes a missing config and approval rules without an approval key", () => {
    const withApproval = `${strictPolicy}  - name: approve-write\n    effect: require_approval\n    match:\n      tool_names: [tool.write]\n`;
    const list = findings(withApproval, { keyMode: "prod", privateKey: { path: "k" } }, false);
    assert.deepEqual(codes(list), ["info:config_missing", "info:approval_key_missing"]);
  });

  it("orders findings errors first", () => {
    const list = findings("default_verdict: allow\n", { keyMode: "prod" });
    const severities = list.map((f) => f.severity);
    assert.deepEqual(
      severities,
      [...severities].sort((a, b) => "ewi".indexOf(a[0]!) - "ewi".indexOf(b[0]!)),
    );
    assert.equal(severities[0], "error");
  });
});

describe("checkProject (files on disk)", () => {
  it("checks the key files the config names: missing, unreadable by others, unset variables", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await initProject({
        cwd: dir,
        template: "baseline-highrisk",
        policyPath: ".gait.yaml",
        profile: "oss-prod",
        force: false,
      });
      const missing = await checkProject({ cwd: dir, env: {} });
      const missingKey = missing.findings.find((f) => f.code === "private_key_file_missing");
      assert.equal(missingKey?.severity, "error");
      assert.match(missingKey.remediation, /gait keys init --out-dir gait-out\/keys --prefix gait/);

      mkdirSync(join(dir, "gait-out/keys"), { recursive: true });
      const keyPath = join(dir, "gait-out/keys/gait_private.key");
      writeFileSync(keyPath, `${encodePrivateKey(generateSigningKey())}\n`);
      chmodSync(keyPath, 0o644);
      const loose = await checkProject({ cwd: dir, env: {} });
      const looseFinding = loose.findings.find((f) => f.code === "private_key_permissions_open");
      assert.equal(looseFinding?.remediation, "chmod 600 gait-out/keys/gait_private.key");
      assert.ok(!loose.findings.some((f) => f.severity === "error"), JSON.stringify(loose.findings));

      writeFileSync(keyPath, "not a key\n");
      const broken = await checkProject({ cwd: dir, env: {} });
      assert.ok(broken.findings.some((f) => f.code === "private_key_invalid" && f.severity === "error"));

      writeFileSync(
        join(dir, ".gait/config.yaml"),
        "gate:\n  key_mode: prod\n  private_key_env: MY_GAIT_KEY\n  policy: .gait.yaml\n",
      );
      const unset = await checkProject({ cwd: dir, env: {} });
      assert.ok(unset.findings.some((f) => f.code === "private_key_env_unset" && f.severity === "warn"));
      const set = await checkProject({
        cwd: dir,
        env: { MY_GAIT_KEY: encodePrivateKey(generateSigningKey()) },
      });
      assert.ok(!set.findings.some((f) => f.code.startsWith("private_key")));
    } finally {
      cleanup();
    }
  });

  it("prefers --policy over the config's gate.policy and fails (exit 6) on an invalid policy", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, "other.yaml"), strictPolicy);
      const report = await checkProject({ cwd: dir, env: {}, policyPath: "other.yaml" });
      assert.equal(report.policyPath, "other.yaml");
      assert.equal(report.configFound, false);
      writeFileSync(join(dir, "bad.yaml"), "default_verdict: maybe\n");
      await assert.rejects(checkProject({ cwd: dir, env: {}, policyPath: "bad.yaml" }), /bad\.yaml:1:18/);
      await assert.rejects(checkProject({ cwd: dir, env: {} }), /\.gait\.yaml does not exist/);
    } finally {
      cleanup();
    }
  });
});
