/**
 * JSON configs (all clients but Codex), read with jsonc-parser: comments and trailing commas are
 * accepted everywhere (VS Code writes them; other clients' files rarely have them, and a server
 * that is declared is in the inventory either way). A text with any syntax error is rejected as a
 * whole: partial trees from an error-tolerant parser are not a reliable inventory.
 *
 * Bundling: jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow (the bundle
 * throws "Cannot find module './impl/format'" at load); the build must take its ESM build
 * (`alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" }` in scripts/build.mjs).
 */
import {
  findNodeAtLocation,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { type EntryDialect, isPlainObject, normaliseServerEntry } from "./server-entry.ts";
import type { ConfigProblem, ParsedConfig } from "./spec.ts";

export type JsonDocument = { root: Node; text: string } | { problem: ConfigProblem };

export function parseJsonDocument(raw: string): JsonDocument {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first !== undefined || root === undefined) {
    const offset = first?.offset ?? 0;
    const reason = first !== undefined ? printParseErrorCode(first.error) : "EmptyDocument";
    return {
      problem: {
        code: "mcp_config_invalid",
        message: `does not parse as JSON (${reason})`,
        line: lineAt(text, offset),
      },
    };
  }
  if (root.type !== "object") {
    return {
      problem: { code: "mcp_config_invalid", message: "the top level is not a JSON object", line: 1 },
    };
  }
  return { root, text };
}

/**
 * The servers of the map at `path` (object member names). No map there is no servers; a map that
 * is not an object, or an entry that is not one, is a problem for that place only. Anchors use
 * `shownPath` when given (a path with the home directory written as `~`).
 */
export function serversAt(
  doc: { root: Node; text: string },
  path: readonly string[],
  dialect: EntryDialect,
  into: ParsedConfig,
  shownPath: readonly string[] = path,
): void {
  const map = findNodeAtLocation(doc.root, [...path]);
  if (map === undefined) return;
  const mapPointer = jsonPointer(shownPath);
  if (map.type !== "object") {
    into.problems.push({
      code: "mcp_servers_invalid",
      message: `${mapPointer} is not an object of servers`,
      line: lineAt(doc.text, map.offset),
    });
    return;
  }
  for (const property of map.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode === undefined || typeof keyNode.value !== "string") continue;
    const name = keyNode.value;
    const pointer = jsonPointer([...shownPath, name]);
    const line = lineAt(doc.text, property.offset);
    const value: unknown = valueNode === undefined ? undefined : getNodeValue(valueNode);
    if (!isPlainObject(value)) {
      into.problems.push({ code: "mcp_server_invalid", message: `${pointer} is not an object`, line });
      continue;
    }
    into.servers.push(normaliseServerEntry(name, pointer, line, value, dialect));
  }
}

/** The member names of the object at `path` (for maps keyed by project path, like ~/.claude.json). */
export function objectKeysAt(doc: { root: Node }, path: readonly string[]): string[] {
  const node = findNodeAtLocation(doc.root, [...path]);
  if (node === undefined || node.type !== "object") return [];
  const keys: string[] = [];
  for (const property of node.children ?? []) {
    const key = property.children?.[0]?.value;
    if (typeof key === "string") keys.push(key);
  }
  return keys;
}

/** RFC 6901: `~` as `~0`, `/` as `~1`. */
export function jsonPointer(path: readonly string[]): string {
  return path.map((segment) => "/" + segment.replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/** A JSON config read with one map of servers at `path`: most clients. */
export function parseJsonServers(text: string, path: readonly string[], dialect: EntryDialect): ParsedConfig {
  const parsed: ParsedConfig = { servers: [], problems: [] };
  const doc = parseJsonDocument(text);
  if ("problem" in doc) {
    parsed.problems.push(doc.problem);
    return parsed;
  }
  serversAt(doc, path, dialect, parsed);
  return parsed;
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
