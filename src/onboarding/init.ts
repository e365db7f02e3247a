/**
 * `gait init`: write the starter repo policy (`.gait.yaml`, from a template) and the project
 * defaults (`.gait/config.yaml`, pointing at that policy). Nothing is overwritten without `force`.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  createProjectKey,
  DEFAULT_CONFIG_PATH,
  DEFAULT_KEY_DIR,
  DEFAULT_POLICY_PATH,
  type GateProfile,
  renderProjectConfig,
} from "../config/index.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { parsePolicyYaml, policyTemplate } from "../gate/index.ts";
import { invalidInput } from "./error-codes.ts";

export const DEFAULT_INIT_TEMPLATE = "baseline-highrisk";

/** Where each file of the repo contract lives (REFERENCE §1.8). */
export const CONTRACT_PATHS = {
  repo_policy_path: DEFAULT_POLICY_PATH,
  project_defaults_path: DEFAULT_CONFIG_PATH,
  regress_config_path: "gait.yaml",
  legacy_policy_scaffold_path: "gait.policy.yaml",
} as const;

export interface InitOptions {
  cwd: string;
  template: string;
  /** Policy path as given (relative to cwd unless absolute). */
  policyPath: string;
  profile: GateProfile;
  force: boolean;
}

export interface InitResult {
  template: string;
  policyPath: string;
  configPath: string;
  policyDigest: string;
  profile: GateProfile;
  /** The project's dev signing key (created unless it existed): dev-mode evidence verifies here. */
  devKey: { path: string; keyId: string; created: boolean };
  nextCommands: string[];
}

export async function initProject(options: InitOptions): Promise<InitResult> {
  const { cwd, template, policyPath, profile } = options;
  const policyText = starterPolicy(template, policyPath);
  const { policyDigest } = parsePolicyYaml(policyText, template);
  const configText = renderProjectConfig({ policyPath, profile });
  const targets = [policyPath, DEFAULT_CONFIG_PATH];
  if (!options.force) await refuseExisting(cwd, targets);
  await writeFileAtomic(resolve(cwd, policyPath), policyText, { mode: 0o644 });
  await writeFileAtomic(resolve(cwd, DEFAULT_CONFIG_PATH), configText, { mode: 0o644 });
  const devKey = await createProjectKey(cwd);
  return {
    template,
    policyPath,
    configPath: DEFAULT_CONFIG_PATH,
    policyDigest,
    profile,
    devKey: { path: devKey.origin, keyId: devKey.key.keyId, created: devKey.created },
    nextCommands: await nextCommands(cwd, profile),
  };
}

/** The template with a header naming the contract paths, its example commands aimed at `policyPath`. */
function starterPolicy(template: string, policyPath: string): string {
  const header = `# Repo policy for Gait, written by \`gait init --template ${template}\`.
#
# Contract paths (relative to the project root):
#   ${CONTRACT_PATHS.repo_policy_path.padEnd(18)} repo policy (this file, unless --out chose another path)
#   ${CONTRACT_PATHS.project_defaults_path.padEnd(18)} project defaults: policy, keys, output dirs
#   ${CONTRACT_PATHS.regress_config_path.padEnd(18)} regress config (gait regress init)
#   ${CONTRACT_PATHS.legacy_policy_scaffold_path.padEnd(18)} legacy policy scaffold (gait policy init)
#
# Check the setup with \`gait check\` and \`gait doctor\`.
#
`;
  return header + policyTemplate(template).replaceAll("gait.policy.yaml", policyPath);
}

async function refuseExisting(cwd: string, paths: string[]): Promise<void> {
  const existing: string[] = [];
  for (const path of paths) if (await exists(resolve(cwd, path))) existing.push(path);
  if (existing.length === 0) return;
  throw invalidInput(
    "init_target_exists",
    `${existing.join(" and ")} already exist(s); nothing was written`,
    {
      hint: "pass --force to overwrite, or run `gait check` to validate what is there",
      details: { existing },
    },
  );
}

async function nextCommands(cwd: string, profile: GateProfile): Promise<string[]> {
  const commands = ["gait check", "gait doctor", "gait gate eval --intent intent.json --json"];
  const keyPath = `${DEFAULT_KEY_DIR}/gait_private.key`;
  if (profile === "oss-prod" && !(await exists(resolve(cwd, keyPath)))) commands.unshift("gait keys init");
  return commands;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
