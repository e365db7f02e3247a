/**
 * `gait delegate mint|verify`, `gait approve-script`, `gait list-scripts` and the gate eval flags
 * that use them, through the built CLI: outputs, exit codes, evidence files checked against the
 * public schemas, bad input as coded errors.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const scenarios = join(repoRoot, "test", "scenarios");

describe("gait delegate, approve-script, list-scripts", () => {
  const tmp = tempDir("gait-e2e-delegation-");
  after(tmp.cleanup);
  const cwd = tmp.dir;
  const run = (args: string[]) => runGait(args, { cwd });

  before(async () => {
    cpSync(join(scenarios, "delegation-granted", "policy.yaml"), join(cwd, "policy.yaml"));
    cpSync(join(scenarios, "delegation-granted", "intent.json"), join(cwd, "intent.json"));
    cpSync(join(scenarios, "script-step-threshold-approval", "policy.yaml"), join(cwd, "script-policy.yaml"));
    cpSync(join(scenarios, "script-step-threshold-approval", "intent.json"), join(cwd, "script.json"));
    const keys = await run(["keys", "init", "--prefix", "lead", "--out-dir", "keys", "--json"]);
    assert.equal(keys.code, 0, keys.stderr);
  });

  const prod = ["--key-mode", "prod", "--private-key", "keys/lead_private.key"];

  it("delegate mint writes a schema-valid token that delegate verify accepts, and verify exits 2 on a mismatch", async () => {
    const mint = await run([
      "delegate",
      "mint",
      "--delegator",
      "human.lead",
      "--delegate",
      "agent.scenario",
      "--scope",
      "tool:tool.write",
      "--scope-class",
      "write",
      "--ttl",
      "2h",
      ...prod,
      "--json",
    ]);
    assert.equal(mint.code, 0, mint.stderr);
    const path = String(mint.json?.token_path);
    assert.equal(path, `delegation_${mint.json?.token_id}.json`);
    const token = JSON.parse(readFileSync(join(cwd, path), "utf8"));
    assertPublicValidIfAvailable(token, "delegation token");

    const verify = await run(["delegate", "verify", path, "--public-key", "keys/lead_public.key", "--json"]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal(verify.json?.valid, true);
    const wrong = await run([
      "delegate",
      "verify",
      path,
      "--public-key",
      "keys/lead_public.key",
      "--delegate",
      "agent.other",
      "--json",
    ]);
    assert.equal(wrong.code, 2);
    assert.equal(wrong.json?.error_code, "delegation_token_delegate_mismatch");

    const evaluated = await run([
      "gate",
      "eval",
      "--policy",
      "policy.yaml",
      "--intent",
      "intent.json",
      "--no-config",
      "--delegation-token",
      path,
      "--delegation-public-key",
      "keys/lead_public.key",
      "--delegation-audit-out",
      "audit.json",
      "--json",
    ]);
    assert.equal(evaluated.code, 0, evaluated.stdout);
    assert.equal(evaluated.json?.delegation_ref, mint.json?.token_id);
    assert.equal(evaluated.json?.delegation_audit_path, "./audit.json");
    const audit = JSON.parse(readFileSync(join(cwd, "audit.json"), "utf8"));
    assertPublicValidIfAvailable(audit, "delegation audit");
    assert.equal(audit.delegated, true);
    const trace = JSON.parse(readFileSync(join(cwd, String(evaluated.json?.trace_path)), "utf8"));
    assertPublicValidIfAvailable(trace, "trace with delegation_ref");
    assert.equal(trace.delegation_ref.delegation_token_ref, mint.json?.token_id);
  });

  it("mint and gate eval refuse bad input with coded errors (exit 6)", async () => {
    const noScope = await run(["delegate", "mint", "--delegator", "a", "--delegate", "b", ...prod, "--json"]);
    assert.equal(noScope.code, 6);
    assert.equal(noScope.json?.ok, false);
    writeFileSync(join(cwd, "broken.json"), "{not json");
    const broken = await run([
      "gate",
      "eval",
      "--policy",
      "policy.yaml",
      "--intent",
      "intent.json",
      "--no-config",
      "--delegation-token",
      "broken.json",
      "--json",
    ]);
    assert.equal(broken.code, 6, broken.stdout);
  });

  it("oss-prod refuses delegation tokens without an explicit delegation key", async () => {
    const r = await run([
      "gate",
      "eval",
      "--policy",
      "script-policy.yaml",
      "--intent",
      "intent.json",
      "--no-config",
      "--profile",
      "oss-prod",
      ...prod,
      "--delegation-token",
      "audit.json",
      "--json",
    ]);
    assert.equal(r.code, 6, r.stdout);
    assert.match(String(r.json?.error), /explicit delegation verify key/);
  });

  it("approve-script adds a signed entry, list-scripts shows it verified, gate eval pre-approves the script", async () => {
    const approve = await run([
      "approve-script",
      "--policy",
      "script-policy.yaml",
      "--intent",
      "script.json",
      "--registry",
      "scripts.json",
      "--approver",
      "alice",
      ...prod,
      "--json",
    ]);
    assert.equal(approve.code, 0, approve.stderr);
    assert.equal(approve.json?.entry_count, 1);
    const registry = JSON.parse(readFileSync(join(cwd, "scripts.json"), "utf8"));
    assertPublicValidIfAvailable(registry.entries[0], "approved script entry");

    const list = await run([
      "list-scripts",
      "--registry",
      "scripts.json",
      "--public-key",
      "keys/lead_public.key",
      "--json",
    ]);
    assert.equal(list.code, 0);
    const [entry] = (list.json?.entries ?? []) as Array<Record<string, unknown>>;
    assert.deepEqual(
      [entry?.pattern_id, entry?.verified, entry?.expired],
      [approve.json?.pattern_id, true, false],
    );

    const evaluate = (key: string) =>
      run([
        "gate",
        "eval",
        "--policy",
        "script-policy.yaml",
        "--intent",
        "script.json",
        "--no-config",
        "--approved-script-registry",
        "scripts.json",
        "--approved-script-public-key",
        key,
        "--json",
      ]);
    const granted = await evaluate("keys/lead_public.key");
    assert.equal(granted.code, 0, granted.stdout);
    assert.equal(granted.json?.pre_approved, true);
    assert.equal(granted.json?.pattern_id, approve.json?.pattern_id);

    // Another key: the registry cannot be verified, and the intent is high risk: fail closed.
    await run(["keys", "init", "--prefix", "other", "--out-dir", "keys", "--json"]);
    const refused = await evaluate("keys/other_public.key");
    assert.equal(refused.code, 3, refused.stdout);
    assert.equal(refused.json?.registry_reason, "entry_signature_invalid");
    assert.match(String(refused.json?.error), /^approved script registry verification failed at entry 0: /);
  });

  it("list-scripts refuses a registry that is not one (exit 6)", async () => {
    writeFileSync(join(cwd, "not-registry.json"), JSON.stringify({ entries: [] }));
    const r = await run(["list-scripts", "--registry", "not-registry.json", "--json"]);
    assert.equal(r.code, 6);
    assert.equal(r.json?.detail_code, "approved_script_registry_invalid");
  });
});
