/**
 * Windsurf: `~/.codeium/windsurf/mcp_config.json`, servers under `mcpServers`; remote servers
 * declare `serverUrl` (streamable HTTP) or `url`.
 */
import { parseJsonServers } from "./json-config.ts";
import type { EntryDialect } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

const WINDSURF_DIALECT: EntryDialect = {
  urlMembers: [{ key: "serverUrl" }, { key: "url" }],
  headerMaps: ["headers"],
};

export function parseWindsurfConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], WINDSURF_DIALECT);
}
