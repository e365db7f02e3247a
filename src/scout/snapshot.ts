/**
 * `gait scout snapshot`: walk the roots, find tools in code (providers) and MCP servers in client
 * configurations (src/scout/mcp), and assemble a deterministic `gait.scout.inventory_snapshot`
 * (CONTRACTS.md §7.4): items sorted by id, tags sorted, locators by one rule (locator.ts), a fixed
 * created_at, so the same tree gives the same bytes on every machine.
 */
import { stat } from "node:fs/promises";
import { basename, isAbsolute, normalize, resolve, sep } from "node:path";
import { compareBytes } from "../contract/bytes.ts";
import { canonicalize, sha256Hex } from "../contract/canonical.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { invalidInput } from "./error-codes.ts";
import type { ProviderResult, ScoutFinding, ScoutItem } from "./item.ts";
import { itemId } from "./item-id.ts";
import { locatorPaths } from "./locator.ts";
import { assessToolRisk, riskReasonTags } from "./risk.ts";
import { codeLanguageOf, type FoundInFile, scanCode } from "./scan-code.ts";
import { type InventorySnapshot, SCOUT_SCHEMA_VERSION, ScoutSchemaIds } from "./types.ts";
import { errorText, walkRoot } from "./walk.ts";

/** Snapshots are dated by nothing that varies: same tree, same bytes (as registry reports are). */
export const SNAPSHOT_CREATED_AT = "1980-01-01T00:00:00Z";

export interface SnapshotRequest {
  /** Roots as the user gave them (default `["."]`), resolved against `cwd`. */
  roots: readonly string[];
  cwd: string;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Read user-level MCP client configs (home directory) too. */
  userConfigs?: boolean;
  home?: string;
  /** Environment for locating user-level configs (XDG_CONFIG_HOME, APPDATA, CODEX_HOME). */
  env?: NodeJS.ProcessEnv;
  /** Called with files done / total while code is scanned. */
  progress?: (done: number, total: number) => void;
}

export interface SnapshotResult {
  snapshot: InventorySnapshot;
  findings: ScoutFinding[];
  filesScanned: number;
  filesParsed: number;
}

export async function takeSnapshot(request: SnapshotRequest): Promise<SnapshotResult> {
  const given = request.roots.length > 0 ? request.roots : ["."];
  const roots = given.map((root) => ({
    given: root,
    abs: resolve(request.cwd, root),
    label: rootLabel(root),
  }));
  for (const root of roots) await assertReadableDirectory(root.abs, root.given);
  // One locator rule for code and MCP items alike (locator.ts).
  const locate = locatorPaths(roots.map((r) => r.abs));
  const items: ScoutItem[] = [];
  const findings: ScoutFinding[] = [];
  let filesScanned = 0;
  let filesParsed = 0;

  const walks = [];
  const listed = new Set<string>();
  for (const root of roots) {
    const options = { include: request.include ?? [], exclude: request.exclude ?? [] };
    const walk = await walkRoot(root.abs, options).catch((error: unknown) => {
      throw invalidInput(
        "scout_root_unreadable",
        `cannot read scan root ${root.given}: ${errorText(error)}`,
        {
          hint: "check the directory's permissions, or pass another with --roots",
        },
      );
    });
    // Overlapping roots (`.` and `src`): a file is read once, under the first root that lists it.
    const files = walk.files.filter((file) => {
      const shown = locate(root.abs, file);
      if (listed.has(shown)) return false;
      listed.add(shown);
      return true;
    });
    walks.push({ root, files, findings: walk.findings });
  }
  const total = walks.reduce((n, w) => n + w.files.filter((f) => codeLanguageOf(f) !== undefined).length, 0);
  let done = 0;
  for (const walk of walks) {
    filesScanned += walk.files.length;
    const scan = await scanCode(walk.root.abs, walk.files, () => request.progress?.(++done, total));
    filesParsed += scan.filesParsed;
    items.push(...toolItems(scan.tools.map((tool) => ({ ...tool, path: locate(walk.root.abs, tool.path) }))));
    for (const finding of [...walk.findings, ...scan.findings])
      findings.push({ ...finding, path: locate(walk.root.abs, finding.path) });
  }
  // MCP client configurations (src/scout/mcp): project configs among the walked files of every
  // root, and the user's own with --user-configs. Loaded on use: its JSONC and TOML parsers are
  // needed by snapshots only.
  const { scanMcpConfigs } = await import("./mcp/index.ts");
  const mcp = await scanMcpConfigs({
    projects: walks.map((w) => ({ root: w.root.abs, files: w.files })),
    userConfigs: request.userConfigs === true,
    ...(request.home !== undefined ? { home: request.home } : {}),
    ...(request.env !== undefined ? { env: request.env } : {}),
  });
  items.push(...mcp.items);
  findings.push(...mcp.findings);

  const workspace = roots.map((r) => r.label).join(",");
  return {
    snapshot: assembleSnapshot(workspace, items),
    findings: findings.sort((a, b) => compareBytes(a.path, b.path) || (a.line ?? 0) - (b.line ?? 0)),
    filesScanned,
    filesParsed,
  };
}

/** The snapshot document for `items` (pure): items by id, tags sorted, snapshot_id by §7.4. */
export function assembleSnapshot(workspace: string, items: readonly ScoutItem[]): InventorySnapshot {
  const sorted = items
    .map((item) => ({ ...item, ...(item.tags ? { tags: [...item.tags].sort(compareBytes) } : {}) }))
    .sort((a, b) => compareBytes(a.id, b.id) || compareBytes(a.locator, b.locator));
  return {
    schema_id: ScoutSchemaIds.snapshot,
    schema_version: SCOUT_SCHEMA_VERSION,
    created_at: SNAPSHOT_CREATED_AT,
    producer_version: PRODUCER_VERSION,
    snapshot_id: snapshotId(workspace, sorted),
    workspace,
    items: sorted,
  };
}

/**
 * CONTRACTS.md §7.4: `snap_` + 12 hex of sha256 over workspace + NUL, then per item its id, kind,
 * name, locator, risk_level and each tag, each followed by NUL, and 0xFF after each item.
 */
export function snapshotId(workspace: string, items: readonly ScoutItem[]): string {
  const parts: Buffer[] = [Buffer.from(`${workspace}\0`, "utf8")];
  for (const item of items) {
    const fields = [item.id, item.kind, item.name, item.locator, item.risk_level ?? "", ...(item.tags ?? [])];
    parts.push(Buffer.from(fields.map((f) => `${f}\0`).join(""), "utf8"), Buffer.from([0xff]));
  }
  return `snap_${sha256Hex(Buffer.concat(parts)).slice(0, 12)}`;
}

/** The digest `diff` compares to see a tool that changed under the same name. */
export function definitionDigest(description: string, inputSchema: string): string {
  return sha256Hex(canonicalize({ description, input_schema: inputSchema })).slice(0, 16);
}

/**
 * Tools to items. The id comes from the name and the file (not the line), so a tool that moves
 * within its file keeps its id and `diff` reports its locator as changed; a second tool of the
 * same name in the same file takes its full locator into its id.
 */
export function toolItems(tools: readonly FoundInFile[]): ScoutItem[] {
  const ordered = [...tools].sort(
    (a, b) => compareBytes(a.path, b.path) || a.line - b.line || compareBytes(a.name, b.name),
  );
  const seen = new Set<string>();
  return ordered.map((tool) => {
    const file = tool.path;
    const locator = `${file}:${tool.line}`;
    let id = itemId("tool", tool.name, file);
    if (seen.has(id)) id = itemId("tool", tool.name, locator);
    seen.add(id);
    const risk = assessToolRisk(tool.name, tool.hints, tool.parameters);
    return {
      id,
      kind: "tool",
      name: tool.name,
      locator,
      risk_level: risk.level,
      tags: [
        `definition_digest:${definitionDigest(tool.description, tool.inputSchema)}`,
        `framework:${tool.framework}`,
        `language:${tool.language === "ts" ? "typescript" : "python"}`,
        ...riskReasonTags(risk),
      ],
    };
  });
}

/** How a root is named in the workspace and in locators: as given (POSIX), an absolute one by its base name. */
function rootLabel(given: string): string {
  if (isAbsolute(given)) return basename(given) || "/";
  const normal = normalize(given).split(sep).join("/").replace(/\/+$/, "");
  return normal === "" ? "." : normal;
}

async function assertReadableDirectory(abs: string, given: string): Promise<void> {
  let ok = false;
  try {
    ok = (await stat(abs)).isDirectory();
  } catch (error) {
    throw invalidInput(
      "scout_root_unreadable",
      `cannot read scan root ${given}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      {
        hint: "pass an existing directory with --roots (comma-separated), e.g. --roots .",
      },
    );
  }
  if (!ok) {
    throw invalidInput("scout_root_unreadable", `scan root ${given} is not a directory`, {
      hint: "pass directories with --roots (comma-separated), e.g. --roots .",
    });
  }
}

export type { ProviderResult };
