/**
 * Cursor: `.cursor/mcp.json` in the project and in the home directory, servers under `mcpServers`
 * (`command`/`args`/`env`, or `url` with optional `headers` for remote servers).
 */
import { parseJsonServers } from "./json-config.ts";
import { STANDARD_DIALECT } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

export function parseCursorConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], STANDARD_DIALECT);
}
