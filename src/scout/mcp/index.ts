/**
 * Scout's MCP client configuration provider: every MCP server declared in the project configs of
 * each root (Claude Code, Cursor, VS Code, Gemini CLI, any JSON file with `mcpServers`) and, when
 * asked, in the user's own client configs under the home directory (Claude Desktop, Claude Code,
 * Cursor, VS Code, Windsurf, Gemini CLI, Codex). A config that cannot be read or parsed is a
 * finding, never an error. Items and findings come out in byte order of locator / path.
 */
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { compareBytes } from "../../contract/bytes.ts";
import type { ProviderResult, ScoutFinding, ScoutItem } from "../item.ts";
import { locatorPaths, toSlashes } from "../locator.ts";
import { userLocations } from "./locations.ts";
import { projectCandidates } from "./project.ts";
import { type ReadResult, readConfigText } from "./reader.ts";
import { serverItem } from "./server-item.ts";
import type { McpClient, ParsedConfig } from "./spec.ts";

export type { McpClient } from "./spec.ts";

/** A scanned root and the files the core walker listed under it (root-relative POSIX paths). */
export interface McpProjectListing {
  root: string;
  files: readonly string[];
}

export interface McpScanOptions {
  /** Project roots with their walker listings; locators follow the one rule of locator.ts. */
  projects: readonly McpProjectListing[];
  /** Read the user's own client configs under `home` (`gait scout snapshot --user-configs`). */
  userConfigs: boolean;
  /** Defaults to the OS home directory. */
  home?: string;
  /** Defaults to process.env (XDG_CONFIG_HOME, APPDATA, CODEX_HOME). */
  env?: NodeJS.ProcessEnv;
}

/** Project JSON files larger than this are not MCP configs; skipped without a finding. */
const MAX_PROJECT_JSON_BYTES = 4 * 1024 * 1024;

interface Candidate {
  client: McpClient;
  absolute: string;
  /** Locator path (locator.ts) or `~/…` path, as shown in locators and findings. */
  shown: string;
  parse: (text: string) => ParsedConfig;
  /** A file found by its shape (not a client's known location): quiet unless it mentions MCP. */
  generic: boolean;
}

export async function scanMcpConfigs(options: McpScanOptions): Promise<ProviderResult> {
  const locate = locatorPaths(options.projects.map((p) => p.root));
  const candidates: Candidate[] = [];
  for (const { root, files } of options.projects) {
    for (const { location, generic } of projectCandidates(files)) {
      candidates.push({
        client: location.client,
        absolute: join(resolve(root), location.path),
        shown: locate(root, location.path),
        parse: location.parse,
        generic,
      });
    }
  }
  if (options.userConfigs) {
    const home = resolve(options.home ?? homedir());
    for (const location of userLocations(home, options.env ?? process.env)) {
      candidates.push({
        ...location,
        absolute: location.path,
        shown: homePath(location.path, home),
        generic: false,
      });
    }
  }

  const seen = new Set<string>();
  const unique = candidates.filter((c) => !seen.has(c.absolute) && seen.add(c.absolute) !== undefined);
  const results = await Promise.all(unique.map(scanCandidate));
  const items = results.flatMap((r) => r.items).sort(byLocator);
  const findings = results.flatMap((r) => r.findings).sort(byPath);
  return { items, findings };
}

async function scanCandidate(candidate: Candidate): Promise<ProviderResult> {
  const read: ReadResult = await readConfigText(
    candidate.absolute,
    candidate.generic ? MAX_PROJECT_JSON_BYTES : undefined,
  );
  const path = candidate.shown;
  switch (read.kind) {
    case "missing":
      return { items: [], findings: [] };
    case "too_large":
      if (candidate.generic) return { items: [], findings: [] };
      return {
        items: [],
        findings: [{ path, code: "mcp_config_too_large", message: `skipped: ${read.size} bytes` }],
      };
    case "unreadable":
      return {
        items: [],
        findings: [{ path, code: "mcp_config_unreadable", message: `cannot be read (${read.reason})` }],
      };
    case "text":
      break;
  }
  // Any JSON file may sit in a project; only one that mentions the map is parsed (and reported).
  if (candidate.generic && !read.text.includes("mcpServers")) return { items: [], findings: [] };
  const parsed = candidate.parse(read.text);
  const items: ScoutItem[] = parsed.servers.map((spec) => serverItem(spec, candidate.client, path));
  const findings: ScoutFinding[] = parsed.problems.map((p) => {
    const finding: ScoutFinding = { path, code: p.code, message: p.message };
    if (p.line !== undefined) finding.line = p.line;
    return finding;
  });
  return { items, findings };
}

/** `~/…` for a file under home; otherwise the absolute path (nothing better identifies it). */
function homePath(path: string, home: string): string {
  const rel = relative(home, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return toSlashes(path);
  return "~/" + toSlashes(rel);
}

function byLocator(a: ScoutItem, b: ScoutItem): number {
  return compareBytes(a.locator, b.locator) || compareBytes(a.name, b.name);
}

function byPath(a: ScoutFinding, b: ScoutFinding): number {
  return (
    compareBytes(a.path, b.path) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compareBytes(a.code, b.code) ||
    compareBytes(a.message, b.message)
  );
}
