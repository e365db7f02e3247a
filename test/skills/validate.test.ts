/** gait skills validate's core: the shipped skills pass; a broken fixture skill fails with each finding named. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { commands } from "../../src/cli/commands/index.ts";
import {
  readSkillFolders,
  type SkillFolder,
  shippedSkillsDir,
  validateSkill,
  validateSkillFolders,
} from "../../src/skills/index.ts";

const brokenDir = join(import.meta.dirname, "fixtures", "broken");

function folder(name: string, files: Record<string, string>): SkillFolder {
  return {
    name,
    dir: name,
    skipped: [],
    files: Object.entries(files).map(([path, text]) => ({
      path,
      data: Buffer.from(text),
      executable: false,
    })),
  };
}

const codes = (folderToCheck: SkillFolder) =>
  validateSkill(folderToCheck, commands).findings.map((finding) => finding.code);

describe("validateSkillFolders", () => {
  it("passes the shipped skills, having checked their gait commands", async () => {
    const summary = validateSkillFolders(await readSkillFolders(shippedSkillsDir()), commands);
    assert.deepEqual(
      summary.skills.map((skill) => skill.name),
      ["gait-capture-runpack", "gait-incident-to-regression", "gait-policy-test-rollout"],
    );
    assert.deepEqual(
      summary.skills.flatMap((skill) => skill.findings),
      [],
    );
    assert.equal(summary.ok, true);
    for (const skill of summary.skills) assert.ok(skill.commands_checked >= 3, skill.name);
  });

  it("fails the broken fixture skills with every mistake located", async () => {
    const summary = validateSkillFolders(await readSkillFolders(brokenDir), commands);
    assert.equal(summary.ok, false);
    const [broken, bare] = summary.skills;
    assert.deepEqual(
      broken!.findings.map((f) => `${f.file}:${f.line ?? ""} ${f.severity} ${f.code}`),
      [
        "SKILL.md:1 error name_mismatch",
        "SKILL.md:1 error standing_permission",
        "SKILL.md:1 warning front_matter_unknown_field",
        "SKILL.md:21 error credential",
        "SKILL.md:12 error unknown_command",
        "SKILL.md:13 error unknown_flag",
        "SKILL.md:14 error argument_missing",
        "SKILL.md:15 error flag_value_invalid",
        "SKILL.md:18 error unknown_command",
        "scripts/helper.mjs:2 error unknown_command",
      ],
    );
    assert.deepEqual(
      bare!.findings.map((finding) => finding.code),
      ["front_matter_missing"],
    );
    // The finding names the line, never the secret.
    assert.ok(!JSON.stringify(summary).includes("abc123def456"));
  });
});

describe("front matter", () => {
  const skill = (front: string, body = "\nBody.\n") =>
    folder("my-skill", { "SKILL.md": `---\n${front}\n---\n${body}` });

  it("requires a valid name equal to the folder's and a description", () => {
    assert.deepEqual(codes(skill("name: my-skill\ndescription: Does a thing. Use when needed.")), []);
    assert.deepEqual(codes(skill("name: My_Skill\ndescription: x")), ["name_invalid"]);
    assert.deepEqual(codes(skill("name: my--skill\ndescription: x")), ["name_invalid"]);
    assert.deepEqual(codes(skill("description: x")), ["name_invalid"]);
    assert.deepEqual(codes(skill("name: my-skill\ndescription: '  '")), ["description_invalid"]);
    assert.deepEqual(codes(skill(`name: my-skill\ndescription: ${"x".repeat(1025)}`)), [
      "description_invalid",
    ]);
    assert.deepEqual(codes(skill("name: my-skill\ndescription: x", "\n")), ["body_empty"]);
  });

  it("rejects YAML that is broken or not a mapping, and a front matter never closed", () => {
    assert.deepEqual(codes(skill("name: [unclosed")), ["front_matter_invalid"]);
    assert.deepEqual(codes(skill("- a list")), ["front_matter_invalid"]);
    assert.deepEqual(codes(skill("name: a\nname: b\ndescription: x")), ["front_matter_invalid"]);
    assert.deepEqual(codes(folder("my-skill", { "SKILL.md": "---\nname: my-skill\n" })), [
      "front_matter_invalid",
    ]);
    assert.deepEqual(codes(folder("my-skill", { "README.md": "hi" })), ["skill_md_missing"]);
  });
});

describe("credentials", () => {
  const withLine = (line: string) =>
    codes(
      folder("my-skill", {
        "SKILL.md": "---\nname: my-skill\ndescription: x\n---\nBody.\n",
        "notes.txt": line,
      }),
    );

  it("flags secret-named assignments, token prefixes and private key blocks", () => {
    assert.deepEqual(withLine("GITHUB_TOKEN=abcdef0123456789abcdef"), ["credential"]);
    assert.deepEqual(withLine(`use ${"ghp_"}${"a1".repeat(15)} here`), ["credential"]);
    assert.deepEqual(withLine("-----BEGIN OPENSSH PRIVATE KEY-----"), ["credential"]);
  });

  it("lets references to credentials through", () => {
    assert.deepEqual(withLine("gait run record --input r.json --private-key-env GAIT_PRIVATE_KEY"), []);
    assert.deepEqual(withLine("API_TOKEN=env:API_TOKEN"), []);
  });
});

describe("any SKILL.md text", () => {
  it("gives findings, never an exception", () => {
    const text = fc.oneof(
      fc.string(),
      fc.string().map((body) => `---\nname: my-skill\ndescription: x\n---\n${body}`),
      fc
        .array(
          fc.constantFrom(
            "```bash",
            "```",
            "gait run record --input x",
            "`gait verify",
            "---",
            "name: [",
            "\\",
          ),
        )
        .map((lines) => lines.join("\n")),
    );
    fc.assert(
      fc.property(text, (skillMd) => {
        const report = validateSkill(folder("my-skill", { "SKILL.md": skillMd, "s.mjs": skillMd }), commands);
        assert.ok(Array.isArray(report.findings));
      }),
    );
  });
});
