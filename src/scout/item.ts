/**
 * What every Scout provider finds (code providers, MCP client config readers): items of the
 * public `gait.scout.inventory_snapshot` (CONTRACTS.md §7.4, closed schema) and findings about
 * files that could not be read. Facts beyond the snapshot's item fields go into `tags` as
 * `key:value` strings (framework, definition digest, risk reason, transport, launched package,
 * env var names — never a secret value).
 */

export type RiskLevel = "low" | "medium" | "high" | "critical";

/** The kinds Scout produces (the schema allows any string; these are the reference's). */
export type ScoutItemKind = "tool" | "mcp_server";

export interface ScoutItem {
  /** Stable across runs and machines: derived from kind, name and locator, never absolute paths. */
  id: string;
  kind: ScoutItemKind;
  /** The declared name (a tool's name, an MCP server's key in its config). */
  name: string;
  /** `<path>:<line>`, or `<config file>#<place>` for MCP servers; the path by the one rule of locator.ts. */
  locator: string;
  risk_level?: RiskLevel;
  /** Sorted `key:value` strings. */
  tags?: string[];
}

/** A file that was skipped (does not parse, unreadable, too large): reported, never fatal. */
export interface ScoutFinding {
  /** Relative to the scanned root (or `~/…` for a user-level config). */
  path: string;
  line?: number;
  code: string;
  message: string;
}

export interface ProviderResult {
  items: ScoutItem[];
  findings: ScoutFinding[];
}
