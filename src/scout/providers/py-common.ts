/** Readers the Python providers share: decorated tool functions, tool classes, annotations. */
import type { PyCall, PyClass, PyFile, PyFunction, SyntaxNode } from "../py-source.ts";
import { pyString } from "../py-source.ts";
import type { RiskHints } from "../risk.ts";
import type { FoundTool } from "./provider.ts";

/** The decorator among `fn`'s whose qualified name `matches`. */
export function decoratorOf(fn: PyFunction, matches: (qualified: string) => boolean): PyCall | undefined {
  return fn.decorators.find((d) => d.qualified !== undefined && matches(d.qualified));
}

/** A function made a tool by a decorator: name from the decorator (`nameFrom`), else the function's. */
export function decoratedTool(
  fn: PyFunction,
  decorator: PyCall,
  nameFrom: (d: PyCall) => string | undefined,
): FoundTool {
  const hints = hintsOf(decorator.keywords.get("annotations"));
  return {
    name: nameFrom(decorator) ?? fn.name,
    line: fn.line,
    description:
      pyString(decorator.keywords.get("description") ?? decorator.keywords.get("description_override")) ??
      fn.docstring,
    inputSchema: schemaText(fn.parameters, decorator.keywords.get("args_schema")),
    parameters: fn.parameterNames,
    ...(hints ? { hints } : {}),
  };
}

/** The first positional string or a `name=` string. */
export const positionalOrNamed = (d: PyCall): string | undefined =>
  pyString(d.positional[0]) ?? pyString(d.keywords.get("name"));

/**
 * A `BaseTool` subclass: `name`/`description`/`args_schema` class fields; name falls back to the
 * class name; parameters are those of its `_run` (or `_arun`) method.
 */
export function classTool(cls: PyClass): FoundTool {
  return {
    name: pyString(cls.fields.get("name")) ?? cls.name,
    line: cls.line,
    description: pyString(cls.fields.get("description")) ?? cls.docstring,
    inputSchema: cls.fields.get("args_schema")?.text ?? "",
    parameters: cls.methodParameters.get("_run") ?? cls.methodParameters.get("_arun") ?? [],
  };
}

export function classesExtending(file: PyFile, matches: (qualified: string) => boolean): PyClass[] {
  return file.classes.filter((cls) => cls.bases.some(matches));
}

function schemaText(parameters: string, argsSchema: SyntaxNode | undefined): string {
  return argsSchema ? `${parameters} args_schema=${argsSchema.text}` : parameters;
}

/** `ToolAnnotations(destructiveHint=True)` or `{"destructiveHint": True}`. */
export function hintsOf(node: SyntaxNode | undefined): RiskHints | undefined {
  if (!node) return undefined;
  const values = new Map<string, boolean>();
  const bool = (n: SyntaxNode | null | undefined) =>
    n?.type === "true" ? true : n?.type === "false" ? false : undefined;
  if (node.type === "call") {
    for (const arg of node.childForFieldName("arguments")?.namedChildren ?? []) {
      if (arg?.type !== "keyword_argument") continue;
      const value = bool(arg.childForFieldName("value"));
      const name = arg.childForFieldName("name")?.text;
      if (name !== undefined && value !== undefined) values.set(name, value);
    }
  } else if (node.type === "dictionary") {
    for (const pair of node.namedChildren) {
      if (pair?.type !== "pair") continue;
      const key = pyString(pair.childForFieldName("key"));
      const value = bool(pair.childForFieldName("value"));
      if (key !== undefined && value !== undefined) values.set(key, value);
    }
  }
  const destructive = values.get("destructiveHint");
  const readOnly = values.get("readOnlyHint");
  if (destructive === undefined && readOnly === undefined) return undefined;
  return {
    ...(destructive !== undefined ? { destructiveHint: destructive } : {}),
    ...(readOnly !== undefined ? { readOnlyHint: readOnly } : {}),
  };
}
