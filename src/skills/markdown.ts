/**
 * The parts of a SKILL.md the validator and the tests read: the YAML front matter, fenced code
 * blocks (with their info string, where a `gait-step` block carries its attributes) and inline
 * code spans. Pure functions of the text; lines are 1-based, as an editor shows them.
 */

export interface FrontMatterSplit {
  /** The YAML between the `---` lines; undefined when the file does not start with one. */
  yaml: string | undefined;
  /** Whether the opening `---` was found but never closed. */
  unterminated: boolean;
  body: string;
  /** Line of the body's first line in the file. */
  bodyLine: number;
}

export function splitFrontMatter(text: string): FrontMatterSplit {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trimEnd() !== "---") return { yaml: undefined, unterminated: false, body: text, bodyLine: 1 };
  const end = lines.findIndex((line, i) => i > 0 && line.trimEnd() === "---");
  if (end < 0) return { yaml: undefined, unterminated: true, body: "", bodyLine: lines.length + 1 };
  return {
    yaml: lines.slice(1, end).join("\n"),
    unterminated: false,
    body: lines.slice(end + 1).join("\n"),
    bodyLine: end + 2,
  };
}

export interface FencedBlock {
  /** The whole info string after the fence, e.g. `bash gait-step id=record exit=0,6`. */
  info: string;
  /** Its first word, lower-cased (`bash`); empty when there is none. */
  language: string;
  /** The block's content, its fence's indentation removed. */
  text: string;
  /** Line of the content's first line. */
  line: number;
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** Fenced code blocks, including those indented inside list items. */
export function fencedBlocks(markdown: string, firstLine = 1): FencedBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) continue;
    const [, indent = "", fence = "", rest = ""] = open;
    // A backtick fence's info string may not contain a backtick (CommonMark): that is inline code.
    if (fence.startsWith("`") && rest.includes("`")) continue;
    const close = new RegExp(`^\\s*${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
    const content: string[] = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j]!)) {
      content.push(stripIndent(lines[j]!, indent.length));
      j++;
    }
    const info = rest.trim();
    blocks.push({
      info,
      language: (info.split(/\s+/)[0] ?? "").toLowerCase(),
      text: content.join("\n"),
      line: firstLine + i + 1,
    });
    i = j;
  }
  return blocks;
}

function stripIndent(line: string, width: number): string {
  let cut = 0;
  while (cut < width && line[cut] === " ") cut++;
  return line.slice(cut);
}

export interface InlineCode {
  text: string;
  line: number;
}

/** Inline code spans outside fenced blocks (a span does not cross lines here). */
export function inlineCodeSpans(markdown: string, firstLine = 1): InlineCode[] {
  const lines = markdown.split(/\r?\n/);
  const spans: InlineCode[] = [];
  let fence: RegExp | undefined;
  lines.forEach((line, i) => {
    if (fence) {
      if (fence.test(line)) fence = undefined;
      return;
    }
    const open = FENCE_OPEN.exec(line);
    if (open && !(open[2]!.startsWith("`") && open[3]!.includes("`"))) {
      fence = new RegExp(`^\\s*${open[2]![0] === "`" ? "`" : "~"}{${open[2]!.length},}\\s*$`);
      return;
    }
    for (const match of line.matchAll(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g)) {
      spans.push({ text: match[2]!.trim(), line: firstLine + i });
    }
  });
  return spans;
}
