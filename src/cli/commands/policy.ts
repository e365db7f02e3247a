/**
 * `gait policy init|validate|fmt`: starter templates, strict validation and deterministic
 * formatting of gate policies. Each subcommand is its own spec; `policyCommands` lists them so
 * further subcommands (test, simulate) are added by appending to the list.
 */
import { access, readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fromFsError } from "../../contract/errors.ts";
import { writeFileAtomic } from "../../contract/files.ts";
import {
  formatPolicyYaml,
  freezeWindowWarnings,
  type LoadedPolicy,
  POLICY_TEMPLATE_NAMES,
  parsePolicyYaml,
  policyTemplate,
  yamlHasComments,
} from "../../gate/index.ts";
import { type CommandContext, command, group, type Spec, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { policySimulateCommand, policyTestCommand } from "./policy-test.ts";

const DEFAULT_POLICY_PATH = "gait.policy.yaml";

const policyInitCommand = command({
  name: "init",
  explain:
    "Write a starter gate policy from a template (baseline-lowrisk, baseline-mediumrisk or baseline-highrisk).",
  args: [{ name: "template", description: POLICY_TEMPLATE_NAMES.join(" | "), required: true }],
  options: [
    { name: "out", value: "path", description: `where to write the policy (default ${DEFAULT_POLICY_PATH})` },
    { name: "force", description: "overwrite an existing file" },
  ],
  examples: [
    "gait policy init baseline-highrisk",
    "gait policy init baseline-lowrisk --out policies/dev.yaml --force",
  ],
  async run([template = ""], options, ctx) {
    const text = policyTemplate(template);
    const shown = stringOption(options, "out") ?? DEFAULT_POLICY_PATH;
    const path = resolve(ctx.cwd, shown);
    if (options.force !== true && (await exists(path))) {
      throw invalidInput("policy_exists", `${shown} already exists`, {
        hint: "pass --force to overwrite it",
      });
    }
    const { policyDigest } = parsePolicyYaml(text, template);
    await writeFileAtomic(path, text, { mode: 0o644 });
    const nextCommands = [
      `gait policy validate ${shown}`,
      `gait policy fmt ${shown} --write`,
      `gait policy test ${shown} <intent.json>`,
    ];
    return {
      output: { template, policy_path: shown, policy_digest: policyDigest, next_commands: nextCommands },
      human: [
        `wrote ${template} policy to ${shown}`,
        `policy_digest=${policyDigest}`,
        "next:",
        ...nextCommands.map((c) => `  ${c}`),
      ],
    };
  },
});

const policyValidateCommand = command({
  name: "validate",
  explain:
    "Check a policy file strictly (unknown fields, types, values) and print its digest; exit 6 when invalid.",
  args: [{ name: "file", description: "policy YAML file", required: true }],
  examples: ["gait policy validate gait.policy.yaml --json"],
  async run([file = ""], _options, ctx) {
    const { loaded } = await readPolicy(file, ctx);
    const { policy, policyDigest } = loaded;
    const summary = summarize(loaded);
    const warnings = freezeWindowWarnings(policy);
    return {
      output: {
        schema_id: policy.schemaId,
        schema_version: policy.schemaVersion,
        policy_digest: policyDigest,
        default_verdict: policy.defaultVerdict,
        rule_count: policy.rules.length,
        summary,
        ...(warnings.length > 0 ? { warnings } : {}),
      },
      human: [summary, `policy_digest=${policyDigest}`, ...warnings.map((w) => `warning: ${w}`)],
    };
  },
});

const policyFmtCommand = command({
  name: "fmt",
  explain:
    "Print a policy in canonical form (normalized lists, defaults omitted, rules in evaluation order), or rewrite it with --write.",
  args: [{ name: "file", description: "policy YAML file", required: true }],
  options: [{ name: "write", description: "rewrite the file in place instead of printing it" }],
  examples: ["gait policy fmt gait.policy.yaml", "gait policy fmt gait.policy.yaml --write --json"],
  async run([file = ""], options, ctx) {
    const { loaded, text, path } = await readPolicy(file, ctx);
    const formatted = formatPolicyYaml(loaded.policy);
    const changed = formatted !== text;
    const write = options.write === true;
    if (write && changed) {
      if (yamlHasComments(text))
        ctx.warn(`comments in ${file} were not kept (fmt writes the normalized policy)`);
      await writeFileAtomic(path, formatted, { mode: await fileMode(path) });
    }
    const output: Record<string, unknown> = {
      path: file,
      written: write && changed,
      changed,
      policy_digest: loaded.policyDigest,
      default_verdict: loaded.policy.defaultVerdict,
      rule_count: loaded.policy.rules.length,
    };
    if (!write) return { output: { ...output, formatted }, human: formatted };
    return { output, human: changed ? `formatted ${file}` : `${file} already formatted` };
  },
});

/** The `policy` subcommands; append new ones here. */
const policyCommands: Spec[] = [
  policyInitCommand,
  policyValidateCommand,
  policyFmtCommand,
  policyTestCommand,
  policySimulateCommand,
];

export const policyGroup = group({
  name: "policy",
  explain: "Create, validate, format, test and simulate gate policies.",
  commands: policyCommands,
});

async function readPolicy(
  file: string,
  ctx: CommandContext,
): Promise<{ loaded: LoadedPolicy; text: string; path: string }> {
  const path = resolve(ctx.cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw fromFsError(error, "read policy", file);
  }
  return { loaded: { ...parsePolicyYaml(text, file), path }, text, path };
}

function summarize({ policy }: LoadedPolicy): string {
  const failClosed = policy.failClosed.enabled ? policy.failClosed.riskClasses.join(",") : "off";
  const rules = policy.rules.length === 1 ? "1 rule" : `${policy.rules.length} rules`;
  return `policy valid: ${rules}, default_verdict=${policy.defaultVerdict}, fail_closed=${failClosed}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the permission bits of the file being rewritten. */
async function fileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}
