/**
 * Shell command: `{command}` → `sh -c command` in the working directory, killed after the
 * timeout, each output stream capped. Not a login shell (`-l` would source profiles and make the
 * replay depend on the user's dotfiles).
 */
import { spawn } from "node:child_process";
import type { ExecutionContext, ExecutionResult, RealExecutor } from "./index.ts";

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

function runShell(command: string, context: ExecutionContext): Promise<ExecutionResult> {
  return new Promise((resolvePromise) => {
    const child = spawn("sh", ["-c", command], {
      cwd: context.cwd,
      env: context.env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout = new CappedBuffer(context.maxOutputBytes);
    const stderr = new CappedBuffer(context.maxOutputBytes);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, context.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolvePromise({ status: "error", result: { error: error.message } });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? -1;
      resolvePromise({
        status: exitCode === 0 && !timedOut ? "ok" : "error",
        result: {
          exit_code: exitCode,
          ...(signal ? { signal } : {}),
          stdout: stdout.text(),
          stderr: stderr.text(),
          timed_out: timedOut,
          truncated: stdout.truncated || stderr.truncated,
        },
      });
    });
  });
}

/** Keeps the first `cap` bytes of a stream and remembers whether anything was dropped. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (room <= 0) {
      this.truncated = this.truncated || chunk.length > 0;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString("utf8");
  }
}
