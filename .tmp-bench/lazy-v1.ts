import { systemClock } from "../src/contract/time.ts";
import { PRODUCER_VERSION } from "../src/contract/version.ts";
import { runProgram } from "../src/cli/program.ts";
import type { Spec } from "../src/cli/command.ts";
const argv = process.argv.slice(2);
const commands: Spec[] = argv[0] === "gate" ? [(await import("../src/cli/commands/gate.ts")).gateGroup] : (await import("../src/cli/commands/index.ts")).commands;
const exitCode = await runProgram({ name: "gait", version: PRODUCER_VERSION, explain: "x", commands }, argv, {
  streams: { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
  env: process.env, cwd: process.cwd(), clock: systemClock, programPath: process.argv[1] ?? "gait",
});
process.exitCode = exitCode;
