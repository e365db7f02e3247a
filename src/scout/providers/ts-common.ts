/** Small readers the TypeScript providers share. */

import type { RiskHints } from "../risk.ts";
import {
  booleanValue,
  type Node,
  objectProps,
  stringValue,
  type TsCall,
  type TsFile,
  unwrap,
} from "../ts-source.ts";
import type { FoundTool } from "./provider.ts";

/** A description: the literal's text, else the expression's source (still a stable definition digest input). */
export function textOf(file: TsFile, node: Node): string {
  return node === undefined ? "" : (stringValue(node) ?? file.source(node));
}

export function hintsOf(node: Node): RiskHints | undefined {
  const props = objectProps(node);
  const destructive = booleanValue(props.get("destructiveHint"));
  const readOnly = booleanValue(props.get("readOnlyHint"));
  if (destructive === undefined && readOnly === undefined) return undefined;
  return {
    ...(destructive !== undefined ? { destructiveHint: destructive } : {}),
    ...(readOnly !== undefined ? { readOnlyHint: readOnly } : {}),
  };
}

/** Calls of an imported factory: `name(...)` (or `new name(...)`) from a module the provider claims. */
export function importedCalls(
  file: TsFile,
  owns: (module: string) => boolean,
  names: readonly string[],
  isNew: boolean,
): TsCall[] {
  return file.calls.filter(
    (call) =>
      call.isNew === isNew &&
      call.callee !== undefined &&
      owns(call.callee.module) &&
      names.includes(call.callee.name),
  );
}

export function isObject(node: Node): boolean {
  return unwrap(node)?.type === "ObjectExpression";
}

/**
 * The parameter names an input schema declares: a JSON Schema's `properties` keys, a zod raw
 * shape's keys (`{ path: z.string() }`, MCP SDK style), or those of the object inside a schema
 * builder call (`z.object({...})`, `jsonSchema({...})`, chained `.describe(...)`/`.strict()`).
 * A schema held in a variable is not followed.
 */
export function schemaParameters(node: Node, depth = 0): string[] {
  const n = unwrap(node);
  if (n === undefined || n === null || depth > 8) return [];
  if (n.type === "ObjectExpression") {
    const props = objectProps(n);
    const properties = props.get("properties");
    if (isObject(properties)) return [...objectProps(properties).keys()];
    return [...props.keys()];
  }
  if (n.type === "CallExpression") {
    const callee = unwrap(n.callee);
    // `z.object({...}).describe("...")`: the schema is the call the method hangs on.
    if (callee?.type === "MemberExpression" && unwrap(callee.object)?.type === "CallExpression")
      return schemaParameters(callee.object, depth + 1);
    return schemaParameters(n.arguments?.[0], depth + 1);
  }
  return [];
}

/** A tool's input schema: its source text (definition digest) and declared parameter names (risk). */
export function inputSchemaOf(file: TsFile, node: Node): Pick<FoundTool, "inputSchema" | "parameters"> {
  return { inputSchema: file.source(node), parameters: schemaParameters(node) };
}
