/**
 * `gait mcp proxy` end to end: the SDK's real Client talks to the built CLI, which launches a real
 * MCP server from npm (@modelcontextprotocol/server-memory, whose tools write a memory file).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { encodePrivateKey, encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { gaitBin, repoRoot, runGait, tempDir } from "../helpers/cli.ts";

const memoryServer = join(repoRoot, "node_modules/@modelcontextprotocol/server-memory/dist/index.js");
const rugPullServer = join(repoRoot, "test/mcp/fixtures/rug-pull-server.mjs");

const POLICY = `default_verdict: allow
rules:
  - name: no deletes
    priority: 10
    effect: block
    match:
      tool_names: [delete_entities]
    reason_codes: [deletes_are_blocked]
`;

type ToolText = { content: Array<{ type: string; text?: string }>; isError?: boolean };

function textOf(result: unknown): string {
  return ((result as ToolText).content ?? []).map((c) => c.text ?? "").join("\n");
}

function connect(
  dir: string,
  proxyArgs: string[],
  server: string[],
): { client: Client; stderr: () => string } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [gaitBin, "mcp", "proxy", ...proxyArgs, "--", ...server],
    cwd: dir,
    env: {
      ...(process.env as Record<string, string>),
      MEMORY_FILE_PATH: join(dir, "memory.jsonl"),
      NO_COLOR: "1",
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return {
    client: new Client({ name: "gait-e2e", version: "1.0.0" }),
    stderr: () => stderr,
    ...{ transport },
  } as {
    client: Client;
    stderr: () => string;
  } & { transport: StdioClientTransport };
}

describe("gait mcp proxy (built CLI, real MCP server)", () => {
  let dir: string;
  let cleanup: () => void;

  before(() => {
    ({ dir, cleanup } = tempDir("gait-e2e-mcp-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    const key = generateSigningKey();
    writeFileSync(join(dir, "gait_private.key"), `${encodePrivateKey(key)}\n`);
    writeFileSync(join(dir, "gait_public.key"), `${encodePublicKey(key)}\n`);
  });
  after(() => cleanup());

  it("forwards allowed calls, refuses blocked ones before the server, signs traces and records a runpack", async () => {
    const { client, stderr, transport } = connect(
      dir,
      [
        "--policy",
        "policy.yaml",
        "--trace-dir",
        "traces",
        "--runpack-out",
        "out",
        "--run-id",
        "run_mcp_e2e",
        "--private-key",
        "gait_private.key",
        "--json",
      ],
      [process.execPath, memoryServer],
    ) as ReturnType<typeof connect> & { transport: StdioClientTransport };
    await client.connect(transport);

    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === "create_entities"));

    const created = await client.callTool({
      name: "create_entities",
      arguments: { entities: [{ name: "gait", entityType: "project", observations: ["gates tool calls"] }] },
    });
    assert.notEqual(created.isError, true, textOf(created));
    assert.match(textOf(created), /gait/);
    const memory = () => readFileSync(join(dir, "memory.jsonl"), "utf8");
    assert.match(memory(), /"name":"gait"/);

    const deleted = await client.callTool({ name: "delete_entities", arguments: { entityNames: ["gait"] } });
    assert.equal(deleted.isError, true);
    assert.match(textOf(deleted), /gait block/);
    assert.match(textOf(deleted), /deletes_are_blocked/);
    // The server never saw the call: the entity is still in its memory file.
    assert.match(memory(), /"name":"gait"/);

    await client.close();
    assert.match(stderr(), /delete_entities: verdict=block/);
    // The session summary went to stderr: stdout was the MCP channel.
    assert.match(stderr(), /"run_id":"run_mcp_e2e"/);

    const traces = readdirSync(join(dir, "traces")).filter((f) => f.startsWith("trace_"));
    assert.equal(traces.length, 2, `traces: ${traces.join(", ")}`);
    const verdicts = new Set<string>();
    for (const file of traces) {
      const verified = await runGait(
        ["trace", "verify", join("traces", file), "--public-key", "gait_public.key", "--json"],
        { cwd: dir },
      );
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      verdicts.add(String(verified.json?.verdict));
    }
    assert.deepEqual([...verdicts].sort(), ["allow", "block"]);

    const runpack = join("out", "runpack_run_mcp_e2e.zip");
    assert.ok(existsSync(join(dir, runpack)));
    const verify = await runGait(["verify", runpack, "--public-key", "gait_public.key", "--json"], {
      cwd: dir,
    });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(verify.json?.signature_status, "verified");

    const boot = await runGait(["regress", "bootstrap", "--from", runpack, "--json"], { cwd: dir });
    assert.equal(boot.code, 0, boot.stdout + boot.stderr);
  });

  it("blocks a tool whose definition changes mid-session until its pin is approved", async () => {
    const { client, transport } = connect(
      dir,
      ["--policy", "policy.yaml", "--trace-dir", "traces-rug-pull"],
      [process.execPath, rugPullServer],
    ) as ReturnType<typeof connect> & { transport: StdioClientTransport };
    await client.connect(transport);
    await client.listTools();

    const first = await client.callTool({ name: "echo", arguments: { text: "one" } });
    assert.notEqual(first.isError, true, textOf(first));
    assert.equal(textOf(first), "echo: one");

    // The server changed the tool's description and announced it; the proxy re-read and compared.
    const second = await client.callTool({ name: "echo", arguments: { text: "two" } });
    assert.equal(second.isError, true);
    assert.match(textOf(second), /mcp_tool_definition_changed/);

    const list = await runGait(["mcp", "pins", "list", "--json"], { cwd: dir });
    const pins = list.json?.pins as Array<{ server_id: string; tool: string; status: string }>;
    assert.deepEqual(
      pins.filter((p) => p.server_id === "rug-pull-server").map((p) => [p.tool, p.status]),
      [["echo", "changed"]],
    );
    const approve = await runGait(["mcp", "pins", "approve", "--server", "rug-pull-server", "--json"], {
      cwd: dir,
    });
    assert.equal(approve.code, 0, approve.stdout + approve.stderr);
    assert.deepEqual(approve.json?.approved, ["echo"]);

    const third = await client.callTool({ name: "echo", arguments: { text: "three" } });
    assert.notEqual(third.isError, true, textOf(third));
    assert.equal(textOf(third), "echo: three");
    await client.close();
  });

  it("hands every decision to the exporters: one JSONL line per call with --export-log-out", async () => {
    const { client, transport } = connect(
      dir,
      ["--policy", "policy.yaml", "--no-pins", "--export-log-out", "decisions.jsonl", "--json"],
      [process.execPath, memoryServer],
    ) as ReturnType<typeof connect> & { transport: StdioClientTransport };
    await client.connect(transport);
    await client.callTool({ name: "read_graph", arguments: {} });
    await client.callTool({ name: "delete_entities", arguments: { entityNames: ["nobody"] } });
    await client.close();
    // The log is flushed when the proxy shuts down, after the client has gone.
    const deadline = Date.now() + 10_000;
    const lines = () =>
      existsSync(join(dir, "decisions.jsonl"))
        ? readFileSync(join(dir, "decisions.jsonl"), "utf8").split("\n").filter(Boolean)
        : [];
    while (lines().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const events = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map((e) => [e.tool_name, e.verdict]),
      [
        ["read_graph", "allow"],
        ["delete_entities", "block"],
      ],
    );
  });
});
