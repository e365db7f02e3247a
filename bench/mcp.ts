/**
 * MCP proxy overhead (issue 21): the latency one `tools/call` gains by going through `gait mcp
 * proxy` (the built CLI) instead of straight to the server. The same SDK Client calls the same
 * real server (@modelcontextprotocol/server-memory's read_graph, an allowed call) over stdio,
 * once directly and once through the proxy in each trace durability mode; rounds alternate the
 * three so each sees the same machine state. Figures are per-call latency percentiles as the
 * client sees them; "added" is the proxy's p50/p99 minus the direct one's in the same rounds.
 * Goal: under 1 ms added at p50 (async traces; durable adds an fsync per call).
 *
 * The process rows include two more pipe hops and a third process to schedule, which on a
 * loaded machine dominate; the in-process rows isolate the proxy's own work per call (decision,
 * trace hand-off to the worker, the SDK's second parse and validation of request and result):
 * the same Client → server calls over the SDK's in-memory transport, direct or through the
 * proxy's Server and Client in this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { generateSigningKey } from "../src/contract/signing.ts";
import { systemClock } from "../src/contract/time.ts";
import { CallEnforcer, createProxyServer, upstreamOf } from "../src/mcp/index.ts";
import { createGate, TraceWorker } from "../src/sdk/index.ts";
import { type BenchRow, percentile, settleFileSystems } from "./lib.ts";

const ROUNDS = 5;
const CALLS_PER_ROUND = 400;
const WARMUP_CALLS = 100;

const root = resolve(import.meta.dirname, "..");
const gait = join(root, "dist", "gait.cjs");
const memoryServer = join(root, "node_modules/@modelcontextprotocol/server-memory/dist/index.js");

type Path = "direct" | "proxy_async" | "proxy_durable";

async function connect(path: Path, dir: string): Promise<Client> {
  const server = [process.execPath, memoryServer];
  const proxied = (durability: string) => [
    gait,
    "mcp",
    "proxy",
    "--policy",
    "policy.yaml",
    "--trace-dir",
    `traces-${durability}`,
    "--trace-durability",
    durability,
    "--",
    ...server,
  ];
  const args = path === "direct" ? [memoryServer] : proxied(path === "proxy_async" ? "async" : "durable");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    cwd: dir,
    env: { ...(process.env as Record<string, string>), MEMORY_FILE_PATH: join(dir, `memory-${path}.jsonl`) },
    stderr: "ignore",
  });
  const client = new Client({ name: "gait-bench", version: "1" });
  await client.connect(transport);
  return client;
}

async function callLatenciesMs(client: Client, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const result = await client.callTool({ name: "read_graph", arguments: {} });
    samples.push(performance.now() - t0);
    if (result.isError) throw new Error(`read_graph failed: ${JSON.stringify(result.content)}`);
  }
  return samples;
}

/** A tiny in-process MCP server with one allowed tool. */
async function inMemoryServer(capabilities: ClientCapabilities = {}): Promise<Client> {
  const server = new McpServer({ name: "bench-server", version: "1.0.0" });
  server.registerTool("read_graph", { description: "Read." }, async () => ({
    content: [{ type: "text", text: '{"entities":[],"relations":[]}' }],
  }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "gait-bench", version: "1" }, { capabilities });
  await client.connect(clientSide);
  return client;
}

async function inProcessRows(dir: string): Promise<BenchRow[]> {
  const signingKey = generateSigningKey();
  // As `gait mcp proxy --trace-durability async` sets it up (src/mcp/session.ts).
  const traceWorker = new TraceWorker({ signingKey, lingerMs: 10, handOffDelayMs: 10 });
  const gate = await createGate({
    policyText: "default_verdict: allow\nrules: []\n",
    signingKey,
    traceDir: join(dir, "traces-inprocess"),
    traceWorker,
  });
  const enforcer = new CallEnforcer({
    gate,
    signingKey,
    traceDir: join(dir, "traces-inprocess"),
    server: { id: "bench-server", transport: "stdio" },
    defaults: { identity: "bench", workspace: dir },
    clock: systemClock,
  });
  const direct = await inMemoryServer();
  const proxyServer = createProxyServer({
    connect: async (capabilities) => ({ upstream: upstreamOf(await inMemoryServer(capabilities)), enforcer }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await proxyServer.connect(serverSide);
  const proxied = new Client({ name: "gait-bench", version: "1" });
  await proxied.connect(clientSide);
  const samples = { direct: [] as number[], proxied: [] as number[] };
  await callLatenciesMs(direct, WARMUP_CALLS * 5);
  await callLatenciesMs(proxied, WARMUP_CALLS * 5);
  for (let round = 0; round < ROUNDS; round++) {
    samples.direct.push(...(await callLatenciesMs(direct, CALLS_PER_ROUND * 2)));
    samples.proxied.push(...(await callLatenciesMs(proxied, CALLS_PER_ROUND * 2)));
  }
  await Promise.all([direct.close(), proxied.close()]);
  await gate.close();
  await traceWorker.close();
  const p = (list: number[], q: number) => percentile(list, q);
  const added50 = p(samples.proxied, 50) - p(samples.direct, 50);
  return [
    { name: "in-process direct p50", value: p(samples.direct, 50), unit: "ms" },
    { name: "in-process proxied p50", value: p(samples.proxied, 50), unit: "ms" },
    { name: "in-process proxied p99", value: p(samples.proxied, 99), unit: "ms" },
    {
      name: "in-process added p50",
      value: added50,
      unit: "ms",
      note: `the proxy's own work per call; goal < 1 ms: ${added50 < 1 ? "met" : "NOT met"}`,
    },
    { name: "in-process added p99", value: p(samples.proxied, 99) - p(samples.direct, 99), unit: "ms" },
  ];
}

export async function benchMcp(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-mcp-"));
  writeFileSync(join(dir, "policy.yaml"), "default_verdict: allow\nrules: []\n");
  const paths: Path[] = ["direct", "proxy_async", "proxy_durable"];
  settleFileSystems();
  const clients = Object.fromEntries(
    await Promise.all(paths.map(async (p) => [p, await connect(p, dir)])),
  ) as Record<Path, Client>;
  const samples: Record<Path, number[]> = { direct: [], proxy_async: [], proxy_durable: [] };
  try {
    for (const path of paths) await callLatenciesMs(clients[path], WARMUP_CALLS);
    for (let round = 0; round < ROUNDS; round++) {
      const order = paths.map((_, i) => paths[(i + round) % paths.length]!);
      for (const path of order)
        samples[path].push(...(await callLatenciesMs(clients[path], CALLS_PER_ROUND)));
    }
  } finally {
    await Promise.all(paths.map((p) => clients[p].close()));
    rmSync(dir, { recursive: true, force: true });
  }
  const p = (path: Path, q: number) => percentile(samples[path], q);
  const rows: BenchRow[] = [];
  for (const path of paths) {
    rows.push({ name: `${path} p50`, value: p(path, 50), unit: "ms" });
    rows.push({ name: `${path} p99`, value: p(path, 99), unit: "ms" });
  }
  for (const path of ["proxy_async", "proxy_durable"] as const) {
    const added50 = p(path, 50) - p("direct", 50);
    rows.push({
      name: `added ${path} p50`,
      value: added50,
      unit: "ms",
      note:
        path === "proxy_async"
          ? `goal < 1 ms: ${added50 < 1 ? "met" : "NOT met"}`
          : "an fsynced trace per call",
    });
    rows.push({ name: `added ${path} p99`, value: p(path, 99) - p("direct", 99), unit: "ms" });
  }
  rows.push({ name: "calls per path", value: ROUNDS * CALLS_PER_ROUND, unit: "calls" });
  const inProcessDir = mkdtempSync(join(tmpdir(), "gait-bench-mcp-inprocess-"));
  try {
    rows.push(...(await inProcessRows(inProcessDir)));
  } finally {
    rmSync(inProcessDir, { recursive: true, force: true });
  }
  return rows;
}
