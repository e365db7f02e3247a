/**
 * `gait doctor`: checks the local environment and the project setup, each check `pass|warn|fail`
 * with a copy-paste fix command. Doctor writes nothing into the project; the only write is a probe
 * in the system temp dir. Exit: 7 when a non-fixable dependency is missing, 2 when a production
 * readiness check fails (with --production-readiness), else 0 (warnings and fixable failures too).
 */
import { constants } from "node:fs";
import { access, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import {
  DEFAULT_CONFIG_PATH,
  DEFAULT_KEY_DIR,
  emptyProjectConfig,
  type LoadedProjectConfig,
  loadProjectConfig,
  type ProjectConfig,
  parseListenAddress,
} from "../config/index.ts";
import { isGaitError } from "../contract/errors.ts";
import { ExitCode, exitForCheck } from "../contract/exit.ts";
import { type KeyMode, type KeySource, keyModeFor, loadPrivateKey, loadPublicKey } from "../contract/keys.ts";
import type { LoadedPolicy } from "../gate/index.ts";
import { DEFAULT_RATE_LIMIT_STATE, gateSetupProblems, loadPolicyFile } from "../gate/index.ts";
import { configuredKeyFacts, policyPathFor } from "./check.ts";
import {
  formatMode,
  inspectKeySource,
  isLooseKeyFile,
  type KeyFacts,
  keysInitCommand,
  shellQuote,
} from "./key-facts.ts";

export const DOCTOR_SCHEMA_ID = "gait.doctor.result";
const MIN_NODE_MAJOR = 20;
const STALE_LOCK_MS = 15_000;
const DEFAULT_OUTPUT_DIR = "gait-out";
const PORT_PROBE_TIMEOUT_MS = 300;

export type CheckStatus = "pass" | "warn" | "fail";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  message: string;
  /** Empty for passing checks. */
  fix_command: string;
  non_fixable: boolean;
}

export interface DoctorResult {
  schema_id: typeof DOCTOR_SCHEMA_ID;
  schema_version: "1.0.0";
  status: CheckStatus;
  summary: string;
  non_fixable: boolean;
  production_readiness: boolean;
  fix_commands: string[];
  checks: DoctorCheck[];
}

/** Key flags (`--key-mode`, `--private-key[-env]`, `--public-key[-env]`), as gate eval takes them. */
export interface DoctorKeyFlags {
  keyMode?: KeyMode;
  privateKey?: KeySource;
  publicKey?: KeySource;
}

export interface DoctorOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  productionReadiness: boolean;
  /**
   * The project directory to check (`--workdir`, default the cwd): its config, policy, keys and
   * output dirs, relative paths resolved against it.
   */
  workdir?: string;
  /** The output directory to check instead of `run.out_dir` (`--output-dir`; default gait-out). */
  outputDir?: string;
  /** Key flags replace the config's key mode and signing key source, as they do for gate eval. */
  keyFlags?: DoctorKeyFlags;
  /** Overrides for tests; default the running Node and the OS temp dir. */
  nodeVersion?: string;
  tempDir?: string;
}

/** What doctor learned about the project, shared by the project and production checks. */
interface Project {
  config: ProjectConfig;
  configState: { loaded?: LoadedProjectConfig; error?: string };
  policyPath: string;
  policy?: LoadedPolicy;
  policyError?: { missing: boolean; message: string };
  keys: KeyFacts[];
  /** Set when the key mode and signing key come from flags rather than the config. */
  keyFlags?: DoctorKeyFlags;
  /** Facts about `--public-key[-env]`, when given. */
  publicKey?: KeyFacts;
  /** What the signing key's relative path is relative to: the workdir (config) or the cwd (flag). */
  signingKeyCwd: string;
  /** Where gait runs: flag paths are relative to it. */
  flagCwd: string;
}

/** How a key source given by flags is named in messages. */
const FLAG_FIELD = { private: "--private-key", public: "--public-key" } as const;

export async function runDoctor(options: DoctorOptions): Promise<DoctorResult> {
  const workdir = options.workdir ?? ".";
  const root = resolve(options.cwd, workdir);
  const project = await inspectProject({ ...options, cwd: root }, options.cwd);
  // Flag paths are relative to where gait runs; config paths to the project (the workdir).
  const outputDir = options.outputDir
    ? relative(root, resolve(options.cwd, options.outputDir)) || "."
    : (project.config.run.outDir ?? DEFAULT_OUTPUT_DIR);
  const checks: DoctorCheck[] = [
    nodeVersionCheck(options.nodeVersion ?? process.versions.node),
    await workdirCheck(root, workdir),
    projectConfigCheck(project),
    repoPolicyCheck(project),
    options.outputDir
      ? await writableDirCheck("output_dir", options.cwd, options.outputDir)
      : await writableDirCheck("output_dir", root, outputDir),
    await writableDirCheck(
      "state_dir",
      root,
      dirname(project.config.gate.rateLimitState ?? DEFAULT_RATE_LIMIT_STATE),
    ),
    await tempDirCheck(options.tempDir ?? tmpdir()),
    ...(options.keyFlags ? [keySourceAmbiguityCheck(options.keyFlags)] : []),
    signingKeyCheck(project),
    ...(project.publicKey ? [await keyConfigCheck(project, options.env)] : []),
    keyPermissionsCheck(project),
    approvalKeyCheck(project),
    await staleLocksCheck(root, project.config, outputDir),
    await sidecarPortCheck(project.config),
  ];
  if (options.productionReadiness) checks.push(...productionChecks(project));
  return summarize(checks, options.productionReadiness);
}

export function doctorExitCode(result: DoctorResult): number {
  if (result.non_fixable) return ExitCode.dependencyMissing;
  const productionFailed = result.checks.some(
    (check) => check.name.startsWith("production_") && check.status === "fail",
  );
  return exitForCheck(!(result.production_readiness && productionFailed));
}

function summarize(checks: DoctorCheck[], productionReadiness: boolean): DoctorResult {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const status: CheckStatus = count("fail") > 0 ? "fail" : count("warn") > 0 ? "warn" : "pass";
  const fixes = checks.filter((check) => check.status !== "pass" && check.fix_command !== "");
  return {
    schema_id: DOCTOR_SCHEMA_ID,
    schema_version: "1.0.0",
    status,
    summary: `${checks.length} checks: ${count("pass")} pass, ${count("warn")} warn, ${count("fail")} fail`,
    non_fixable: checks.some((check) => check.non_fixable && check.status === "fail"),
    production_readiness: productionReadiness,
    fix_commands: [...new Set(fixes.map((check) => check.fix_command))],
    checks,
  };
}

async function inspectProject(options: DoctorOptions, flagCwd: string): Promise<Project> {
  let loaded: LoadedProjectConfig | undefined;
  let configError: string | undefined;
  try {
    loaded = await loadProjectConfig(options.cwd);
  } catch (error) {
    configError = messageOf(error);
  }
  const config = withKeyFlags(loaded?.config ?? emptyProjectConfig(), options.keyFlags);
  const policyPath = loaded ? policyPathFor(loaded) : ".gait.yaml";
  // The signing key is inspected here, named by where it came from (config field or flag).
  const { privateKey, ...gateWithoutSigningKey } = config.gate;
  const keys = await configuredKeyFacts({ ...config, gate: gateWithoutSigningKey }, options);
  const fromFlag = options.keyFlags?.privateKey !== undefined;
  const signingKeyCwd = fromFlag ? flagCwd : options.cwd;
  if (privateKey) {
    const field = fromFlag ? FLAG_FIELD.private : "gate.private_key";
    keys.unshift(
      await inspectKeySource(privateKey, field, "private", { cwd: signingKeyCwd, env: options.env }),
    );
  }
  const publicKey = options.keyFlags?.publicKey;
  const project: Project = {
    config,
    configState: { ...(loaded && { loaded }), ...(configError !== undefined && { error: configError }) },
    policyPath,
    keys,
    signingKeyCwd,
    flagCwd,
    ...(options.keyFlags ? { keyFlags: options.keyFlags } : {}),
    ...(publicKey
      ? {
          publicKey: await inspectKeySource(publicKey, FLAG_FIELD.public, "public", {
            cwd: flagCwd,
            env: options.env,
          }),
        }
      : {}),
  };
  try {
    project.policy = await loadPolicyFile(resolve(options.cwd, policyPath), policyPath);
  } catch (error) {
    const missing = isGaitError(error) && error.code === "file_not_found";
    project.policyError = { missing, message: messageOf(error) };
  }
  return project;
}

/**
 * Key flags replace the config's key settings, as for `gait gate eval`: `--key-mode` the mode, a
 * private key flag the source (and, without `--key-mode`, it means prod).
 */
function withKeyFlags(config: ProjectConfig, flags: DoctorKeyFlags | undefined): ProjectConfig {
  if (!flags || (!flags.keyMode && !flags.privateKey)) return config;
  const gate = { ...config.gate };
  if (flags.privateKey) gate.privateKey = flags.privateKey;
  else if (flags.keyMode === "dev") delete gate.privateKey;
  gate.keyMode = flags.keyMode ?? keyModeFor(undefined, flags.privateKey);
  return { ...config, gate };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const pass = (name: string, message: string): DoctorCheck => ({
  name,
  status: "pass",
  message,
  fix_command: "",
  non_fixable: false,
});

const problem = (name: string, status: "warn" | "fail", message: string, fix: string): DoctorCheck => ({
  name,
  status,
  message,
  fix_command: fix,
  non_fixable: false,
});

/** A fix that is an edit: opens the file, with the change to make as a shell comment. */
const edit = (path: string, change: string) => `\${EDITOR:-vi} ${shellQuote(path)}  # ${change}`;

export function nodeVersionCheck(version: string): DoctorCheck {
  const major = Number(version.split(".")[0]);
  if (major >= MIN_NODE_MAJOR) return pass("node_version", `Node.js ${version} (>= ${MIN_NODE_MAJOR})`);
  return {
    name: "node_version",
    status: "fail",
    message: `Node.js ${version} is too old; gait needs Node.js ${MIN_NODE_MAJOR} or newer`,
    fix_command: `nvm install ${MIN_NODE_MAJOR}  # or install Node.js ${MIN_NODE_MAJOR}+ from https://nodejs.org`,
    non_fixable: true,
  };
}

function projectConfigCheck(project: Project): DoctorCheck {
  const { loaded, error } = project.configState;
  if (error !== undefined) {
    return problem(
      "project_config",
      "fail",
      error,
      edit(DEFAULT_CONFIG_PATH, "fix the field named above, then run gait check"),
    );
  }
  if (!loaded?.found) {
    return problem(
      "project_config",
      "warn",
      `no ${DEFAULT_CONFIG_PATH}: built-in defaults apply (dev keys, traces in the current directory)`,
      "gait init",
    );
  }
  return pass("project_config", `${loaded.path} is valid`);
}

function repoPolicyCheck(project: Project): DoctorCheck {
  const { policy, policyError, policyPath } = project;
  if (policy) {
    return pass(
      "repo_policy",
      `${policyPath} is valid (default_verdict ${policy.policy.defaultVerdict}, ${policy.policy.rules.length} rules)`,
    );
  }
  if (policyError?.missing) {
    const fix = project.configState.loaded?.found
      ? `gait policy init baseline-highrisk --out ${shellQuote(policyPath)}`
      : "gait init";
    return problem("repo_policy", "warn", `no repo policy at ${policyPath}`, fix);
  }
  return problem(
    "repo_policy",
    "fail",
    policyError?.message ?? "policy did not load",
    `gait policy validate ${shellQuote(policyPath)}`,
  );
}

/** A directory gait writes into: writable if it exists, or creatable under a writable ancestor. */
async function writableDirCheck(name: string, cwd: string, dir: string): Promise<DoctorCheck> {
  const absolute = resolve(cwd, dir);
  const fix = `mkdir -p ${shellQuote(dir)} && chmod u+rwx ${shellQuote(dir)}`;
  try {
    const info = await stat(absolute);
    if (!info.isDirectory()) return problem(name, "fail", `${dir} exists but is not a directory`, fix);
    if (await canWrite(absolute)) return pass(name, `${dir} is writable`);
    return problem(name, "fail", `${dir} is not writable`, fix);
  } catch {
    const ancestor = await existingAncestor(absolute);
    if (await canWrite(ancestor)) return pass(name, `${dir} does not exist yet; it will be created`);
    return problem(name, "fail", `${dir} cannot be created: ${ancestor} is not writable`, fix);
  }
}

/** The directory doctor checks (the reference's `workdir` check): it must exist and be writable. */
async function workdirCheck(absolute: string, shown: string): Promise<DoctorCheck> {
  const fix = `mkdir -p ${shellQuote(shown)} && chmod u+rwx ${shellQuote(shown)}`;
  const info = await stat(absolute).catch(() => undefined);
  if (!info) return problem("workdir", "fail", `${shown} does not exist`, fix);
  if (!info.isDirectory()) return problem("workdir", "fail", `${shown} exists but is not a directory`, fix);
  if (!(await canWrite(absolute))) return problem("workdir", "fail", `${shown} is not writable`, fix);
  return pass("workdir", `${shown} is writable`);
}

async function canWrite(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function existingAncestor(path: string): Promise<string> {
  let current = path;
  for (;;) {
    const parent = dirname(current);
    try {
      await stat(parent);
      return parent;
    } catch {
      if (parent === current) return parent;
      current = parent;
    }
  }
}

async function tempDirCheck(dir: string): Promise<DoctorCheck> {
  try {
    const probe = await mkdtemp(join(dir, "gait-doctor-"));
    await rm(probe, { recursive: true, force: true });
    return pass("temp_dir", `${dir} is writable`);
  } catch (error) {
    return problem(
      "temp_dir",
      "fail",
      `cannot write to the temp dir ${dir}: ${messageOf(error)}`,
      "export TMPDIR=$HOME/tmp && mkdir -p $TMPDIR",
    );
  }
}

function signingKeyCheck(project: Project): DoctorCheck {
  const { keyMode = "dev", privateKey } = project.config.gate;
  const facts = project.keys.find((key) => key.role === "private");
  if (!privateKey || !facts) {
    if (keyMode === "prod" && project.keyFlags) {
      return problem(
        "signing_key",
        "fail",
        "--key-mode prod needs a signing key: --private-key or --private-key-env",
        `gait keys init && gait doctor --key-mode prod --private-key ${DEFAULT_KEY_DIR}/gait_private.key`,
      );
    }
    if (keyMode === "prod") {
      return problem(
        "signing_key",
        "fail",
        "gate.key_mode is prod but no gate.private_key or gate.private_key_env is set",
        `gait keys init && ${edit(DEFAULT_CONFIG_PATH, `set gate.private_key: ${DEFAULT_KEY_DIR}/gait_private.key`)}`,
      );
    }
    return problem(
      "signing_key",
      "warn",
      "no signing key configured: traces are signed with a throwaway dev key per call",
      `gait keys init && ${edit(DEFAULT_CONFIG_PATH, `set gate.key_mode: prod and gate.private_key: ${DEFAULT_KEY_DIR}/gait_private.key`)}`,
    );
  }
  const broken = keySourceProblem(facts);
  if (broken) return { ...broken, name: "signing_key" };
  if (keyMode !== "prod") {
    return problem(
      "signing_key",
      "warn",
      `${describe(facts)} is configured but gate.key_mode is dev, so it is not used`,
      edit(DEFAULT_CONFIG_PATH, "set gate.key_mode: prod"),
    );
  }
  return pass("signing_key", `${describe(facts)} loads (key_mode prod)`);
}

/** A key given both as a file and as an environment variable: which one would be used? */
function keySourceAmbiguityCheck(flags: DoctorKeyFlags): DoctorCheck {
  const ambiguous = (["private", "public"] as const).filter((role) => {
    const source = role === "private" ? flags.privateKey : flags.publicKey;
    return source?.path !== undefined && source.env !== undefined;
  });
  if (ambiguous.length === 0) return pass("key_source_ambiguity", "each key flag names one source");
  const flagsText = ambiguous.map((role) => `${FLAG_FIELD[role]} and ${FLAG_FIELD[role]}-env`).join("; ");
  return problem(
    "key_source_ambiguity",
    "fail",
    `a key is given both as a file and as an environment variable (${flagsText}); gait refuses to guess`,
    `gait doctor ${ambiguous.map((role) => `${FLAG_FIELD[role]} <file>`).join(" ")}  # one source per key`,
  );
}

/** `--public-key[-env]`: it must load and, with a signing key, be that key's public half. */
async function keyConfigCheck(project: Project, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const facts = project.publicKey!;
  const broken = keySourceProblem(facts);
  if (broken) return { ...broken, name: "key_config" };
  const signing = project.keys.find((key) => key.role === "private");
  const privateSource = project.config.gate.privateKey;
  if (!signing?.present || signing.problem || !privateSource) {
    return pass("key_config", `${describe(facts)} loads`);
  }
  let privateKey: { keyId: string };
  let publicKey: { keyId: string };
  try {
    [privateKey, publicKey] = await Promise.all([
      loadPrivateKey(privateSource, { cwd: project.signingKeyCwd, env }),
      loadPublicKey(project.keyFlags!.publicKey!, { cwd: project.flagCwd, env }),
    ]);
  } catch (error) {
    return problem("key_config", "fail", messageOf(error), keysInitCommand(facts.value));
  }
  if (privateKey.keyId === publicKey.keyId) {
    return pass("key_config", `${describe(facts)} is the public half of ${describe(signing)}`);
  }
  return problem(
    "key_config",
    "fail",
    `${describe(facts)} (key_id ${publicKey.keyId}) is not the public half of ${describe(signing)} (key_id ${privateKey.keyId})`,
    `gait keys verify --private-key ${shellQuote(signing.value)} --public-key ${shellQuote(facts.value)}`,
  );
}

function approvalKeyCheck(project: Project): DoctorCheck {
  const facts = project.keys.find((key) => key.field === "gate.approval_public_key");
  if (!facts) return pass("approval_key", "not configured: approval tokens are checked with the signing key");
  const broken = keySourceProblem(facts);
  return broken ? { ...broken, name: "approval_key" } : pass("approval_key", `${describe(facts)} loads`);
}

function keySourceProblem(facts: KeyFacts): DoctorCheck | undefined {
  if (!facts.present && facts.kind === "path") {
    return problem("", "fail", `${facts.field}: ${facts.value} does not exist`, keysInitCommand(facts.value));
  }
  if (!facts.present) {
    return problem(
      "",
      "warn",
      `${facts.field}_env: environment variable ${facts.value} is not set`,
      `export ${facts.value}="$(cat ${DEFAULT_KEY_DIR}/gait_${facts.role}.key)"`,
    );
  }
  if (facts.problem) {
    return problem("", "fail", `${facts.field}: ${facts.problem}`, keysInitCommand(facts.value));
  }
  return undefined;
}

function describe(facts: KeyFacts): string {
  if (facts.kind === "path") return `${facts.field} ${facts.value}`;
  // A config field gets `_env` (gate.private_key_env), a flag `-env` (--private-key-env).
  return `${facts.field}${facts.field.startsWith("--") ? "-env" : "_env"} ${facts.value}`;
}

function keyPermissionsCheck(project: Project): DoctorCheck {
  const files = project.keys.filter((key) => key.role === "private" && key.kind === "path" && key.present);
  const loose = files.filter(isLooseKeyFile);
  if (loose.length > 0) {
    const list = loose.map((key) => `${key.value} (mode ${formatMode(key.mode!)})`).join(", ");
    return problem(
      "key_permissions",
      "warn",
      `private key file readable by group or others: ${list}; 0600 expected`,
      `chmod 600 ${loose.map((key) => shellQuote(key.value)).join(" ")}`,
    );
  }
  if (files.length === 0) return pass("key_permissions", "no private key files configured");
  return pass("key_permissions", "private key files are mode 0600 or stricter");
}

async function staleLocksCheck(cwd: string, config: ProjectConfig, outputDir: string): Promise<DoctorCheck> {
  const roots = [...new Set([dirname(config.gate.rateLimitState ?? DEFAULT_RATE_LIMIT_STATE), outputDir])];
  const now = Date.now();
  const stale: string[] = [];
  for (const root of roots) {
    for (const lock of await findLockFiles(resolve(cwd, root), 4)) {
      const info = await stat(lock).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_LOCK_MS) stale.push(relative(cwd, lock) || lock);
    }
  }
  if (stale.length === 0) return pass("stale_locks", `no lock files older than ${STALE_LOCK_MS / 1000}s`);
  return problem(
    "stale_locks",
    "warn",
    `lock files older than ${STALE_LOCK_MS / 1000}s (left by a crashed gait?): ${stale.join(", ")}`,
    `rm -f ${stale.map(shellQuote).join(" ")}  # only when no gait process is running`,
  );
}

async function findLockFiles(dir: string, depth: number): Promise<string[]> {
  if (depth < 0) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findLockFiles(path, depth - 1)));
    else if (entry.name.endsWith(".lock")) found.push(path);
  }
  return found.sort();
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

async function sidecarPortCheck(config: ProjectConfig): Promise<DoctorCheck> {
  const listen = config.sidecar.listen;
  if (!listen) return pass("sidecar_port", "sidecar.listen not set; nothing to check");
  const address = parseListenAddress(listen)!;
  if (!LOOPBACK_HOSTS.has(address.host)) {
    return problem(
      "sidecar_port",
      "warn",
      `sidecar.listen ${listen} is not a loopback address; not probed (the sidecar needs --allow-remote and a token for it)`,
      edit(DEFAULT_CONFIG_PATH, `set sidecar.listen: 127.0.0.1:${address.port}`),
    );
  }
  const state = await probePort(address.host, address.port);
  if (state === "closed") return pass("sidecar_port", `${listen} is free`);
  const why =
    state === "open" ? "is already in use (a running sidecar, or another program)" : "did not answer";
  return problem(
    "sidecar_port",
    "warn",
    `${listen} ${why}`,
    `lsof -nP -iTCP:${address.port} -sTCP:LISTEN  # see who holds it; or pick another port in sidecar.listen`,
  );
}

/** One connection attempt with a short timeout; nothing is sent. */
function probePort(host: string, port: number): Promise<"open" | "closed" | "timeout"> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    const finish = (state: "open" | "closed" | "timeout") => {
      socket.destroy();
      resolvePromise(state);
    };
    socket.setTimeout(PORT_PROBE_TIMEOUT_MS, () => finish("timeout"));
    socket.once("connect", () => finish("open"));
    socket.once("error", () => finish("closed"));
  });
}

/**
 * Production readiness is the oss-prod rule of the gate core (gateSetupProblems), applied to the
 * project's configured key and policy: doctor fails exactly when `gait gate eval --profile oss-prod`
 * would refuse to start with them. The profile and fail-closed coverage are advice (warnings):
 * the gate runs without them.
 */
function productionChecks(project: Project): DoctorCheck[] {
  const { gate } = project.config;
  const configFound = project.configState.loaded?.found === true;
  const setConfig = (change: string) =>
    configFound ? edit(DEFAULT_CONFIG_PATH, change) : "gait keys init && gait init --profile oss-prod";
  const signing = project.keys.find((key) => key.role === "private");
  const usableKey = Boolean(signing?.present && !signing.problem);
  // Without a usable key the gate cannot sign in prod mode: it would fail to start, as with dev keys.
  const keyMode = usableKey ? keyModeFor(gate.keyMode, gate.privateKey) : "dev";
  const policy = project.policy?.policy;
  const refusals = gateSetupProblems({
    profile: "oss-prod",
    keyMode,
    simulate: false,
    defaultVerdict: policy?.defaultVerdict ?? "require_approval",
  });
  const refused = (text: string) => refusals.find((error) => error.message.includes(text));
  const keyRefusal = refused("signing key");
  const defaultRefusal = refused("default_verdict");
  const noPolicy = `no valid repo policy at ${project.policyPath}`;
  const policyFix = project.policyError?.missing
    ? setConfig("gait init")
    : `gait policy validate ${shellQuote(project.policyPath)}`;
  return [
    keyRefusal
      ? problem(
          "production_key_mode",
          "fail",
          gate.keyMode === "prod" && !usableKey
            ? "gate.key_mode is prod but the configured private key is missing or unusable"
            : `${keyRefusal.message}: traces would be signed with a dev key`,
          setConfig(`set gate.key_mode: prod and gate.private_key: ${DEFAULT_KEY_DIR}/gait_private.key`),
        )
      : pass("production_key_mode", `key_mode prod with ${describe(signing!)}`),
    !policy
      ? problem("production_policy_default", "fail", noPolicy, policyFix)
      : defaultRefusal
        ? problem(
            "production_policy_default",
            "fail",
            `${project.policyPath}: ${defaultRefusal.message}`,
            edit(project.policyPath, "set default_verdict: block"),
          )
        : pass(
            "production_policy_default",
            `${project.policyPath}: default_verdict is ${policy.defaultVerdict}`,
          ),
    ...productionAdvice(project, setConfig),
  ];
}

/** What production should have but the gate does not require: warnings, never a failure. */
function productionAdvice(project: Project, setConfig: (change: string) => string): DoctorCheck[] {
  const { gate } = project.config;
  const failClosed = project.policy?.policy.failClosed;
  const covered =
    failClosed?.enabled === true && ["critical", "high"].every((r) => failClosed.riskClasses.includes(r));
  return [
    gate.profile === "oss-prod"
      ? pass("production_profile", "gate.profile is oss-prod")
      : problem(
          "production_profile",
          "warn",
          `gate.profile is ${gate.profile ?? "standard (default)"}, not oss-prod: the gate does not enforce the production rules by itself`,
          setConfig("set gate.profile: oss-prod"),
        ),
    covered
      ? pass("production_fail_closed", `${project.policyPath}: fail_closed covers critical and high risk`)
      : problem(
          "production_fail_closed",
          "warn",
          `${project.policyPath}: fail_closed is not enabled for critical and high risk`,
          edit(
            project.policyPath,
            "set fail_closed: {enabled: true, risk_classes: [critical, high], required_fields: [targets, arg_provenance]}",
          ),
        ),
  ];
}
