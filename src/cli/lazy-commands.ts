/**
 * Start-up: `gait gate eval` runs once per tool call in wrapper and hook setups, so it loads only
 * its own command module (a separate chunk of the bundle) instead of parsing and initializing
 * every command's code (runpacks, zip, regress, doctor, ...). Everything else — other commands,
 * help, a flag before the command word, unknown words — loads the full list from
 * commands/index.ts, which stays the one list of commands and their help order.
 *
 * Each entry here costs chunks: esbuild splits shared code by which lazy imports reach it, and
 * every extra module costs start-up time, so only latency-critical commands belong here.
 */
import type { Spec } from "./command.ts";

const loaders: Record<string, () => Promise<Spec>> = {
  gate: async () => (await import("./commands/gate.ts")).gateGroup,
};

/** The command specs needed to run `argv`: just the named one when it loads alone, else all. */
export async function commandsFor(argv: readonly string[]): Promise<Spec[]> {
  const [first] = argv;
  if (first !== undefined && Object.hasOwn(loaders, first)) return [await loaders[first]!()];
  return (await import("./commands/index.ts")).commands;
}
