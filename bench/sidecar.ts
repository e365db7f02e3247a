/**
 * Sidecar load test (issue 6): `gait gate serve` as a child process on an ephemeral loopback
 * port, 20,000 POST /v1/evaluate requests from 32 concurrent keep-alive connections, every
 * decision signed and written as a trace. Reports latency percentiles as the client sees them
 * (request written to response read), throughput, errors, and the trace files on disk after the
 * SIGTERM flush (which must equal the requests sent). Target: p99 < 2 ms.
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
/** The first requests warm up both processes (JIT, connections); they are sent but not timed. */
const WARMUP = 1_000;
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
    { cwd: dir, stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const startup = await readStartup(child);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const bodies = Array.from({ length: REQUESTS }, (_, i) => intentBody(i));
    const load = await runLoad(startup, agent, bodies, deadline);
    agent.destroy();
    const flushStart = performance.now();
    const exitCode = await stop(child, deadline);
    const flushMs = performance.now() - flushStart;
    const traces = readdirSync(traceDir).filter((f) => /^trace_.*\.json$/.test(f)).length;
    const lossNote = traces === load.sent ? "= requests (none lost)" : `LOST ${load.sent - traces}`;
    const p99 = percentile(load.latenciesUs, 99);
    return [
      { name: "requests sent", value: load.sent, unit: "req", note: `${CONCURRENCY} keep-alive connections` },
      { name: "p50 latency", value: percentile(load.latenciesUs, 50), unit: "µs" },
      {
        name: "p99 latency",
        value: p99,
        unit: "µs",
        note: p99 < 2000 ? "target < 2000 µs: met" : "target < 2000 µs: MISSED",
      },
      { name: "max latency", value: Math.max(...load.latenciesUs), unit: "µs" },
      {
        name: "throughput",
        value: load.throughput,
        unit: "req/s",
        note: `${WARMUP} warm-up requests untimed`,
      },
      { name: "errors", value: load.errors, unit: "req", note: load.errors === 0 ? "" : load.firstError },
      { name: "traces written", value: traces, unit: "files", note: lossNote },
      { name: "shutdown flush", value: flushMs, unit: "ms", note: `exit code ${exitCode}` },
    ];
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
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
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
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
