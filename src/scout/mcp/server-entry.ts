/**
 * One MCP server entry (a plain object read from JSON or TOML) normalised to McpServerSpec. The
 * clients agree on `command`/`args`/`env`/`url`/`type`/`headers`; where they differ (Gemini's
 * `httpUrl`, Windsurf's `serverUrl`, Codex's env-name members) a dialect says so. Values of env
 * vars and headers are read only to find the *names* of env vars they reference (`${NAME}`).
 */
import { sortedUnique } from "../../contract/bytes.ts";
import type { McpServerSpec, McpTransport } from "./spec.ts";

export interface EntryDialect {
  /** Members holding the server URL, in order of preference, with the transport they imply. */
  urlMembers: ReadonlyArray<{ key: string; transport?: McpTransport }>;
  /** Members whose value is a list of env var names (Codex `env_vars`). */
  envNameLists?: readonly string[];
  /** Members whose value is one env var name (Codex `bearer_token_env_var`). */
  envNameValues?: readonly string[];
  /** Members mapping header names to env var names (Codex `env_http_headers`). */
  envNameMaps?: readonly string[];
  /** Members mapping header names to values (which may reference `${NAME}`). */
  headerMaps: readonly string[];
}

export const STANDARD_DIALECT: EntryDialect = {
  urlMembers: [{ key: "url" }],
  headerMaps: ["headers"],
};

/** A JSON object or TOML table (not an array, not a TOML date). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function normaliseServerEntry(
  name: string,
  anchor: string,
  line: number | undefined,
  entry: Record<string, unknown>,
  dialect: EntryDialect,
): McpServerSpec {
  const command = nonEmptyString(entry["command"]);
  const args = Array.isArray(entry["args"])
    ? entry["args"].filter((a): a is string => typeof a === "string")
    : [];
  let url: string | undefined;
  let urlTransport: McpTransport | undefined;
  for (const member of dialect.urlMembers) {
    const value = nonEmptyString(entry[member.key]);
    if (value !== undefined) {
      url = value;
      urlTransport = member.transport;
      break;
    }
  }

  const envNames: string[] = [];
  if (isPlainObject(entry["env"])) envNames.push(...Object.keys(entry["env"]).filter(isEnvName));
  for (const key of dialect.envNameLists ?? []) {
    const list = entry[key];
    if (Array.isArray(list)) envNames.push(...list.filter(isEnvName));
  }
  for (const key of dialect.envNameValues ?? []) if (isEnvName(entry[key])) envNames.push(entry[key]);
  for (const key of dialect.envNameMaps ?? []) {
    const map = entry[key];
    if (isPlainObject(map)) envNames.push(...Object.values(map).filter(isEnvName));
  }
  const referencing: unknown[] = [command, url, ...args];
  for (const key of dialect.headerMaps) {
    const map = entry[key];
    if (isPlainObject(map)) referencing.push(...Object.values(map));
  }
  if (isPlainObject(entry["env"])) referencing.push(...Object.values(entry["env"]));
  for (const value of referencing) if (typeof value === "string") envNames.push(...referencedEnvNames(value));

  const transport =
    explicitTransport(entry["type"]) ??
    explicitTransport(entry["transport"]) ??
    urlTransport ??
    (url !== undefined ? transportOfUrl(url) : command !== undefined ? "stdio" : undefined);

  const spec: McpServerSpec = {
    name,
    anchor,
    args,
    envNames: sortedUnique(envNames),
    disabled: entry["disabled"] === true || entry["enabled"] === false,
  };
  if (line !== undefined) spec.line = line;
  if (transport !== undefined) spec.transport = transport;
  if (command !== undefined) spec.command = command;
  if (url !== undefined) spec.url = url;
  return spec;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

const TRANSPORT_NAMES: Record<string, McpTransport> = {
  stdio: "stdio",
  sse: "sse",
  http: "http",
  "streamable-http": "http",
  streamable_http: "http",
  streamablehttp: "http",
};

function explicitTransport(value: unknown): McpTransport | undefined {
  return typeof value === "string" ? TRANSPORT_NAMES[value.toLowerCase()] : undefined;
}

/** Without a declared type, a URL whose path ends in `/sse` is the legacy SSE transport. */
function transportOfUrl(url: string): McpTransport {
  try {
    return new URL(url).pathname.replace(/\/+$/, "").endsWith("/sse") ? "sse" : "http";
  } catch {
    return "http";
  }
}

/** POSIX-style env var names; anything else (a value pasted by mistake) is never emitted. */
export function isEnvName(value: unknown): value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > 128) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    const digit = c >= 48 && c <= 57;
    if (!(letter || (digit && i > 0))) return false;
  }
  return true;
}

/**
 * Names referenced as `${NAME}`, `${env:NAME}` or `${NAME:-default}` (the interpolations Claude
 * Code, Cursor and VS Code expand). A bare `${name}` with lower-case letters is an editor variable
 * (`${workspaceFolder}`, `${userHome}`), not an env var. Only a well-formed name leaves here.
 */
export function referencedEnvNames(value: string): string[] {
  const names: string[] = [];
  let from = 0;
  for (;;) {
    const start = value.indexOf("${", from);
    if (start < 0) break;
    const end = value.indexOf("}", start + 2);
    if (end < 0) break;
    let inner = value.slice(start + 2, end);
    const prefixed = inner.startsWith("env:");
    if (prefixed) inner = inner.slice(4);
    const fallback = inner.indexOf(":-");
    if (fallback >= 0) inner = inner.slice(0, fallback);
    if (isEnvName(inner) && (prefixed || inner === inner.toUpperCase())) names.push(inner);
    from = end + 1;
  }
  return names;
}
