/**
 * Where each client keeps its MCP configuration: project files relative to a scanned root, user
 * files under the home directory. The per-OS app directories of Claude Desktop and VS Code are all
 * looked at on every OS (a missing file costs a stat), so results do not depend on the platform;
 * XDG_CONFIG_HOME, APPDATA and CODEX_HOME move them as the clients do.
 */
import { join } from "node:path";
import { parseClaudeCodeProjectConfig, parseClaudeCodeUserConfig } from "./claude-code.ts";
import { parseClaudeDesktopConfig } from "./claude-desktop.ts";
import { parseCodexConfig } from "./codex.ts";
import { parseCursorConfig } from "./cursor.ts";
import { parseGeminiConfig } from "./gemini.ts";
import type { McpClient, ParsedConfig } from "./spec.ts";
import { parseVscodeConfig } from "./vscode.ts";
import { parseWindsurfConfig } from "./windsurf.ts";

export interface ConfigLocation {
  client: McpClient;
  /** Relative to a root (project files) or absolute (user files). */
  path: string;
  parse: (text: string) => ParsedConfig;
}

export const PROJECT_LOCATIONS: readonly ConfigLocation[] = [
  { client: "claude-code", path: ".mcp.json", parse: parseClaudeCodeProjectConfig },
  { client: "cursor", path: ".cursor/mcp.json", parse: parseCursorConfig },
  { client: "vscode", path: ".vscode/mcp.json", parse: parseVscodeConfig },
  { client: "gemini", path: ".gemini/settings.json", parse: parseGeminiConfig },
];

export function userLocations(home: string, env: NodeJS.ProcessEnv): ConfigLocation[] {
  const appSupport = join(home, "Library", "Application Support");
  const xdgConfig = nonEmpty(env["XDG_CONFIG_HOME"]) ?? join(home, ".config");
  const appData = nonEmpty(env["APPDATA"]) ?? join(home, "AppData", "Roaming");
  const codexHome = nonEmpty(env["CODEX_HOME"]) ?? join(home, ".codex");
  const locations: ConfigLocation[] = [];
  for (const base of [appSupport, xdgConfig, appData]) {
    locations.push({
      client: "claude-desktop",
      path: join(base, "Claude", "claude_desktop_config.json"),
      parse: parseClaudeDesktopConfig,
    });
  }
  locations.push(
    {
      client: "claude-code",
      path: join(home, ".claude.json"),
      parse: (t) => parseClaudeCodeUserConfig(t, home),
    },
    { client: "cursor", path: join(home, ".cursor", "mcp.json"), parse: parseCursorConfig },
  );
  for (const base of [appSupport, xdgConfig, appData]) {
    locations.push({
      client: "vscode",
      path: join(base, "Code", "User", "mcp.json"),
      parse: parseVscodeConfig,
    });
  }
  locations.push(
    {
      client: "windsurf",
      path: join(home, ".codeium", "windsurf", "mcp_config.json"),
      parse: parseWindsurfConfig,
    },
    { client: "gemini", path: join(home, ".gemini", "settings.json"), parse: parseGeminiConfig },
    { client: "codex", path: join(codexHome, "config.toml"), parse: parseCodexConfig },
  );
  // XDG_CONFIG_HOME or APPDATA may coincide with a default: read each file once.
  const seen = new Set<string>();
  return locations.filter((l) => !seen.has(l.path) && seen.add(l.path) !== undefined);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
