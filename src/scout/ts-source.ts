/**
 * The TypeScript/JavaScript front-end: a file parsed by oxc-parser, reduced to what providers
 * read — its import bindings (ES imports and `require` destructuring, so compiled CommonJS reads
 * too) and every call or `new` expression with its resolved callee and the place it sits in (an
 * object property's key, a variable's name). One walk per file; providers never walk the AST.
 */
// biome-ignore lint/suspicious/noExplicitAny: ESTree nodes from oxc are plain JSON objects.
export type Node = any;

/** What an identifier was imported as: `{ module: "ai", name: "tool" }`; `name` is `*` for a namespace. */
export interface Binding {
  module: string;
  name: string;
}

export interface TsCall {
  node: Node;
  isNew: boolean;
  /** The import behind the callee (`tool(...)`, `ai.tool(...)`, `new DynamicTool(...)`). */
  callee?: Binding;
  /** A method call on something that is not an import namespace: `server.tool(...)`. */
  method?: string;
  args: Node[];
  /** The key when the call is an object property's value: `{ weather: tool({...}) }`. */
  key?: string;
  /** The variable it initialises: `const weather = tool({...})`. */
  variable?: string;
  line: number;
}

/** A class declaration or expression with a superclass: `class X extends StructuredTool { name = "x" }`. */
export interface TsClass {
  /** The class's own name, when it has one. */
  name?: string;
  /** The import behind the superclass (`StructuredTool`, `tools.Tool`). */
  superClass?: Binding;
  /** Instance and static property initialisers by key (`name = "x"`, `schema = z.object(...)`). */
  properties: Map<string, Node>;
  line: number;
  node: Node;
}

export interface TsFile {
  path: string;
  text: string;
  /** Modules imported or required, as written. */
  modules: Set<string>;
  calls: TsCall[];
  /** Classes that extend something (resolved to an import when they can be). */
  classes: TsClass[];
  /** `{ key: someVariable }` properties: variable name -> key (an AI SDK tools object). */
  keyOfVariable: Map<string, string>;
  lineAt(offset: number): number;
  source(node: Node): string;
}

export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

interface ImportEntry {
  moduleRequest: { value: string };
  entries: Array<{ importName: { kind: string; name?: string | null }; localName: { value: string } }>;
}

/** Bindings from oxc's static import table (no AST needed). */
export function importBindings(staticImports: readonly ImportEntry[]): Map<string, Binding> {
  const bindings = new Map<string, Binding>();
  for (const imp of staticImports) {
    for (const entry of imp.entries) {
      const kind = entry.importName.kind;
      const name = kind === "Name" ? (entry.importName.name ?? "") : kind === "Default" ? "default" : "*";
      bindings.set(entry.localName.value, { module: imp.moduleRequest.value, name });
    }
  }
  return bindings;
}

export function buildTsFile(
  path: string,
  text: string,
  program: Node,
  imports: Map<string, Binding>,
): TsFile {
  const bindings = new Map(imports);
  const modules = new Set([...imports.values()].map((b) => b.module));
  const lineAt = lineIndex(text);
  const calls: TsCall[] = [];
  const classes: TsClass[] = [];
  const keyOfVariable = new Map<string, string>();

  const requiredModule = (node: Node): string | undefined => {
    const n = unwrap(node);
    if (n?.type === "CallExpression" && n.callee?.type === "Identifier" && n.callee.name === "require") {
      const value = stringValue(n.arguments?.[0]);
      if (value !== undefined) modules.add(value);
      return value;
    }
    return undefined;
  };

  const resolve = (callee: Node): { callee?: Binding; method?: string } => {
    let c = unwrap(callee);
    if (c?.type === "SequenceExpression") c = unwrap(c.expressions[c.expressions.length - 1]);
    if (c?.type === "Identifier") {
      const b = bindings.get(c.name);
      return b ? { callee: b } : {};
    }
    if (c?.type === "MemberExpression" && !c.computed && c.property?.type === "Identifier") {
      const object = unwrap(c.object);
      if (object?.type === "Identifier") {
        const b = bindings.get(object.name);
        if (b && (b.name === "*" || b.name === "default"))
          return { callee: { module: b.module, name: c.property.name } };
      }
      return { method: c.property.name };
    }
    return {};
  };

  // Declarations first (`const { tool } = require("ai")` may come after a use in source order of hoisting).
  const walk = (node: Node, key?: string, variable?: string): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    switch (node.type) {
      case "VariableDeclarator": {
        const module = requiredModule(node.init);
        if (module !== undefined) {
          if (node.id?.type === "Identifier") bindings.set(node.id.name, { module, name: "*" });
          else if (node.id?.type === "ObjectPattern") {
            for (const prop of node.id.properties) {
              if (prop.type === "Property" && prop.value?.type === "Identifier") {
                bindings.set(prop.value.name, { module, name: propertyKey(prop) ?? prop.value.name });
              }
            }
          }
        }
        walk(node.init, undefined, node.id?.type === "Identifier" ? node.id.name : undefined);
        return;
      }
      case "Property": {
        const name = propertyKey(node);
        const value = unwrap(node.value);
        if (name !== undefined && value?.type === "Identifier") keyOfVariable.set(value.name, name);
        walk(node.value, name);
        return;
      }
      case "ClassDeclaration":
      case "ClassExpression":
        if (node.superClass) {
          const properties = new Map<string, Node>();
          for (const member of node.body?.body ?? []) {
            if (member.type !== "PropertyDefinition" || member.value == null) continue;
            const name = propertyKey(member);
            if (name !== undefined && !properties.has(name)) properties.set(name, member.value);
          }
          const name = node.id?.name ?? variable;
          classes.push({
            ...(name !== undefined ? { name } : {}),
            properties,
            line: lineAt(node.start),
            node,
          });
        }
        walk(node.superClass);
        walk(node.body);
        return;
      case "CallExpression":
      case "NewExpression":
        calls.push({
          node,
          isNew: node.type === "NewExpression",
          ...resolve(node.callee),
          args: node.arguments ?? [],
          ...(key !== undefined ? { key } : {}),
          ...(variable !== undefined ? { variable } : {}),
          line: lineAt(node.start),
        });
        walk(node.callee);
        walk(node.arguments);
        return;
      case "ParenthesizedExpression":
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "AwaitExpression":
        walk(node.expression, key, variable);
        return;
      default:
        for (const field in node) {
          if (field === "type" || field === "start" || field === "end") continue;
          const child = node[field];
          if (child !== null && typeof child === "object") walk(child);
        }
    }
  };
  walk(program);
  // Calls whose callee was required after a call site was recorded: resolve again now all bindings are known.
  for (const call of calls) {
    if (call.callee === undefined) {
      const resolved = resolve(call.node.callee);
      if (resolved.callee) {
        call.callee = resolved.callee;
        delete call.method;
      }
    }
  }
  for (const cls of classes) {
    const superClass = resolve(cls.node.superClass).callee;
    if (superClass) cls.superClass = superClass;
  }
  return {
    path,
    text,
    modules,
    calls,
    classes,
    keyOfVariable,
    lineAt,
    source: (node: Node) => (node ? text.slice(node.start, node.end) : ""),
  };
}

/** Strips parentheses, `as`/`satisfies` casts and `!`. */
export function unwrap(node: Node): Node {
  let n = node;
  while (
    n &&
    (n.type === "ParenthesizedExpression" ||
      n.type === "TSAsExpression" ||
      n.type === "TSSatisfiesExpression" ||
      n.type === "TSNonNullExpression" ||
      n.type === "ChainExpression")
  ) {
    n = n.expression;
  }
  return n;
}

/** A string literal's value, or a template literal's when it has no expressions. */
export function stringValue(node: Node): string | undefined {
  const n = unwrap(node);
  if (n?.type === "Literal" && typeof n.value === "string") return n.value;
  if (n?.type === "TemplateLiteral" && n.expressions.length === 0)
    return n.quasis[0]?.value?.cooked ?? undefined;
  return undefined;
}

export function propertyKey(prop: Node): string | undefined {
  if (prop.computed) return stringValue(prop.key);
  if (prop.key?.type === "Identifier") return prop.key.name;
  const value = unwrap(prop.key);
  if (value?.type === "Literal" && (typeof value.value === "string" || typeof value.value === "number")) {
    return String(value.value);
  }
  return undefined;
}

/** An object literal's properties by key (spreads and computed keys that are not literals skipped). */
export function objectProps(node: Node): Map<string, Node> {
  const props = new Map<string, Node>();
  const n = unwrap(node);
  if (n?.type !== "ObjectExpression") return props;
  for (const prop of n.properties) {
    if (prop.type !== "Property") continue;
    const key = propertyKey(prop);
    if (key !== undefined && !props.has(key)) props.set(key, prop.value);
  }
  return props;
}

/** `true`/`false` literal, else undefined. */
export function booleanValue(node: Node): boolean | undefined {
  const n = unwrap(node);
  return n?.type === "Literal" && typeof n.value === "boolean" ? n.value : undefined;
}
