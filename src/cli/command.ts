/**
 * The shape every CLI command has. A command declares its flags and a one-sentence `explain`,
 * parses nothing itself, calls one module API and returns an outcome for the output writer.
 */
import type { Clock } from "../contract/time.ts";
import { invalidInput } from "./error-codes.ts";

export type OptionValue = string | boolean | string[] | undefined;
export type Options = Record<string, OptionValue>;

export interface OptionSpec {
  /** Long flag name without dashes, e.g. "private-key"; read back under the same name (`options["private-key"]`). */
  name: string;
  /** Placeholder for a value-taking flag, e.g. "path"; omit for a boolean switch. */
  value?: string;
  description: string;
  default?: string | boolean;
  /** Allowed values; anything else is a usage error (exit 6). */
  choices?: readonly string[];
  /** May be given several times; collected into a string[]. */
  repeatable?: boolean;
  short?: string;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
  /** Allowed values; anything else is a usage error (exit 6). */
  choices?: readonly string[];
}

/** The program a command runs in: its name, version and command tree. */
export interface ProgramSpec {
  name: string;
  version: string;
  /** One sentence: what the program does. */
  explain: string;
  commands: Spec[];
}

export interface CommandContext {
  json: boolean;
  /** True when `--explain` was given to a command with `structuredExplain` (and `--json`). */
  explain: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  correlationId: string;
  /** The full argv after the program name, for commands that must record how they were called. */
  argv: readonly string[];
  /** Adds a warning: stderr in human mode, the `warnings` list in JSON mode. */
  warn(message: string): void;
  /** Progress for long runs: always stderr, never stdout. */
  progress(message: string): void;
  /**
   * The command tree this invocation was built from, for commands that describe the CLI itself
   * (completion). It is the full list except for commands that load alone (lazy-commands.ts).
   */
  program: ProgramSpec;
}

export interface CommandOutcome {
  /** Exit code; 0 unless the command's contract says otherwise (verdicts, verify failures...). */
  exitCode?: number;
  /** The JSON object (without `ok`/`correlation_id` unless the command sets them). */
  output: Record<string, unknown>;
  /** Human text for stdout; defaults to key=value lines of `output`. */
  human?: string | string[];
  /** Print `human` exactly as given, never coloured: it is data (a script, a file), not prose. */
  verbatim?: boolean;
  /** Write the result to stderr: stdout carried a protocol (the MCP stdio proxy's JSON-RPC). */
  stream?: "stderr";
}

export interface CommandSpec {
  kind: "command";
  name: string;
  aliases?: string[];
  /** One sentence: what this command does. Printed by --explain and as the help summary. */
  explain: string;
  usage?: string;
  args?: ArgumentSpec[];
  options?: OptionSpec[];
  /** Examples shown at the end of --help. */
  examples?: string[];
  /** When true, `--explain --json` runs the command with `explain: true` instead of printing. */
  structuredExplain?: boolean;
  run(args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> | CommandOutcome;
}

export interface GroupSpec {
  kind: "group";
  name: string;
  explain: string;
  commands: Array<CommandSpec | GroupSpec>;
  /** Runs when no subcommand is named (`gait trace -- <cmd>` next to `gait trace verify`). */
  defaultCommand?: CommandSpec;
}

export type Spec = CommandSpec | GroupSpec;

export function command(spec: Omit<CommandSpec, "kind">): CommandSpec {
  return { kind: "command", ...spec };
}

export function group(spec: Omit<GroupSpec, "kind">): GroupSpec {
  return { kind: "group", ...spec };
}

/** Reads a string option, or undefined when absent or empty. */
export function stringOption(options: Options, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/**
 * Refuses (usage, exit 6) a call that leaves out any of these flags, naming all it left out; the
 * hint shows `example`, a complete call.
 */
export function requireOptions(options: Options, names: readonly string[], example: string): void {
  const missing = names.filter((name) => stringOption(options, name) === undefined);
  if (missing.length > 0) {
    throw invalidInput("usage", `missing ${missing.map((m) => `--${m}`).join(", ")}`, {
      hint: `e.g. ${example}`,
    });
  }
}

/**
 * The file a command works on, given as its positional argument or `--path`; without either, a
 * usage error naming `what` (and showing `example`, when given).
 */
export function pathArgument(
  args: readonly string[],
  options: Options,
  what: string,
  example?: string,
): string {
  const path = args[0] ?? stringOption(options, "path");
  if (!path)
    throw invalidInput("usage", `${what} is required`, example ? { hint: `e.g. ${example}` } : undefined);
  return path;
}

export function listOption(options: Options, name: string): string[] {
  const value = options[name];
  if (value === undefined || typeof value === "boolean") return [];
  const values = Array.isArray(value) ? value : [value];
  return values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}
