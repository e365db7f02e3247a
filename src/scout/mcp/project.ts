/**
 * Any other project JSON file with a top-level `mcpServers` map (configs checked into a repository
 * for a client Scout does not know by location, examples, templates). Which files are looked at is
 * decided by the reader (see reader.ts); this reads the map with every URL member clients use.
 */
import { parseJsonServers } from "./json-config.ts";
import type { EntryDialect } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

const PROJECT_DIALECT: EntryDialect = {
  urlMembers: [{ key: "url" }, { key: "serverUrl" }, { key: "httpUrl", transport: "http" }],
  headerMaps: ["headers"],
};

export function parseProjectConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], PROJECT_DIALECT);
}
