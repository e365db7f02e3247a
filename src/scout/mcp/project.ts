/**
 * Project configs, chosen from the files the core walker listed under a root (so `.gitignore`,
 * `--include`/`--exclude` and the walker's skip rules apply to them as to code): each client's
 * file at its known place, and any other `*.json` directly in the root or one directory down
 * (not inside a hidden directory) as a candidate for a top-level `mcpServers` map (configs
 * checked into a repository for a client Scout does not know by location, examples, templates),
 * read with every URL member clients use.
 */

import { parseJsonServers } from "./json-config.ts";
import { type ConfigLocation, PROJECT_LOCATIONS } from "./locations.ts";
import type { EntryDialect } from "./server-entry.ts";
import type { ParsedConfig } from "./spec.ts";

const PROJECT_DIALECT: EntryDialect = {
  urlMembers: [{ key: "url" }, { key: "serverUrl" }, { key: "httpUrl", transport: "http" }],
  headerMaps: ["headers"],
};

export function parseProjectConfig(text: string): ParsedConfig {
  return parseJsonServers(text, ["mcpServers"], PROJECT_DIALECT);
}

export interface ProjectCandidate {
  location: ConfigLocation;
  /** A file found by its shape, not a client's known place: quiet unless it mentions MCP. */
  generic: boolean;
}

/** The config files among `files` (root-relative POSIX paths from the walker), in listing order. */
export function projectCandidates(files: readonly string[]): ProjectCandidate[] {
  const known = new Map(PROJECT_LOCATIONS.map((l) => [l.path, l]));
  const candidates: ProjectCandidate[] = [];
  for (const path of files) {
    const location = known.get(path);
    if (location !== undefined) candidates.push({ location, generic: false });
    else if (isGenericCandidate(path)) {
      candidates.push({ location: { client: "project", path, parse: parseProjectConfig }, generic: true });
    }
  }
  return candidates;
}

function isGenericCandidate(path: string): boolean {
  if (!path.endsWith(".json")) return false;
  const parts = path.split("/");
  return parts.length === 1 || (parts.length === 2 && !parts[0]!.startsWith("."));
}
