/**
 * The Python front-end: a file parsed by tree-sitter's Python grammar, reduced to what providers
 * read — imports resolved to qualified names (`from langchain_core.tools import tool as t` makes
 * `t` read `langchain_core.tools.tool`), instances made by an imported constructor (`mcp =
 * FastMCP(...)` makes `mcp.tool` read `mcp.server.fastmcp.FastMCP().tool`), decorated functions
 * and classes, class definitions with their bases, and every call with its arguments.
 */
import type { Node as SyntaxNode, Tree } from "web-tree-sitter";

export type { SyntaxNode };

export interface PyCall {
  /** Qualified name of the called (or decorating) expression, when it resolves to an import. */
  qualified?: string;
  /** The expression as written (`mcp.tool`). */
  dotted: string;
  /** False for a bare decorator (`@tool`). */
  isCall: boolean;
  positional: SyntaxNode[];
  keywords: Map<string, SyntaxNode>;
  line: number;
}

export interface PyFunction {
  name: string;
  line: number;
  decorators: PyCall[];
  parameters: string;
  /** Declared parameter names, without `self`/`cls` and `*args`/`**kwargs`. */
  parameterNames: string[];
  docstring: string;
}

export interface PyClass {
  name: string;
  line: number;
  /** Qualified names of the bases (as written when they do not resolve). */
  bases: string[];
  /** `name = ...` / `name: T = ...` in the class body. */
  fields: Map<string, SyntaxNode>;
  /** Parameter names of the methods defined in the class body, by method name. */
  methodParameters: Map<string, string[]>;
  docstring: string;
}

export interface PyFile {
  path: string;
  text: string;
  functions: PyFunction[];
  classes: PyClass[];
  calls: PyCall[];
  /** Modules imported (`langchain_core.tools`), for the providers' quick check. */
  modules: Set<string>;
}

/** The first node with a syntax error (ERROR or MISSING), if any. */
export function firstSyntaxError(tree: Tree): SyntaxNode | undefined {
  const root = tree.rootNode;
  if (!root.hasError) return undefined;
  const stack: SyntaxNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.isError || node.isMissing) return node;
    if (!node.hasError) continue;
    const children = node.children.filter((c): c is SyntaxNode => c !== null);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return root;
}

export function buildPyFile(path: string, text: string, tree: Tree): PyFile {
  const imports = new Map<string, string>();
  const instances = new Map<string, string>();
  const modules = new Set<string>();
  const functions: PyFunction[] = [];
  const classes: PyClass[] = [];
  const calls: PyCall[] = [];

  const qualify = (dotted: string): string | undefined => {
    const dot = dotted.indexOf(".");
    const head = dot === -1 ? dotted : dotted.slice(0, dot);
    const rest = dot === -1 ? "" : dotted.slice(dot);
    const imported = imports.get(head);
    if (imported !== undefined) return imported + rest;
    const instance = instances.get(head);
    if (instance !== undefined) return `${instance}()${rest}`;
    return undefined;
  };

  const callOf = (expr: SyntaxNode, isCall: boolean, args: SyntaxNode | null, line: number): PyCall => {
    const dotted = dottedName(expr) ?? expr.text;
    const positional: SyntaxNode[] = [];
    const keywords = new Map<string, SyntaxNode>();
    for (const arg of args?.namedChildren ?? []) {
      if (!arg) continue;
      if (arg.type === "keyword_argument") {
        const name = arg.childForFieldName("name")?.text;
        const value = arg.childForFieldName("value");
        if (name !== undefined && value) keywords.set(name, value);
      } else if (arg.type !== "comment") positional.push(arg);
    }
    const qualified = qualify(dotted);
    return { ...(qualified !== undefined ? { qualified } : {}), dotted, isCall, positional, keywords, line };
  };

  const decoratorCall = (decorator: SyntaxNode): PyCall | undefined => {
    const expr = decorator.namedChildren.find((c) => c && c.type !== "comment");
    if (!expr) return undefined;
    const line = decorator.startPosition.row + 1;
    if (expr.type === "call") {
      const fn = expr.childForFieldName("function");
      return fn ? callOf(fn, true, expr.childForFieldName("arguments"), line) : undefined;
    }
    return callOf(expr, false, null, line);
  };

  const visit = (node: SyntaxNode, decorators: PyCall[]): void => {
    switch (node.type) {
      case "import_statement":
        for (const name of node.namedChildren) {
          if (!name) continue;
          if (name.type === "dotted_name") {
            modules.add(name.text);
            const head = name.text.split(".")[0]!;
            imports.set(head, head);
          } else if (name.type === "aliased_import") {
            const module = name.childForFieldName("name")?.text;
            const alias = name.childForFieldName("alias")?.text;
            if (module && alias) {
              modules.add(module);
              imports.set(alias, module);
            }
          }
        }
        return;
      case "import_from_statement": {
        const module = node.childForFieldName("module_name")?.text;
        if (!module) return;
        modules.add(module);
        for (const name of node.childrenForFieldName("name")) {
          if (!name) continue;
          if (name.type === "dotted_name") imports.set(name.text, `${module}.${name.text}`);
          else if (name.type === "aliased_import") {
            const original = name.childForFieldName("name")?.text;
            const alias = name.childForFieldName("alias")?.text;
            if (original && alias) imports.set(alias, `${module}.${original}`);
          }
        }
        return;
      }
      case "assignment": {
        const left = node.childForFieldName("left");
        const right = node.childForFieldName("right");
        if (left?.type === "identifier" && right?.type === "call") {
          const fn = right.childForFieldName("function");
          const qualified = fn ? qualify(dottedName(fn) ?? fn.text) : undefined;
          if (qualified !== undefined) instances.set(left.text, qualified);
        }
        break;
      }
      case "decorated_definition": {
        const found: PyCall[] = [];
        for (const child of node.namedChildren) {
          if (child?.type === "decorator") {
            const call = decoratorCall(child);
            if (call) found.push(call);
          }
        }
        const definition = node.childForFieldName("definition");
        if (definition) visit(definition, found);
        return;
      }
      case "function_definition": {
        const body = node.childForFieldName("body");
        functions.push({
          name: node.childForFieldName("name")?.text ?? "",
          line: node.startPosition.row + 1,
          decorators,
          parameters: node.childForFieldName("parameters")?.text ?? "",
          parameterNames: parameterNames(node),
          docstring: docstringOf(body),
        });
        if (body) visit(body, []);
        return;
      }
      case "class_definition": {
        const body = node.childForFieldName("body");
        const bases = (node.childForFieldName("superclasses")?.namedChildren ?? [])
          .filter((b): b is SyntaxNode => b !== null && (b.type === "identifier" || b.type === "attribute"))
          .map((b) => qualify(b.text) ?? b.text);
        const fields = new Map<string, SyntaxNode>();
        const methodParameters = new Map<string, string[]>();
        for (const statement of body?.namedChildren ?? []) {
          const method =
            statement?.type === "decorated_definition"
              ? statement.childForFieldName("definition")
              : statement;
          if (method?.type === "function_definition") {
            const name = method.childForFieldName("name")?.text;
            if (name !== undefined) methodParameters.set(name, parameterNames(method));
          }
          const assignment =
            statement?.type === "expression_statement" ? statement.namedChildren[0] : undefined;
          if (assignment?.type !== "assignment") continue;
          const left = assignment.childForFieldName("left");
          const right = assignment.childForFieldName("right");
          if (left?.type === "identifier" && right) fields.set(left.text, right);
        }
        classes.push({
          name: node.childForFieldName("name")?.text ?? "",
          line: node.startPosition.row + 1,
          bases,
          fields,
          methodParameters,
          docstring: docstringOf(body),
        });
        if (body) visit(body, []);
        return;
      }
      case "call": {
        const fn = node.childForFieldName("function");
        if (fn) calls.push(callOf(fn, true, node.childForFieldName("arguments"), node.startPosition.row + 1));
        break;
      }
    }
    for (const child of node.namedChildren) if (child) visit(child, []);
  };
  visit(tree.rootNode, []);
  return { path, text, functions, classes, calls, modules };
}

/** A function definition's parameter names (plain, typed, with defaults); not self/cls or splats. */
function parameterNames(definition: SyntaxNode): string[] {
  const names: string[] = [];
  for (const param of definition.childForFieldName("parameters")?.namedChildren ?? []) {
    if (!param) continue;
    const name =
      param.type === "identifier"
        ? param
        : param.type === "typed_parameter"
          ? param.namedChildren[0]
          : param.type === "default_parameter" || param.type === "typed_default_parameter"
            ? param.childForFieldName("name")
            : null;
    if (name?.type === "identifier" && name.text !== "self" && name.text !== "cls") names.push(name.text);
  }
  return names;
}

/** `a.b.c` for an identifier or attribute chain, else undefined. */
function dottedName(node: SyntaxNode): string | undefined {
  if (node.type === "identifier") return node.text;
  if (node.type === "attribute") {
    const object = node.childForFieldName("object");
    const attribute = node.childForFieldName("attribute");
    const head = object ? dottedName(object) : undefined;
    return head !== undefined && attribute ? `${head}.${attribute.text}` : undefined;
  }
  return undefined;
}

function docstringOf(body: SyntaxNode | null): string {
  const first = body?.namedChildren.find((c) => c && c.type !== "comment");
  if (first?.type !== "expression_statement") return "";
  const expr = first.namedChildren[0];
  return expr ? (pyString(expr) ?? "") : "";
}

/** A string literal's text (no f-string interpolation), concatenations joined. */
export function pyString(node: SyntaxNode | undefined | null): string | undefined {
  if (!node) return undefined;
  if (node.type === "concatenated_string") {
    const parts = node.namedChildren.map((c) => (c ? pyString(c) : undefined));
    return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
  }
  if (node.type !== "string") return undefined;
  let out = "";
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === "interpolation") return undefined;
    if (child.type === "string_content" || child.type === "escape_sequence") out += child.text;
  }
  return out;
}
