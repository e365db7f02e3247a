/**
 * `gait scout snapshot|diff`: the inventory of agent tools and MCP servers in a repository (and,
 * when asked, the developer's MCP client configs), its coverage by policies, and drift between
 * two snapshots. The module (src/scout) does the work.
 */
import { exitForCheck } from "../../contract/exit.ts";
import {
  type CoverageReport,
  diffSnapshots,
  readSnapshotFile,
  runScoutSnapshot,
  type ScoutRunResult,
  type SnapshotDiff,
} from "../../scout/index.ts";
import { command, group, listOption, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";

const csv = (name: string, value: string, description: string) => ({
  name,
  value,
  repeatable: true,
  description: `${description} (comma-separated or repeated)`,
});

// ---------------------------------------------------------------------------------------------
// snapshot

const scoutSnapshotCommand = command({
  name: "snapshot",
  explain:
    "Inventory the agent tools (TS/JS and Python, found by parsing) and MCP servers under the roots into a deterministic gait.scout.inventory_snapshot; with --policy, the coverage of those tools by policy rules.",
  options: [
    csv("roots", "dirs", "directories to scan (default .)"),
    csv("include", "globs", "only files matching one of these globs (root-relative)"),
    csv("exclude", "globs", "skip files and directories matching these globs"),
    csv("policy", "paths", "gait.gate.policy files; writes a coverage report"),
    {
      name: "out",
      value: "path",
      description: "snapshot file (default ./gait-out/inventory_snapshot_<snapshot_id>.json)",
    },
    {
      name: "coverage-out",
      value: "path",
      description: "coverage file (default ./gait-out/inventory_coverage_<snapshot_id>.json)",
    },
    {
      name: "fail-under",
      value: "percent",
      description: "exit 2 when coverage is below this percent (needs --policy)",
    },
    { name: "user-configs", description: "also read user-level MCP client configs in the home directory" },
  ],
  examples: [
    "gait scout snapshot",
    "gait scout snapshot --roots services/agent,tools --exclude 'examples/**' --out inventory.json",
    "gait scout snapshot --policy gait-policy.yaml --fail-under 80 --json",
  ],
  run: async (args, options, ctx) => {
    if (args.length > 0) {
      throw invalidInput("usage", `unexpected arguments: ${args.join(" ")}`, {
        hint: "name directories with --roots, e.g. gait scout snapshot --roots src,agents",
      });
    }
    const policies = listOption(options, "policy");
    const failUnder = percentOption(stringOption(options, "fail-under"));
    if (failUnder !== undefined && policies.length === 0) {
      throw invalidInput("usage", "--fail-under needs --policy (coverage is measured against policies)", {
        hint: "e.g. gait scout snapshot --policy gait-policy.yaml --fail-under 80",
      });
    }
    const showProgress = !ctx.json && process.stderr.isTTY === true;
    let lastShown = 0;
    const result = await runScoutSnapshot({
      roots: listOption(options, "roots"),
      cwd: ctx.cwd,
      include: listOption(options, "include"),
      exclude: listOption(options, "exclude"),
      userConfigs: options["user-configs"] === true,
      ...(ctx.env.HOME ? { home: ctx.env.HOME } : {}),
      env: ctx.env,
      policies,
      ...(stringOption(options, "out") ? { out: stringOption(options, "out") } : {}),
      ...(stringOption(options, "coverage-out")
        ? { coverageOut: stringOption(options, "coverage-out") }
        : {}),
      ...(showProgress
        ? {
            progress: (done: number, total: number) => {
              if (done === total || done - lastShown >= 500) {
                lastShown = done;
                ctx.progress(`scout: ${done}/${total} files`);
              }
            },
          }
        : {}),
    });
    const below =
      failUnder !== undefined &&
      result.coverage !== undefined &&
      result.coverage.coverage_percent < failUnder;
    const output = snapshotOutput(result);
    if (below) {
      output.error = `coverage ${result.coverage!.coverage_percent}% is below --fail-under ${failUnder}%`;
      output.hint = `gate the ungated tools in a policy rule (match.tool_names): ${result.coverage!.ungated_tool_names.join(", ")}`;
    }
    return {
      exitCode: exitForCheck(!below),
      output,
      human: snapshotLines(result, below ? failUnder : undefined),
    };
  },
});

function percentOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 100) {
    throw invalidInput("usage", `--fail-under must be a percent from 0 to 100, got ${value}`, {
      hint: "e.g. --fail-under 80",
    });
  }
  return n;
}

function snapshotOutput(result: ScoutRunResult): Record<string, unknown> {
  const { snapshot } = result;
  return {
    ok: true,
    snapshot_id: snapshot.snapshot_id,
    snapshot_path: result.snapshotPath,
    workspace: snapshot.workspace,
    items: snapshot.items,
    files_scanned: result.filesScanned,
    files_parsed: result.filesParsed,
    findings: result.findings,
    ...(result.coverage ? { coverage: result.coverage, coverage_path: result.coveragePath } : {}),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "),
  );
}

function snapshotLines(result: ScoutRunResult, failUnder: number | undefined): string[] {
  const { snapshot, coverage } = result;
  const tag = (tags: string[] | undefined, key: string) =>
    tags?.find((t) => t.startsWith(`${key}:`))?.slice(key.length + 1) ?? "";
  const gated = new Set(coverage?.gated_tool_names ?? []);
  const where = (locator: string) => {
    const colon = locator.lastIndexOf(":");
    return { file: locator.slice(0, colon), line: Number(locator.slice(colon + 1)) || 0 };
  };
  const byLocator = [...snapshot.items].sort((a, b) => {
    const x = where(a.locator);
    const y = where(b.locator);
    return x.file < y.file ? -1 : x.file > y.file ? 1 : x.line - y.line;
  });
  const rows = byLocator.map((item) => [
    item.kind,
    item.name,
    item.risk_level ?? "",
    tag(item.tags, "framework") || tag(item.tags, "client"),
    ...(coverage
      ? [item.kind !== "tool" ? "" : gated.has(item.name.trim().toLowerCase()) ? "gated" : "UNGATED"]
      : []),
    item.locator,
  ]);
  const header = ["KIND", "NAME", "RISK", "FRAMEWORK", ...(coverage ? ["POLICY"] : []), "LOCATOR"];
  return [
    `scout snapshot: ${snapshot.snapshot_id} items=${snapshot.items.length} files=${result.filesScanned} parsed=${result.filesParsed} findings=${result.findings.length}`,
    ...(rows.length > 0 ? table([header, ...rows]) : ["no tools or MCP servers found"]),
    ...result.findings.map((f) => `skipped ${f.path}${f.line ? `:${f.line}` : ""}: ${f.code} ${f.message}`),
    ...(coverage ? coverageLines(coverage, result.coveragePath!) : []),
    ...(failUnder !== undefined
      ? [`FAILED: coverage ${coverage!.coverage_percent}% is below --fail-under ${failUnder}%`]
      : []),
    `snapshot: ${result.snapshotPath}`,
  ];
}

function coverageLines(coverage: CoverageReport, path: string): string[] {
  return [
    `coverage: ${coverage.coverage_percent}% (${coverage.gated_tools}/${coverage.discovered_tools} tools gated), high-risk ungated: ${coverage.high_risk_ungated_tools}`,
    ...(coverage.ungated_tool_names.length > 0 ? [`ungated: ${coverage.ungated_tool_names.join(", ")}`] : []),
    `coverage report: ${path}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// diff

const scoutDiffCommand = command({
  name: "diff",
  explain:
    "Compare two inventory snapshots by item id: tools and MCP servers added, removed or changed (locator, risk, definition digest); exit 2 on drift.",
  args: [
    { name: "left", description: "the earlier snapshot (or --left)" },
    { name: "right", description: "the later snapshot (or --right)" },
  ],
  options: [
    { name: "left", value: "path", description: "the earlier snapshot" },
    { name: "right", value: "path", description: "the later snapshot" },
  ],
  examples: ["gait scout diff baseline.json gait-out/inventory_snapshot_<snapshot_id>.json --json"],
  run: async (args, options, ctx) => {
    const left = stringOption(options, "left") ?? args[0];
    const right = stringOption(options, "right") ?? args[stringOption(options, "left") ? 0 : 1];
    if (!left || !right) {
      throw invalidInput("usage", "two snapshots are required: gait scout diff <left> <right>", {
        hint: "e.g. gait scout diff baseline.json current.json",
      });
    }
    const diff = diffSnapshots(await readSnapshotFile(ctx.cwd, left), await readSnapshotFile(ctx.cwd, right));
    // Drift is a result, not an error (as in `gait pack diff` / `gait run diff`): `ok` stays true,
    // `drift` and exit 2 say it.
    return {
      exitCode: exitForCheck(!diff.drift),
      output: { ...diff },
      human: diffLines(diff),
    };
  },
});

function diffLines(diff: SnapshotDiff): string[] {
  const { counts } = diff;
  return [
    `scout diff: ${diff.drift ? "DRIFT" : "no drift"} ${diff.left_snapshot_id} -> ${diff.right_snapshot_id} added=${counts.added} removed=${counts.removed} changed=${counts.changed} unchanged=${counts.unchanged}`,
    ...diff.added.map((i) => `+ ${i.kind} ${i.name} ${i.risk_level ?? ""} ${i.locator}`),
    ...diff.removed.map((i) => `- ${i.kind} ${i.name} ${i.risk_level ?? ""} ${i.locator}`),
    ...diff.changed.map(
      (c) =>
        `~ ${c.kind} ${c.name} ${c.fields.join(",")}: ${c.before_locator}${c.before_locator !== c.after_locator ? ` -> ${c.after_locator}` : ""}${c.before_risk_level !== c.after_risk_level ? ` risk ${c.before_risk_level} -> ${c.after_risk_level}` : ""}`,
    ),
  ];
}

export const scoutGroup = group({
  name: "scout",
  explain:
    "Scout: inventory of agent tools and MCP servers, coverage against policy, and drift between snapshots.",
  commands: [scoutSnapshotCommand, scoutDiffCommand],
});
