/**
 * Scout in-process: the fixture agents (a TS agent per framework, a Python agent per framework)
 * give exactly the expected items; skipped directories, .gitignore, include/exclude; same bytes
 * on two runs and from two places on disk; a file that does not parse is a finding; the real MCP
 * server package (a devDependency) is inventoried from its shipped code; coverage and diff; bad
 * roots and policies are exit 6. Outputs validate against the public and published schemas.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isGaitError } from "../../src/contract/errors.ts";
import {
  coverageReport,
  diffSnapshots,
  loadPolicies,
  runScoutSnapshot,
  scoutJson,
  takeSnapshot,
} from "../../src/scout/index.ts";
import { repoRoot, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const fixture = join(repoRoot, "test", "scout", "fixtures", "agents");
const temps: Array<() => void> = [];
after(() => {
  for (const cleanup of temps) cleanup();
});

/** A copy of the fixture with what the walk must skip, and a TS file that does not parse. */
function agentsTree(): string {
  const temp = tempDir("gait-scout-");
  temps.push(temp.cleanup);
  const root = join(temp.dir, "repo");
  cpSync(fixture, root, { recursive: true });
  const tool = readFileSync(join(fixture, "py", "fastmcp_server.py"));
  for (const dir of ["node_modules/pkg", "dist", ".venv/lib", "build", ".git", "ignored", "sub/generated"]) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, "server.py"), tool);
  }
  writeFileSync(join(root, ".venv", "pyvenv.cfg"), "home = /usr/bin\n");
  writeFileSync(join(root, ".gitignore"), "ignored/\n");
  writeFileSync(join(root, "sub", ".gitignore"), "generated\n");
  writeFileSync(
    join(root, "ts", "broken.ts"),
    'import { tool } from "ai";\nexport const x = tool({ description: "open"\n',
  );
  return root;
}

const EXPECTED = [
  "crewai Search Docs py/crewai_agent.py:6 low",
  "crewai write_file py/crewai_agent.py:16 high",
  "fastmcp add_note py/fastmcp_server.py:8 medium",
  "fastmcp drop_notes py/fastmcp_server.py:14 critical",
  "fastmcp read_note py/fastmcp_server.py:20 low",
  "langchain current_time ts/langchain.ts:18 low",
  "langchain echo_text ts/langchain.ts:33 low",
  "langchain run_shell ts/langchain.ts:24 high",
  "langchain delete_record ts/langchain.ts:11 critical",
  "langchain export_report py/langchain_agent.py:11 high",
  "langchain lookup_order py/langchain_agent.py:5 low",
  "langchain multiply py/langchain_agent.py:20 low",
  "langchain web_search ts/langchain.ts:5 low",
  "mastra update_ticket ts/mastra.ts:5 high",
  "mcp_sdk list_files ts/mcp-server.mjs:7 medium",
  "mcp_sdk purge_cache ts/mcp-server.mjs:17 critical",
  "openai_agents get_weather py/openai_agents_agent.py:5 low",
  "openai_agents issue_refund ts/openai-agents.ts:5 low",
  "openai_agents send_payment py/openai_agents_agent.py:11 critical",
  "ai_sdk send_email ts/ai-sdk.ts:5 high",
  "ai_sdk weather ts/ai-sdk.ts:16 low",
].sort();

const tagOf = (tags: string[] | undefined, key: string) =>
  tags?.find((t) => t.startsWith(`${key}:`))?.slice(key.length + 1);

describe("scout snapshot of the fixture agents", () => {
  const root = agentsTree();

  it("finds exactly the expected tools, skipping dependencies, venvs, build output and ignored files", async () => {
    const { snapshot, findings } = await takeSnapshot({ roots: [root], cwd: "/" });
    const got = snapshot.items
      .map((i) => `${tagOf(i.tags, "framework")} ${i.name} ${i.locator} ${i.risk_level}`)
      .sort();
    assert.deepEqual(got, EXPECTED);
    assert.ok(snapshot.items.every((i) => i.kind === "tool" && /^tool_[0-9a-f]{16}$/.test(i.id)));
    assert.ok(snapshot.items.every((i) => /^definition_digest:[0-9a-f]{16}$/.test(i.tags?.[0] ?? "")));
    // Risk reasons, one `risk_reason:<source>:<value>` form: annotations, declared targets, name tokens.
    const reasons = (name: string) =>
      snapshot.items.find((i) => i.name === name)?.tags?.filter((t) => t.startsWith("risk_reason:"));
    assert.deepEqual(reasons("list_files"), ["risk_reason:hint:read_only", "risk_reason:target:filesystem"]);
    assert.deepEqual(reasons("write_file"), ["risk_reason:name:write", "risk_reason:target:filesystem"]);
    assert.deepEqual(reasons("delete_record"), ["risk_reason:name:delete"]);
    assert.deepEqual(reasons("run_shell"), ["risk_reason:name:shell", "risk_reason:target:exec"]);
    assert.deepEqual(reasons("get_weather"), ["risk_reason:default:none"]);
    assert.deepEqual(
      findings.map((f) => `${f.path}:${f.line} ${f.code}`),
      ["py/broken.py:4 scout_parse_error", "ts/broken.ts:3 scout_parse_error"],
    );
    assert.match(snapshot.snapshot_id, /^snap_[0-9a-f]{12}$/);
    assert.equal(snapshot.workspace, "repo");
  });

  it("gives the same bytes on two runs and from another place on disk", async () => {
    const first = scoutJson((await takeSnapshot({ roots: ["repo"], cwd: join(root, "..") })).snapshot);
    const second = scoutJson((await takeSnapshot({ roots: ["repo"], cwd: join(root, "..") })).snapshot);
    const elsewhere = agentsTree();
    const third = scoutJson((await takeSnapshot({ roots: ["repo"], cwd: join(elsewhere, "..") })).snapshot);
    assert.equal(first, second);
    assert.equal(first, third);
    assert.ok(!first.includes(root), "no absolute path in the snapshot");
  });

  it("honours --include and --exclude", async () => {
    const py = await takeSnapshot({ roots: [root], cwd: "/", include: ["py/**"] });
    assert.ok(py.snapshot.items.every((i) => i.locator.startsWith("py/")));
    assert.equal(py.snapshot.items.length, 10);
    const noTs = await takeSnapshot({ roots: [root], cwd: "/", exclude: ["ts"] });
    assert.equal(noTs.snapshot.items.length, 10);
  });

  it("validates against the public snapshot schema", { skip: publicSchemasSkip }, async () => {
    const { snapshot } = await takeSnapshot({ roots: [root], cwd: "/" });
    assertPublicValid(snapshot, "scout snapshot");
  });

  it("validates against the published snapshot schema", async () => {
    const { snapshot } = await takeSnapshot({ roots: [root], cwd: "/" });
    assertPublishedValid(snapshot, "scout/inventory_snapshot.schema.json");
  });

  it("measures coverage against policies and writes both files", async () => {
    const policy = join(root, "..", "policy.yaml");
    writeFileSync(
      policy,
      [
        "schema_id: gait.gate.policy",
        "schema_version: 1.0.0",
        "default_verdict: allow",
        "rules:",
        "  - name: money-and-deletes",
        "    effect: require_approval",
        "    match:",
        "      tool_names: [Delete_Record, send_payment, weather]",
        "",
      ].join("\n"),
    );
    const run = await runScoutSnapshot({ roots: ["repo"], cwd: join(root, ".."), policies: ["policy.yaml"] });
    const coverage = run.coverage!;
    assert.equal(coverage.discovered_tools, 21);
    assert.deepEqual(coverage.gated_tool_names, ["delete_record", "send_payment", "weather"]);
    assert.equal(coverage.coverage_percent, 14.29);
    assert.equal(coverage.high_risk_ungated_tools, 7);
    assert.equal(coverage.policy_digests.length, 1);
    assert.equal(coverage.snapshot_id, run.snapshot.snapshot_id);
    assertPublishedValid(coverage, "scout/coverage_report.schema.json");
    const written = JSON.parse(readFileSync(join(root, "..", run.coveragePath!), "utf8"));
    assert.deepEqual(written, coverage);
    assert.deepEqual(JSON.parse(readFileSync(join(root, "..", run.snapshotPath), "utf8")), run.snapshot);
    assert.equal(coverageReport({ ...run.snapshot, items: [] }, []).coverage_percent, 100);
  });

  it("sees drift: a changed definition, a moved tool, an added and a removed one", async () => {
    const tree = agentsTree();
    const before = (await takeSnapshot({ roots: [tree], cwd: "/" })).snapshot;
    const mastra = join(tree, "ts", "mastra.ts");
    writeFileSync(
      mastra,
      readFileSync(mastra, "utf8")
        .replace("Update a support ticket", "Update or close a support ticket")
        .replace("export const updateTicket", "\n\nexport const updateTicket"),
    );
    const ai = join(tree, "ts", "ai-sdk.ts");
    writeFileSync(ai, readFileSync(ai, "utf8").replace("weather: tool(", "forecast: tool("));
    const afterwards = (await takeSnapshot({ roots: [tree], cwd: "/" })).snapshot;
    const diff = diffSnapshots(before, afterwards);
    assert.equal(diff.drift, true);
    assert.deepEqual(
      diff.added.map((i) => i.name),
      ["forecast"],
    );
    assert.deepEqual(
      diff.removed.map((i) => i.name),
      ["weather"],
    );
    assert.equal(diff.changed.length, 1);
    assert.equal(diff.changed[0]!.name, "update_ticket");
    assert.deepEqual(diff.changed[0]!.fields, ["definition_digest", "locator"]);
    assert.equal(diff.changed[0]!.after_locator, "ts/mastra.ts:7");
    assert.deepEqual(diff.counts, { added: 1, removed: 1, changed: 1, unchanged: 19 });
    assertPublishedValid(diff, "scout/snapshot_diff.schema.json");
    assert.equal(diffSnapshots(before, before).drift, false);
  });

  it("refuses an unreadable root and a broken policy with exit 6", async () => {
    await assert.rejects(takeSnapshot({ roots: ["missing"], cwd: root }), (error) => {
      assert.ok(isGaitError(error));
      assert.equal(error.code, "scout_root_unreadable");
      assert.equal(error.exitCode, 6);
      return true;
    });
    writeFileSync(join(root, "bad.yaml"), "schema_id: gait.gate.policy\nrules: [\n");
    await assert.rejects(loadPolicies(root, ["bad.yaml"]), (error) => {
      assert.ok(isGaitError(error));
      assert.equal(error.code, "scout_policy_invalid");
      assert.equal(error.exitCode, 6);
      return true;
    });
  });
});

describe("one locator rule and one file walk for code and MCP items", () => {
  const mastra = readFileSync(join(fixture, "ts", "mastra.ts"));
  const mcpJson = (name: string) =>
    JSON.stringify({ mcpServers: { [name]: { command: "npx", args: ["-y", "x"] } } });
  /** base/svc-a and base/svc-b, each with a Mastra tool and a project MCP config. */
  function twoServices(): string {
    const temp = tempDir("gait-scout-roots-");
    temps.push(temp.cleanup);
    for (const svc of ["svc-a", "svc-b"]) {
      mkdirSync(join(temp.dir, svc, "ts"), { recursive: true });
      writeFileSync(join(temp.dir, svc, "ts", "mastra.ts"), mastra);
      writeFileSync(join(temp.dir, svc, ".mcp.json"), mcpJson(`${svc}-db`));
    }
    return temp.dir;
  }
  const locators = (items: Array<{ locator: string }>) => items.map((i) => i.locator).sort();

  it("with two roots, code and MCP locators are both relative to the roots' common directory", async () => {
    const base = twoServices();
    const expected = [
      "svc-a/.mcp.json#/mcpServers/svc-a-db",
      "svc-a/ts/mastra.ts:5",
      "svc-b/.mcp.json#/mcpServers/svc-b-db",
      "svc-b/ts/mastra.ts:5",
    ];
    const fromBase = await takeSnapshot({ roots: ["svc-a", "svc-b"], cwd: base });
    assert.deepEqual(locators(fromBase.snapshot.items), expected);
    // However the roots are written (from inside one of them, absolute), the same items and ids.
    const fromInside = await takeSnapshot({ roots: [".", "../svc-b"], cwd: join(base, "svc-a") });
    assert.deepEqual(locators(fromInside.snapshot.items), expected);
    assert.deepEqual(fromInside.snapshot.items, fromBase.snapshot.items);
    const absolute = await takeSnapshot({ roots: [join(base, "svc-b"), join(base, "svc-a")], cwd: "/" });
    assert.deepEqual(
      absolute.snapshot.items.map((i) => i.id).sort(),
      fromBase.snapshot.items.map((i) => i.id).sort(),
    );
    assertPublishedValid(fromBase.snapshot, "scout/inventory_snapshot.schema.json");
  });

  it("with one root, locators are relative to it; overlapping roots read a file once", async () => {
    const base = twoServices();
    const one = await takeSnapshot({ roots: ["svc-a"], cwd: base });
    assert.deepEqual(locators(one.snapshot.items), [".mcp.json#/mcpServers/svc-a-db", "ts/mastra.ts:5"]);
    const overlap = await takeSnapshot({ roots: [".", "svc-a"], cwd: base });
    assert.equal(overlap.snapshot.items.length, 4);
    assert.equal(new Set(overlap.snapshot.items.map((i) => i.id)).size, 4);
  });

  it("reads no MCP config the walk skips: .gitignore, --exclude, --include, virtualenvs, build output", async () => {
    const base = twoServices();
    const root = join(base, "svc-a");
    const put = (path: string, name: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), mcpJson(name));
    };
    put("ignored/servers.json", "from-gitignored");
    writeFileSync(join(root, ".gitignore"), "ignored/\n");
    put("excluded/servers.json", "from-excluded");
    put("env/servers.json", "from-venv");
    writeFileSync(join(root, "env", "pyvenv.cfg"), "home = /usr/bin\n");
    put("gait-out/servers.json", "from-gait-out");
    put("dist/servers.json", "from-dist");
    put("examples/servers.json", "from-examples");
    const names = async (options: { include?: string[]; exclude?: string[] }) =>
      (await takeSnapshot({ roots: [root], cwd: "/", ...options })).snapshot.items
        .filter((i) => i.kind === "mcp_server")
        .map((i) => i.name)
        .sort();
    assert.deepEqual(await names({ exclude: ["excluded/**"] }), ["from-examples", "svc-a-db"]);
    assert.deepEqual(await names({ exclude: [".mcp.json", "excluded"] }), ["from-examples"]);
    assert.deepEqual(await names({ include: ["ts/**", "examples/**"] }), ["from-examples"]);
  });
});

describe("a real MCP server package from npm", () => {
  it("inventories @modelcontextprotocol/server-memory from its shipped code", async () => {
    const root = join(repoRoot, "node_modules", "@modelcontextprotocol", "server-memory", "dist");
    const { snapshot, findings } = await takeSnapshot({ roots: [root], cwd: repoRoot });
    assert.deepEqual(findings, []);
    const tools = snapshot.items.map((i) => `${i.name} ${i.risk_level}`).sort();
    assert.deepEqual(tools, [
      "add_observations medium",
      "create_entities medium",
      "create_relations medium",
      "delete_entities critical",
      "delete_observations critical",
      "delete_relations critical",
      "open_nodes low",
      "read_graph low",
      "search_nodes low",
    ]);
    assert.ok(
      snapshot.items.every((i) => i.tags?.includes("framework:mcp_sdk") && i.locator.startsWith("index.js:")),
    );
  });
});
