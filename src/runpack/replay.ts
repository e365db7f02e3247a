/**
 * Replay (REFERENCE.md §2.3). Stub mode (default) never touches a real tool: each intent gets its
 * recorded result, or a deterministic synthetic stub when its tool is of a known kind, or is
 * reported missing. Real mode runs allow-listed tools for real, only behind every interlock.
 */
import { digestJcs, sha256Hex } from "../contract/canonical.ts";
import type { GaitError } from "../contract/errors.ts";
import { gaitError, invalidInput, type RunpackErrorCode } from "./error-codes.ts";
import {
  DEFAULT_EXECUTION_LIMITS,
  defaultExecutors,
  type ExecutionContext,
  type ExecutorRegistry,
} from "./executors/index.ts";
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { readRunpack } from "./read.ts";
import type { StubSelection, StubType } from "./replay-stubs.ts";
import type { IntentRecord, ResultRecord, Runpack } from "./types.ts";

export type { StubType } from "./replay-stubs.ts";
export type Execution = "recorded" | "stubbed" | "executed" | "missing";

export interface ReplayStep {
  intent_id: string;
  tool_name: string;
  status: string;
  execution: Execution;
  stub_type?: StubType;
  /** Why a step was stubbed: chosen for its tool (`--stub`), or guessed from the tool name. */
  stub_source?: "selected" | "tool_name";
  result_digest?: string;
  /** Real mode only: the executor that ran the step. */
  executor?: string;
}

export interface ReplayReport {
  run_id: string;
  mode: "stub" | "real";
  steps: ReplayStep[];
  missing_results: string[];
  warnings: string[];
  requested_unsafe: boolean;
}

/** The environment variable that must be `1` before any real tool runs. */
export const REAL_REPLAY_ENV = "GAIT_ALLOW_REAL_REPLAY";

/** Name tokens that mark a tool kind, checked in this order. */
const STUB_KINDS: ReadonlyArray<readonly [StubType, readonly string[]]> = [
  ["http", ["http", "fetch", "url"]],
  ["file", ["file", "path", "fs", "write"]],
  ["db", ["db", "sql", "query", "table"]],
  ["queue", ["queue", "topic", "publish", "kafka"]],
];

/**
 * The stub kind of a tool name. The name is split into tokens at non-alphanumerics and a kind
 * matches when a token starts with one of its words (`http_get`, `fs.write`, `sqlite.query`), so
 * `tool.offset` is not mistaken for a file tool.
 */
export function classifyStub(toolName: string): StubType | undefined {
  const tokens = toolName
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  for (const [kind, words] of STUB_KINDS) {
    if (tokens.some((token) => words.some((word) => token.startsWith(word)))) return kind;
  }
  return undefined;
}

/** sha256 hex of `run:intent:tool:args_digest:stub_type`. */
function stubDigest(runId: string, intent: IntentRecord, stubType: StubType): string {
  return sha256Hex(`${runId}:${intent.intent_id}:${intent.tool_name}:${intent.args_digest}:${stubType}`);
}

/**
 * The stub-mode step for one intent: a stub selected for its tool (in place of the recorded
 * result), else the recorded result, else a stub its name suggests (unless `none` was selected),
 * else missing.
 */
function stubStep(
  runId: string,
  intent: IntentRecord,
  result: ResultRecord | undefined,
  stubs: StubSelection,
): ReplayStep {
  const base = { intent_id: intent.intent_id, tool_name: intent.tool_name };
  const selected = stubs.get(intent.tool_name);
  if (selected !== undefined && selected !== "none") return stubbed(runId, intent, selected, "selected");
  if (result) {
    return { ...base, status: result.status, execution: "recorded", result_digest: result.result_digest };
  }
  const stubType = selected === "none" ? undefined : classifyStub(intent.tool_name);
  if (stubType) return stubbed(runId, intent, stubType, "tool_name");
  return { ...base, status: "missing", execution: "missing" };
}

function stubbed(
  runId: string,
  intent: IntentRecord,
  stubType: StubType,
  source: NonNullable<ReplayStep["stub_source"]>,
): ReplayStep {
  return {
    intent_id: intent.intent_id,
    tool_name: intent.tool_name,
    status: "ok",
    execution: "stubbed",
    stub_type: stubType,
    stub_source: source,
    result_digest: stubDigest(runId, intent, stubType),
  };
}

function resultsByIntent(runpack: Runpack): Map<string, ResultRecord> {
  const map = new Map<string, ResultRecord>();
  for (const result of runpack.results) if (!map.has(result.intent_id)) map.set(result.intent_id, result);
  return map;
}

function report(runpack: Runpack, mode: ReplayReport["mode"], steps: ReplayStep[], warnings: string[]) {
  return {
    run_id: runpack.run.run_id,
    mode,
    steps,
    missing_results: steps.filter((s) => s.execution === "missing").map((s) => s.intent_id),
    warnings,
    requested_unsafe: mode === "real",
  };
}

/** Stub replay: pure and deterministic. `stubs` chooses the stub of named tools. */
export function replayStub(runpack: Runpack, stubs: StubSelection = new Map()): ReplayReport {
  const results = resultsByIntent(runpack);
  const runId = runpack.run.run_id;
  const steps = runpack.intents.map((intent) =>
    stubStep(runId, intent, results.get(intent.intent_id), stubs),
  );
  return report(runpack, "stub", steps, stubWarnings(runpack, stubs));
}

/** A selected tool the run never called is most likely a typo: say so. */
function stubWarnings(runpack: Runpack, stubs: StubSelection): string[] {
  const called = new Set(runpack.intents.map((intent) => intent.tool_name));
  return [...stubs.keys()]
    .filter((tool) => !called.has(tool))
    .map((tool) => `--stub names ${tool}, which this run never called`);
}

export interface RealReplayRequest {
  /** `--real-tools`: asks for real mode. */
  realTools: boolean;
  /** `--unsafe-real-tools`: the explicit acknowledgement. */
  unsafeRealTools: boolean;
  /** `--allow-tools`: the only tool names that may run. */
  allowTools: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** `--unsafe-real-tools-env`: the variable that must be `1` (default GAIT_ALLOW_REAL_REPLAY). */
  interlockEnv?: string;
}

/** An environment variable name (POSIX portable). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function unsafe(code: RunpackErrorCode, message: string, hint: string): GaitError {
  return gaitError("unsafe_operation", code, message, { hint });
}

/** Each missing interlock refuses real replay with its own reason (exit 8). */
function checkRealReplayInterlocks(request: RealReplayRequest, runpack?: Runpack): void {
  if (!request.unsafeRealTools) {
    throw unsafe(
      "real_replay_unsafe_flag_missing",
      "real-tool replay needs --unsafe-real-tools as an explicit acknowledgement",
      "add --unsafe-real-tools, or drop --real-tools to replay with stubs",
    );
  }
  if (request.allowTools.length === 0) {
    throw unsafe(
      "real_replay_allow_list_empty",
      "real-tool replay needs --allow-tools naming the tools that may run",
      "pass --allow-tools tool.a,tool.b",
    );
  }
  const envName = request.interlockEnv ?? REAL_REPLAY_ENV;
  if (request.env[envName] !== "1") {
    throw unsafe(
      "real_replay_env_not_set",
      `real-tool replay needs the environment variable ${envName}=1`,
      `export ${envName}=1 for this replay only`,
    );
  }
  if (runpack && runpack.manifest.capture_mode !== "raw") {
    throw unsafe(
      "real_replay_reference_capture",
      "real-tool replay needs a raw-capture runpack: a reference runpack holds no raw intent arguments",
      "re-record the run with --capture-mode raw to replay real tools",
    );
  }
}

export interface RealReplayOptions {
  allowTools: readonly string[];
  /** Tools replayed with a chosen stub; they must not be allow-listed. */
  stubs?: StubSelection;
  executors?: ExecutorRegistry;
  context: ExecutionContext;
}

/** Real replay: allow-listed tools with an executor run for real; everything else as in stub mode. */
export async function replayReal(runpack: Runpack, options: RealReplayOptions): Promise<ReplayReport> {
  const executors = options.executors ?? defaultExecutors();
  const allowed = new Set(options.allowTools);
  const results = resultsByIntent(runpack);
  const runId = runpack.run.run_id;
  const stubs = options.stubs ?? new Map();
  const warnings = stubWarnings(runpack, stubs);
  const steps: ReplayStep[] = [];
  for (const intent of runpack.intents) {
    const executor = allowed.has(intent.tool_name) ? executors.find(intent.tool_name) : undefined;
    if (allowed.has(intent.tool_name) && !executor) {
      warnings.push(`no real executor for allow-listed tool ${intent.tool_name}; used the recorded result`);
    }
    if (!executor || !intent.args) {
      if (executor) warnings.push(`intent ${intent.intent_id} has no raw args; used the recorded result`);
      steps.push(stubStep(runId, intent, results.get(intent.intent_id), stubs));
      continue;
    }
    const outcome = await executor.execute(intent.args, options.context);
    steps.push({
      intent_id: intent.intent_id,
      tool_name: intent.tool_name,
      status: outcome.status,
      execution: "executed",
      result_digest: digestJcs(outcome.result),
      executor: executor.name,
    });
  }
  return report(runpack, "real", steps, warnings);
}

/** A tool cannot both run for real and be stubbed. */
function checkStubsNotAllowListed(stubs: StubSelection, allowTools: readonly string[]): void {
  const both = allowTools.filter((tool) => {
    const choice = stubs.get(tool);
    return choice !== undefined && choice !== "none";
  });
  if (both.length === 0) return;
  throw invalidInput(
    "replay_stub_invalid",
    `${both.join(", ")} cannot be both stubbed (--stub) and run for real (--allow-tools)`,
    { hint: "drop the tool from --stub or from --allow-tools" },
  );
}

export interface ReplayRequest extends ResolveContext {
  ref: string;
  realTools?: boolean;
  unsafeRealTools?: boolean;
  allowTools?: readonly string[];
  /** Per-tool stub choices (`--stub tool=kind`, `--stub-file`). */
  stubs?: StubSelection;
  /** The interlock variable's name (default GAIT_ALLOW_REAL_REPLAY); it must be set to `1`. */
  interlockEnv?: string;
  executors?: ExecutorRegistry;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/**
 * Replays the runpack `ref` names. Interlocks are checked before the runpack is opened (and the
 * capture mode right after), so a refused real replay never runs anything.
 */
export async function replayRunpack(request: ReplayRequest): Promise<ReplayReport> {
  const real: RealReplayRequest = {
    realTools: request.realTools === true,
    unsafeRealTools: request.unsafeRealTools === true,
    allowTools: request.allowTools ?? [],
    env: request.env,
    ...(request.interlockEnv !== undefined ? { interlockEnv: request.interlockEnv } : {}),
  };
  if (real.interlockEnv !== undefined && !ENV_NAME.test(real.interlockEnv)) {
    throw invalidInput(
      "real_replay_env_name_invalid",
      `--unsafe-real-tools-env ${JSON.stringify(real.interlockEnv)} is not an environment variable name`,
      {
        hint: `name a variable such as ${REAL_REPLAY_ENV} (letters, digits and _, not starting with a digit)`,
      },
    );
  }
  const stubs = request.stubs ?? new Map();
  checkStubsNotAllowListed(stubs, real.allowTools);
  if (real.realTools) checkRealReplayInterlocks(real);
  const path = resolveRunpackPath(request.ref, request);
  const { runpack } = await readRunpack(path, { requireContextEvidence: true });
  if (!real.realTools) {
    const stub = replayStub(runpack, stubs);
    if (real.unsafeRealTools || real.allowTools.length > 0) {
      stub.warnings.push("--unsafe-real-tools and --allow-tools have no effect without --real-tools");
    }
    return { ...stub, requested_unsafe: real.unsafeRealTools };
  }
  checkRealReplayInterlocks(real, runpack);
  return replayReal(runpack, {
    allowTools: real.allowTools,
    stubs,
    ...(request.executors ? { executors: request.executors } : {}),
    context: {
      cwd: request.cwd,
      env: request.env,
      timeoutMs: request.timeoutMs ?? DEFAULT_EXECUTION_LIMITS.timeoutMs,
      maxOutputBytes: request.maxOutputBytes ?? DEFAULT_EXECUTION_LIMITS.maxOutputBytes,
    },
  });
}
