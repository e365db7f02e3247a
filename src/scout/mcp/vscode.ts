/**
 * VS Code: `.vscode/mcp.json` in the workspace (and `mcp.json` in the user profile), JSON with
 * comments, servers under `servers` with `type` (`stdio` | `http` | `sse`); the file's `inputs`
 * (prompted secrets) are never read.
 */
import { parseJsonServers } from "./json-config.ts";
import { STANDARD_DIALECT } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

export function parseVscodeConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["servers"], STANDARD_DIALECT);
}
