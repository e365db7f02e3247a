/**
 * The one small interface every code provider implements: a framework tag, the modules whose
 * imports make a file worth reading for it, and `find`, a pure function from a parsed file (the
 * language front-end's model, ts-source.ts or py-source.ts) to the tools it declares.
 */

import type { PyFile } from "../py-source.ts";
import type { RiskHints } from "../risk.ts";
import type { TsFile } from "../ts-source.ts";

/** A tool as a provider found it, before it becomes a snapshot item. */
export interface FoundTool {
  /** The declared name (see the provider for where it is read from). */
  name: string;
  /** 1-based line of the definition. */
  line: number;
  /** The description text (or the expression's source when it is not a literal). */
  description: string;
  /** The source text of the input schema (zod object, JSON schema, Python parameters...). */
  inputSchema: string;
  /** Declared input parameter names (schema object keys, function parameters), for target risk. */
  parameters?: string[];
  /** MCP tool annotations declared as literals. */
  hints?: RiskHints;
}

export interface TsProvider {
  language: "ts";
  framework: string;
  /** Whether an import (or require) of `specifier` may bring this framework's tool factories. */
  imports(specifier: string): boolean;
  find(file: TsFile): FoundTool[];
}

export interface PyProvider {
  language: "py";
  framework: string;
  /** Whether a qualified name (`langchain_core.tools.tool`) belongs to this framework. */
  imports(module: string): boolean;
  find(file: PyFile): FoundTool[];
}

export type CodeProvider = TsProvider | PyProvider;
