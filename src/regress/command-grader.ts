/**
 * The `command` grader: runs a user command once per fixture and passes when it exits 0. It is
 * how a model-based judge (or any external check) plugs into regress, so it is declared
 * non-deterministic and pins its configuration: the argv, limits, and the model, version and
 * parameters the user declares for the judge.
 *
 * The command runs without a shell, in the config directory, with the fixture described in
 * GAIT_REGRESS_* environment variables. It is killed (with its process group) after
 * `timeout_ms`; each output stream is kept up to `max_output_bytes` in the result.
 */
import { spawn } from "node:child_process";
import { canonicalize, digestJcs, type JsonObject } from "../contract/canonical.ts";
import { errorMessage, fail, type Grader, pass, subjectOf } from "./grader.ts";
import type { CommandGraderConfig } from "./types.ts";

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
export const DEFAULT_COMMAND_OUTPUT_BYTES = 4096;
export const COMMAND_GRADER_NAME = "command";

export function commandGrader(config: CommandGraderConfig): Grader {
  const name = config.name ?? COMMAND_GRADER_NAME;
  const timeoutMs = config.timeout_ms ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const maxOutputBytes = config.max_output_bytes ?? DEFAULT_COMMAND_OUTPUT_BYTES;
  const pinning: JsonObject = {
    kind: "command",
    name,
    command: config.command,
    timeout_ms: timeoutMs,
    max_output_bytes: maxOutputBytes,
    model: config.model ?? "",
    version: config.version ?? "",
    parameters: (config.parameters ?? {}) as JsonObject,
  };
  return {
    name,
    deterministic: false,
    pinning: () => pinning,
    grade: async (fixture, ctx) => {
      const env = {
        ...ctx.env,
        GAIT_REGRESS_FIXTURE: fixture.name,
        GAIT_REGRESS_FIXTURE_DIR: fixture.dir,
        GAIT_REGRESS_RUN_ID: fixture.fixture.run_id,
        GAIT_REGRESS_RUNPACK: fixture.baseline.path,
        GAIT_REGRESS_CANDIDATE: subjectOf(fixture).path,
        GAIT_REGRESS_GRADER: name,
        GAIT_REGRESS_PINNING: canonicalize(pinning),
        GAIT_REGRESS_PINNING_DIGEST: digestJcs(pinning),
      };
      const run = await runCommand(config.command, { cwd: ctx.workDir, env, timeoutMs, maxOutputBytes });
      if (run.spawnError !== undefined) return fail(["grader_error"], { error: run.spawnError });
      const details = {
        exit_code: run.exitCode,
        timed_out: run.timedOut,
        stdout: run.stdout,
        stderr: run.stderr,
        truncated: run.truncated,
      };
      if (run.timedOut) return fail(["command_timeout"], details);
      return run.exitCode === 0 ? pass([], details) : fail(["command_failed"], details);
    },
  };
}

export interface CommandRun {
  /** -1 when the process was killed by a signal or never reported an exit. */
  exitCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Set when the command could not be started (not found, not executable...). */
  spawnError?: string;
}

export interface CommandLimits {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  maxOutputBytes: number;
}

/** Own process group on POSIX, so a timeout also stops whatever the command started. */
const ownGroup = process.platform !== "win32";

export function runCommand(argv: readonly string[], limits: CommandLimits): Promise<CommandRun> {
  const [file, ...args] = argv;
  return new Promise((resolvePromise) => {
    const stdout = new CappedText(limits.maxOutputBytes);
    const stderr = new CappedText(limits.maxOutputBytes);
    let settled = false;
    let exitCode = -1;
    const settle = (extra: Partial<CommandRun>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolvePromise({
        exitCode,
        timedOut: false,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        ...extra,
      });
    };
    const child = spawn(file ?? "", args, {
      cwd: limits.cwd,
      env: limits.env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: ownGroup,
    });
    // A timeout settles at once: a grandchild holding the pipes open must not hang the run.
    const timer = setTimeout(() => {
      killTree(child.pid, () => child.kill("SIGKILL"));
      settle({ timedOut: true });
    }, limits.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => settle({ spawnError: `${file}: ${errorMessage(error)}` }));
    child.on("exit", (code) => {
      exitCode = code ?? -1;
    });
    child.on("close", (code) => {
      exitCode = code ?? exitCode;
      settle({});
    });
  });
}

function killTree(pid: number | undefined, fallback: () => void): void {
  if (!ownGroup || pid === undefined) {
    fallback();
    return;
  }
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    fallback();
  }
}

/** Keeps the first `cap` bytes of a stream as text and remembers whether anything was dropped. */
class CappedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString("utf8");
  }
}
