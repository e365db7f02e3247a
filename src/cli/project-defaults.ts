/**
 * Project defaults for the gate commands: flags the user did not give are filled from
 * `.gait/config.yaml` (or `--config`); `--no-config` skips it. A key source given by flags
 * replaces the config's entirely, and the config's signing key is used only in prod key mode.
 */
import { DEFAULT_CONFIG_PATH, loadProjectConfig, type ProjectConfig } from "../config/index.ts";
import type { KeySource } from "../contract/keys.ts";
import type { CommandContext, OptionSpec, Options } from "./command.ts";
import { stringOption } from "./command.ts";
import { readKeySource, readVerifyKeySources } from "./keyflags.ts";

/** `--config PATH` and `--no-config`, for every command that reads the project defaults. */
export const projectConfigOptions: OptionSpec[] = [
  {
    name: "config",
    value: "path",
    description: `project defaults file (default ${DEFAULT_CONFIG_PATH} when present); flags override it`,
  },
  { name: "no-config", description: "ignore the project defaults file" },
];

export async function withGateDefaults(
  flags: Options,
  ctx: CommandContext,
): Promise<{ options: Options; config?: ProjectConfig }> {
  if (flags["no-config"] === true) return { options: flags };
  const { config } = await loadProjectConfig(ctx.cwd, stringOption(flags, "config"));
  const gate = config.gate;
  const options: Options = { ...flags };
  const fill = (flag: string, value: string | undefined) => {
    if (value !== undefined && stringOption(options, flag) === undefined) options[flag] = value;
  };
  fill("policy", gate.policy);
  fill("profile", gate.profile);
  // A key given by flag means prod (keyModeFor): the config's key mode does not override it.
  if (!readKeySource(options, "private-key")) fill("key-mode", gate.keyMode);
  fill("rate-limit-state", gate.rateLimitState);
  fill("kill-switch-state", gate.killSwitchState);
  fill("wrkr-inventory", gate.wrkrInventoryPath);
  for (const [flag, value] of Object.entries(gate.brokerFlags ?? {})) fill(flag, value);
  fill("trace-dir", gate.traceDir);
  fill("approval-ledger", gate.approvalLedger);
  if (gate.approvalSingleUse === true && options["approval-single-use"] === undefined) {
    options["approval-single-use"] = true;
  }
  // The config's key signs unless dev mode is asked for (a key means prod, see chooseSigningKey).
  if (stringOption(options, "key-mode") !== "dev" && !readKeySource(options, "private-key")) {
    fillKeySource(options, "private-key", gate.privateKey);
  }
  // The approval key and the approver key list exclude each other: a flag for either replaces
  // both of the config's.
  const approvalFlags = readVerifyKeySources(options, "approval");
  if (
    !approvalFlags.publicKey &&
    !approvalFlags.privateKey &&
    stringOption(options, "approver-keys") === undefined
  ) {
    fill("approver-keys", gate.approvers);
    if (gate.approvers === undefined) fillKeySource(options, "approval-public-key", gate.approvalPublicKey);
  }
  return { options, config };
}

function fillKeySource(options: Options, flag: string, source: KeySource | undefined): void {
  if (source?.path !== undefined) options[flag] = source.path;
  if (source?.env !== undefined) options[`${flag}-env`] = source.env;
}
