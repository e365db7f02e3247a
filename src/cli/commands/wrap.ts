/**
 * `gait test|enforce|trace -- <cmd>`: run a child that reports its gate decisions with
 * `trace_path=<file>` lines, and judge the run from those traces (docs/wrappers.md). The child's
 * output is passed through live: its stdout to ours and its stderr to ours, except with --json,
 * where stdout carries only the one JSON object and both of the child's streams go to stderr.
 */
import { resolve } from "node:path";
import { resolveVerifyKey } from "../../contract/keys.ts";
import { parseGoDuration } from "../../contract/time.ts";
import { runWrapper, type WrapperMode } from "../../wrapper/index.ts";
import { type CommandContext, type CommandSpec, command, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readVerifyKeySources, verifyKeyOptions } from "../keyflags.ts";

const explains: Record<WrapperMode, string> = {
  test: "Run a command that prints trace_path=<file> for each gate decision, count the verdicts and keep its exit code.",
  enforce:
    "Run a command that prints trace_path=<file> for each gate decision; exit 3 if any was blocked, 4 if any needs approval.",
  trace:
    "Run a command that prints trace_path=<file> for each gate decision and collect its traces, keeping its exit code.",
};

export function wrapperCommand(mode: WrapperMode): CommandSpec {
  return command({
    name: mode,
    explain: explains[mode],
    usage: "[options] -- <command> [args...]",
    args: [{ name: "command", description: "the child command, after --", variadic: true }],
    options: [
      { name: "cwd", value: "dir", description: "working directory of the child (default: the current one)" },
      {
        name: "timeout",
        value: "duration",
        description:
          "stop the child after this long: SIGTERM to its process group, SIGKILL 2s later (Go duration; default and 0: no limit)",
      },
      ...verifyKeyOptions,
    ],
    examples: [
      `gait ${mode} -- node agent.js`,
      `gait ${mode} --timeout 2m --json -- npm test`,
      `gait ${mode} --public-key gait-out/keys/gait_public.key -- python3 agent.py`,
    ],
    run: (args, options, ctx) => runWrapperCommand(mode, args, options, ctx),
  });
}

async function runWrapperCommand(mode: WrapperMode, args: string[], options: Options, ctx: CommandContext) {
  if (!ctx.argv.includes("--") || args.length === 0) {
    const got = args.length > 0 ? ` (got ${JSON.stringify(args[0])})` : "";
    throw invalidInput("usage", `put the child command after --${got}`, {
      hint: `e.g. gait ${mode} -- node agent.js`,
    });
  }
  const timeout = stringOption(options, "timeout") ?? "0";
  const timeoutMs = Number(parseGoDuration(timeout, "--timeout") / 1_000_000n);
  if (timeoutMs < 0) throw invalidInput("usage", "--timeout must not be negative");
  const verifyKey = await resolveVerifyKey(readVerifyKeySources(options), {
    env: ctx.env,
    cwd: ctx.cwd,
    warn: ctx.warn,
  });
  const childStdout = new LiveOutput(ctx.json ? process.stderr : process.stdout);
  const childStderr = new LiveOutput(process.stderr);
  const result = await runWrapper({
    mode,
    command: args,
    cwd: resolve(ctx.cwd, stringOption(options, "cwd") ?? "."),
    env: ctx.env,
    timeoutMs,
    verifyKey,
    // Raw pass-through, not command output: the output writer still prints the result at the end.
    onStdout: (chunk) => childStdout.write(chunk),
    onStderr: (chunk) => childStderr.write(chunk),
  });
  const { exit_code: exitCode, ...output } = result;
  const counts = Object.entries(result.verdict_counts)
    .map(([verdict, n]) => `${verdict}=${n}`)
    .join(" ");
  const summary = [
    `gait ${mode}: child exit ${result.child_exit_code}, ${result.trace_paths.length} trace(s): ${counts}`,
    ...result.warnings.map((w) => `warning: ${w}`),
    ...(result.error ? [`failed (${result.failure_reason}): ${result.error}`] : []),
  ];
  return {
    exitCode,
    output: result.failure_reason ? { ...output, ok: false } : output,
    // The summary starts on a line of its own even when the child's last line had no newline.
    human: childStdout.midLine ? ["", ...summary] : summary,
  };
}

/**
 * Writes the child's chunks to one of our streams as they come. If the reader goes away (EPIPE,
 * e.g. `gait test -- npm test | head`), passing through stops and the child runs on, captured.
 */
class LiveOutput {
  private open = true;
  /** The last chunk written did not end with a newline. */
  midLine = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on("error", () => {
      this.open = false;
    });
  }

  write(chunk: Buffer): void {
    if (!this.open || chunk.length === 0) return;
    this.stream.write(chunk);
    this.midLine = chunk[chunk.length - 1] !== 0x0a;
  }
}

export const testCommand = wrapperCommand("test");
export const enforceCommand = wrapperCommand("enforce");
