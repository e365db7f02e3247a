/**
 * Shell command: `{command}` → `sh -c command` in the working directory, killed (with everything
 * it started) after the timeout, each output stream capped. Not a login shell (`-l` would source
 * profiles and make the replay depend on the user's dotfiles).
 */
import { runProcess } from "../../contract/process.ts";
import type { ExecutionContext, ExecutionResult, RealExecutor } from "./executor.ts";

export const shellExecutor: RealExecutor = {
  name: "shell",
  tools: ["shell.exec", "exec", "command.run"],
  async execute(args, context): Promise<ExecutionResult> {
    const { command } = args;
    if (typeof command !== "string" || command.trim() === "") {
      return { status: "error", result: { error: "args must carry a non-empty string command" } };
    }
    return runShell(command, context);
  },
};

async function runShell(command: string, context: ExecutionContext): Promise<ExecutionResult> {
  const run = await runProcess("sh", ["-c", command], {
    cwd: context.cwd,
    env: context.env,
    timeoutMs: context.timeoutMs,
    // Straight SIGKILL: a replayed tool gets no clean-up time, and the result keeps `signal: "SIGKILL"`.
    killGraceMs: 0,
    maxOutputBytes: context.maxOutputBytes,
  });
  if (run.spawnError !== undefined) return { status: "error", result: { error: run.spawnError } };
  return {
    status: run.exitCode === 0 && !run.timedOut ? "ok" : "error",
    result: {
      exit_code: run.exitCode,
      ...(run.signal ? { signal: run.signal } : {}),
      stdout: run.stdout,
      stderr: run.stderr,
      timed_out: run.timedOut,
      truncated: run.stdoutTruncated || run.stderrTruncated,
    },
  };
}
