/**
 * `gait skills list|install|validate`: the Agent Skills shipped with gait (skills/), copied into
 * the folder an agent reads skills from, and checked against this CLI's own command tree.
 */
import { resolve } from "node:path";
import { exitForCheck } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import {
  INSTALL_TARGETS,
  type InstallTarget,
  installDir,
  installSkills,
  readSkillFolders,
  type SkillReport,
  type SkillsErrorCode,
  shippedSkillsDir,
  skillDescription,
  skillStatuses,
  validateSkillFolders,
} from "../../skills/index.ts";
import { type CommandContext, command, group, type Options, stringOption } from "../command.ts";

const targetOptions = [
  {
    name: "target",
    value: "agent",
    description:
      "the agent whose skills folder is used: claude (.claude/skills), codex or agents (.agents/skills)",
    choices: INSTALL_TARGETS,
    default: "agents",
  },
  { name: "dir", value: "path", description: "install into this folder instead of the target's" },
];

function destinationFor(options: Options, ctx: CommandContext): string {
  const target = (stringOption(options, "target") ?? "agents") as InstallTarget;
  return installDir(ctx.cwd, target, stringOption(options, "dir"));
}

const skillsListCommand = command({
  name: "list",
  explain: "List the skills shipped with gait and the state of each copy in an agent's skills folder.",
  options: targetOptions,
  examples: ["gait skills list", "gait skills list --target claude --json"],
  run: async (_args, options, ctx) => {
    const shipped = await readSkillFolders(shippedSkillsDir());
    const dest = destinationFor(options, ctx);
    const statuses = await skillStatuses(shipped, dest);
    const skills = statuses.map((status, i) => ({
      name: status.name,
      description: skillDescription(shipped[i]!),
      digest: status.digest,
      path: showPath(ctx.cwd, status.path),
      state: status.state,
    }));
    return {
      output: { dir: showPath(ctx.cwd, dest), skills },
      human: skills.map((skill) => `${skill.name}  ${skill.state}  ${skill.path}`),
    };
  },
});

const skillsInstallCommand = command({
  name: "install",
  explain:
    "Copy the skills shipped with gait into an agent's skills folder; a copy edited since gait installed it is replaced only with --force.",
  options: [
    ...targetOptions,
    { name: "force", description: "replace copies that differ from what gait installed" },
  ],
  examples: [
    "gait skills install",
    "gait skills install --target claude",
    "gait skills install --dir ~/.agents/skills --force",
  ],
  run: async (_args, options, ctx) => {
    const shipped = await readSkillFolders(shippedSkillsDir());
    const dest = destinationFor(options, ctx);
    const results = await installSkills(shipped, dest, { force: options.force === true });
    const skills = results.map((result) => ({
      name: result.name,
      path: showPath(ctx.cwd, result.path),
      digest: result.digest,
      action: result.action,
    }));
    return {
      output: { dir: showPath(ctx.cwd, dest), skills },
      human: skills.map((skill) => `${skill.action} ${skill.name} -> ${skill.path}`),
    };
  },
});

const skillsValidateCommand = command({
  name: "validate",
  explain:
    "Check skills: SKILL.md front matter, every gait command they teach against this CLI's commands and flags, and no credential-looking strings; exit 2 on an error finding.",
  args: [
    {
      name: "dir",
      description: "a folder of skills or one skill folder (default: the skills shipped with gait)",
    },
  ],
  examples: ["gait skills validate", "gait skills validate .claude/skills --json"],
  run: async (args, _options, ctx) => {
    const dir = args[0] === undefined ? shippedSkillsDir() : resolve(ctx.cwd, args[0]);
    const summary = validateSkillFolders(await readSkillFolders(dir), ctx.program.commands);
    const output: Record<string, unknown> = {
      ok: summary.ok,
      dir: showPath(ctx.cwd, dir),
      skills: summary.skills,
      error_findings: summary.errorFindings,
      warning_findings: summary.warningFindings,
    };
    if (!summary.ok) {
      output.error = `${summary.errorFindings} error finding(s) in ${failingNames(summary.skills)}`;
      output.error_code = "skills_invalid" satisfies SkillsErrorCode;
      output.hint = "fix each finding (file:line and message) and validate again";
    }
    return { exitCode: exitForCheck(summary.ok), output, human: validateHuman(summary.skills) };
  },
});

function failingNames(skills: readonly SkillReport[]): string {
  return skills
    .filter((skill) => skill.findings.some((finding) => finding.severity === "error"))
    .map((skill) => skill.name)
    .join(", ");
}

function validateHuman(skills: readonly SkillReport[]): string[] {
  return skills.flatMap((skill) => {
    const errors = skill.findings.filter((finding) => finding.severity === "error").length;
    const head = `${skill.name}: ${errors === 0 ? "ok" : `${errors} error(s)`} (${skill.commands_checked} gait commands checked)`;
    return [
      head,
      ...skill.findings.map(
        (f) =>
          `  [${f.severity}] ${skill.name}/${f.file}${f.line === undefined ? "" : `:${f.line}`} ${f.code}: ${f.message}`,
      ),
    ];
  });
}

export const skillsGroup = group({
  name: "skills",
  explain:
    "Agent Skills that teach coding agents the Gait loop (capture a runpack, incident to regression, policy test and rollout): list, install, validate.",
  commands: [skillsListCommand, skillsInstallCommand, skillsValidateCommand],
});
