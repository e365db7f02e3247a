/** `gait init`: write the starter repo policy and project defaults. */
import { DEFAULT_POLICY_PATH, GATE_PROFILES, type GateProfile } from "../../config/index.ts";
import { POLICY_TEMPLATE_NAMES } from "../../gate/index.ts";
import { CONTRACT_PATHS, DEFAULT_INIT_TEMPLATE, initProject } from "../../onboarding/index.ts";
import { command, stringOption } from "../command.ts";

export const initCommand = command({
  name: "init",
  explain:
    "Write a starter repo policy (.gait.yaml) and project defaults (.gait/config.yaml) that gait check and gait gate eval pick up.",
  options: [
    {
      name: "template",
      value: "name",
      description: `policy template: ${POLICY_TEMPLATE_NAMES.join(", ")} (default ${DEFAULT_INIT_TEMPLATE})`,
    },
    { name: "out", value: "path", description: `repo policy path (default ${DEFAULT_POLICY_PATH})` },
    {
      name: "profile",
      value: "name",
      choices: GATE_PROFILES,
      description: "gate profile written to the config; oss-prod also turns on prod keys (default standard)",
    },
    { name: "force", description: "overwrite existing files" },
  ],
  examples: [
    "gait init && gait check",
    "gait init --template baseline-mediumrisk --out policies/gait.yaml",
    "gait keys init && gait init --profile oss-prod",
  ],
  async run(_args, options, ctx) {
    const result = await initProject({
      cwd: ctx.cwd,
      template: stringOption(options, "template") ?? DEFAULT_INIT_TEMPLATE,
      policyPath: stringOption(options, "out") ?? DEFAULT_POLICY_PATH,
      profile: (stringOption(options, "profile") ?? "standard") as GateProfile,
      force: options.force === true,
    });
    return {
      output: {
        template: result.template,
        profile: result.profile,
        policy_path: result.policyPath,
        config_path: result.configPath,
        policy_digest: result.policyDigest,
        dev_key_path: result.devKey.path,
        dev_key_id: result.devKey.keyId,
        contract: CONTRACT_PATHS,
        next_commands: result.nextCommands,
      },
      human: [
        `wrote ${result.template} policy to ${result.policyPath}`,
        `wrote project defaults to ${result.configPath} (profile ${result.profile})`,
        `policy_digest=${result.policyDigest}`,
        `${result.devKey.created ? "created" : "kept"} the project dev key ${result.devKey.path} (key_id ${result.devKey.keyId}; git-ignored): dev-mode traces, tokens and runpacks signed here verify here`,
        "next:",
        ...result.nextCommands.map((c) => `  ${c}`),
      ],
    };
  },
});
