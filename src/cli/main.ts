/**
 * The CLI bundle's entry (dist/cli.cjs, started by launcher.ts): wires process I/O into the
 * program and sets the exit code.
 */
import { systemClock } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { commandsFor } from "./lazy-commands.ts";
import { colorEnabled } from "./output.ts";
import { runProgram } from "./program.ts";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const info = {
    name: "gait",
    version: PRODUCER_VERSION,
    explain:
      "Gait turns agent tool calls into policy verdicts and signed, offline-verifiable evidence (runpacks, traces, regressions).",
    commands: await commandsFor(argv),
  };
  process.exitCode = await runProgram(info, argv, {
    streams: {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      color: {
        stdout: colorEnabled(process.env, process.stdout.isTTY === true),
        stderr: colorEnabled(process.env, process.stderr.isTTY === true),
      },
    },
    env: process.env,
    cwd: process.cwd(),
    clock: systemClock,
    programPath: process.argv[1] ?? "gait",
  });
}

void main();
