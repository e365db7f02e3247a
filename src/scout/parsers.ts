/**
 * The two real parsers Scout reads code with, loaded on first use from node_modules at run time
 * (never bundled: oxc-parser is a native addon, the Python grammar a wasm file):
 * - oxc-parser for TypeScript and JavaScript (its parse runs on libuv's thread pool);
 * - web-tree-sitter with the Python grammar's wasm from @vscode/tree-sitter-wasm (VS Code's prebuilt
 *   grammars: no Python installed, and no install script, unlike tree-sitter-python's native
 *   binding).
 *
 * The require below is made from a variable so esbuild leaves it alone: in the CLI bundle it is
 * the bundle's own require (resolving beside dist/), from source one made for this file.
 */
import { createRequire } from "node:module";
import type * as Oxc from "oxc-parser";
import type * as TreeSitter from "web-tree-sitter";
import { gaitError } from "./error-codes.ts";

const nodeRequire: NodeJS.Require = typeof require === "function" ? require : createRequire(import.meta.url);

function load<T>(name: string): T {
  try {
    return nodeRequire(name) as T;
  } catch (error) {
    throw gaitError(
      "dependency_missing",
      "scout_parser_unavailable",
      `cannot load the parser package ${name}`,
      {
        hint: "reinstall gait (npm install) so its parser dependencies are present",
        cause: error,
      },
    );
  }
}

let oxc: typeof Oxc | undefined;

export function oxcParser(): typeof Oxc {
  oxc ??= load<typeof Oxc>("oxc-parser");
  return oxc;
}

let python: Promise<TreeSitter.Parser> | undefined;

/** A tree-sitter parser set to the Python grammar (one per process; parse calls are synchronous). */
export function pythonParser(): Promise<TreeSitter.Parser> {
  python ??= (async () => {
    const ts = load<typeof TreeSitter>("web-tree-sitter");
    let grammar: string;
    try {
      grammar = nodeRequire.resolve("@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm");
    } catch (error) {
      throw gaitError(
        "dependency_missing",
        "scout_parser_unavailable",
        "cannot find tree-sitter-python.wasm",
        {
          hint: "reinstall gait (npm install) so its parser dependencies are present",
          cause: error,
        },
      );
    }
    await ts.Parser.init();
    const parser = new ts.Parser();
    parser.setLanguage(await ts.Language.load(grammar));
    return parser;
  })();
  return python;
}
