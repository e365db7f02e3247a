/**
 * `gait mcp proxy` over Streamable HTTP (built CLI): one proxy serves HTTP on loopback in front of
 * the real memory server; a second proxy reaches it as its `--upstream` and serves the agent on
 * stdio. Also the one-shot `--call` evaluation.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { gaitBin, repoRoot, runGait, tempDir } from "../helpers/cli.ts";

const memoryServer = join(repoRoot, "node_modules/@modelcontextprotocol/server-memory/dist/index.js");
const TOKEN = "test-token-0123456789abcdef";
const POLICY = `default_verdict: allow
rules:
  - name: no deletes
    priority: 10
    effect: block
    match: {tool_names: [delete_entities]}
  - name: reviewed relations
    priority: 10
    effect: require_approval
    match: {tool_names: [create_relations]}
`;

interface HttpProxy {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

function startHttpProxy(dir: string): Promise<HttpProxy> {
  const child = spawn(
    process.execPath,
    [
      gaitBin,
      "mcp",
      "proxy",
      "--policy",
      "policy.yaml",
      "--listen",
      "127.0.0.1:0",
      "--token-env",
      "MCP_TOKEN",
      "--trace-dir",
      "traces-http",
      "--runpack-out",
      "out",
      "--run-id",
      "run_http",
      "--json",
      "--",
      process.execPath,
      memoryServer,
    ],
    {
      cwd: dir,
      env: { ...process.env, MCP_TOKEN: TOKEN, MEMORY_FILE_PATH: join(dir, "memory.jsonl"), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  return new Promise((resolveStart, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      const match = /serving \S+ at (http:\/\/\S+)/.exec(stderr);
      if (match) resolveStart({ child, url: match[1]!, stdout: () => stdout });
    });
    child.once("exit", (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
}

describe("gait mcp proxy over Streamable HTTP (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  let proxy: HttpProxy;

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-mcp-http-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    proxy = await startHttpProxy(dir);
  });
  after(() => {
    proxy.child.kill("SIGKILL");
    cleanup();
  });

  it("refuses requests without the token or with a foreign Host header", async () => {
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: {} };
    const post = (headers: Record<string, string>) =>
      fetch(proxy.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify(init),
      });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ authorization: "Bearer wrong-token-0123456789" })).status, 401);
    const url = new URL(proxy.url);
    const rebound = await new Promise<number>((resolveStatus, reject) => {
      import("node:http").then(({ request }) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: "POST",
            headers: { host: "evil.example:80" },
          },
          (res) => resolveStatus(res.statusCode ?? 0),
        );
        req.on("error", reject);
        req.end(JSON.stringify(init));
      });
    });
    assert.equal(rebound, 403);
  });

  it("serves MCP over HTTP and as another proxy's --upstream; verdicts reach the agent as tool errors", async () => {
    const direct = new Client({ name: "http-client", version: "1" });
    await direct.connect(
      new StreamableHTTPClientTransport(new URL(proxy.url), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const created = await direct.callTool({
      name: "create_entities",
      arguments: { entities: [{ name: "a", entityType: "t", observations: [] }] },
    });
    assert.notEqual(created.isError, true);
    const relation = await direct.callTool({
      name: "create_relations",
      arguments: { relations: [{ from: "a", to: "a", relationType: "self" }] },
    });
    assert.equal(relation.isError, true);
    assert.match(JSON.stringify(relation.content), /gait require_approval/);
    await direct.close();

    // The second proxy cannot send the token (no --upstream headers), so it goes through a
    // loopback HTTP proxy without one: start it here.
    const { dir: second, cleanup: cleanupSecond } = tempDir("gait-e2e-mcp-upstream-");
    try {
      writeFileSync(join(second, "policy.yaml"), POLICY);
      const open = await startOpenHttpProxy(second);
      const stdio = new StdioClientTransport({
        command: process.execPath,
        args: [gaitBin, "mcp", "proxy", "--policy", "policy.yaml", "--stdio", "--upstream", open.url],
        cwd: second,
        stderr: "pipe",
      });
      const viaUpstream = new Client({ name: "stdio-client", version: "1" });
      await viaUpstream.connect(stdio);
      const read = await viaUpstream.callTool({ name: "read_graph", arguments: {} });
      assert.notEqual(read.isError, true);
      const deleted = await viaUpstream.callTool({
        name: "delete_entities",
        arguments: { entityNames: ["a"] },
      });
      assert.equal(deleted.isError, true);
      await viaUpstream.close();
      open.child.kill("SIGTERM");
      await new Promise((r) => open.child.once("exit", r));
    } finally {
      cleanupSecond();
    }
  });

  it("SIGTERM ends the session: summary on stdout, runpack written", async () => {
    proxy.child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => proxy.child.once("exit", r));
    assert.equal(code, 0);
    const summary = JSON.parse(proxy.stdout()) as {
      run_id: string;
      verdicts: Record<string, number>;
      runpack_path: string;
    };
    assert.equal(summary.run_id, "run_http");
    assert.equal(summary.verdicts.allow, 1);
    assert.equal(summary.verdicts.require_approval, 1);
    assert.match(summary.runpack_path, /^(\.\/)?out\/runpack_run_http\.zip$/);
    const verify = await runGait(["verify", summary.runpack_path, "--json"], { cwd: dir });
    assert.equal(verify.code, 0, verify.stdout);
    const traces = readdirSync(join(dir, "traces-http"));
    assert.equal(traces.filter((f) => f.startsWith("trace_")).length, 2, traces.join(", "));
  });
});

function startOpenHttpProxy(dir: string): Promise<HttpProxy> {
  const child = spawn(
    process.execPath,
    [
      gaitBin,
      "mcp",
      "proxy",
      "--policy",
      "policy.yaml",
      "--listen",
      "127.0.0.1:0",
      "--",
      process.execPath,
      memoryServer,
    ],
    {
      cwd: dir,
      env: { ...process.env, MEMORY_FILE_PATH: join(dir, "memory.jsonl") },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  return new Promise((resolveStart, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      const match = /serving \S+ at (http:\/\/\S+)/.exec(stderr);
      if (match) resolveStart({ child, url: match[1]!, stdout: () => "" });
    });
    child.once("exit", (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
}

describe("gait mcp proxy --call (one-shot, built CLI)", () => {
  it("decides an adapter payload without running anything: exit 0, 3 or 4 and a trace", async () => {
    const { dir, cleanup } = tempDir("gait-e2e-mcp-call-");
    try {
      writeFileSync(join(dir, "policy.yaml"), POLICY);
      writeFileSync(
        join(dir, "allow.json"),
        JSON.stringify({ type: "tool_use", name: "read_graph", input: {} }),
      );
      writeFileSync(
        join(dir, "block.json"),
        JSON.stringify({ function: { name: "delete_entities", arguments: "{}" } }),
      );
      writeFileSync(join(dir, "approve.json"), JSON.stringify({ tool: "create_relations", tool_input: {} }));
      writeFileSync(join(dir, "bad.json"), JSON.stringify({ function: { arguments: "{}" } }));
      const run = (file: string, adapter: string) =>
        runGait(["mcp", "proxy", "--policy", "policy.yaml", "--call", file, "--adapter", adapter, "--json"], {
          cwd: dir,
        });
      const allowed = await run("allow.json", "anthropic");
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      assert.equal(allowed.json?.executed, false);
      assert.equal(allowed.json?.verdict, "allow");
      const blocked = await run("block.json", "openai");
      assert.equal(blocked.code, 3);
      assert.equal(blocked.json?.verdict, "block");
      const pending = await run("approve.json", "langchain");
      assert.equal(pending.code, 4);
      assert.ok(
        readFileSync(join(dir, String(pending.json?.trace_path)), "utf8").includes('"require_approval"'),
      );
      const bad = await run("bad.json", "openai");
      assert.equal(bad.code, 6);
      assert.equal(bad.json?.error_code, "invalid_input");
    } finally {
      cleanup();
    }
  });
});
