/** `gait doctor`: environment and project checks with copy-paste fixes. */
import { doctorExitCode, runDoctor } from "../../onboarding/index.ts";
import { command } from "../command.ts";

export const doctorCommand = command({
  name: "doctor",
  explain:
    "Check Node, writable dirs, keys, the repo policy and config, stale locks and the sidecar port, each with a fix command; exit 7 on a non-fixable dependency, 2 when --production-readiness fails.",
  options: [
    {
      name: "production-readiness",
      description: "also require oss-prod profile, prod keys, a non-allow default and fail_closed",
    },
  ],
  examples: ["gait doctor", "gait doctor --production-readiness --json"],
  async run(_args, options, ctx) {
    const result = await runDoctor({
      cwd: ctx.cwd,
      env: ctx.env,
      productionReadiness: options["production-readiness"] === true,
    });
    const exitCode = doctorExitCode(result);
    const output: Record<string, unknown> = { ...result };
    if (exitCode !== 0) {
      output.ok = false;
      output.error = result.non_fixable
        ? "a required dependency is missing and gait cannot fix it"
        : "production readiness checks failed";
    }
    return {
      exitCode,
      output,
      human: [
        ...result.checks.flatMap((check) => [
          `[${check.status}] ${check.name}: ${check.message}`,
          ...(check.fix_command ? [`  fix: ${check.fix_command}`] : []),
        ]),
        `doctor: ${result.status} (${result.summary})`,
      ],
    };
  },
});
