/**
 * `gait scout snapshot|diff` through the built CLI, from a directory outside the repository (the
 * parsers load from the package's node_modules): the fixture agents (and a project .mcp.json,
 * whose secret value never comes out) as a table and JSON, the files
 * written, same bytes twice, coverage with --fail-under, diff exit 2 on drift and 0 without, a
 * file that does not parse reported (no stack trace), bad input exit 6 with a hint, help and
 * explain.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type CliResult, repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const temp = tempDir("gait-e2e-scout-");
after(temp.cleanup);
const repo = join(temp.dir, "repo");
cpSync(join(repoRoot, "test", "scout", "fixtures", "agents"), repo, { recursive: true });
writeFileSync(join(repo, "ts", "broken.ts"), 'import { tool } from "ai";\nexport const x = tool({\n');
writeFileSync(
  join(repo, ".mcp.json"),
  JSON.stringify({
    mcpServers: {
      github: {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-github"],
        env: { GITHUB_TOKEN: "ghp_planted_secret" },
      },
    },
  }),
);
writeFileSync(
  join(temp.dir, "policy.yaml"),
  "schema_id: gait.gate.policy\nschema_version: 1.0.0\ndefault_verdict: allow\nrules:\n  - name: deletes\n    effect: block\n    match:\n      tool_names: [delete_record]\n",
);

async function gait(args: string[], expected: number): Promise<CliResult> {
  const result = await runGait(args, { cwd: temp.dir });
  assert.equal(result.code, expected, `gait ${args.join(" ")}: ${result.stdout}${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  return result;
}

describe("gait scout", () => {
  it("snapshots the fixture agents: table, findings, the file written", async () => {
    const human = await gait(["scout", "snapshot", "--roots", "repo", "--out", "a.json"], 0);
    assert.match(human.stdout, /items=22/);
    assert.match(human.stdout, /mcp_server\s+github\s+\w+\s+claude-code\s+\.mcp\.json#\/mcpServers\/github/);
    assert.match(human.stdout, /purge_cache\s+critical\s+mcp_sdk\s+ts\/mcp-server\.mjs:17/);
    assert.match(human.stdout, /skipped ts\/broken\.ts:3: scout_parse_error/);
    const json = await gait(["scout", "snapshot", "--roots", "repo", "--out", "b.json", "--json"], 0);
    assert.equal((json.json?.items as unknown[] | undefined)?.length, 22);
    assert.equal((json.json?.findings as unknown[] | undefined)?.length, 2);
    assert.equal(json.json?.snapshot_path, "./b.json");
    const a = readFileSync(join(temp.dir, "a.json"));
    assert.ok(
      !a.includes("ghp_planted_secret") && !json.stdout.includes("ghp_planted_secret"),
      "no secret value",
    );
    assert.ok(a.includes("env:GITHUB_TOKEN"), "env var names only");
    assert.deepEqual(a, readFileSync(join(temp.dir, "b.json")), "same bytes twice");
    assertPublishedValid(JSON.parse(a.toString()), "scout/inventory_snapshot.schema.json");
  });

  it("writes a snapshot the public schema accepts", { skip: publicSchemasSkip }, () => {
    assertPublicValid(JSON.parse(readFileSync(join(temp.dir, "a.json"), "utf8")), "scout snapshot");
  });

  it("measures coverage; --fail-under exits 2 below the bar", async () => {
    const ok = await gait(["scout", "snapshot", "--roots", "repo", "--policy", "policy.yaml", "--json"], 0);
    const coverage = ok.json?.coverage as Record<string, unknown>;
    assert.equal(coverage.gated_tools, 1);
    assert.equal(coverage.coverage_percent, 4.76);
    assertPublishedValid(coverage, "scout/coverage_report.schema.json");
    const path = join(temp.dir, String(ok.json?.coverage_path));
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), coverage);
    const below = await gait(
      ["scout", "snapshot", "--roots", "repo", "--policy", "policy.yaml", "--fail-under", "50"],
      2,
    );
    assert.match(below.stdout, /coverage: 4\.76% \(1\/21 tools gated\)/);
    assert.match(below.stdout, /FAILED: coverage 4\.76% is below --fail-under 50%/);
  });

  it("diffs: exit 0 when equal, 2 on drift", async () => {
    const same = await gait(["scout", "diff", "a.json", "b.json", "--json"], 0);
    assert.equal(same.json?.drift, false);
    assert.equal(same.json?.ok, true);
    const mastra = join(repo, "ts", "mastra.ts");
    writeFileSync(mastra, readFileSync(mastra, "utf8").replace("update_ticket", "delete_ticket"));
    await gait(["scout", "snapshot", "--roots", "repo", "--out", "c.json"], 0);
    const drift = await gait(["scout", "diff", "a.json", "c.json", "--json"], 2);
    assert.deepEqual(drift.json?.counts, { added: 1, removed: 1, changed: 0, unchanged: 21 });
    // Drift is a result, not an error (as pack diff and run diff): ok stays true, no error envelope.
    assert.equal(drift.json?.ok, true);
    assert.equal(drift.json?.drift, true);
    assert.equal(drift.json?.error, undefined);
    const { ok: _ok, correlation_id: _c, ...diff } = drift.json!;
    assertPublishedValid(diff, "scout/snapshot_diff.schema.json");
    const human = await gait(["scout", "diff", "a.json", "c.json"], 2);
    assert.match(human.stdout, /^scout diff: DRIFT/);
    assert.match(human.stdout, /\+ tool delete_ticket critical ts\/mastra\.ts:5/);
  });

  it("refuses bad input with exit 6 and a hint", async () => {
    const root = await gait(["scout", "snapshot", "--roots", "nowhere", "--json"], 6);
    assert.equal(root.json?.detail_code, "scout_root_unreadable");
    assert.match(String(root.json?.hint), /--roots/);
    writeFileSync(join(temp.dir, "bad.yaml"), "rules: [\n");
    const policy = await gait(["scout", "snapshot", "--roots", "repo", "--policy", "bad.yaml", "--json"], 6);
    assert.equal(policy.json?.detail_code, "scout_policy_invalid");
    writeFileSync(join(temp.dir, "not-a-snapshot.json"), "{}");
    const diff = await gait(["scout", "diff", "a.json", "not-a-snapshot.json", "--json"], 6);
    assert.equal(diff.json?.detail_code, "scout_snapshot_invalid");
    await gait(["scout", "snapshot", "--fail-under", "80"], 6);
  });

  it("has --help and --explain for each command", async () => {
    for (const sub of ["snapshot", "diff"]) {
      const help = await gait(["scout", sub, "--help"], 0);
      assert.match(help.stdout, /--json|Usage/);
      const explain = await gait(["scout", sub, "--explain"], 0);
      assert.ok(explain.stdout.trim().length > 20);
    }
  });
});
