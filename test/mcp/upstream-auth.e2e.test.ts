/**
 * `gait mcp proxy --upstream URL` with headers (built CLI): the upstream is a Streamable HTTP MCP
 * server in this test that requires a bearer token and a tenant header. Without the token the
 * agent's initialize fails and the proxy exits 7; with `--upstream-header-env` and
 * `--upstream-header` every request to the upstream carries both and calls work. The token
 * appears in no file the proxy wrote (runpacks read entry by entry), nor on its stdout or stderr.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { readRunpack } from "../../src/runpack/read.ts";
import { captureOutput, gaitBin, tempDir } from "../helpers/cli.ts";

const TOKEN = `sk-test-${randomBytes(16).toString("hex")}`;
const WRONG_TOKEN = `sk-wrong-${randomBytes(16).toString("hex")}`;

/** A stateless Streamable HTTP MCP server that answers only requests with the token and tenant. */
function securedServer(): Promise<{ url: string; seen: Array<string | undefined>; close(): Promise<void> }> {
  const seen: Array<string | undefined> = [];
  const http: HttpServer = createServer(async (req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${TOKEN}` || req.headers["x-tenant"] !== "acme") {
      res.writeHead(401, { "content-type": "text/plain" }).end("unauthorized");
      return;
    }
    const server = new McpServer({ name: "secured-server", version: "1.0.0" });
    server.registerTool("whoami", { description: "The caller's tenant." }, async () => ({
      content: [{ type: "text", text: "tenant acme" }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  return new Promise((resolveStart) => {
    http.listen(0, "127.0.0.1", () => {
      const { port } = http.address() as AddressInfo;
      resolveStart({
        url: `http://127.0.0.1:${port}/mcp`,
        seen,
        close: () =>
          new Promise((r) => {
            http.closeAllConnections();
            http.close(() => r());
          }),
      });
    });
  });
}

/** Every file under `dir`, runpacks as their entries. */
async function writtenTexts(dir: string): Promise<Array<[string, string]>> {
  const texts: Array<[string, string]> = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    texts.push([name, readFileSync(path, "latin1")]);
    if (name.endsWith(".zip")) {
      const { entries } = await readRunpack(path);
      for (const entry of entries) texts.push([`${name}:${entry.path}`, entry.data.toString("utf8")]);
    }
  }
  return texts;
}

describe("gait mcp proxy --upstream with headers (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  let upstream: Awaited<ReturnType<typeof securedServer>>;

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-mcp-auth-"));
    writeFileSync(join(dir, "policy.yaml"), "default_verdict: allow\nrules: []\n");
    upstream = await securedServer();
  });
  after(async () => {
    await upstream.close();
    cleanup();
  });

  const proxyArgs = (extra: string[]) => [
    gaitBin,
    "mcp",
    "proxy",
    "--policy",
    "policy.yaml",
    "--stdio",
    "--upstream",
    upstream.url,
    "--trace-dir",
    "traces",
    "--runpack-out",
    "out",
    "--export-log-out",
    "decisions.jsonl",
    "--json",
    ...extra,
  ];

  it("without the right token the agent's initialize fails and the proxy exits 7, saying nothing of the token", async () => {
    const child = spawn(
      process.execPath,
      proxyArgs(["--upstream-header-env", "Authorization=UP_AUTH", "--upstream-header", "X-Tenant: acme"]),
      { cwd: dir, env: { ...process.env, UP_AUTH: `Bearer ${WRONG_TOKEN}`, NO_COLOR: "1" } },
    );
    const output = captureOutput(child);
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    };
    child.stdin.write(`${JSON.stringify(initialize)}\n`);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    const stdout = output.stdout();
    const stderr = output.stderr();
    assert.equal(code, 7, stdout + stderr);
    const answer = JSON.parse(stdout.split("\n")[0]!) as { id: number; error?: { message: string } };
    assert.equal(answer.id, 1);
    assert.match(answer.error?.message ?? "", /cannot reach the MCP server/);
    assert.match(stdout + stderr, /mcp_upstream_unavailable/);
    assert.ok(!(stdout + stderr).includes(WRONG_TOKEN), "the token is not echoed");
    assert.ok(upstream.seen.includes(`Bearer ${WRONG_TOKEN}`), "the header was sent");
  });

  it("with the token every upstream request carries it and calls work; it is in no output or file", async () => {
    upstream.seen.length = 0;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: proxyArgs([
        "--upstream-header-env",
        "Authorization=UP_AUTH",
        "--upstream-header",
        "X-Tenant: acme",
      ]),
      cwd: dir,
      env: { ...(process.env as Record<string, string>), UP_AUTH: `Bearer ${TOKEN}`, NO_COLOR: "1" },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d) => {
      stderr += d;
    });
    const client = new Client({ name: "auth-e2e", version: "1" });
    try {
      await client.connect(transport);
      // What the proxy writes on stdout from here on (the handshake's answer is the server's info).
      let stdout = JSON.stringify(client.getServerVersion());
      const deliver = transport.onmessage!;
      transport.onmessage = (message) => {
        stdout += JSON.stringify(message);
        deliver(message);
      };
      const result = await client.callTool({ name: "whoami", arguments: {} });
      assert.notEqual(result.isError, true, JSON.stringify(result));
      assert.deepEqual(result.content, [{ type: "text", text: "tenant acme" }]);
      await client.close();
      await new Promise((r) => setTimeout(r, 0));
      assert.ok(upstream.seen.length >= 3, `requests: ${upstream.seen.length}`);
      assert.ok(
        upstream.seen.every((auth) => auth === `Bearer ${TOKEN}`),
        "every request carried the token",
      );
      assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), "stdout and stderr");
    } finally {
      await client.close().catch(() => {});
    }
    // The runpack is written as the proxy shuts down, after the client has gone.
    const runpackWritten = () =>
      existsSync(join(dir, "out")) && readdirSync(join(dir, "out")).some((f) => f.endsWith(".zip"));
    const deadline = Date.now() + 10_000;
    while (!runpackWritten() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const written = await writtenTexts(dir);
    const names = written.map(([name]) => name);
    assert.ok(
      names.some((n) => n.startsWith("traces/trace_")),
      names.join(", "),
    );
    assert.ok(
      names.some((n) => n.endsWith(".zip:run.json")),
      names.join(", "),
    );
    assert.ok(names.includes("decisions.jsonl"), names.join(", "));
    for (const [name, text] of written) {
      assert.ok(!text.includes(TOKEN), `${name} holds the token`);
      assert.ok(!text.includes(WRONG_TOKEN), `${name} holds the wrong token`);
    }
  });
});
