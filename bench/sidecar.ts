/**
 * Sidecar load test (issue 6): `gait gate serve` as a child process on an ephemeral loopback
 * port, every decision signed and written as an fsynced trace file. First 2,000 requests over one
 * connection (a single agent's call latency), then 20,000 POST /v1/evaluate requests from 32
 * concurrent keep-alive connections. Reports latency percentiles as the client sees them
 * (request written to response read), throughput, errors, and the trace files on disk after the
 * SIGTERM flush (which must equal the requests sent). Target: p99 < 2 ms.
 *
 * For scale, the same paced and 32-connection loads are then sent to a node:http server that
 * does nothing but parse the body: no Node HTTP service on the machine can do better than that
 * floor, and its paced p99 shows how much of the sidecar's tail is the machine's own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodePrivateKey, generateSigningKey } from "../src/contract/signing.ts";
import { type BenchRow, percentile } from "./lib.ts";

const REQUESTS = 20_000;
const CONCURRENCY = 32;
/** Requests sent one at a time first: the latency of a single agent's call, without queueing. */
const SINGLE_REQUESTS = 2_000;
/** The first requests of each phase warm up both processes (JIT, connections): sent, not timed. */
const WARMUP = 500;
/**
 * The paced phase offers a steady rate over the same 32 connections (open loop): latency is
 * measured from each request's scheduled send time, so queueing behind a slow answer counts
 * (no coordinated omission). This is the latency an agent fleet sees below saturation.
 */
const PACED_REQUESTS = 10_000;
const PACED_RATE = 1_000;
/** The whole run (start, load, flush) is abandoned past this. */
const TIME_LIMIT_MS = 180_000;

const POLICY = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: allow-reads
    priority: 10
    effect: allow
    match:
      tool_names: [tool.read]
    reason_codes: [read_allowed]
  - name: writes-need-approval
    priority: 20
    effect: require_approval
    match:
      tool_names: [tool.write]
      risk_classes: [high]
    reason_codes: [write_requires_approval]
`;

/** Distinct intents (so traces get distinct ids), cycling through allow, require_approval and block. */
function intentBody(i: number): string {
  const tool = ["tool.read", "tool.write", "tool.delete"][i % 3]!;
  const path = `/srv/app/file-${i}.txt`;
  return JSON.stringify({
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-18T12:00:00Z",
    producer_version: "bench/1.0.0",
    tool_name: tool,
    args: { path },
    targets: [{ kind: "path", value: path, operation: tool === "tool.read" ? "read" : "write" }],
    arg_provenance: [{ arg_path: "$.path", source: "user" }],
    context: { identity: "agent.bench", workspace: "/srv/app", risk_class: "high" },
  });
}

/**
 * The same load against a node:http server that only parses the JSON body and answers a fixed
 * verdict: what this machine allows any Node HTTP service at this concurrency, for comparison.
 */
const FLOOR_SERVER = `
const server = require("node:http").createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify({ ok: true, verdict: "allow" });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port, token: "-" })));
`;

interface Startup {
  url: string;
  token: string;
}

export async function benchSidecar(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-sidecar-"));
  const traceDir = join(dir, "traces");
  const keyPath = join(dir, "bench.key");
  writeFileSync(join(dir, "policy.yaml"), POLICY);
  writeFileSync(keyPath, encodePrivateKey(generateSigningKey()), { mode: 0o600 });
  const deadline = Date.now() + TIME_LIMIT_MS;
  const child = spawn(
    process.execPath,
    [
      resolve(import.meta.dirname, "../dist/gait.js"),
      ...["gate", "serve", "--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--json", "--no-config"],
      ...["--trace-dir", traceDir, "--key-mode", "prod", "--private-key", keyPath],
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  try {
    const startup = await readStartup(child);
    const single = await loadPhase(startup, SINGLE_REQUESTS, 1, 0, deadline);
    const paced = await pacedPhase(startup, SINGLE_REQUESTS, deadline);
    const load = await loadPhase(startup, REQUESTS, CONCURRENCY, SINGLE_REQUESTS + PACED_REQUESTS, deadline);
    const flushStart = performance.now();
    const exitCode = await stop(child, deadline);
    const flushMs = performance.now() - flushStart;
    const sent = single.sent + paced.sent + load.sent;
    const traces = readdirSync(traceDir).filter((f) => /^trace_.*\.json$/.test(f)).length;
    const floor = await measureFloor(deadline);
    const errors = single.errors + paced.errors + load.errors;
    const p99 = percentile(load.latenciesUs, 99);
    return [
      {
        name: "1 connection p50",
        value: percentile(single.latenciesUs, 50),
        unit: "µs",
        note: `${single.sent} requests`,
      },
      {
        name: "1 connection p99",
        value: percentile(single.latenciesUs, 99),
        unit: "µs",
        note: targetNote(percentile(single.latenciesUs, 99)),
      },
      {
        name: `paced ${PACED_RATE} req/s p50`,
        value: percentile(paced.latenciesUs, 50),
        unit: "µs",
        note: `${paced.sent} requests over ${CONCURRENCY} connections, open loop`,
      },
      {
        name: `paced ${PACED_RATE} req/s p99`,
        value: percentile(paced.latenciesUs, 99),
        unit: "µs",
        note: targetNote(percentile(paced.latenciesUs, 99)),
      },
      {
        name: `${CONCURRENCY} connections p50`,
        value: percentile(load.latenciesUs, 50),
        unit: "µs",
        note: `${load.sent} requests, keep-alive, closed loop at saturation`,
      },
      { name: `${CONCURRENCY} connections p99`, value: p99, unit: "µs", note: "queueing at saturation" },
      { name: `${CONCURRENCY} connections max`, value: Math.max(...load.latenciesUs), unit: "µs" },
      { name: `${CONCURRENCY} connections throughput`, value: load.throughput, unit: "req/s" },
      {
        name: "errors",
        value: errors,
        unit: "req",
        note: errors === 0 ? "" : single.firstError || load.firstError,
      },
      {
        name: "traces written",
        value: traces,
        unit: "files",
        note: traces === sent ? `= ${sent} requests (none lost)` : `LOST ${sent - traces} of ${sent}`,
      },
      {
        name: "SIGTERM to exit",
        value: flushMs,
        unit: "ms",
        note: `queued traces flushed; exit code ${exitCode}`,
      },
      {
        name: `node:http floor paced p50`,
        value: percentile(floor.paced.latenciesUs, 50),
        unit: "µs",
        note: `trivial handler, same paced load`,
      },
      { name: "node:http floor paced p99", value: percentile(floor.paced.latenciesUs, 99), unit: "µs" },
      {
        name: "node:http floor saturation p50",
        value: percentile(floor.load.latenciesUs, 50),
        unit: "µs",
        note: `trivial handler, ${CONCURRENCY} connections`,
      },
      { name: "node:http floor saturation p99", value: percentile(floor.load.latenciesUs, 99), unit: "µs" },
      { name: "node:http floor throughput", value: floor.load.throughput, unit: "req/s" },
    ];
  } catch (error) {
    throw new Error(`${(error as Error).message}\nsidecar stderr:\n${stderr}`);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

function targetNote(p99: number): string {
  return p99 < 2000 ? "target < 2000 µs: met" : "target < 2000 µs: missed";
}

/** `count` requests (intents numbered from `first`) over `concurrency` keep-alive connections. */
async function loadPhase(
  startup: Startup,
  count: number,
  concurrency: number,
  first: number,
  deadline: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const bodies = Array.from({ length: count }, (_, i) => intentBody(first + i));
  try {
    return await runLoad(startup, agent, bodies, concurrency, deadline);
  } finally {
    agent.destroy();
  }
}

/** PACED_REQUESTS sent at PACED_RATE per second, whatever the answers' speed (open loop). */
async function pacedPhase(startup: Startup, first: number, deadline: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latenciesUs: number[] = [];
  let errors = 0;
  let firstError = "";
  const intervalMs = 1000 / PACED_RATE;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  try {
    for (let i = 0; i < PACED_REQUESTS && Date.now() < deadline; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      // Timers fire in whole milliseconds, so a request may leave up to 1 ms early: then count
      // from when it left. A late one counts from when it was due (its wait is latency too).
      const from = Math.min(due, performance.now());
      inflight.push(
        post(startup, agent, intentBody(first + i)).then((outcome) => {
          if (i >= WARMUP) latenciesUs.push((performance.now() - from) * 1000);
          if (outcome !== "") {
            errors++;
            firstError ||= outcome;
          }
        }),
      );
    }
    await Promise.all(inflight);
  } finally {
    agent.destroy();
  }
  return { sent: inflight.length, latenciesUs, throughput: PACED_RATE, errors, firstError };
}

/** The paced and saturation loads against the trivial server. */
async function measureFloor(deadline: number): Promise<{ paced: LoadResult; load: LoadResult }> {
  const child = spawn(process.execPath, ["-e", FLOOR_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const startup = await readStartup(child);
    const paced = await pacedPhase(startup, 0, deadline);
    return { paced, load: await loadPhase(startup, REQUESTS, CONCURRENCY, 0, deadline) };
  } finally {
    child.kill("SIGKILL");
  }
}

function readStartup(child: ChildProcess): Promise<Startup> {
  return new Promise((resolvePromise, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n", 1)[0];
      if (out.includes("\n") && line) {
        const parsed = JSON.parse(line) as { url?: string; token?: string };
        if (parsed.url && parsed.token) resolvePromise({ url: parsed.url, token: parsed.token });
        else reject(new Error(`sidecar did not start: ${line}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`sidecar exited with ${code} before it started`)));
  });
}

interface LoadResult {
  sent: number;
  latenciesUs: number[];
  throughput: number;
  errors: number;
  firstError: string;
}

async function runLoad(
  startup: Startup,
  agent: Agent,
  bodies: string[],
  concurrency: number,
  deadline: number,
): Promise<LoadResult> {
  const latenciesUs: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError = "";
  let timedStart = 0;
  let timedEnd = 0;
  const worker = async () => {
    while (next < bodies.length && Date.now() < deadline) {
      const i = next++;
      if (i === WARMUP) timedStart = performance.now();
      const t0 = performance.now();
      const outcome = await post(startup, agent, bodies[i]!);
      const t1 = performance.now();
      if (i >= WARMUP) {
        latenciesUs.push((t1 - t0) * 1000);
        timedEnd = t1;
      }
      if (outcome !== "") {
        errors++;
        firstError ||= outcome;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const timed = latenciesUs.length;
  return {
    sent: next,
    latenciesUs,
    throughput: (timed * 1000) / (timedEnd - timedStart),
    errors,
    firstError,
  };
}

/** "" when the answer is HTTP 200 with a verdict; otherwise what went wrong. */
function post(startup: Startup, agent: Agent, body: string): Promise<string> {
  return new Promise((resolvePromise) => {
    const req = request(
      `${startup.url}/v1/evaluate`,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${startup.token}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          const verdict = res.statusCode === 200 ? (JSON.parse(text) as { verdict?: string }).verdict : "";
          resolvePromise(verdict ? "" : `HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        });
      },
    );
    req.on("error", (error) => resolvePromise(error.message));
    req.end(body);
  });
}

/** SIGTERM, then wait for the exit that follows the trace flush. */
function stop(child: ChildProcess, deadline: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error("sidecar did not exit in time")), deadline - Date.now());
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolvePromise(code ?? -1);
    });
    child.kill("SIGTERM");
  });
}
