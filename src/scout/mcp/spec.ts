/**
 * What a client config reader returns: each MCP server it declares, normalised to one shape, and
 * the problems it met. Readers are pure functions of the file text; secret-bearing values (env
 * values, header values) never enter this shape, only their names.
 */

export type McpClient =
  | "claude-desktop"
  | "claude-code"
  | "cursor"
  | "vscode"
  | "windsurf"
  | "gemini"
  | "codex"
  | "project";

export type McpTransport = "stdio" | "http" | "sse";

export interface McpServerSpec {
  /** The server's key in its config. */
  name: string;
  /** Where it sits in the file: a JSON pointer (`/mcpServers/x`) or a TOML table (`mcp_servers.x`). */
  anchor: string;
  /** 1-based line of the entry, when known. */
  line?: number;
  /** Explicit transport (`type` member and the like), already normalised. */
  transport?: McpTransport;
  command?: string;
  args: string[];
  url?: string;
  /** Names of env vars the server gets or reads (never their values). */
  envNames: string[];
  /** The config marks it off (`disabled: true`, `enabled = false`). */
  disabled: boolean;
}

export interface ConfigProblem {
  code: McpFindingCode;
  message: string;
  line?: number;
}

export type McpFindingCode =
  | "mcp_config_invalid"
  | "mcp_config_unreadable"
  | "mcp_config_too_large"
  | "mcp_servers_invalid"
  | "mcp_server_invalid";

export interface ParsedConfig {
  servers: McpServerSpec[];
  problems: ConfigProblem[];
}
