/**
 * `gait skills install|list`: copies the shipped skills into the folder an agent reads skills
 * from, and tells each copy's state. A copy is `current` (same files as shipped), `outdated`
 * (gait wrote it and nobody changed it since: an older gait's skills), `modified` (someone edited
 * it, or gait did not write it) or `absent`. Each copy gets a marker with the digest of the
 * files as installed, which is what tells outdated from modified. A modified copy is never
 * replaced without `force`, and a refusal writes nothing.
 */
import { readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isJsonObject } from "../contract/canonical.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { invalidInput } from "./error-codes.ts";
import { INSTALL_MARKER, readSkillFolder, type SkillFolder, skillDigest } from "./files.ts";

export const INSTALL_TARGETS = ["claude", "codex", "agents"] as const;
export type InstallTarget = (typeof INSTALL_TARGETS)[number];

/**
 * Where each agent reads a project's skills, relative to the project root: Claude Code
 * `.claude/skills/`; Codex reads the Agent Skills folder `.agents/skills/` (docs/skills.md).
 */
export const TARGET_DIRS: Record<InstallTarget, string> = {
  claude: ".claude/skills",
  codex: ".agents/skills",
  agents: ".agents/skills",
};

export type InstallState = "absent" | "current" | "outdated" | "modified";
export type InstallAction = "installed" | "updated" | "replaced" | "unchanged";

export interface InstalledCopy {
  digest: string;
  /** The digest the install marker recorded, when there is a readable marker. */
  markerDigest: string | undefined;
}

export function installState(shippedDigest: string, copy: InstalledCopy | undefined): InstallState {
  if (!copy) return "absent";
  if (copy.digest === shippedDigest) return "current";
  return copy.markerDigest === copy.digest ? "outdated" : "modified";
}

export interface SkillStatus {
  name: string;
  /** Where the copy is (or would be). */
  path: string;
  digest: string;
  state: InstallState;
  /** Whether the copy's marker records the shipped digest (a current copy may lack one). */
  marked: boolean;
}

export async function skillStatuses(
  shipped: readonly SkillFolder[],
  destDir: string,
): Promise<SkillStatus[]> {
  return Promise.all(
    shipped.map(async (skill) => {
      const path = join(destDir, skill.name);
      const digest = skillDigest(skill.files);
      const copy = await readInstalledCopy(path);
      return {
        name: skill.name,
        path,
        digest,
        state: installState(digest, copy),
        marked: copy?.markerDigest === digest,
      };
    }),
  );
}

async function readInstalledCopy(path: string): Promise<InstalledCopy | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  // Something else under the skill's name (a file): never the shipped skill.
  if (!info.isDirectory()) return { digest: "", markerDigest: undefined };
  const folder = await readSkillFolder(path);
  return { digest: skillDigest(folder.files), markerDigest: await readMarkerDigest(path) };
}

async function readMarkerDigest(path: string): Promise<string | undefined> {
  try {
    const marker: unknown = JSON.parse(await readFile(join(path, INSTALL_MARKER), "utf8"));
    return isJsonObject(marker) && typeof marker.digest === "string" ? marker.digest : undefined;
  } catch {
    return undefined;
  }
}

export interface InstallResult extends SkillStatus {
  action: InstallAction;
}

export async function installSkills(
  shipped: readonly SkillFolder[],
  destDir: string,
  options: { force: boolean },
): Promise<InstallResult[]> {
  const statuses = await skillStatuses(shipped, destDir);
  const modified = statuses.filter((status) => status.state === "modified").map((status) => status.name);
  if (modified.length > 0 && !options.force)
    throw invalidInput(
      "skill_modified",
      `installed ${modified.length === 1 ? "skill differs" : "skills differ"} from what gait installed: ${modified.join(", ")}`,
      {
        hint: "keep your edits (nothing was written), or pass --force to replace them with the shipped skills",
        details: { modified, dir: destDir },
      },
    );
  const results: InstallResult[] = [];
  for (const [i, status] of statuses.entries()) {
    const skill = shipped[i]!;
    const action = actionFor(status.state);
    if (action !== "unchanged") await writeSkill(skill, status.path, status.state !== "absent");
    else if (!status.marked) await writeMarker(status.path, skill.name, status.digest);
    results.push({ ...status, action });
  }
  return results;
}

function actionFor(state: InstallState): InstallAction {
  if (state === "absent") return "installed";
  if (state === "outdated") return "updated";
  if (state === "modified") return "replaced";
  return "unchanged";
}

async function writeSkill(skill: SkillFolder, path: string, replace: boolean): Promise<void> {
  // The old copy's files go with it: a file the new version dropped must not linger.
  if (replace) await rm(path, { recursive: true, force: true });
  for (const file of skill.files)
    await writeFileAtomic(join(path, file.path), file.data, { mode: file.executable ? 0o755 : 0o644 });
  await writeMarker(path, skill.name, skillDigest(skill.files));
}

async function writeMarker(path: string, name: string, digest: string): Promise<void> {
  const marker = { name, digest, installed_by: `gait ${PRODUCER_VERSION}` };
  await writeFileAtomic(join(path, INSTALL_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o644 });
}

/** The folder `--dir` names, else the target's conventional folder, under `cwd`. */
export function installDir(cwd: string, target: InstallTarget, dir: string | undefined): string {
  return resolve(cwd, dir ?? TARGET_DIRS[target]);
}
