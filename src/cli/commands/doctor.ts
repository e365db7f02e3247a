/** `gait doctor`: environment and project checks with copy-paste fixes. */
import type { KeyMode } from "../../contract/keys.ts";
import { doctorExitCode, runDoctor } from "../../onboarding/index.ts";
import { command, type Options, stringOption } from "../command.ts";
import { readKeySource, signingKeyOptions } from "../keyflags.ts";

const KEY_FLAGS = ["key-mode", "private-key", "private-key-env", "public-key", "public-key-env"];

/** The key flags, when any is given: they replace the config's key mode and signing key. */
function keyFlags(options: Options) {
  if (!KEY_FLAGS.some((name) => stringOption(options, name) !== undefined)) return undefined;
  const keyMode = stringOption(options, "key-mode") as KeyMode | undefined;
  const privateKey = readKeySource(options, "private-key");
  const publicKey = readKeySource(options, "public-key");
  return {
    ...(keyMode ? { keyMode } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(publicKey ? { publicKey } : {}),
  };
}

export const doctorCommand = command({
  name: "doctor",
  explain:
    "Check Node, writable dirs, keys, the repo policy and config, stale locks and the sidecar port, each with a fix command; exit 7 on a non-fixable dependency, 2 when --production-readiness fails.",
  options: [
    {
      name: "production-readiness",
      description: "also require oss-prod profile, prod keys, a non-allow default and fail_closed",
    },
    {
      name: "summary",
      description:
        "human output: only the checks that warn or fail, their fixes and the verdict (--json is unchanged)",
    },
    {
      name: "workdir",
      value: "dir",
      description: "the project directory to check (its config, policy, keys and dirs)",
      default: ".",
    },
    {
      name: "output-dir",
      value: "dir",
      description: "the output directory to check (default: run.out_dir from the config, else gait-out)",
    },
    ...signingKeyOptions.map((option) => ({
      ...option,
      description: `${option.description} (checked instead of the config's)`,
    })),
  ],
  examples: [
    "gait doctor",
    "gait doctor --production-readiness --json",
    "gait doctor --summary --workdir ./service --output-dir ./service/gait-out",
    "gait doctor --key-mode prod --private-key gait-out/keys/gait_private.key --public-key gait-out/keys/gait_public.key",
  ],
  async run(_args, options, ctx) {
    const workdir = stringOption(options, "workdir");
    const outputDir = stringOption(options, "output-dir");
    const flags = keyFlags(options);
    const result = await runDoctor({
      cwd: ctx.cwd,
      env: ctx.env,
      productionReadiness: options["production-readiness"] === true,
      ...(workdir ? { workdir } : {}),
      ...(outputDir ? { outputDir } : {}),
      ...(flags ? { keyFlags: flags } : {}),
    });
    const exitCode = doctorExitCode(result);
    const output: Record<string, unknown> = { ...result };
    if (exitCode !== 0) {
      output.ok = false;
      output.error = result.non_fixable
        ? "a required dependency is missing and gait cannot fix it"
        : "production readiness checks failed";
    }
    const shown = options.summary === true ? result.checks.filter((c) => c.status !== "pass") : result.checks;
    return {
      exitCode,
      output,
      human: [
        ...shown.flatMap((check) => [
          `[${check.status}] ${check.name}: ${check.message}`,
          ...(check.fix_command ? [`  fix: ${check.fix_command}`] : []),
        ]),
        `doctor: ${result.status} (${result.summary})`,
      ],
    };
  },
});
