/**
 * Claude Code: the project's `.mcp.json` (`mcpServers`, shared with the team) and the user's
 * `~/.claude.json`: user-scope servers under `mcpServers` and local-scope servers per project
 * under `projects.<absolute project path>.mcpServers`. The project path is shown with the home
 * directory written as `~`, so locators carry no user name when the project lives under home.
 */
import { objectKeysAt, parseJsonDocument, parseJsonServers, serversAt } from "./json-config.ts";
import { STANDARD_DIALECT } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

export function parseClaudeCodeProjectConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], STANDARD_DIALECT);
}

export function parseClaudeCodeUserConfig(text: string, home: string): ParsedConfig {
  const parsed: ParsedConfig = { servers: [], problems: [] };
  const doc = parseJsonDocument(text);
  if ("problem" in doc) {
    parsed.problems.push(doc.problem);
    return parsed;
  }
  serversAt(doc, ["mcpServers"], STANDARD_DIALECT, parsed);
  for (const project of objectKeysAt(doc, ["projects"])) {
    const path = ["projects", project, "mcpServers"];
    serversAt(doc, path, STANDARD_DIALECT, parsed, ["projects", underHome(project, home), "mcpServers"]);
  }
  return parsed;
}

/** `/home/a/src/x` → `~/src/x` (either separator); a path elsewhere stays as written. */
export function underHome(path: string, home: string): string {
  const normal = (p: string) => p.replaceAll("\\", "/").replace(/\/+$/, "");
  const p = normal(path);
  const h = normal(home);
  if (h === "") return path;
  if (p === h) return "~";
  return p.startsWith(h + "/") ? "~" + p.slice(h.length) : path;
}
