/** gait skills install's core: copies, leaves current copies alone, updates untouched old ones, never replaces edits without force. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  INSTALL_MARKER,
  installDir,
  installSkills,
  installState,
  readSkillFolders,
  type SkillFolder,
  shippedSkillsDir,
  skillDigest,
  skillStatuses,
} from "../../src/skills/index.ts";
import { tempDir } from "../helpers/cli.ts";

describe("installState", () => {
  it("tells absent, current, outdated and modified copies apart", () => {
    assert.equal(installState("new", undefined), "absent");
    assert.equal(installState("new", { digest: "new", markerDigest: undefined }), "current");
    assert.equal(installState("new", { digest: "old", markerDigest: "old" }), "outdated");
    assert.equal(installState("new", { digest: "edited", markerDigest: "old" }), "modified");
    assert.equal(installState("new", { digest: "foreign", markerDigest: undefined }), "modified");
  });
});

describe("installSkills", () => {
  let temp: ReturnType<typeof tempDir>;
  let shipped: SkillFolder[];
  let dest: string;
  beforeEach(async () => {
    temp = tempDir("gait-skills-install-");
    shipped = await readSkillFolders(shippedSkillsDir());
    dest = installDir(temp.dir, "claude", undefined);
  });
  afterEach(() => temp.cleanup());

  const skillMd = (name: string) => join(dest, name, "SKILL.md");
  const script = () => join(dest, "gait-policy-test-rollout", "scripts", "rollout-report.mjs");

  it("copies every skill byte for byte, scripts executable, with a marker", async () => {
    assert.equal(dest, join(temp.dir, ".claude", "skills"));
    const results = await installSkills(shipped, dest, { force: false });
    assert.deepEqual(
      results.map((r) => r.action),
      ["installed", "installed", "installed"],
    );
    const copies = await readSkillFolders(dest);
    assert.deepEqual(
      copies.map((copy) => skillDigest(copy.files)),
      shipped.map((skill) => skillDigest(skill.files)),
    );
    assert.ok((statSync(script()).mode & 0o111) !== 0, "the helper script stays executable");
    const marker = JSON.parse(readFileSync(join(dest, "gait-capture-runpack", INSTALL_MARKER), "utf8"));
    assert.equal(marker.digest, skillDigest(shipped[0]!.files));
  });

  it("leaves a current copy alone and updates a copy gait wrote for an older version", async () => {
    await installSkills(shipped, dest, { force: false });
    assert.deepEqual(
      (await installSkills(shipped, dest, { force: false })).map((r) => r.action),
      ["unchanged", "unchanged", "unchanged"],
    );
    // An older gait's skill: different files, and a marker saying gait wrote exactly those.
    const older = join(dest, "gait-capture-runpack");
    writeFileSync(join(older, "SKILL.md"), "---\nname: gait-capture-runpack\ndescription: old\n---\nold\n");
    writeFileSync(join(older, "dropped.md"), "a file the new version no longer ships\n");
    const [olderCopy] = await readSkillFolders(older);
    writeFileSync(join(older, INSTALL_MARKER), JSON.stringify({ digest: skillDigest(olderCopy!.files) }));
    const results = await installSkills(shipped, dest, { force: false });
    assert.deepEqual(
      results.map((r) => r.action),
      ["updated", "unchanged", "unchanged"],
    );
    assert.equal(
      readFileSync(skillMd("gait-capture-runpack"), "utf8"),
      shipped[0]!.files.find((f) => f.path === "SKILL.md")!.data.toString(),
    );
    assert.ok(!existsSync(join(older, "dropped.md")));
  });

  it("refuses to replace an edited copy, writing nothing, unless forced", async () => {
    await installSkills(shipped, dest, { force: false });
    writeFileSync(skillMd("gait-incident-to-regression"), "my own edits\n");
    // Another skill missing, to show the refusal writes nothing at all.
    rmSync(join(dest, "gait-capture-runpack"), { recursive: true });
    const statusesBefore = await skillStatuses(shipped, dest);
    assert.deepEqual(
      statusesBefore.map((s) => s.state),
      ["absent", "modified", "current"],
    );
    await assert.rejects(
      installSkills(shipped, dest, { force: false }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "skill_modified");
        assert.match(error.message, /gait-incident-to-regression/);
        return true;
      },
    );
    assert.equal(readFileSync(skillMd("gait-incident-to-regression"), "utf8"), "my own edits\n");
    assert.ok(!existsSync(join(dest, "gait-capture-runpack")));

    const forced = await installSkills(shipped, dest, { force: true });
    assert.deepEqual(
      forced.map((r) => r.action),
      ["installed", "replaced", "unchanged"],
    );
    assert.deepEqual(
      (await skillStatuses(shipped, dest)).map((s) => s.state),
      ["current", "current", "current"],
    );
  });

  it("treats a copy gait did not write (no marker) as modified", async () => {
    const dir = join(dest, "gait-capture-runpack");
    await installSkills(shipped.slice(0, 1), dest, { force: false });
    writeFileSync(join(dir, "SKILL.md"), "someone else's skill\n");
    writeFileSync(join(dir, INSTALL_MARKER), "not json");
    assert.deepEqual(
      (await skillStatuses(shipped.slice(0, 1), dest)).map((s) => s.state),
      ["modified"],
    );
  });
});
