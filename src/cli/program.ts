/**
 * Builds the commander tree from command specs, parses argv, runs the chosen command and hands
 * the result (or error) to the output writer. Returns the process exit code; never exits itself.
 */
import { Argument, Command, CommanderError, Option } from "commander";
import { GaitError } from "../contract/errors.ts";
import type { Clock } from "../contract/time.ts";
// The settings module only: the store itself loads with the first artifact a command writes or reads.
import { useArtifactStore } from "../store/settings.ts";
import type { CommandContext, CommandSpec, Options, ProgramSpec, Spec } from "./command.ts";
import { invalidInput } from "./error-codes.ts";
import {
  correlationIdFor,
  renderJsonLine,
  type Streams,
  USAGE_HINT,
  writeError,
  writeOutcome,
} from "./output.ts";

export interface RunDeps {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: Clock;
  /** Path of the running program; part of the correlation id, as in the reference. */
  programPath: string;
}

interface Invocation {
  spec: CommandSpec;
  path: string[];
  args: string[];
  options: Options;
}

interface WriteOpts {
  json: boolean;
  correlationId: string;
  warnings: string[];
}

export async function runProgram(info: ProgramSpec, rawArgv: string[], deps: RunDeps): Promise<number> {
  // The correlation id and ctx.argv keep the invocation as typed; parsing sees commander's spelling.
  // The id is a digest, made on first use: `gait --version` never loads node:crypto for it.
  let id: string | undefined;
  const correlationId = () => (id ??= correlationIdFor([deps.programPath, ...rawArgv]));
  const normalized = normalizeGoFlags(info, rawArgv);
  const argv = normalized.argv;
  const flagPart = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  const json = flagPart.includes("--json");
  const warnings: string[] = [];
  const writeOpts: WriteOpts = {
    json,
    get correlationId() {
      return correlationId();
    },
    warnings,
  };
  if (normalized.error)
    return writeError(normalized.error, { ...writeOpts, seeHelp: normalized.seeHelp }, deps.streams);

  if (flagPart.includes("--explain")) {
    const resolved = resolveSpec(info, flagPart);
    const spec = resolved.spec;
    const runsStructured =
      "kind" in spec && spec.kind === "command" && spec.structuredExplain === true && json;
    if (!runsStructured) return writeExplain(resolved, json, correlationId(), deps.streams);
  }
  if (argv.length === 0) {
    deps.streams.stdout(buildTree(info, () => {}, captureStreams()).root.helpInformation());
    return 0;
  }
  // `gait --json` alone: what a program driving gait needs to discover its commands.
  if (argv.every((arg) => arg === "--json")) {
    return writeOutcome({ output: commandListing(info) }, writeOpts, deps.streams);
  }
  const parsed = helpWordAsFlag(info, argv);
  if ("error" in parsed)
    return writeError(parsed.error, { ...writeOpts, seeHelp: parsed.seeHelp }, deps.streams);

  const captured = captureStreams();
  let invocation: Invocation | undefined;
  const { root } = buildTree(
    info,
    (inv) => {
      invocation = inv;
    },
    captured,
  );
  try {
    root.parse(parsed.argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError)
      return handleCommanderError(error, info, captured, deps.streams, writeOpts);
    return writeError(error, writeOpts, deps.streams);
  }
  if (captured.out) deps.streams.stdout(captured.out);
  if (!invocation) return 0;

  const ctx: CommandContext = {
    json,
    explain: flagPart.includes("--explain"),
    cwd: deps.cwd,
    env: deps.env,
    clock: deps.clock,
    get correlationId() {
      return correlationId();
    },
    argv: rawArgv,
    warn: (message) => warnings.push(message),
    progress: (message) => deps.streams.stderr(`${message}\n`),
    program: info,
  };
  const { spec, options } = invocation;
  // Settings are read on the first artifact written or read, so other commands never load them.
  useArtifactStore(async () => (await import("./store-flags.ts")).storeSettingsFor(spec, options, ctx));
  try {
    const outcome = await invocation.spec.run(invocation.args, invocation.options, ctx);
    return writeOutcome(outcome, writeOpts, deps.streams);
  } catch (error) {
    // Usage mistakes found by the command itself (missing flag, bad combination) point at its help.
    const seeHelp =
      error instanceof GaitError && error.code === "usage" ? invocation.path.join(" ") : undefined;
    return writeError(error, { ...writeOpts, seeHelp }, deps.streams);
  }
}

/**
 * Go's flag syntax, as scripts written for the reference Gait spell it, rewritten into commander's
 * before parsing (docs/cli.md, "Flag syntax"). Go's `flag` package treats `-name` and `--name`
 * alike, takes `-name=value` and `-name value`, and gives booleans an explicit value
 * (`-json=false`); commander knows none of that. So, walking argv with the command specs:
 * - a known long flag with one or two dashes becomes `--name`; a value-taking one absorbs its
 *   value (`=value` or the next word, whatever it looks like, as Go does: `--limit -1`) into one
 *   `--name=value` word, so a value is never read as a flag or a command;
 * - a boolean given a value follows Go's strconv.ParseBool: true → `--name`, false → the flag is
 *   dropped (with any earlier occurrence: the last one wins, as in Go), anything else is a usage
 *   error;
 * - short flags that exist (`-h`, `-v` on the root, a spec's `short`) stay as they are;
 * - `--` and everything after it (the child of `gait test|enforce|trace`), lone `-`, negative
 *   numbers and other words pass unchanged;
 * - an unknown single-dash word of two letters or more is a usage error here (commander would
 *   read `-vx` as `-v -x`); other unknown flags are left for commander to report.
 * After a word that names no command where a command is expected, only the flags every command
 * has are rewritten: commander then reports the unknown command.
 */
export function normalizeGoFlags(
  info: ProgramSpec,
  argv: readonly string[],
): { argv: string[]; error?: GaitError; seeHelp?: string } {
  const out: Array<string | undefined> = [];
  // Where each boolean flag was written, so that `--name=false` can take it back.
  const booleansAt = new Map<string, number[]>();
  let current: Spec | ProgramSpec = info;
  const path = [info.name];
  let lost = false;
  // The first mistake is reported, after the rest is rewritten: `-json` further on still decides
  // whether the report is the JSON envelope.
  let mistake: { error: GaitError; seeHelp: string } | undefined;
  const fail = (message: string) => {
    mistake ??= { error: invalidInput("usage", message, { hint: USAGE_HINT }), seeHelp: path.join(" ") };
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (!isFlagWord(word)) {
      out.push(word);
      if (lost || !("commands" in current) || word === "help") continue;
      const next = findChild(current.commands, word);
      if (next) {
        current = next;
        path.push(next.name);
      } else if (!("defaultCommand" in current && current.defaultCommand)) {
        lost = true;
      }
      continue;
    }
    const dashes = word.startsWith("--") ? 2 : 1;
    const body = word.slice(dashes);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const flags = flagsOf(current, current === info, lost);
    const short = name.length === 1 ? flags.short.get(name) : undefined;
    if (short && value === undefined) {
      out.push(`-${name}`);
      if (short.takesValue && i + 1 < argv.length) out.push(argv[++i]);
      continue;
    }
    const long = short?.long ?? name;
    const takesValue = short ? short.takesValue : flags.long.get(long);
    if (takesValue === undefined) {
      if (dashes === 1 && name.length > 1 && !lost) {
        const guess = suggestFlag(name, [...flags.long.keys()]);
        fail(`unknown option ${word}${guess ? `\n(Did you mean --${guess}?)` : ""}`);
      }
      out.push(word);
      continue;
    }
    if (takesValue) {
      if (value !== undefined) out.push(`--${long}=${value}`);
      else if (i + 1 < argv.length) out.push(`--${long}=${argv[++i]}`);
      else out.push(`--${long}`); // commander reports the missing value
      continue;
    }
    const on = value === undefined ? true : parseGoBool(value);
    if (on === undefined) {
      fail(
        `invalid boolean value ${JSON.stringify(value)} for ${dashes === 1 ? "-" : "--"}${name} (use true or false)`,
      );
      continue;
    }
    const at = booleansAt.get(long) ?? [];
    if (on) {
      at.push(out.length);
      booleansAt.set(long, at);
      out.push(`--${long}`);
    } else {
      for (const index of at) out[index] = undefined;
      booleansAt.delete(long);
    }
  }
  return { argv: out.filter((word): word is string => word !== undefined), ...mistake };
}

/** A word Go's flag package would parse as a flag; negative numbers are values here, as in commander. */
function isFlagWord(word: string): boolean {
  return word.length > 1 && word.startsWith("-") && !/^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(word);
}

interface FlagTable {
  /** Long name → whether it takes a value. */
  long: Map<string, boolean>;
  short: Map<string, { long: string; takesValue: boolean }>;
}

/** The flags `spec` accepts: every command's own, the default command's for a group, the root's. */
function flagsOf(spec: Spec | ProgramSpec, isRoot: boolean, globalsOnly: boolean): FlagTable {
  const table: FlagTable = {
    long: new Map([
      ["json", false],
      ["explain", false],
      ["help", false],
    ]),
    short: new Map([["h", { long: "help", takesValue: false }]]),
  };
  if (isRoot) {
    table.long.set("version", false);
    table.short.set("v", { long: "version", takesValue: false });
  }
  if (globalsOnly) return table;
  const runs = "kind" in spec ? (spec.kind === "group" ? spec.defaultCommand : spec) : undefined;
  for (const opt of runs?.options ?? []) {
    table.long.set(opt.name, opt.value !== undefined);
    if (opt.short) table.short.set(opt.short, { long: opt.name, takesValue: opt.value !== undefined });
  }
  return table;
}

/** Go's strconv.ParseBool. */
function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/** The closest known flag name within two edits, for "did you mean". */
function suggestFlag(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of [...candidates].sort()) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * `gait help <cmd…>` and `gait <group> help <sub…>` as `gait <cmd…> --help` (the `help` word
 * dropped, `--help` added before any `--`), so every form prints the same help. Any other argv
 * comes back unchanged; a `help` naming no command is a usage error.
 */
function helpWordAsFlag(
  info: ProgramSpec,
  argv: string[],
): { argv: string[] } | { error: GaitError; seeHelp: string } {
  const end = argv.includes("--") ? argv.indexOf("--") : argv.length;
  let current: Spec | ProgramSpec = info;
  const path = [info.name];
  let helpAt = -1;
  for (let i = 0; i < end; i++) {
    const word = argv[i]!;
    if (word.startsWith("-")) continue;
    const children: Spec[] = "commands" in current ? current.commands : [];
    if (children.length === 0) break;
    const next = findChild(children, word);
    if (next) {
      current = next;
      path.push(next.name);
    } else if (word === "help" && helpAt < 0) {
      helpAt = i;
    } else if (helpAt >= 0) {
      const error = invalidInput("usage", `unknown command: ${word}`, { hint: USAGE_HINT });
      return { error, seeHelp: path.join(" ") };
    } else {
      break;
    }
  }
  if (helpAt < 0) return { argv };
  return { argv: [...argv.slice(0, helpAt), ...argv.slice(helpAt + 1, end), "--help", ...argv.slice(end)] };
}

function findChild(children: readonly Spec[], word: string): Spec | undefined {
  return children.find((c) => c.name === word || (c.kind === "command" && c.aliases?.includes(word)));
}

/** The commands of the program as data: name and explain, and the subcommands of each group. */
function commandListing(info: ProgramSpec): Record<string, unknown> {
  const list = (specs: readonly Spec[]): Array<Record<string, unknown>> =>
    specs.map((spec) => ({
      name: spec.name,
      explain: spec.explain,
      ...(spec.kind === "group" ? { commands: list(spec.commands) } : {}),
    }));
  return { name: info.name, version: info.version, explain: info.explain, commands: list(info.commands) };
}

interface Captured {
  out: string;
  err: string;
  /** The command commander stopped in (its usage error or help), e.g. ["gait", "gate", "eval"]. */
  path?: string[];
}

function captureStreams(): Captured {
  return { out: "", err: "" };
}

function handleCommanderError(
  error: CommanderError,
  info: ProgramSpec,
  captured: Captured,
  streams: Streams,
  writeOpts: WriteOpts,
): number {
  // `commander.help` with exit code 0 is help asked for through a help command, not an error.
  if (error.code === "commander.helpDisplayed" || (error.code === "commander.help" && error.exitCode === 0)) {
    streams.stdout(captured.out);
    return 0;
  }
  if (error.code === "commander.version") {
    if (writeOpts.json) return writeOutcome({ output: { version: info.version } }, writeOpts, streams);
    streams.stdout(captured.out);
    return 0;
  }
  const message = usageMessage(error);
  const usageError = invalidInput("usage", message, { hint: USAGE_HINT });
  const seeHelp = (captured.path ?? [info.name]).join(" ");
  return writeError(usageError, { ...writeOpts, seeHelp }, streams);
}

/** Commander's message, in the reference's words where scripts match on them. */
function usageMessage(error: CommanderError): string {
  if (error.code === "commander.help") return "missing subcommand";
  const message = error.message.replace(/^error:\s*/, "").replace(/'/g, "");
  if (error.code === "commander.excessArguments") return `unexpected positional arguments (${message})`;
  if (error.code === "commander.unknownCommand")
    return message.replace(/^unknown command /, "unknown command: ");
  return message;
}

function buildTree(info: ProgramSpec, onInvoke: (inv: Invocation) => void, captured: Captured) {
  const configure = (cmd: Command, path: string[]): Command =>
    cmd
      .exitOverride((error) => {
        // The deepest command reports first; the error then unwinds through its parents.
        captured.path ??= path;
        throw error;
      })
      .configureOutput({
        writeOut: (s) => {
          captured.out += s;
        },
        writeErr: (s) => {
          captured.err += s;
        },
        outputError: (s) => {
          captured.err += s;
        },
      })
      .showSuggestionAfterError(true)
      .addOption(new Option("--json", "print one JSON object on stdout"))
      .addOption(new Option("--explain", "print one sentence on what this command does, then exit"))
      .helpOption("-h, --help", "show help for this command");

  const root = configure(new Command(info.name), [info.name])
    .description(info.explain)
    .version(info.version, "-v, --version", "print the version");
  // Listed for discovery only: helpWordAsFlag turns `help <cmd…>` into `<cmd…> --help` first.
  root.helpCommand("help [command...]", "show help for a command");
  // Options belong to the command they follow, so a group's options never swallow its subcommand's.
  root.enablePositionalOptions();
  for (const spec of info.commands) root.addCommand(buildSpec(spec, [info.name], configure, onInvoke));
  return { root };
}

function buildSpec(
  spec: Spec,
  parents: string[],
  configure: (cmd: Command, path: string[]) => Command,
  onInvoke: (inv: Invocation) => void,
): Command {
  const path = [...parents, spec.name];
  const cmd = configure(new Command(spec.name), path).description(spec.explain);
  if (spec.kind === "group") {
    cmd.helpCommand("help [command...]", "show help for a command");
    for (const child of spec.commands) cmd.addCommand(buildSpec(child, path, configure, onInvoke));
    // With a default command, `gait <group> <operands>` runs it; the command itself rejects
    // operands that are not meant for it (e.g. a misspelt subcommand). The group's options are
    // read only before a subcommand name, so `trace verify --public-key` stays verify's.
    if (spec.defaultCommand) {
      cmd.enablePositionalOptions();
      attachCommand(cmd, spec.defaultCommand, path, onInvoke);
    }
    return cmd;
  }
  if (spec.aliases) cmd.aliases(spec.aliases);
  if (spec.usage) cmd.usage(spec.usage);
  attachCommand(cmd, spec, path, onInvoke);
  return cmd;
}

/** Declares a command's arguments and options on `cmd` and routes its action to `onInvoke`. */
function attachCommand(
  cmd: Command,
  spec: CommandSpec,
  path: string[],
  onInvoke: (inv: Invocation) => void,
): void {
  for (const arg of spec.args ?? []) {
    const name = `${arg.name}${arg.variadic ? "..." : ""}`;
    const argument = new Argument(arg.required ? `<${name}>` : `[${name}]`, arg.description);
    if (arg.choices) argument.choices(arg.choices);
    cmd.addArgument(argument);
  }
  const kebabByAttribute = new Map<string, string>();
  // `--no-x` options: commander stores them as x=false; commands read them as "no-x": true.
  const negatedByAttribute = new Map<string, string>();
  for (const opt of spec.options ?? []) {
    const flags = `${opt.short ? `-${opt.short}, ` : ""}--${opt.name}${opt.value ? ` <${opt.value}>` : ""}`;
    const option = new Option(flags, opt.description);
    if (opt.choices) option.choices(opt.choices);
    if (opt.default !== undefined) option.default(opt.default);
    if (opt.repeatable)
      option.argParser((value: string, previous: unknown) => [...((previous as string[]) ?? []), value]);
    if (option.negate) negatedByAttribute.set(option.attributeName(), opt.name);
    else kebabByAttribute.set(option.attributeName(), opt.name);
    cmd.addOption(option);
  }
  if (spec.examples?.length)
    cmd.addHelpText("after", `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join("\n")}\n`);
  cmd.action((...received: unknown[]) => {
    const self = received[received.length - 1] as Command;
    const raw = self.opts() as Record<string, unknown>;
    const options: Options = {};
    for (const [attribute, value] of Object.entries(raw)) {
      const negated = negatedByAttribute.get(attribute);
      if (negated !== undefined && value === false) options[negated] = true;
      else if (negated === undefined || kebabByAttribute.has(attribute))
        options[kebabByAttribute.get(attribute) ?? attribute] = value as Options[string];
    }
    const args = self.processedArgs.flatMap((a: unknown) =>
      a === undefined ? [] : Array.isArray(a) ? a : [a],
    ) as string[];
    onInvoke({ spec, path, args, options });
  });
}

/** Finds the deepest spec named by the leading words of argv (flags skipped). */
function resolveSpec(info: ProgramSpec, argv: string[]): { spec: Spec | ProgramSpec; path: string[] } {
  let current: Spec | ProgramSpec = info;
  const path = [info.name];
  for (const word of argv) {
    if (word.startsWith("-")) continue;
    const children: Spec[] = "commands" in current ? current.commands : [];
    const next = findChild(children, word);
    if (!next) break;
    current = next;
    path.push(next.name);
  }
  return { spec: current, path };
}

function writeExplain(
  resolved: { spec: Spec | ProgramSpec; path: string[] },
  json: boolean,
  correlationId: string,
  streams: Streams,
): number {
  const explain = resolved.spec.explain;
  const commandName = resolved.path.join(" ");
  if (json) {
    streams.stdout(
      `${renderJsonLine({ ok: true, command: commandName, explain, correlation_id: correlationId })}\n`,
    );
  } else {
    streams.stdout(`${explain}\n`);
  }
  return 0;
}
