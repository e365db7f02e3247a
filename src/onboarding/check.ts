/**
 * `gait check`: validate the repo policy and the project config, then list the gaps between them
 * and a working, enforceable setup. Invalid files are errors (exit 6) raised by the loaders;
 * everything else is a finding. The findings are a pure function of what was loaded.
 */
import { resolve } from "node:path";
import {
  DEFAULT_KEY_DIR,
  type LoadedProjectConfig,
  loadProjectConfig,
  type ProjectConfig,
} from "../config/index.ts";
import { isGaitError } from "../contract/errors.ts";
import type { LoadedPolicy, Policy, RuleMatch } from "../gate/index.ts";
import { loadPolicyFile } from "../gate/index.ts";
import { invalidInput } from "./error-codes.ts";
import {
  formatMode,
  inspectKeySource,
  isLooseKeyFile,
  type KeyFacts,
  keysInitCommand,
  shellQuote,
} from "./key-facts.ts";

export type Severity = "info" | "warn" | "error";

export interface Finding {
  code: string;
  severity: Severity;
  summary: string;
  remediation: string;
}

export interface ProjectFacts {
  policy: Policy;
  policyPath: string;
  config: ProjectConfig;
  configPath: string;
  configFound: boolean;
  /** Facts about each key source the config names. */
  keys: KeyFacts[];
}

export interface CheckReport {
  policyPath: string;
  configPath: string;
  configFound: boolean;
  policy: LoadedPolicy;
  profile: string;
  findings: Finding[];
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warn: 1, info: 2 };

/** Loads both files (throwing coded errors when invalid) and lists the findings. */
export async function checkProject(options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  policyPath?: string | undefined;
  configPath?: string | undefined;
}): Promise<CheckReport> {
  const loadedConfig = await loadProjectConfig(options.cwd, options.configPath);
  const policyPath = options.policyPath ?? policyPathFor(loadedConfig);
  const policy = await loadPolicyFile(resolve(options.cwd, policyPath), policyPath).catch(
    (error: unknown) => {
      // Nothing here yet: the way forward is `gait init`, not a missing-file message.
      if (!loadedConfig.found && options.policyPath === undefined && isFileNotFound(error)) {
        throw invalidInput(
          "project_not_initialized",
          `no Gait project here: ${policyPath} does not exist, nor ${loadedConfig.path}`,
          {
            hint: "run `gait init` to write a starter policy and project defaults, then `gait check` again",
          },
        );
      }
      throw error;
    },
  );
  const keys = await configuredKeyFacts(loadedConfig.config, options);
  const findings = checkFindings({
    policy: policy.policy,
    policyPath,
    config: loadedConfig.config,
    configPath: loadedConfig.path,
    configFound: loadedConfig.found,
    keys,
  });
  return {
    policyPath,
    configPath: loadedConfig.path,
    configFound: loadedConfig.found,
    policy,
    profile: loadedConfig.config.gate.profile ?? "standard",
    findings,
  };
}

function isFileNotFound(error: unknown): boolean {
  return isGaitError(error) && error.code === "file_not_found";
}

/** The policy the config names, or the default repo policy `.gait.yaml`. */
export function policyPathFor(loaded: LoadedProjectConfig): string {
  return loaded.config.gate.policy ?? ".gait.yaml";
}

/** Facts about the signing and approval key sources the config names (none when unset). */
export async function configuredKeyFacts(
  config: ProjectConfig,
  io: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<KeyFacts[]> {
  const facts: KeyFacts[] = [];
  const { privateKey, approvalPublicKey } = config.gate;
  if (privateKey) facts.push(await inspectKeySource(privateKey, "gate.private_key", "private", io));
  if (approvalPublicKey) {
    facts.push(await inspectKeySource(approvalPublicKey, "gate.approval_public_key", "public", io));
  }
  return facts;
}

export function checkFindings(facts: ProjectFacts): Finding[] {
  const profile = facts.config.gate.profile ?? "standard";
  const findings = [
    ...policyFindings(facts.policy, facts.policyPath, profile),
    ...configFindings(facts),
    ...facts.keys.flatMap((key) => keyFindings(key, facts.configPath)),
  ];
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

function policyFindings(policy: Policy, policyPath: string, profile: string): Finding[] {
  const findings: Finding[] = [];
  if (policy.defaultVerdict === "allow") {
    findings.push({
      code: "policy_default_allow",
      severity: profile === "oss-prod" ? "error" : "warn",
      summary: `${policyPath}: default_verdict is allow, so every tool call no rule names goes through`,
      remediation: `set default_verdict: block (or require_approval) in ${policyPath}`,
    });
  }
  if (policy.rules.length === 0) {
    findings.push({
      code: "policy_no_rules",
      severity: "warn",
      summary: `${policyPath} has no rules: every tool call gets default_verdict ${policy.defaultVerdict}`,
      remediation: `add rules (see \`gait policy init baseline-highrisk --out /tmp/example.yaml\` for examples) and test them with \`gait policy test ${policyPath} <intent.json>\``,
    });
  }
  const failClosed = policy.failClosed;
  const uncovered = ["critical", "high"].filter((risk) => !failClosed.riskClasses.includes(risk));
  if (!failClosed.enabled || uncovered.length > 0) {
    findings.push({
      code: "policy_fail_closed_missing",
      severity: "warn",
      summary: failClosed.enabled
        ? `${policyPath}: fail_closed does not cover risk classes ${uncovered.join(", ")}`
        : `${policyPath}: fail_closed is off, so high-risk intents without targets or argument provenance are not blocked`,
      remediation: `set fail_closed: {enabled: true, risk_classes: [critical, high], required_fields: [targets, arg_provenance]} in ${policyPath}`,
    });
  }
  for (const rule of policy.rules) {
    if (rule.effect === "allow" && matchesEverything(rule.match)) {
      findings.push({
        code: "policy_allow_rule_matches_all",
        severity: "warn",
        summary: `${policyPath}: rule ${rule.name} allows every tool call (its match is empty)`,
        remediation: `narrow rule ${rule.name} with match.tool_names (or risk_classes, target_kinds)`,
      });
    }
  }
  return findings;
}

function matchesEverything(match: RuleMatch): boolean {
  const lists = Object.values(match).filter((value): value is unknown[] => Array.isArray(value));
  return (
    lists.every((list) => list.length === 0) &&
    match.toolAnnotations === undefined &&
    !match.requireDelegation &&
    match.maxDelegationDepth === 0
  );
}

function configFindings(facts: ProjectFacts): Finding[] {
  const { config, configPath, configFound, policy } = facts;
  const gate = config.gate;
  const profile = gate.profile ?? "standard";
  const keyMode = gate.keyMode ?? "dev";
  const findings: Finding[] = [];
  if (!configFound) {
    findings.push({
      code: "config_missing",
      severity: "info",
      summary: `no ${configPath}: built-in defaults apply (dev keys, traces in the current directory)`,
      remediation: "run `gait init` to write .gait/config.yaml (add --force if .gait.yaml exists)",
    });
  }
  if (keyMode === "prod" && !gate.privateKey) {
    findings.push({
      code: "key_mode_prod_without_key",
      severity: "error",
      summary: `${configPath}: gate.key_mode is prod but no gate.private_key or gate.private_key_env is set; gate eval will fail`,
      remediation: `run \`gait keys init\`, then set gate.private_key: ${DEFAULT_KEY_DIR}/gait_private.key in ${configPath}`,
    });
  }
  if (keyMode === "dev") findings.push(...devKeyFindings(config, configPath));
  const approvalRules = policy.rules.filter((rule) => rule.effect === "require_approval");
  if (approvalRules.length > 0 && !gate.approvalPublicKey) {
    findings.push({
      code: "approval_key_missing",
      severity: profile === "oss-prod" ? "warn" : "info",
      summary: `${approvalRules.length} rule(s) require approval but no gate.approval_public_key is set: tokens are checked against the trace signing key`,
      remediation: `set gate.approval_public_key to the approver's public key file in ${configPath}`,
    });
  }
  return findings;
}

function devKeyFindings(config: ProjectConfig, configPath: string): Finding[] {
  const { profile, privateKey } = config.gate;
  const findings: Finding[] = [];
  if (profile === "oss-prod") {
    findings.push({
      code: "oss_prod_requires_prod_keys",
      severity: "error",
      summary: `${configPath}: gate.profile oss-prod needs gate.key_mode prod; gate eval will refuse dev keys`,
      remediation: `set gate.key_mode: prod in ${configPath}`,
    });
  } else if (!privateKey) {
    findings.push({
      code: "key_mode_dev",
      severity: "info",
      summary:
        "traces are signed with a throwaway dev key per call; their signatures cannot be checked later",
      remediation: `run \`gait keys init\`, then set gate.key_mode: prod and gate.private_key: ${DEFAULT_KEY_DIR}/gait_private.key in ${configPath}`,
    });
  }
  if (privateKey) {
    findings.push({
      code: "private_key_unused",
      severity: "warn",
      summary: `${configPath}: gate.private_key is set but gate.key_mode is dev, so traces are signed with a throwaway key`,
      remediation: `set gate.key_mode: prod in ${configPath}`,
    });
  }
  return findings;
}

function keyFindings(key: KeyFacts, configPath: string): Finding[] {
  const name = key.field;
  if (!key.present && key.kind === "path") {
    return [
      {
        code: `${codeName(key)}_file_missing`,
        severity: "error",
        summary: `${configPath}: ${name} names ${key.value}, which does not exist`,
        remediation: `run \`${keysInitCommand(key.value)}\`, or fix ${name} in ${configPath}`,
      },
    ];
  }
  if (!key.present) {
    return [
      {
        code: `${codeName(key)}_env_unset`,
        severity: "warn",
        summary: `${name}_env names ${key.value}, which is not set in this environment`,
        remediation: `export ${key.value} with the base64 key before running gait (e.g. from a secret store)`,
      },
    ];
  }
  if (key.problem) {
    return [
      {
        code: `${codeName(key)}_invalid`,
        severity: "error",
        summary: `${name}: ${key.problem}`,
        remediation: `point ${name} at a key written by \`gait keys init\``,
      },
    ];
  }
  if (isLooseKeyFile(key)) {
    return [
      {
        code: "private_key_permissions_open",
        severity: "warn",
        summary: `${key.value} is readable by group or others (mode ${formatMode(key.mode!)})`,
        remediation: `chmod 600 ${shellQuote(key.value)}`,
      },
    ];
  }
  return [];
}

function codeName(key: KeyFacts): string {
  return key.role === "private" ? "private_key" : "approval_public_key";
}
