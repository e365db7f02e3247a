import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { publicSchemasSkip, validatePublicBySchemaFile } from "../helpers/public-schemas.ts";

describe("gait policy init | validate | fmt", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("gait-policy-cli-"));
  });
  after(() => cleanup());
  const gait = (...args: string[]) => runGait(args, { cwd: dir });

  for (const template of ["baseline-lowrisk", "baseline-mediumrisk", "baseline-highrisk"]) {
    it(`init ${template} writes the template and reports its digest`, async () => {
      const out = `${template}.yaml`;
      const r = await gait("policy", "init", template, "--out", out, "--json");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.json?.template, template);
      assert.equal(r.json?.policy_path, out);
      assert.match(String(r.json?.policy_digest), /^[0-9a-f]{64}$/);
      assert.deepEqual(r.json?.next_commands, [
        `gait policy validate ${out}`,
        `gait policy fmt ${out} --write`,
        `gait policy test ${out} <intent.json>`,
      ]);
      const written = readFileSync(join(dir, out), "utf8");
      assert.equal(written, readFileSync(join(repoRoot, "templates", "policy", `${template}.yaml`), "utf8"));

      const v = await gait("policy", "validate", out, "--json");
      assert.equal(v.code, 0);
      assert.equal(v.json?.policy_digest, r.json?.policy_digest);
      assert.equal(v.json?.schema_id, "gait.gate.policy");
      assert.equal(v.json?.schema_version, "1.0.0");
      assert.match(String(v.json?.summary), /^policy valid: \d+ rules, default_verdict=/);
    });
  }

  it("init refuses to overwrite without --force", async () => {
    await gait("policy", "init", "baseline-lowrisk", "--json");
    const again = await gait("policy", "init", "baseline-highrisk", "--json");
    assert.equal(again.code, 6);
    assert.equal(again.json?.error_code, "invalid_input");
    assert.equal(again.json?.detail_code, "policy_exists");
    const forced = await gait("policy", "init", "baseline-highrisk", "--force", "--json");
    assert.equal(forced.code, 0);
    assert.equal(forced.json?.policy_path, "gait.policy.yaml");
    assert.match(readFileSync(join(dir, "gait.policy.yaml"), "utf8"), /baseline-highrisk/);
  });

  it("init rejects an unknown template with the list of templates", async () => {
    const r = await gait("policy", "init", "baseline-extreme", "--json");
    assert.equal(r.code, 6);
    assert.equal(r.json?.error_code, "invalid_input");
    assert.equal(r.json?.detail_code, "unknown_policy_template");
    assert.match(String(r.json?.hint), /baseline-highrisk, baseline-lowrisk, baseline-mediumrisk/);
  });

  it("validate exits 6 with line and column for an unknown key", async () => {
    writeFileSync(
      join(dir, "typo.yaml"),
      "default_verdict: block\nrules:\n  - name: a\n    effect: allow\n    match:\n      tool_nmes: [x]\n",
    );
    const r = await gait("policy", "validate", "typo.yaml", "--json");
    assert.equal(r.code, 6);
    assert.equal(r.json?.error_code, "invalid_input");
    assert.equal(r.json?.detail_code, "policy_unknown_field");
    assert.equal(r.json?.error, 'typo.yaml:6:7: unknown field "tool_nmes" in rules[0].match');
    assert.equal(r.json?.line, 6);
    assert.equal(r.json?.column, 7);
    const human = await gait("policy", "validate", "typo.yaml");
    assert.equal(human.code, 6);
    assert.match(human.stderr, /error: typo\.yaml:6:7: unknown field "tool_nmes"/);
    assert.match(human.stderr, /hint: did you mean "tool_names"\?/);
  });

  it("validate reports legacy fields with a migration object", async () => {
    writeFileSync(join(dir, "legacy.yaml"), "version: 1\nname: old\ndefault_verdict: block\n");
    const r = await gait("policy", "validate", "legacy.yaml", "--json");
    assert.equal(r.code, 6);
    assert.match(String(r.json?.error), /^legacy policy proposal fields are not supported/);
    assert.deepEqual(r.json?.migration, { kind: "policy_field", fields: ["name", "version"] });
  });

  it("validate on a missing file exits 6", async () => {
    const r = await gait("policy", "validate", "nope.yaml", "--json");
    assert.equal(r.code, 6);
    assert.equal(r.json?.error_code, "invalid_input");
    assert.equal(r.json?.detail_code, "file_not_found");
  });

  it("fmt prints the canonical form, and --write rewrites only when it changes", async () => {
    const messy =
      "rules:\n  - name: b\n    action: Block\n    match: {tool_name: Tool.Delete}\n  - {name: a, effect: allow, priority: 0}\ndefault_action: REQUIRE_APPROVAL\n";
    writeFileSync(join(dir, "messy.yaml"), messy, { mode: 0o640 });
    const printed = await gait("policy", "fmt", "messy.yaml", "--json");
    assert.equal(printed.code, 0);
    assert.equal(printed.json?.written, false);
    assert.equal(printed.json?.changed, true);
    assert.equal(printed.json?.rule_count, 2);
    assert.equal(printed.json?.default_verdict, "require_approval");
    const formatted = String(printed.json?.formatted);
    assert.equal(
      formatted,
      [
        "schema_id: gait.gate.policy",
        "schema_version: 1.0.0",
        "default_verdict: require_approval",
        "rules:",
        "  - name: a",
        "    effect: allow",
        "  - name: b",
        "    effect: block",
        "    match:",
        "      tool_names: [tool.delete]",
        "",
      ].join("\n"),
    );
    const human = await gait("policy", "fmt", "messy.yaml");
    assert.equal(human.stdout, formatted);
    assert.equal(
      readFileSync(join(dir, "messy.yaml"), "utf8"),
      messy,
      "fmt without --write leaves the file alone",
    );

    const written = await gait("policy", "fmt", "messy.yaml", "--write", "--json");
    assert.equal(written.code, 0);
    assert.equal(written.json?.written, true);
    assert.equal(written.json?.changed, true);
    assert.equal(written.json?.formatted, undefined);
    assert.equal(written.json?.policy_digest, printed.json?.policy_digest);
    assert.equal(readFileSync(join(dir, "messy.yaml"), "utf8"), formatted);
    assert.equal(statSync(join(dir, "messy.yaml")).mode & 0o777, 0o640, "file mode kept");

    const again = await gait("policy", "fmt", "messy.yaml", "--write", "--json");
    assert.equal(again.json?.written, false);
    assert.equal(again.json?.changed, false);
  });

  it("fmt --write warns that comments are dropped", async () => {
    await gait("policy", "init", "baseline-mediumrisk", "--out", "commented.yaml");
    const r = await gait("policy", "fmt", "commented.yaml", "--write", "--json");
    assert.equal(r.code, 0);
    assert.deepEqual(r.json?.warnings, [
      "comments in commented.yaml were not kept (fmt writes the normalized policy)",
    ]);
  });

  it("fmt output validates against the public schema", { skip: publicSchemasSkip }, async () => {
    await gait("policy", "init", "baseline-highrisk", "--out", "schema.yaml");
    const r = await gait("policy", "fmt", "schema.yaml", "--json");
    const result = validatePublicBySchemaFile(
      "gate/policy.schema.json",
      parseYaml(String(r.json?.formatted)),
    );
    assert.ok(result.ok, JSON.stringify(result));
  });

  it("fmt exits 6 on an invalid policy", async () => {
    writeFileSync(join(dir, "bad.yaml"), "rules:\n  - name: a\n    effect: allow\n    priority: -3\n");
    const r = await gait("policy", "fmt", "bad.yaml", "--json");
    assert.equal(r.code, 6);
    assert.equal(r.json?.error, "bad.yaml:4:15: rules[0].priority: must be a non-negative integer");
  });
});
