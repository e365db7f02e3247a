/**
 * `gait mcp wrap-config`: put `gait mcp proxy` in front of every server of an MCP client config
 * (Claude Desktop, Claude Code's .mcp.json, Cursor, Windsurf, Gemini: `mcpServers`; VS Code:
 * `servers`). A stdio server `{command, args}` becomes `{command: "gait", args: ["mcp", "proxy",
 * "--policy", P, …, "--", command, …args]}`; a remote one `{url}` becomes a stdio proxy with
 * `--upstream url`. Servers already behind gait, and remote ones with custom headers (usually a
 * token: moving it into the proxy's args would expose it in the process list, so the user wires
 * it through --upstream-header-env), are left as they are and reported. The file is edited in place with
 * its comments and formatting kept (jsonc-parser edits), after a backup copy is written.
 */
import { readFile } from "node:fs/promises";
import { applyEdits, type FormattingOptions, modify, type Node, parseTree } from "jsonc-parser";
import { fromFsError } from "../contract/errors.ts";
import { writeFileAtomic, writeFileNew } from "../contract/files.ts";
import { invalidInput } from "./error-codes.ts";

const SERVER_KEYS = ["mcpServers", "servers"] as const;

export interface WrapConfigOptions {
  /** Absolute path of the client config. */
  path: string;
  /** Flags every proxy gets before `--` (e.g. ["--policy", "/abs/p.yaml"]). */
  proxyFlags: string[];
  /** The command that runs gait (default "gait"). */
  gaitCommand?: string;
  /** Report what would change without writing. */
  dryRun?: boolean;
}

export interface WrapConfigResult {
  path: string;
  backup_path?: string;
  servers_key: string;
  wrapped: string[];
  skipped: Array<{ name: string; reason: string }>;
  dry_run: boolean;
}

export async function wrapClientConfig(options: WrapConfigOptions): Promise<WrapConfigResult> {
  let text: string;
  try {
    text = await readFile(options.path, "utf8");
  } catch (error) {
    throw fromFsError(error, "read", options.path);
  }
  const planned = planWrap(text, options.proxyFlags, options.gaitCommand ?? "gait", options.path);
  const result: WrapConfigResult = {
    path: options.path,
    servers_key: planned.key,
    wrapped: planned.wrapped,
    skipped: planned.skipped,
    dry_run: options.dryRun === true,
  };
  if (options.dryRun || planned.wrapped.length === 0) return result;
  const backup = await writeFileNew(
    (attempt) => (attempt === 0 ? `${options.path}.bak` : `${options.path}.bak.${attempt + 1}`),
    text,
  );
  result.backup_path = backup.path;
  await writeFileAtomic(options.path, planned.text, { mode: 0o600 });
  return result;
}

interface WrapPlan {
  key: string;
  text: string;
  wrapped: string[];
  skipped: Array<{ name: string; reason: string }>;
}

/** The edited text and what was done to each server. Pure. */
export function planWrap(
  text: string,
  proxyFlags: readonly string[],
  gait: string,
  source: string,
): WrapPlan {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (root?.type !== "object") throw bad(source, "the file is not a JSON object");
  const key = SERVER_KEYS.find((k) => childNode(root, k)?.type === "object");
  if (!key) throw bad(source, `no ${SERVER_KEYS.join(" or ")} object`);
  const formatting = formattingOf(text);
  let edited = text;
  const wrapped: string[] = [];
  const skipped: WrapPlan["skipped"] = [];
  for (const entry of childNode(root, key)!.children ?? []) {
    const name = String(entry.children?.[0]?.value ?? "");
    const server = entry.children?.[1];
    const change =
      server?.type === "object" ? wrapEntry(server, proxyFlags, gait) : { skip: "not an object" };
    if ("skip" in change) {
      skipped.push({ name, reason: change.skip });
      continue;
    }
    for (const [field, value] of change.set) {
      edited = applyEdits(
        edited,
        modify(edited, [key, name, field], value, { formattingOptions: formatting }),
      );
    }
    wrapped.push(name);
  }
  return { key, text: edited, wrapped, skipped };
}

type EntryChange = { skip: string } | { set: Array<[string, unknown]> };

function wrapEntry(server: Node, proxyFlags: readonly string[], gait: string): EntryChange {
  const command = stringAt(server, "command");
  const args = stringsAt(server, "args");
  if (command !== undefined) {
    if (isGaitProxy(command, args, gait)) return { skip: "already behind gait mcp proxy" };
    return {
      set: [
        ["command", gait],
        ["args", ["mcp", "proxy", ...proxyFlags, "--", command, ...args]],
      ],
    };
  }
  const url = stringAt(server, "url") ?? stringAt(server, "serverUrl") ?? stringAt(server, "httpUrl");
  if (url === undefined) return { skip: "neither command nor url" };
  if (childNode(server, "headers"))
    return {
      skip: "remote server with headers: wrap it by hand, passing them with --upstream-header-env Name=VAR",
    };
  const set: Array<[string, unknown]> = [
    ["command", gait],
    ["args", ["mcp", "proxy", ...proxyFlags, "--stdio", "--upstream", url]],
  ];
  for (const field of ["url", "serverUrl", "httpUrl"])
    if (childNode(server, field)) set.push([field, undefined]);
  if (childNode(server, "type")) set.push(["type", "stdio"]);
  return { set };
}

function isGaitProxy(command: string, args: readonly string[], gait: string): boolean {
  const named = command === gait || /(^|[/\\])gait(\.cjs|\.js)?$/.test(command);
  return named && args[0] === "mcp" && (args[1] === "proxy" || args[1] === "bridge");
}

function childNode(node: Node, key: string): Node | undefined {
  const property = node.children?.find((p) => p.children?.[0]?.value === key);
  return property?.children?.[1];
}

function stringAt(node: Node, key: string): string | undefined {
  const value = childNode(node, key);
  return value?.type === "string" ? (value.value as string) : undefined;
}

function stringsAt(node: Node, key: string): string[] {
  const value = childNode(node, key);
  if (value?.type !== "array") return [];
  return (value.children ?? []).filter((c) => c.type === "string").map((c) => c.value as string);
}

/** Keep the file's indentation (tabs or the width of its first indented line). */
function formattingOf(text: string): FormattingOptions {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? "  ";
  return indent.startsWith("\t")
    ? { insertSpaces: false, tabSize: 1 }
    : { insertSpaces: true, tabSize: indent.length, eol: text.includes("\r\n") ? "\r\n" : "\n" };
}

function bad(source: string, why: string): Error {
  return invalidInput("mcp_client_config_invalid", `${source}: ${why}`, {
    hint: 'pass an MCP client config with an "mcpServers" (or VS Code "servers") object',
  });
}
