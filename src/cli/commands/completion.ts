/**
 * `gait completion bash|zsh|fish`: a shell completion script generated from the command specs,
 * so it cannot drift from the CLI. The specs become one table of command paths (subcommands,
 * flags, which flags take a value, choices); each shell gets the same small walker over it.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code, where ${…} is the shell's.
import { type CommandContext, command, type ProgramSpec, type Spec } from "../command.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

interface Flag {
  flag: string;
  description: string;
  takesValue: boolean;
  choices: readonly string[];
}

/** One command path, e.g. "gait gate eval", as completion needs it. */
interface PathEntry {
  path: string;
  subcommands: Array<{ name: string; explain: string }>;
  flags: Flag[];
  /** Whether the command takes positional arguments (file names are then offered). */
  takesArgs: boolean;
  /** Allowed values of its positional argument, when it declares them. */
  argChoices: readonly string[];
}

const HELP_WORD = { name: "help", explain: "show help for a command" };

/** The flags the program adds to every command (program.ts), and the root's own. */
const COMMON_FLAGS = [
  { flag: "--json", description: "print one JSON object on stdout" },
  { flag: "--explain", description: "print one sentence on what this command does, then exit" },
  { flag: "-h", description: "show help for this command" },
  { flag: "--help", description: "show help for this command" },
];
const ROOT_FLAGS = [
  { flag: "-v", description: "print the version" },
  { flag: "--version", description: "print the version" },
];

export const completionCommand = command({
  name: "completion",
  explain:
    "Print a shell completion script for gait (bash, zsh or fish): commands, subcommands, flags and their choices.",
  args: [{ name: "shell", description: "bash, zsh or fish", required: true, choices: SHELLS }],
  examples: [
    "source <(gait completion bash)",
    'gait completion zsh > "${fpath[1]}/_gait"',
    "gait completion fish > ~/.config/fish/completions/gait.fish",
  ],
  run: (args: string[], _options, ctx: CommandContext) => {
    const shell = args[0] as Shell;
    const script = scriptFor(shell, completionTable(ctx.program));
    return { output: { shell, script }, human: script, verbatim: true };
  },
});

function scriptFor(shell: Shell, table: PathEntry[]): string {
  if (shell === "bash") return bashScript(table);
  if (shell === "zsh") return zshScript(table);
  return fishScript(table);
}

function completionTable(program: ProgramSpec): PathEntry[] {
  const common: Flag[] = COMMON_FLAGS.map((f) => ({ ...f, takesValue: false, choices: [] }));
  const table: PathEntry[] = [
    {
      path: program.name,
      subcommands: [...program.commands.map(word), HELP_WORD],
      flags: [...common, ...ROOT_FLAGS.map((f) => ({ ...f, takesValue: false, choices: [] }))],
      takesArgs: false,
      argChoices: [],
    },
  ];
  const visit = (spec: Spec, parent: string): void => {
    const path = `${parent} ${spec.name}`;
    // A group runs its default command when no subcommand is named, so it has that command's flags.
    const runs = spec.kind === "group" ? spec.defaultCommand : spec;
    const flags = [...common];
    for (const opt of runs?.options ?? []) {
      const entry = {
        description: opt.description,
        takesValue: opt.value !== undefined,
        choices: opt.choices ?? [],
      };
      if (opt.short) flags.push({ flag: `-${opt.short}`, ...entry });
      flags.push({ flag: `--${opt.name}`, ...entry });
    }
    table.push({
      path,
      subcommands: spec.kind === "group" ? [...spec.commands.map(word), HELP_WORD] : [],
      flags,
      takesArgs: (runs?.args?.length ?? 0) > 0,
      argChoices: runs?.args?.find((a) => a.choices)?.choices ?? [],
    });
    if (spec.kind === "group") for (const child of spec.commands) visit(child, path);
  };
  for (const spec of program.commands) visit(spec, program.name);
  return table;
}

function word(spec: Spec): { name: string; explain: string } {
  return { name: spec.name, explain: spec.explain };
}

/** One line, for a menu. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A word for sh-family shells, single-quoted. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** A word for fish, single-quoted (fish unescapes only \\ and \' inside single quotes). */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, "\\$&")}'`;
}

/** A `case` over command paths (bash and zsh share the syntax). */
function shCase(subject: string, arms: Array<[string, string]>, indent = "  "): string[] {
  if (arms.length === 0) return [];
  return [
    `${indent}case ${subject} in`,
    ...arms.map(([pattern, body]) => `${indent}  ${shQuote(pattern)}) ${body} ;;`),
    `${indent}esac`,
  ];
}

function header(shell: Shell, install: string): string[] {
  return [`# ${shell} completion for gait, generated by \`gait completion ${shell}\`.`, `# ${install}`];
}

function bashScript(table: PathEntry[]): string {
  const words = (values: readonly string[]) => `echo ${shQuote(values.join(" "))}`;
  const choiceArms: Array<[string, string]> = [];
  for (const entry of table) {
    for (const f of entry.flags)
      if (f.choices.length > 0) choiceArms.push([`${entry.path}|${f.flag}`, words(f.choices)]);
    if (entry.argChoices.length > 0) choiceArms.push([`${entry.path}|`, words(entry.argChoices)]);
  }
  return [
    ...header(
      "bash",
      'Install: source <(gait completion bash) in ~/.bashrc (see "Shell completion" in docs/cli.md).',
    ),
    "",
    "__gait_subcommands() {",
    ...shCase(
      '"$1"',
      table
        .filter((e) => e.subcommands.length > 0)
        .map((e) => [e.path, words(e.subcommands.map((s) => s.name))]),
    ),
    "}",
    "",
    "__gait_flags() {",
    ...shCase(
      '"$1"',
      table.map((e) => [e.path, words(e.flags.map((f) => f.flag))]),
    ),
    "}",
    "",
    "# Flags that take a value: the word after one is its value, not a command.",
    "__gait_value_flags() {",
    ...shCase(
      '"$1"',
      table
        .filter((e) => e.flags.some((f) => f.takesValue))
        .map((e) => [e.path, words(e.flags.filter((f) => f.takesValue).map((f) => f.flag))]),
    ),
    "}",
    "",
    "# Choices of a flag ($2), or of the positional argument ($2 empty).",
    "__gait_choices() {",
    ...shCase('"$1|$2"', choiceArms),
    "}",
    "",
    "__gait_no_default() {",
    "  compopt +o default +o bashdefault 2>/dev/null",
    "  return 0",
    "}",
    "",
    "_gait() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    "  local cmdpath=gait word i offered",
    "  COMPREPLY=()",
    "  # --flag=value: bash splits at =, so the value's flag is the word before the =.",
    '  [[ $cur == = ]] && cur=""',
    '  [[ $prev == = && COMP_CWORD -ge 2 ]] && prev="${COMP_WORDS[COMP_CWORD-2]}"',
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    word="${COMP_WORDS[i]}"',
    "    # After --, the words belong to the wrapped command: complete file names.",
    "    [[ $word == -- ]] && return 0",
    "    [[ $word == -* || $word == = || $word == help ]] && continue",
    '    [[ " $(__gait_value_flags "$cmdpath") " == *" ${COMP_WORDS[i-1]} "* ]] && continue',
    '    [[ ${COMP_WORDS[i-1]} == = && " $(__gait_value_flags "$cmdpath") " == *" ${COMP_WORDS[i-2]} "* ]] && continue',
    '    [[ " $(__gait_subcommands "$cmdpath") " == *" $word "* ]] && cmdpath="$cmdpath $word"',
    "  done",
    '  if [[ $prev == -* && " $(__gait_value_flags "$cmdpath") " == *" $prev "* ]]; then',
    '    offered="$(__gait_choices "$cmdpath" "$prev")"',
    '    [[ -n $offered ]] && __gait_no_default && COMPREPLY=($(compgen -W "$offered" -- "$cur"))',
    "    return 0",
    "  fi",
    "  if [[ $cur == -* ]]; then",
    "    __gait_no_default",
    '    COMPREPLY=($(compgen -W "$(__gait_flags "$cmdpath")" -- "$cur"))',
    "    return 0",
    "  fi",
    '  offered="$(__gait_subcommands "$cmdpath")"',
    '  [[ -z $offered ]] && offered="$(__gait_choices "$cmdpath" "")"',
    '  [[ -n $offered ]] && __gait_no_default && COMPREPLY=($(compgen -W "$offered" -- "$cur"))',
    "  return 0",
    "}",
    "",
    "complete -o bashdefault -o default -F _gait gait",
    "",
  ].join("\n");
}

function zshScript(table: PathEntry[]): string {
  const reply = (items: readonly string[]) => `reply=(${items.map(shQuote).join(" ")})`;
  // _describe reads "name:description"; a colon in the name would need escaping (none has one).
  const described = (name: string, description: string) => `${name}:${oneLine(description)}`;
  const choiceArms: Array<[string, string]> = [];
  for (const entry of table) {
    for (const f of entry.flags)
      if (f.choices.length > 0) choiceArms.push([`${entry.path}|${f.flag}`, reply(f.choices)]);
    if (entry.argChoices.length > 0) choiceArms.push([`${entry.path}|`, reply(entry.argChoices)]);
  }
  return [
    "#compdef gait",
    ...header(
      "zsh",
      'Install: gait completion zsh > "${fpath[1]}/_gait" (see "Shell completion" in docs/cli.md).',
    ),
    "",
    "__gait_subcommands() {",
    "  reply=()",
    ...shCase(
      '"$1"',
      table
        .filter((e) => e.subcommands.length > 0)
        .map((e) => [e.path, reply(e.subcommands.map((s) => described(s.name, s.explain)))]),
    ),
    "}",
    "",
    "__gait_flags() {",
    "  reply=()",
    ...shCase(
      '"$1"',
      table.map((e) => [e.path, reply(e.flags.map((f) => described(f.flag, f.description)))]),
    ),
    "}",
    "",
    "# Flags that take a value: the word after one is its value, not a command.",
    "__gait_value_flags() {",
    "  reply=()",
    ...shCase(
      '"$1"',
      table
        .filter((e) => e.flags.some((f) => f.takesValue))
        .map((e) => [e.path, reply(e.flags.filter((f) => f.takesValue).map((f) => f.flag))]),
    ),
    "}",
    "",
    "# Choices of a flag ($2), or of the positional argument ($2 empty).",
    "__gait_choices() {",
    "  reply=()",
    ...shCase('"$1|$2"', choiceArms),
    "}",
    "",
    "_gait() {",
    "  local cmdpath=gait word i cur=${words[CURRENT]} prev=${words[CURRENT-1]}",
    "  local -a reply",
    "  for ((i = 2; i < CURRENT; i++)); do",
    "    word=${words[i]}",
    "    # After --, the words belong to the wrapped command: complete file names.",
    "    if [[ $word == -- ]]; then _files; return; fi",
    "    [[ $word == -* || $word == help ]] && continue",
    '    __gait_value_flags "$cmdpath"',
    "    (( ${reply[(Ie)${words[i-1]}]} )) && continue",
    '    __gait_subcommands "$cmdpath"',
    '    (( ${reply[(I)${word}:*]} )) && cmdpath="$cmdpath $word"',
    "  done",
    "  # --flag=value: complete the value after the =.",
    "  if [[ $cur == --*=* ]]; then",
    '    __gait_choices "$cmdpath" "${cur%%=*}"',
    '    compset -P "*="',
    "    if (( $#reply )); then compadd -a reply; else _files; fi",
    "    return",
    "  fi",
    '  __gait_value_flags "$cmdpath"',
    "  if [[ $prev == -* ]] && (( ${reply[(Ie)$prev]} )); then",
    '    __gait_choices "$cmdpath" "$prev"',
    "    if (( $#reply )); then compadd -a reply; else _files; fi",
    "    return",
    "  fi",
    "  if [[ $cur == -* ]]; then",
    '    __gait_flags "$cmdpath"',
    "    _describe -t options 'gait option' reply",
    "    return",
    "  fi",
    '  __gait_subcommands "$cmdpath"',
    "  if (( $#reply )); then _describe -t commands 'gait command' reply; return; fi",
    '  __gait_choices "$cmdpath" ""',
    "  if (( $#reply )); then compadd -a reply; return; fi",
    "  _files",
    "}",
    "",
    "# Sourced (source <(gait completion zsh)): register; autoloaded from $fpath: complete now.",
    'if [[ "${funcstack[1]}" == _gait ]]; then',
    '  _gait "$@"',
    "else",
    "  compdef _gait gait",
    "fi",
    "",
  ].join("\n");
}

function fishScript(table: PathEntry[]): string {
  const at = (path: string) => `-n ${fishQuote(`__gait_at ${fishQuote(path)}`)}`;
  const valueFlags = table.flatMap((e) =>
    e.flags.filter((f) => f.takesValue).map((f) => `${e.path}|${f.flag}`),
  );
  const lines = [
    ...header(
      "fish",
      "Install: gait completion fish > ~/.config/fish/completions/gait.fish (see docs/cli.md).",
    ),
    "",
    `set -g __gait_paths ${table.map((e) => fishQuote(e.path)).join(" ")}`,
    "# Flags that take a value: the word after one is its value, not a command.",
    `set -g __gait_value_flags ${valueFlags.map(fishQuote).join(" ")}`,
    "",
    "# The command path the cursor is in, e.g. 'gait gate eval' (after --, a path no entry has).",
    "function __gait_path",
    "    set -l cmdpath gait",
    "    set -l prev ''",
    "    for word in (commandline -opc)[2..-1]",
    '        if test "$word" = --',
    "            printf '%s\\n' \"$cmdpath --\"",
    "            return",
    "        end",
    "        if string match -q -- '-*' $word",
    "            set prev (string replace -r -- '=.*' '' $word)",
    "            string match -q -- '*=*' $word; and set prev ''",
    "            continue",
    "        end",
    '        if contains -- "$cmdpath|$prev" $__gait_value_flags',
    "            set prev ''",
    "            continue",
    "        end",
    "        set prev ''",
    '        test "$word" = help; and continue',
    '        contains -- "$cmdpath $word" $__gait_paths; and set cmdpath "$cmdpath $word"',
    "    end",
    "    printf '%s\\n' $cmdpath",
    "end",
    "",
    "function __gait_at",
    '    test (__gait_path) = "$argv[1]"',
    "end",
    "",
  ];
  for (const entry of table) {
    const cond = at(entry.path);
    if (entry.subcommands.length > 0 || !entry.takesArgs || entry.argChoices.length > 0) {
      lines.push(`complete -c gait ${cond} -f`);
    }
    for (const sub of entry.subcommands) {
      lines.push(`complete -c gait ${cond} -a ${fishQuote(sub.name)} -d ${fishQuote(oneLine(sub.explain))}`);
    }
    if (entry.argChoices.length > 0) {
      lines.push(`complete -c gait ${cond} -a ${fishQuote(entry.argChoices.join(" "))}`);
    }
    for (const f of entry.flags) {
      const name = f.flag.startsWith("--") ? `-l ${f.flag.slice(2)}` : `-s ${f.flag.slice(1)}`;
      const value = !f.takesValue
        ? ""
        : f.choices.length > 0
          ? ` -x -a ${fishQuote(f.choices.join(" "))}`
          : " -r -F";
      lines.push(`complete -c gait ${cond} ${name}${value} -d ${fishQuote(oneLine(f.description))}`);
    }
  }
  lines.push("");
  return lines.join("\n");
}
