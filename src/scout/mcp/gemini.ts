/**
 * Gemini CLI: `.gemini/settings.json` in the project and in the home directory, servers under
 * `mcpServers`; `httpUrl` is streamable HTTP, `url` is SSE, `command` is stdio.
 */
import { parseJsonServers } from "./json-config.ts";
import type { EntryDialect } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

const GEMINI_DIALECT: EntryDialect = {
  urlMembers: [
    { key: "httpUrl", transport: "http" },
    { key: "url", transport: "sse" },
  ],
  headerMaps: ["headers"],
};

export function parseGeminiConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], GEMINI_DIALECT);
}
