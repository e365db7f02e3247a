/**
 * Claude Desktop: `claude_desktop_config.json` in the app's config directory (macOS
 * `~/Library/Application Support/Claude`, Windows `%APPDATA%\Claude`, Linux `~/.config/Claude`),
 * servers under `mcpServers` (`command`/`args`/`env`; remote servers as `type` + `url`).
 */
import { parseJsonServers } from "./json-config.ts";
import { STANDARD_DIALECT } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

export function parseClaudeDesktopConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], STANDARD_DIALECT);
}
