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
