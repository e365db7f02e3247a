/**
 * Finds the `gait …` command lines a skill teaches: in shell text (fenced `bash` blocks, inline
 * code, `.sh` scripts) and in Node helper scripts, which call the CLI as `gait([...argv])`. Each
 * becomes a list of words after `gait`, where a word is literal (checkable against the command
 * tree) or not (a `$VAR`, a `<placeholder>`, a script variable: any value goes).
 */

export interface Word {
  text: string;
  /** False for words whose value is only known when the command runs. */
  literal: boolean;
}

export interface GaitInvocation {
  /** The words after `gait`. */
  words: Word[];
  line: number;
  /**
   * The words may stop short: a script passes more through a spread, or prose names a command
   * (`gait regress`, `gait run diff`) without its arguments. Only what is there is checked.
   */
  incomplete: boolean;
}

type Token = { kind: "word"; word: Word } | { kind: "op"; op: string };

const PLACEHOLDER = /^<[A-Za-z0-9_.:|/-]+>/;
const REDIRECT = /^\d*(>>|>&|<<|>|<)/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The gait invocations in shell text; `console` text counts only the lines after a `$ ` prompt. */
export function gaitInvocationsInShell(text: string, firstLine = 1, prompted = false): GaitInvocation[] {
  const found: GaitInvocation[] = [];
  for (const { text: line, line: at } of logicalLines(text, firstLine)) {
    const command = prompted ? /^\s*\$\s+(.*)$/.exec(line)?.[1] : line;
    if (command === undefined) continue;
    for (const segment of segments(tokenize(command))) {
      const words = afterGait(segment);
      if (words) found.push({ words, line: at, incomplete: false });
    }
  }
  return found;
}

/** Lines with `\` continuations joined, each with the line it started on. */
function logicalLines(text: string, firstLine: number): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const continues = /(^|[^\\])\\$/.test(raw);
    const piece = continues ? raw.slice(0, -1) : raw;
    pending = pending
      ? { text: `${pending.text} ${piece}`, line: pending.line }
      : { text: piece, line: firstLine + i };
    if (!continues) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#") break;
    const placeholder = PLACEHOLDER.exec(line.slice(i));
    if (placeholder) {
      tokens.push({ kind: "word", word: { text: placeholder[0], literal: false } });
      i += placeholder[0].length;
      continue;
    }
    const redirect = REDIRECT.exec(line.slice(i));
    if (redirect) {
      tokens.push({ kind: "op", op: "redirect" });
      i += redirect[0].length;
      continue;
    }
    const op = /^(&&|\|\||\$\(|[|;&()])/.exec(line.slice(i));
    if (op) {
      tokens.push({ kind: "op", op: op[0] === "$(" ? "(" : op[0] });
      i += op[0].length;
      continue;
    }
    const read = readWord(line, i);
    tokens.push({ kind: "word", word: read.word });
    i = read.end;
  }
  return tokens;
}

/** One shell word from `start`: quotes removed, expansions marking it non-literal. */
function readWord(line: string, start: number): { word: Word; end: number } {
  let text = "";
  let literal = true;
  let i = start;
  while (i < line.length && !/[\s|;&()<>]/.test(line[i]!)) {
    const c = line[i]!;
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      const end = close < 0 ? line.length : close;
      text += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === "\\" && j + 1 < line.length) j++;
        else if (line[j] === "$" || line[j] === "`") literal = false;
        text += line[j];
        j++;
      }
      i = j + 1;
    } else if (c === "\\" && i + 1 < line.length) {
      text += line[i + 1];
      i += 2;
    } else {
      if (c === "$" || c === "`" || c === "*" || c === "?") literal = false;
      text += c;
      i++;
    }
  }
  return { word: { text, literal }, end: i };
}

/** Simple commands: the words between control operators, redirections and their targets removed. */
function segments(tokens: Token[]): Word[][] {
  const out: Word[][] = [[]];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "word") out[out.length - 1]!.push(token.word);
    else if (token.op === "redirect") i++;
    else out.push([]);
  }
  return out.filter((segment) => segment.length > 0);
}

/** The words after `gait` (or `npx gait`), past leading variable assignments; undefined for another program. */
function afterGait(segment: Word[]): Word[] | undefined {
  let i = 0;
  while (i < segment.length && segment[i]!.literal && ASSIGNMENT.test(segment[i]!.text)) i++;
  if (segment[i]?.text === "npx") {
    i++;
    while (segment[i]?.text.startsWith("-")) i++;
  }
  const program = segment[i];
  if (!program?.literal || program.text !== "gait") return undefined;
  return segment.slice(i + 1);
}

/**
 * The CLI calls of a Node helper script, written `gait([...])` with an array literal: string
 * literals are literal words, anything else (a variable, a template) is a value, and a spread
 * leaves the rest open.
 */
export function gaitInvocationsInScript(source: string): GaitInvocation[] {
  const found: GaitInvocation[] = [];
  for (const match of source.matchAll(/\bgait\(\s*\[([^\]]*)\]/g)) {
    const line = source.slice(0, match.index).split("\n").length;
    const elements = splitElements(match[1]!);
    const incomplete = elements.some((element) => element.startsWith("..."));
    const words = elements
      .filter((element) => !element.startsWith("..."))
      .map((element): Word => {
        const quoted = /^(["'])((?:\\.|(?!\1).)*)\1$/s.exec(element);
        return quoted ? { text: quoted[2]!, literal: true } : { text: element, literal: false };
      });
    found.push({ words, line, incomplete });
  }
  return found;
}

/** Array literal elements split at top-level commas (strings may contain commas). */
function splitElements(body: string): string[] {
  const out: string[] = [];
  let current = "";
  let quote: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote && c === "\\") {
      current += c + (body[i + 1] ?? "");
      i++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === ",") {
      out.push(current.trim());
      current = "";
      continue;
    }
    current += c;
  }
  out.push(current.trim());
  return out.filter((element) => element !== "");
}
