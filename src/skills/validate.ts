/**
 * `gait skills validate`: what a skill must be before an agent is taught with it.
 * - SKILL.md starts with YAML front matter naming the skill (lower-case words joined by hyphens,
 *   equal to its folder's name) and describing what it does and when to use it; it grants no
 *   standing permissions (`allowed-tools`).
 * - Every `gait …` command it teaches (shell blocks, inline code, helper scripts) exists in the
 *   CLI's command tree with the flags it uses.
 * - No file carries anything that looks like a credential (the gate's detector, plus private key
 *   blocks).
 * Pure: the folder is read by the caller (files.ts), the command tree passed in.
 */

import { yamlPackage } from "../contract/yaml-package.ts";
import { carriesCredential } from "../gate/index.ts";
import { type CliNode, type CommandProblemCode, checkInvocation } from "./command-check.ts";
import { SKILL_FILE, type SkillFile, type SkillFolder } from "./files.ts";
import { type GaitInvocation, gaitInvocationsInScript, gaitInvocationsInShell } from "./invocations.ts";
import { fencedBlocks, inlineCodeSpans, splitFrontMatter } from "./markdown.ts";

export type SkillFindingCode =
  | CommandProblemCode
  | "skill_md_missing"
  | "front_matter_missing"
  | "front_matter_invalid"
  | "front_matter_unknown_field"
  | "name_invalid"
  | "name_mismatch"
  | "description_invalid"
  | "standing_permission"
  | "body_empty"
  | "credential"
  | "file_too_large";

export interface SkillFinding {
  severity: "error" | "warning";
  code: SkillFindingCode;
  /** Path inside the skill folder. */
  file: string;
  line?: number;
  message: string;
}

export interface SkillReport {
  name: string;
  description?: string;
  commands_checked: number;
  findings: SkillFinding[];
}

/** The Agent Skills specification's limits. */
const NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const NAME_MAX = 64;
const DESCRIPTION_MAX = 1024;
/** Front matter fields of the Agent Skills specification and the agents that read it. */
const KNOWN_FIELDS = new Set([
  "name",
  "description",
  "license",
  "compatibility",
  "metadata",
  "disable-model-invocation",
  "user-invocable",
  "argument-hint",
]);
const SHELL_LANGUAGES = new Set(["bash", "sh", "shell", "zsh"]);
const SCRIPT_EXTENSIONS = /\.(mjs|cjs|js|ts)$/;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

export function validateSkill(folder: SkillFolder, commands: readonly CliNode[]): SkillReport {
  const findings: SkillFinding[] = folder.skipped.map((file) => ({
    severity: "error",
    code: "file_too_large",
    file,
    message: `${file} is too large to be part of a skill (over 1 MiB); it was not checked`,
  }));
  const skillFile = folder.files.find((file) => file.path === SKILL_FILE);
  let description: string | undefined;
  if (!skillFile) {
    findings.push({ severity: "error", code: "skill_md_missing", file: SKILL_FILE, message: "no SKILL.md" });
  } else {
    const front = checkFrontMatter(skillFile.data.toString("utf8"), folder.name);
    findings.push(...front.findings);
    description = front.description;
  }
  let commandsChecked = 0;
  for (const file of folder.files) {
    const text = textOf(file);
    if (text === undefined) continue;
    findings.push(...credentialFindings(file.path, text));
    for (const invocation of invocationsIn(file.path, text)) {
      commandsChecked++;
      const shown = ["gait", ...invocation.words.map((word) => word.text)].join(" ");
      for (const problem of checkInvocation(invocation.words, commands, invocation.incomplete)) {
        findings.push({
          severity: "error",
          code: problem.code,
          file: file.path,
          line: invocation.line,
          message: `${problem.message} (in: ${shown})`,
        });
      }
    }
  }
  return {
    name: folder.name,
    ...(description === undefined ? {} : { description }),
    commands_checked: commandsChecked,
    findings,
  };
}

function checkFrontMatter(
  text: string,
  folderName: string,
): { findings: SkillFinding[]; description?: string } {
  const at = (
    code: SkillFindingCode,
    message: string,
    line = 1,
    severity: "error" | "warning" = "error",
  ) => ({
    severity,
    code,
    file: SKILL_FILE,
    line,
    message,
  });
  const split = splitFrontMatter(text);
  if (split.yaml === undefined)
    return {
      findings: [
        split.unterminated
          ? at("front_matter_invalid", "the front matter's opening --- is never closed")
          : at("front_matter_missing", "SKILL.md must start with YAML front matter between --- lines"),
      ],
    };
  const parsed = parseFrontMatterYaml(split.yaml);
  if ("error" in parsed) return { findings: [at("front_matter_invalid", parsed.error)] };
  const record = parsed.fields;
  const findings: SkillFinding[] = [];
  const name = record.name;
  if (typeof name !== "string" || !NAME_PATTERN.test(name) || name.length > NAME_MAX)
    findings.push(
      at(
        "name_invalid",
        `name must be lower-case letters and digits in words joined by single hyphens, at most ${NAME_MAX} characters`,
      ),
    );
  else if (name !== folderName)
    findings.push(
      at(
        "name_mismatch",
        `name ${JSON.stringify(name)} differs from its folder's name ${JSON.stringify(folderName)}`,
      ),
    );
  const description = record.description;
  const validDescription =
    typeof description === "string" && description.trim() !== "" && description.length <= DESCRIPTION_MAX;
  if (!validDescription)
    findings.push(
      at(
        "description_invalid",
        `description must say what the skill does and when to use it (1 to ${DESCRIPTION_MAX} characters)`,
      ),
    );
  if (Object.hasOwn(record, "allowed-tools"))
    findings.push(
      at(
        "standing_permission",
        "allowed-tools grants tools without asking: a Gait skill carries no standing permissions",
      ),
    );
  for (const key of Object.keys(record).filter((key) => !KNOWN_FIELDS.has(key) && key !== "allowed-tools"))
    findings.push(
      at("front_matter_unknown_field", `unknown front matter field ${JSON.stringify(key)}`, 1, "warning"),
    );
  if (split.body.trim() === "")
    findings.push(at("body_empty", "SKILL.md has no instructions after its front matter", split.bodyLine));
  return { findings, ...(validDescription ? { description: (description as string).trim() } : {}) };
}

function parseFrontMatterYaml(yaml: string): { fields: Record<string, unknown> } | { error: string } {
  let fields: unknown;
  try {
    fields = yamlPackage().parse(yaml);
  } catch (error) {
    return { error: `the front matter is not valid YAML: ${(error as Error).message}` };
  }
  if (fields === null || typeof fields !== "object" || Array.isArray(fields))
    return { error: "the front matter must be a YAML mapping" };
  return { fields: fields as Record<string, unknown> };
}

/** The `description` a skill's front matter gives, when it gives a readable one. */
export function skillDescription(folder: SkillFolder): string | undefined {
  const text = folder.files.find((file) => file.path === SKILL_FILE)?.data.toString("utf8");
  const yaml = text === undefined ? undefined : splitFrontMatter(text).yaml;
  const parsed = yaml === undefined ? undefined : parseFrontMatterYaml(yaml);
  const description = parsed && "fields" in parsed ? parsed.fields.description : undefined;
  return typeof description === "string" ? description.trim() : undefined;
}

/** The gait invocations a file teaches: Markdown's shell blocks and inline code, scripts' gait([...]) calls. */
function invocationsIn(path: string, text: string): GaitInvocation[] {
  if (path.endsWith(".md")) {
    const shell = fencedBlocks(text)
      .filter((block) => SHELL_LANGUAGES.has(block.language) || block.language === "console")
      .flatMap((block) => gaitInvocationsInShell(block.text, block.line, block.language === "console"));
    const inline = inlineCodeSpans(text)
      .filter((span) => /^(npx\s+)?gait\s/.test(span.text))
      .flatMap((span) => gaitInvocationsInShell(span.text, span.line))
      .map((invocation) => ({ ...invocation, incomplete: true }));
    return [...shell, ...inline];
  }
  if (path.endsWith(".sh")) return gaitInvocationsInShell(text);
  if (SCRIPT_EXTENSIONS.test(path)) return gaitInvocationsInScript(text);
  return [];
}

/** Lines that look like they hold a credential; the finding names the line, never its text. */
function credentialFindings(path: string, text: string): SkillFinding[] {
  const findings: SkillFinding[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (PRIVATE_KEY_BLOCK.test(line) || carriesCredential(line))
      findings.push({
        severity: "error",
        code: "credential",
        file: path,
        line: i + 1,
        message: `line ${i + 1} looks like it holds a credential (a secret-named assignment, a token or a private key); reference it by environment variable name instead`,
      });
  });
  return findings;
}

/** A file's text, or undefined for a binary file (one with a NUL byte). */
function textOf(file: SkillFile): string | undefined {
  return file.data.includes(0) ? undefined : file.data.toString("utf8");
}

export interface ValidationSummary {
  ok: boolean;
  skills: SkillReport[];
  errorFindings: number;
  warningFindings: number;
}

/** Every folder validated; `ok` when no finding is an error (warnings are reported, not failed). */
export function validateSkillFolders(
  folders: readonly SkillFolder[],
  commands: readonly CliNode[],
): ValidationSummary {
  const skills = folders.map((folder) => validateSkill(folder, commands));
  const all = skills.flatMap((skill) => skill.findings);
  const errors = all.filter((finding) => finding.severity === "error").length;
  return { ok: errors === 0, skills, errorFindings: errors, warningFindings: all.length - errors };
}
