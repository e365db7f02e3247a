import { systemClock } from "../src/contract/time.ts";
import { PRODUCER_VERSION } from "../src/contract/version.ts";
import { gateGroup } from "../src/cli/commands/gate.ts";
import { versionCommand } from "../src/cli/commands/version.ts";
import { runProgram } from "../src/cli/program.ts";
const exitCode = await runProgram({ name: "gait", version: PRODUCER_VERSION, explain: "x", commands: [gateGroup, versionCommand] }, process.argv.slice(2), {
  streams: { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
  env: process.env, cwd: process.cwd(), clock: systemClock, programPath: process.argv[1] ?? "gait",
});
process.exitCode = exitCode;
