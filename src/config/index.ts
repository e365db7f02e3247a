/**
 * Project defaults: `.gait/config.yaml` (REFERENCE §1.9). The file is strict YAML (unknown keys,
 * wrong types and bad values are errors naming the line and column); every field is optional, and
 * an absent field means the command's built-in default. Flags always win over the file. Paths in
 * it are relative to the directory gait runs in (the project root), exactly like flag values.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { fromFsError, type GaitError } from "../contract/errors.ts";
import { KEY_MODES, type KeyMode, type KeySource } from "../contract/keys.ts";
import { readStrictYaml, type ShapeSchema } from "../contract/yaml-strict.ts";
import { GATE_PROFILES, type GateProfile } from "../gate/index.ts";
import { invalidInput } from "./error-codes.ts";
import {
  normalizeRetention,
  normalizeStore,
  RetentionConfigSchema,
  type RetentionDefaults,
  StoreConfigSchema,
  type StoreDefaults,
} from "./store-retention.ts";

export { GATE_PROFILES, type GateProfile } from "../gate/index.ts";
export {
  createProjectKey,
  isProject,
  PROJECT_PRIVATE_KEY,
  PROJECT_PUBLIC_KEY,
  type ProjectKey,
  projectDevKey,
  projectVerifyKey,
} from "./project-key.ts";
export {
  RETENTION_PROFILES,
  type RetentionDefaults,
  type RetentionProfile,
  type StoreDefaults,
} from "./store-retention.ts";
export { DEFAULT_KEY_DIR, renderProjectConfig } from "./template.ts";

export const DEFAULT_CONFIG_PATH = ".gait/config.yaml";
export const DEFAULT_POLICY_PATH = ".gait.yaml";
const CONFIG_CAPTURE_MODES = ["reference", "raw"] as const;
export type ConfigCaptureMode = (typeof CONFIG_CAPTURE_MODES)[number];

const closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
const text = () => Type.Optional(Type.String());

/**
 * The file as written (snake_case keys); drives the strict YAML reader and is published as
 * schemas/v1/config/project_config.schema.json. Values are checked further when read (profile, key
 * mode, listen address...).
 */
export const ProjectConfigSchema = Type.Object(
  {
    gate: Type.Optional(
      closed({
        policy: text(),
        profile: text(),
        key_mode: text(),
        private_key: text(),
        private_key_env: text(),
        approval_public_key: text(),
        approval_public_key_env: text(),
        rate_limit_state: text(),
        kill_switch_state: text(),
        wrkr_inventory_path: text(),
        ...brokerConfigProperties(),
        trace_dir: text(),
        approvers: text(),
        approvals: Type.Optional(closed({ single_use: Type.Optional(Type.Boolean()), ledger: text() })),
      }),
    ),
    run: Type.Optional(closed({ out_dir: text(), capture_mode: text() })),
    sidecar: Type.Optional(
      closed({
        listen: text(),
        token_env: text(),
        max_request_bytes: Type.Optional(Type.Integer({ minimum: 1 })),
      }),
    ),
    export: Type.Optional(closed({ otlp_endpoint: text(), log_out: text() })),
    store: StoreConfigSchema,
    retention: RetentionConfigSchema,
  },
  {
    additionalProperties: false,
    title: "Gait Project Config",
    description:
      "Project defaults in .gait/config.yaml (YAML), written by `gait init` and read by gait commands run in the project; flags override them.",
  },
);
type ProjectConfigDocument = Static<typeof ProjectConfigSchema>;

export interface GateDefaults {
  policy?: string;
  profile?: GateProfile;
  keyMode?: KeyMode;
  privateKey?: KeySource;
  approvalPublicKey?: KeySource;
  rateLimitState?: string;
  /** Kill-switch state file (`--kill-switch-state`). */
  killSwitchState?: string;
  /** Wrkr inventory file (`--wrkr-inventory`). */
  wrkrInventoryPath?: string;
  /** Credential broker settings as the `gate eval`/`gate serve` flags they default (`credential-broker` → value). */
  brokerFlags?: Record<string, string>;
  traceDir?: string;
  /** Approver key list file (`--approver-keys`). */
  approvers?: string;
  /** Spend approval tokens once (`--approval-single-use`). */
  approvalSingleUse?: boolean;
  /** Ledger of spent single-use approvals (`--approval-ledger`). */
  approvalLedger?: string;
}

export interface RunDefaults {
  outDir?: string;
  captureMode?: ConfigCaptureMode;
}

export interface SidecarDefaults {
  /** `host:port`. */
  listen?: string;
  /** NAME of the environment variable holding the bearer token. */
  tokenEnv?: string;
  maxRequestBytes?: number;
}

/** Where gate front ends (gate serve, the MCP proxy) and `gait export` export to (docs/export.md). */
export interface ExportDefaults {
  /** OTLP/HTTP base URL (`--otlp-endpoint`). */
  otlpEndpoint?: string;
  /** JSONL decision log of gate front ends (`--export-log-out`). */
  logOut?: string;
}

/** Only the fields the file sets; callers fall back to their own defaults for the rest. */
export interface ProjectConfig {
  gate: GateDefaults;
  run: RunDefaults;
  sidecar: SidecarDefaults;
  export: ExportDefaults;
  /** The encrypted artifact store (docs/encryption.md). */
  store: StoreDefaults;
  /** `gait guard retain` defaults (docs/retention.md). */
  retention: RetentionDefaults;
}

export interface LoadedProjectConfig {
  config: ProjectConfig;
  /** The config path as given (or the default path), for messages. */
  path: string;
  /** False when the default file does not exist (built-in defaults apply). */
  found: boolean;
}

export function emptyProjectConfig(): ProjectConfig {
  return { gate: {}, run: {}, sidecar: {}, export: {}, store: {}, retention: {} };
}

/**
 * Loads `explicitPath` (an error when missing) or the default `.gait/config.yaml` under `cwd`
 * (empty defaults when missing).
 */
export async function loadProjectConfig(cwd: string, explicitPath?: string): Promise<LoadedProjectConfig> {
  const path = explicitPath ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    // Synchronous: a thread-pool round trip costs more than reading a small file (and every
    // command that takes project defaults reads it, present or not).
    text = readFileSync(resolve(cwd, path), "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    if (missing && explicitPath === undefined) return { config: emptyProjectConfig(), path, found: false };
    if (missing) {
      throw invalidInput("config_not_found", `project config ${path} does not exist`, {
        hint: "check the --config path, or run `gait init` to create .gait/config.yaml",
        details: { path },
      });
    }
    throw fromFsError(error, "read project config", path);
  }
  return { config: parseProjectConfig(text, path), path, found: true };
}

/** Parses config YAML; `source` names it in error messages. A file of only comments is valid. */
export function parseProjectConfig(text: string, source: string): ProjectConfig {
  return readStrictYaml(text, { source, codePrefix: "config", what: "project config" }, (yaml) => {
    if (yaml.isEmpty()) return emptyProjectConfig();
    const { value, positions } = yaml.readWithSchema(ProjectConfigSchema as ShapeSchema);
    const fail: ConfigFail = (path, message, hint) => yaml.errorAt(path, positions.get(path), message, hint);
    return normalize(value as ProjectConfigDocument, fail);
  });
}

type ConfigFail = (path: string, message: string, hint?: string) => GaitError;

function normalize(doc: ProjectConfigDocument, fail: ConfigFail): ProjectConfig {
  const config = emptyProjectConfig();
  const gate = doc.gate ?? {};
  const { gate: g, run: r, sidecar: s } = config;
  setIf(g, "policy", path(gate.policy, "gate.policy", fail));
  setIf(g, "profile", choice(gate.profile, GATE_PROFILES, "gate.profile", fail));
  setIf(g, "keyMode", choice(gate.key_mode, KEY_MODES, "gate.key_mode", fail));
  setIf(g, "privateKey", keySource(gate.private_key, gate.private_key_env, "gate.private_key", fail));
  setIf(
    g,
    "approvalPublicKey",
    keySource(gate.approval_public_key, gate.approval_public_key_env, "gate.approval_public_key", fail),
  );
  setIf(g, "rateLimitState", path(gate.rate_limit_state, "gate.rate_limit_state", fail));
  setIf(g, "killSwitchState", path(gate.kill_switch_state, "gate.kill_switch_state", fail));
  setIf(g, "wrkrInventoryPath", path(gate.wrkr_inventory_path, "gate.wrkr_inventory_path", fail));
  setIf(g, "brokerFlags", brokerFlags(gate, fail));
  setIf(g, "traceDir", path(gate.trace_dir, "gate.trace_dir", fail));
  setIf(g, "approvers", path(gate.approvers, "gate.approvers", fail));
  setIf(g, "approvalSingleUse", gate.approvals?.single_use);
  setIf(g, "approvalLedger", path(gate.approvals?.ledger, "gate.approvals.ledger", fail));
  setIf(r, "outDir", path(doc.run?.out_dir, "run.out_dir", fail));
  setIf(r, "captureMode", choice(doc.run?.capture_mode, CONFIG_CAPTURE_MODES, "run.capture_mode", fail));
  setIf(s, "listen", listenAddress(doc.sidecar?.listen, "sidecar.listen", fail));
  setIf(s, "tokenEnv", envName(doc.sidecar?.token_env, "sidecar.token_env", fail));
  const maxBytes = doc.sidecar?.max_request_bytes;
  if (maxBytes === 0) throw fail("sidecar.max_request_bytes", "must be at least 1");
  setIf(s, "maxRequestBytes", maxBytes);
  setIf(config.export, "otlpEndpoint", httpUrl(doc.export?.otlp_endpoint, "export.otlp_endpoint", fail));
  setIf(config.export, "logOut", path(doc.export?.log_out, "export.log_out", fail));
  config.store = normalizeStore(doc.store, fail);
  config.retention = normalizeRetention(doc.retention, fail);
  return config;
}

function httpUrl(value: string | undefined, field: string, fail: ConfigFail): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^https?:\/\/[^\s/]+/.test(text)) {
    throw fail(field, `${JSON.stringify(value)} is not an http(s) URL`, "e.g. http://127.0.0.1:4318");
  }
  return text;
}

/** The credential broker keys (REFERENCE §1.9), each the default of the flag of the same name. */
const BROKER_TEXT_KEYS = [
  "credential_env_prefix",
  "credential_ref",
  "credential_command",
  "credential_evidence_path",
  "oauth2_issuer",
  "oauth2_client_id",
  "oauth2_client_secret_env",
  "oauth2_audience",
  "oauth2_subject_token_env",
] as const;
const BROKER_LIST_KEYS = ["credential_scopes", "credential_command_args"] as const;
const BROKER_KINDS = ["off", "stub", "env", "command", "oauth2"] as const;

/** Written out rather than generated from the key lists, so the schema's type stays exact. */
function brokerConfigProperties() {
  const list = () => Type.Optional(Type.Array(Type.String()));
  return {
    credential_broker: text(),
    credential_env_prefix: text(),
    credential_ref: text(),
    credential_scopes: list(),
    credential_command: text(),
    credential_command_args: list(),
    credential_evidence_path: text(),
    oauth2_issuer: text(),
    oauth2_client_id: text(),
    oauth2_client_secret_env: text(),
    oauth2_audience: text(),
    oauth2_subject_token_env: text(),
  };
}

function brokerFlags(gate: NonNullable<ProjectConfigDocument["gate"]>, fail: ConfigFail) {
  const flags: Record<string, string> = {};
  const flag = (key: string) =>
    key.replaceAll("_", "-").replace("credential-evidence-path", "credential-evidence-out");
  const kind = choice(gate.credential_broker, BROKER_KINDS, "gate.credential_broker", fail);
  if (kind) flags["credential-broker"] = kind;
  for (const key of BROKER_TEXT_KEYS) {
    const value = path(gate[key], `gate.${key}`, fail);
    if (value !== undefined) flags[flag(key)] = value;
  }
  for (const key of BROKER_LIST_KEYS) {
    const values = gate[key];
    if (values?.some((v) => v.includes(","))) throw fail(`gate.${key}`, "entries must not contain commas");
    if (values !== undefined) flags[flag(key)] = values.map((v) => v.trim()).join(",");
  }
  return Object.keys(flags).length > 0 ? flags : undefined;
}

function setIf<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function path(value: string | undefined, field: string, fail: ConfigFail): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "") throw fail(field, "must not be empty", "remove the field to use the default");
  return value.trim();
}

function choice<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  field: string,
  fail: ConfigFail,
): T | undefined {
  if (value === undefined) return undefined;
  const normalized = value.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(normalized)) return normalized as T;
  throw fail(field, `must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envName(value: string | undefined, field: string, fail: ConfigFail): string | undefined {
  if (value === undefined) return undefined;
  const name = value.trim();
  if (!ENV_NAME.test(name)) {
    throw fail(
      field,
      `${JSON.stringify(value)} is not an environment variable name`,
      "name the variable (e.g. GAIT_PRIVATE_KEY); never put the key itself in the config",
    );
  }
  return name;
}

function keySource(
  file: string | undefined,
  env: string | undefined,
  field: string,
  fail: ConfigFail,
): KeySource | undefined {
  const source: KeySource = {};
  setIf(source, "path", path(file, field, fail));
  setIf(source, "env", envName(env, `${field}_env`, fail));
  if (source.path !== undefined && source.env !== undefined) {
    throw fail(field, `set either ${field} or ${field}_env, not both`);
  }
  return source.path === undefined && source.env === undefined ? undefined : source;
}

function listenAddress(value: string | undefined, field: string, fail: ConfigFail): string | undefined {
  if (value === undefined) return undefined;
  if (!parseListenAddress(value)) {
    throw fail(field, `${JSON.stringify(value)} is not host:port`, "e.g. 127.0.0.1:8787");
  }
  return value.trim();
}

/** `host:port` (IPv6 hosts in brackets) into its parts, or undefined when malformed. */
export function parseListenAddress(value: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}
