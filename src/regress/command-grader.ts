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
import { canonicalize, digestJcs, type JsonObject } from "../contract/canonical.ts";
import { runProcess } from "../contract/process.ts";
import { fail, type Grader, pass, subjectOf } from "./grader.ts";
import type { CommandGraderConfig } from "./types.ts";

const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const DEFAULT_COMMAND_OUTPUT_BYTES = 4096;
const COMMAND_GRADER_NAME = "command";

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

interface CommandRun {
  /** -1 when the process was killed by a signal or never reported an exit. */
  exitCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Set when the command could not be started (not found, not executable...). */
  spawnError?: string;
}

interface CommandLimits {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  maxOutputBytes: number;
}

/** Runs argv without a shell; on timeout its whole process group is killed at once (SIGKILL). */
async function runCommand(argv: readonly string[], limits: CommandLimits): Promise<CommandRun> {
  const [file = "", ...args] = argv;
  const run = await runProcess(file, args, { ...limits, killGraceMs: 0 });
  return {
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    stdout: run.stdout,
    stderr: run.stderr,
    truncated: run.stdoutTruncated || run.stderrTruncated,
    ...(run.spawnError !== undefined && { spawnError: `${file}: ${run.spawnError}` }),
  };
}
