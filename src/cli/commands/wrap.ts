/**
 * `gait test|enforce|trace -- <cmd>`: run a child that reports its gate decisions with
 * `trace_path=<file>` lines, and judge the run from those traces (docs/wrappers.md).
 */
import { resolve } from "node:path";
import { resolveVerifyKey } from "../../contract/keys.ts";
import { parseGoDuration } from "../../contract/time.ts";
import { runWrapper, type WrapperMode } from "../../wrapper/index.ts";
import { type CommandContext, type CommandSpec, command, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readVerifyKeySources, verifyKeyOptions } from "../keyflags.ts";

const DEFAULT_TIMEOUT = "30s";

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
        description: `kill the child after this long (Go duration, 0 = no limit; default ${DEFAULT_TIMEOUT})`,
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
  const timeout = stringOption(options, "timeout") ?? DEFAULT_TIMEOUT;
  const timeoutMs = Number(parseGoDuration(timeout, "--timeout") / 1_000_000n);
  if (timeoutMs < 0) throw invalidInput("usage", "--timeout must not be negative");
  const verifyKey = await resolveVerifyKey(readVerifyKeySources(options), {
    env: ctx.env,
    cwd: ctx.cwd,
    warn: ctx.warn,
  });
  const result = await runWrapper({
    mode,
    command: args,
    cwd: resolve(ctx.cwd, stringOption(options, "cwd") ?? "."),
    env: ctx.env,
    timeoutMs,
    verifyKey,
  });
  const { exit_code: exitCode, ...output } = result;
  if (!ctx.json && result.stderr !== "") ctx.progress(result.stderr.replace(/\n$/, ""));
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
    human: [...(result.stdout === "" ? [] : [result.stdout.replace(/\n$/, "")]), ...summary],
  };
}

export const testCommand = wrapperCommand("test");
export const enforceCommand = wrapperCommand("enforce");
