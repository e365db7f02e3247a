/**
 * The artifact store's flags and settings for one CLI invocation (docs/encryption.md): the key
 * hook flags readers take (`--identity`, `--identity-env`, `--identity-command`), and the
 * settings the store resolves on first use from those flags and the project config's `store:`
 * section (`--config`, `--no-config` as for the gate defaults).
 */
import { loadProjectConfig } from "../config/index.ts";
import { type KeyHook, readRecipientsFile, type StoreSettings } from "../store/index.ts";
import {
  type CommandContext,
  type CommandSpec,
  type OptionSpec,
  type Options,
  stringOption,
} from "./command.ts";
import { invalidInput } from "./error-codes.ts";
import { projectConfigOptions } from "./project-defaults.ts";

/** The key hook flags of every command that reads artifacts. */
export const identityOptions: OptionSpec[] = [
  {
    name: "identity",
    value: "file",
    description:
      "age identity file (age-keygen) that opens encrypted artifacts (default: store.identity in the config)",
  },
  {
    name: "identity-env",
    value: "VAR",
    description: "environment variable holding the identity (or the base64 key of a gait-aes-gcm envelope)",
  },
  {
    name: "identity-command",
    value: "cmd",
    description:
      "command (run by sh, 10 s timeout, 64 KiB output cap) printing the identity, e.g. a secret manager's CLI",
  },
];

/** The key hook the flags name, if any; more than one is a usage error. */
export function readIdentityHook(options: Options): KeyHook | undefined {
  const hooks: KeyHook[] = [];
  const file = stringOption(options, "identity");
  const env = stringOption(options, "identity-env");
  const command = stringOption(options, "identity-command");
  if (file !== undefined) hooks.push({ file });
  if (env !== undefined) hooks.push({ env });
  if (command !== undefined) hooks.push({ command });
  if (hooks.length > 1) {
    throw invalidInput("usage", "give one of --identity, --identity-env and --identity-command", {
      hint: "each names the same key; pick the one your key lives in",
    });
  }
  return hooks[0];
}

/**
 * The store's settings for this invocation: recipients from the project config, the identity
 * from the flags or else the config. `--config`/`--no-config` count only on commands where they
 * name the project config (elsewhere `--config` is, e.g., the regress config).
 */
export async function storeSettingsFor(
  spec: CommandSpec,
  options: Options,
  ctx: CommandContext,
): Promise<StoreSettings> {
  const flagHook = readIdentityHook(options);
  const base = { cwd: ctx.cwd, env: ctx.env };
  const projectFlags = spec.options?.includes(projectConfigOptions[0]!) === true;
  if (projectFlags && options["no-config"] === true) {
    return { ...base, recipients: [], ...(flagHook ? { identity: flagHook } : {}) };
  }
  const { config } = await loadProjectConfig(
    ctx.cwd,
    projectFlags ? stringOption(options, "config") : undefined,
  );
  const { store } = config;
  const recipients = [...(store.recipients ?? [])];
  if (store.recipientsFile !== undefined)
    recipients.push(...(await readRecipientsFile(store.recipientsFile, ctx.cwd)));
  const identity = flagHook ?? store.identity;
  return { ...base, recipients, ...(identity ? { identity } : {}) };
}
