/**
 * Code files to tools: each file read, parsed by its language's real parser, and handed to the
 * providers of that language. A file that does not parse (or cannot be read, or is too large) is
 * a finding and is skipped; it never stops the scan. TypeScript files are parsed on libuv's
 * thread pool (oxc); their AST is only deserialized when an import or require names a
 * framework's module. Python files are parsed by tree-sitter on this thread.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import type { ScoutFinding } from "./item.ts";
import { oxcParser, pythonParser } from "./parsers.ts";
import { type FoundTool, pyProviders, tsProviders } from "./providers/index.ts";
import { buildPyFile, firstSyntaxError } from "./py-source.ts";
import { buildTsFile, importBindings } from "./ts-source.ts";
import { errorText } from "./walk.ts";

const TS_EXTENSIONS = new Map<string, "ts" | "tsx" | "js" | "jsx">([
  [".ts", "ts"],
  [".mts", "ts"],
  [".cts", "ts"],
  [".tsx", "tsx"],
  [".js", "js"],
  [".mjs", "js"],
  [".cjs", "js"],
  [".jsx", "jsx"],
]);

/** Larger source files are generated or vendored; they are reported and skipped. */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 32;

export type CodeLanguage = "ts" | "py";

export function codeLanguageOf(path: string): CodeLanguage | undefined {
  if (path.endsWith(".d.ts") || path.endsWith(".d.mts") || path.endsWith(".d.cts")) return undefined;
  const ext = extname(path);
  if (ext === ".py") return "py";
  return TS_EXTENSIONS.has(ext) ? "ts" : undefined;
}

export interface FoundInFile extends FoundTool {
  path: string;
  framework: string;
  language: CodeLanguage;
}

export interface CodeScan {
  tools: FoundInFile[];
  findings: ScoutFinding[];
  filesParsed: number;
}

/** Scans `files` (root-relative) under `root`; `onFile` is called after each, for progress. */
export async function scanCode(
  root: string,
  files: readonly string[],
  onFile?: () => void,
): Promise<CodeScan> {
  const code = files.filter((f) => codeLanguageOf(f) !== undefined);
  const tools: FoundInFile[] = [];
  const findings: ScoutFinding[] = [];
  let filesParsed = 0;
  const python = code.some((f) => codeLanguageOf(f) === "py") ? await pythonParser() : undefined;
  const oxc = code.some((f) => codeLanguageOf(f) === "ts") ? oxcParser() : undefined;

  const scanOne = async (path: string) => {
    const language = codeLanguageOf(path)!;
    let text: string;
    try {
      const abs = join(root, path);
      const size = (await stat(abs)).size;
      if (size > MAX_SOURCE_BYTES) {
        findings.push({
          path,
          code: "scout_file_too_large",
          message: `larger than ${MAX_SOURCE_BYTES} bytes; skipped`,
        });
        return;
      }
      text = await readFile(abs, "utf8");
    } catch (error) {
      findings.push({ path, code: "scout_file_unreadable", message: errorText(error) });
      return;
    }
    filesParsed++;
    if (language === "ts") {
      const lang = TS_EXTENSIONS.get(extname(path))!;
      const result = await oxc!.parse(path, text, { lang, sourceType: "unambiguous", preserveParens: false });
      const error = result.errors.find((e) => e.severity === "Error");
      if (error) {
        const start = error.labels[0]?.start;
        findings.push({
          path,
          ...(start !== undefined ? { line: lineOf(text, start) } : {}),
          code: "scout_parse_error",
          message: `does not parse as ${lang}: ${error.message}`,
        });
        return;
      }
      const imports = importBindings(result.module.staticImports);
      const modules = [...imports.values()].map((b) => b.module);
      const interested = tsProviders.filter(
        (p) =>
          modules.some((m) => p.imports(m)) || (text.includes("require(") && requiresAny(text, p.imports)),
      );
      if (interested.length === 0) return;
      const file = buildTsFile(path, text, result.program, imports);
      for (const provider of interested) {
        for (const tool of provider.find(file))
          tools.push({ ...tool, path, framework: provider.framework, language });
      }
      return;
    }
    const tree = python!.parse(text);
    if (!tree) {
      findings.push({ path, code: "scout_parse_error", message: "does not parse as Python" });
      return;
    }
    try {
      const error = firstSyntaxError(tree);
      if (error) {
        findings.push({
          path,
          line: error.startPosition.row + 1,
          code: "scout_parse_error",
          message: `does not parse as Python: ${error.isMissing ? `missing ${error.type}` : "syntax error"}`,
        });
        return;
      }
      const file = buildPyFile(path, text, tree);
      const qualifiedModules = [...file.modules];
      for (const provider of pyProviders) {
        if (!qualifiedModules.some((m) => provider.imports(m))) continue;
        for (const tool of provider.find(file))
          tools.push({ ...tool, path, framework: provider.framework, language });
      }
    } finally {
      tree.delete();
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < code.length) {
      const path = code[next++]!;
      await scanOne(path);
      onFile?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, code.length) }, worker));
  return { tools, findings, filesParsed };
}

/** Whether some `require("<module>")` in the text names a module the provider claims (checked on the AST later). */
function requiresAny(text: string, owns: (specifier: string) => boolean): boolean {
  const pattern = /require\(\s*["'`]([^"'`]+)["'`]\s*\)/g;
  for (const match of text.matchAll(pattern)) if (owns(match[1]!)) return true;
  return false;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
