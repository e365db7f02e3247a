/**
 * Start-up: `gait gate eval` runs once per tool call in wrapper and hook setups, so it
 * initializes only its own command module (in the bundle, a module reached through `import()`
 * runs only when imported) instead of every command's code (runpacks, zip, regress, doctor,
 * ...); `gait --version` initializes none. Everything else — other commands, help, a flag
 * before the command word, unknown words — loads the full list from commands/index.ts, which
 * stays the one list of commands and their help order.
 */
import type { Spec } from "./command.ts";

const loaders: Record<string, () => Promise<Spec>> = {
  gate: async () => (await import("./commands/gate.ts")).gateGroup,
};

/** `gait --version` (and `-v`, with or without `--json`) needs no command at all. */
const VERSION_ONLY = new Set(["--version", "-v", "--json"]);

/** The command specs needed to run `argv`: none for the version, just the named one when it loads alone, else all. */
export async function commandsFor(argv: readonly string[]): Promise<Spec[]> {
  if (argv.some((arg) => arg !== "--json") && argv.every((arg) => VERSION_ONLY.has(arg))) return [];
  const [first] = argv;
  if (first !== undefined && Object.hasOwn(loaders, first)) return [await loaders[first]!()];
  return (await import("./commands/index.ts")).commands;
}
