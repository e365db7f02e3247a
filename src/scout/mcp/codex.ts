/**
 * Codex CLI: `~/.codex/config.toml`, one table per server, `[mcp_servers.<name>]`, with `command`,
 * `args`, `env` (a table), `env_vars` (names forwarded from the environment), or `url` for
 * streamable HTTP with `bearer_token_env_var`, `http_headers` and `env_http_headers` (header name
 * to env var name). Parsed with smol-toml; its error text quotes the offending line, so only the
 * line and column of an error are kept (the line may hold a secret).
 */
import { parse, TomlError } from "smol-toml";
import { type EntryDialect, isPlainObject, normaliseServerEntry } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

const CODEX_DIALECT: EntryDialect = {
  urlMembers: [{ key: "url", transport: "http" }],
  envNameLists: ["env_vars"],
  envNameValues: ["bearer_token_env_var"],
  envNameMaps: ["env_http_headers"],
  headerMaps: ["http_headers"],
};

export function parseCodexConfig(text: string): ParsedConfig {
  const parsed: ParsedConfig = { servers: [], problems: [] };
  let doc: Record<string, unknown>;
  try {
    doc = parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const problem: ParsedConfig["problems"][number] = {
      code: "mcp_config_invalid",
      message: "does not parse as TOML",
    };
    if (error instanceof TomlError) {
      problem.message = `does not parse as TOML (column ${error.column})`;
      problem.line = error.line;
    }
    parsed.problems.push(problem);
    return parsed;
  }
  const servers = doc["mcp_servers"];
  if (servers === undefined) return parsed;
  if (!isPlainObject(servers)) {
    parsed.problems.push({ code: "mcp_servers_invalid", message: "mcp_servers is not a table of servers" });
    return parsed;
  }
  for (const [name, entry] of Object.entries(servers)) {
    const table = `mcp_servers.${tomlKey(name)}`;
    if (!isPlainObject(entry)) {
      parsed.problems.push({ code: "mcp_server_invalid", message: `${table} is not a table` });
      continue;
    }
    parsed.servers.push(normaliseServerEntry(name, table, undefined, entry, CODEX_DIALECT));
  }
  return parsed;
}

/** A bare TOML key as is, anything else quoted (JSON string escaping is valid TOML basic-string). */
function tomlKey(key: string): string {
  let bare = key.length > 0;
  for (let i = 0; i < key.length && bare; i++) {
    const c = key.charCodeAt(i);
    bare = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
  }
  return bare ? key : JSON.stringify(key);
}
