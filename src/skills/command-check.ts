/**
 * Checks one `gait …` invocation against the CLI's own command tree: the command path exists and
 * names a command (not a bare group), every flag exists there with a value when it takes one and
 * a listed choice when it has choices, and the positional arguments fit. The tree is passed in
 * (the CLI passes its command specs), so skills are checked against the commands that exist, not
 * a list kept here. Flags are read as the CLI reads them: `--name`, `-name`, `--name=value`.
 */
import type { Word } from "./invocations.ts";

/** The parts of a command spec the check reads (src/cli/command.ts has the full specs). */
export interface CliOption {
  name: string;
  value?: string;
  choices?: readonly string[];
  short?: string;
}

export interface CliArgument {
  name: string;
  required?: boolean;
  variadic?: boolean;
  choices?: readonly string[];
}

export interface CliCommand {
  kind: "command";
  name: string;
  aliases?: string[];
  options?: CliOption[];
  args?: CliArgument[];
}

export interface CliGroup {
  kind: "group";
  name: string;
  commands: CliNode[];
  defaultCommand?: CliCommand;
}

export type CliNode = CliCommand | CliGroup;

export type CommandProblemCode =
  | "unknown_command"
  | "group_without_command"
  | "unknown_flag"
  | "flag_value_missing"
  | "flag_value_invalid"
  | "argument_missing"
  | "argument_extra"
  | "argument_invalid";

export interface CommandProblem {
  code: CommandProblemCode;
  message: string;
}

/** The flags every command has (src/cli/program.ts), and the root's own. */
const GLOBAL_FLAGS: CliOption[] = [{ name: "json" }, { name: "explain" }, { name: "help", short: "h" }];
const ROOT_FLAGS: CliOption[] = [...GLOBAL_FLAGS, { name: "version", short: "v" }];
/** Flags that make any command print help or an explanation instead of running. */
const INFO_FLAGS = new Set(["help", "h", "explain", "version", "v"]);
/** Go's strconv.ParseBool spellings, which the CLI accepts for booleans (`--json=false`). */
const GO_BOOLS = new Set(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]);

/**
 * The problems of one invocation (`words` after `gait`), none when it is right. `incomplete`
 * words may stop short (a mention in prose, a script's spread): a bare group or missing
 * arguments are then not problems; everything present is still checked.
 */
export function checkInvocation(
  words: readonly Word[],
  commands: readonly CliNode[],
  incomplete = false,
): CommandProblem[] {
  const problems: CommandProblem[] = [];
  const path = ["gait"];
  let level: readonly CliNode[] = commands;
  let node: CliNode | undefined;
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (word.text === "--") break;
    if (isFlag(word)) {
      const flag = parseFlag(word.text);
      if (!findOption(node ? GLOBAL_FLAGS : ROOT_FLAGS, flag.name))
        problems.push({
          code: "unknown_flag",
          message: `${path.join(" ")} has no flag ${flagText(word.text)}`,
        });
      continue;
    }
    if (word.literal && word.text === "help") return problems;
    const child = word.literal
      ? level.find((c) => c.name === word.text || nodeAliases(c).includes(word.text))
      : undefined;
    if (!child) {
      if (node?.kind === "group" && node.defaultCommand) break;
      const known = level.map((c) => c.name).join(", ");
      problems.push({
        code: "unknown_command",
        message: `${path.join(" ")} has no command ${JSON.stringify(word.text)} (commands: ${known})`,
      });
      return problems;
    }
    node = child;
    path.push(child.name);
    if (child.kind === "command") {
      i++;
      break;
    }
    level = child.commands;
  }
  const asksForInfo = words.some((w) => isFlag(w) && INFO_FLAGS.has(parseFlag(w.text).name));
  const runs = node?.kind === "group" ? node.defaultCommand : node;
  if (!runs) {
    if (!asksForInfo && !incomplete) {
      const names = node?.kind === "group" ? node.commands.map((c) => c.name).join(", ") : "";
      problems.push({
        code: "group_without_command",
        message: node
          ? `${path.join(" ")} is a group: name one of its commands (${names})`
          : "gait is called without a command",
      });
    }
    return problems;
  }
  return [...problems, ...checkCommandWords(words.slice(i), runs, path.join(" "), incomplete || asksForInfo)];
}

/** Flags and positional arguments after the command path. */
function checkCommandWords(
  words: readonly Word[],
  command: CliCommand,
  path: string,
  skipArity: boolean,
): CommandProblem[] {
  const problems: CommandProblem[] = [];
  const options = [...GLOBAL_FLAGS, ...(command.options ?? [])];
  const args = command.args ?? [];
  const positionals: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.text === "--" && word.literal) {
      positionals.push(...words.slice(i + 1));
      break;
    }
    if (!isFlag(word)) {
      positionals.push(word);
      continue;
    }
    const flag = parseFlag(word.text);
    const option = findOption(options, flag.name);
    if (!option) {
      problems.push({ code: "unknown_flag", message: `${path} has no flag ${flagText(word.text)}` });
      continue;
    }
    let value: Word | undefined =
      flag.value === undefined ? undefined : { text: flag.value, literal: word.literal };
    if (option.value === undefined) {
      if (value?.literal && !GO_BOOLS.has(value.text))
        problems.push({
          code: "flag_value_invalid",
          message: `${path} --${option.name} is a switch: ${JSON.stringify(value.text)} is not true or false`,
        });
      continue;
    }
    if (!value) {
      value = words[i + 1];
      i++;
    }
    if (!value) {
      problems.push({
        code: "flag_value_missing",
        message: `${path} --${option.name} needs a <${option.value}>`,
      });
      continue;
    }
    if (value.literal && option.choices && !option.choices.includes(value.text))
      problems.push({
        code: "flag_value_invalid",
        message: `${path} --${option.name} ${JSON.stringify(value.text)} is not one of ${option.choices.join(", ")}`,
      });
  }
  positionals.forEach((word, index) => {
    const choices = args[Math.min(index, args.length - 1)]?.choices;
    if (word.literal && choices && !choices.includes(word.text))
      problems.push({
        code: "argument_invalid",
        message: `${path}: ${JSON.stringify(word.text)} is not one of ${choices.join(", ")}`,
      });
  });
  if (skipArity) return problems;
  const required = args.filter((arg) => arg.required);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((arg) => `<${arg.name}>`);
    problems.push({ code: "argument_missing", message: `${path} needs ${missing.join(" ")}` });
  }
  if (!args.some((arg) => arg.variadic) && positionals.length > args.length) {
    const extra = positionals.slice(args.length).map((word) => JSON.stringify(word.text));
    problems.push({
      code: "argument_extra",
      message: `${path} takes ${args.length === 0 ? "no" : `at most ${args.length}`} argument(s); extra: ${extra.join(" ")}`,
    });
  }
  return problems;
}

function nodeAliases(node: CliNode): readonly string[] {
  return node.kind === "command" ? (node.aliases ?? []) : [];
}

/** A flag word, as the CLI's parser sees one: a negative number or a lone `-` (stdin) is a value. */
function isFlag(word: Word): boolean {
  return (
    word.literal &&
    word.text.length > 1 &&
    word.text.startsWith("-") &&
    word.text !== "--" &&
    !/^-(\d+|\d*\.\d+)$/.test(word.text)
  );
}

function parseFlag(text: string): { name: string; value?: string } {
  const body = text.replace(/^--?/, "");
  const eq = body.indexOf("=");
  return eq < 0 ? { name: body } : { name: body.slice(0, eq), value: body.slice(eq + 1) };
}

function findOption(options: readonly CliOption[], name: string): CliOption | undefined {
  return options.find((option) => option.name === name || (name.length === 1 && option.short === name));
}

function flagText(text: string): string {
  return text.split("=")[0]!;
}
