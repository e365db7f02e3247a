/**
 * Sidecar load test: `gait gate serve` as a child process on an ephemeral loopback port, every
 * decision signed and written as an fsynced trace file, in both trace durability modes:
 * `durable` (the default: a decision is answered once its trace is on disk) and `async` (answered
 * first, written behind). Rounds alternate the modes (durable, async, then async, durable, ...)
 * so both see the same machine state; figures are the medians over the rounds.
 *
 * Each round starts a fresh sidecar and sends three loads: requests one at a time over one
 * connection (a single agent's call latency), a paced open-loop load over 32 keep-alive
 * connections, and a closed loop from 32 connections as fast as they are answered (saturation).
 * Latency is as the client sees it. After a SIGTERM flush the trace files on disk must equal the
 * requests sent.
 *
 * The kill -9 experiment, per mode and round: drive requests from 32 connections, and as soon as
 * half of them are answered kill the sidecar with SIGKILL; then count the answered decisions
 * (trace_id and trace_path from each answer) whose trace is not on disk. Durable must lose none.
 *
 * For scale, the paced and saturation loads are also sent once to a node:http server that does
 * nothing but parse the body: no Node HTTP service on the machine can do better than that floor.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodePrivateKey, generateSigningKey } from "../src/contract/signing.ts";
import { type BenchRow, percentile } from "./lib.ts";

type Mode = "durable" | "async";
const ROUNDS = 3;
const CONCURRENCY = 32;
/** Requests sent one at a time: the latency of a single agent's call, without queueing. */
const SINGLE_REQUESTS = 1_500;
/**
 * The paced phase offers a steady rate over the same 32 connections (open loop): latency is
 * measured from each request's scheduled send time, so queueing behind a slow answer counts
 * (no coordinated omission). This is the latency an agent fleet sees below saturation.
 */
const PACED_REQUESTS = 5_000;
const PACED_RATE = 1_000;
const SATURATION_REQUESTS = 10_000;
/** The first requests of each phase warm up both processes (JIT, connections): sent, not timed. */
const WARMUP = 500;
/** Requests driven in a kill -9 experiment; the kill comes once half are answered. */
const KILL_REQUESTS = 3_000;
/** The whole benchmark is abandoned past this. */
const TIME_LIMIT_MS = 600_000;

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

interface RoundResult {
  single: LoadResult;
  paced: LoadResult;
  saturation: LoadResult;
  sent: number;
  traces: number;
  flushMs: number;
  exitCode: number;
}

interface KillResult {
  answered: number;
  missing: number;
}

export async function benchSidecar(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-sidecar-"));
  const keyPath = join(dir, "bench.key");
  writeFileSync(join(dir, "policy.yaml"), POLICY);
  writeFileSync(keyPath, encodePrivateKey(generateSigningKey()), { mode: 0o600 });
  const deadline = Date.now() + TIME_LIMIT_MS;
  const rounds: Record<Mode, RoundResult[]> = { durable: [], async: [] };
  const kills: Record<Mode, KillResult[]> = { durable: [], async: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modeOrder(round)) {
        rounds[mode].push(await loadRound(dir, keyPath, mode, `${mode}-${round}`, deadline));
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modeOrder(round)) {
        kills[mode].push(await killRound(dir, keyPath, mode, `kill-${mode}-${round}`, deadline));
      }
    }
    const floor = await measureFloor(deadline);
    return [
      ...(["durable", "async"] as const).flatMap((mode) => modeRows(mode, rounds[mode], kills[mode])),
      {
        name: "node:http floor paced p50",
        value: percentile(floor.paced.latenciesUs, 50),
        unit: "µs",
        note: "trivial handler, same paced load, one run",
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alternate which mode goes first, so neither always runs on a warmer (or more tired) machine. */
function modeOrder(round: number): Mode[] {
  return round % 2 === 0 ? ["durable", "async"] : ["async", "durable"];
}

/** One mode's rows: medians over the rounds (each round's value in the note). */
function modeRows(mode: Mode, results: RoundResult[], kills: KillResult[]): BenchRow[] {
  const median = (pick: (r: RoundResult) => number, unit: string, name: string): BenchRow => {
    const values = results.map(pick);
    const each = values.map((v) => v.toFixed(0)).join(", ");
    return { name: `${mode} ${name}`, value: percentile(values, 50), unit, note: `rounds: ${each}` };
  };
  const sent = results.reduce((sum, r) => sum + r.sent, 0);
  const traces = results.reduce((sum, r) => sum + r.traces, 0);
  const errors = results.reduce((sum, r) => sum + r.single.errors + r.paced.errors + r.saturation.errors, 0);
  const firstError = results
    .map((r) => r.single.firstError || r.paced.firstError || r.saturation.firstError)
    .find(Boolean);
  const answered = kills.reduce((sum, k) => sum + k.answered, 0);
  const missing = kills.reduce((sum, k) => sum + k.missing, 0);
  return [
    median((r) => percentile(r.single.latenciesUs, 50), "µs", "1 connection p50"),
    median((r) => percentile(r.single.latenciesUs, 99), "µs", "1 connection p99"),
    median((r) => percentile(r.paced.latenciesUs, 50), "µs", `paced ${PACED_RATE} req/s p50`),
    median((r) => percentile(r.paced.latenciesUs, 99), "µs", `paced ${PACED_RATE} req/s p99`),
    median((r) => percentile(r.saturation.latenciesUs, 50), "µs", `${CONCURRENCY} connections p50`),
    median((r) => percentile(r.saturation.latenciesUs, 99), "µs", `${CONCURRENCY} connections p99`),
    median((r) => r.saturation.throughput, "req/s", `${CONCURRENCY} connections throughput`),
    { name: `${mode} errors`, value: errors, unit: "req", note: firstError ?? "" },
    {
      name: `${mode} traces after SIGTERM`,
      value: traces,
      unit: "files",
      note: traces === sent ? `= ${sent} requests (none lost)` : `LOST ${sent - traces} of ${sent}`,
    },
    {
      ...median((r) => r.flushMs, "ms", "SIGTERM to exit"),
      note: `exit codes ${results.map((r) => r.exitCode).join(", ")}`,
    },
    {
      name: `${mode} kill -9: answered, no trace`,
      value: missing,
      unit: "req",
      note: `of ${answered} answered before SIGKILL (rounds: ${kills.map((k) => `${k.missing}/${k.answered}`).join(", ")})`,
    },
  ];
}

/** A fresh sidecar in `mode`: the three loads, then SIGTERM and a count of the trace files. */
async function loadRound(
  dir: string,
  keyPath: string,
  mode: Mode,
  name: string,
  deadline: number,
): Promise<RoundResult> {
  const traceDir = join(dir, name);
  const sidecar = startSidecar(dir, keyPath, traceDir, mode);
  try {
    const startup = await readStartup(sidecar.child);
    const single = await loadPhase(startup, SINGLE_REQUESTS, 1, 0, deadline);
    const paced = await pacedPhase(startup, SINGLE_REQUESTS, deadline);
    const first = SINGLE_REQUESTS + PACED_REQUESTS;
    const saturation = await loadPhase(startup, SATURATION_REQUESTS, CONCURRENCY, first, deadline);
    const flushStart = performance.now();
    const exitCode = await stop(sidecar.child, deadline);
    const flushMs = performance.now() - flushStart;
    const sent = single.sent + paced.sent + saturation.sent;
    const traces = readdirSync(traceDir).filter((f) => /^trace_.*\.json$/.test(f)).length;
    return { single, paced, saturation, sent, traces, flushMs, exitCode };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nsidecar stderr:\n${sidecar.stderr()}`);
  } finally {
    sidecar.child.kill("SIGKILL");
    rmSync(traceDir, { recursive: true, force: true });
  }
}

/**
 * Drives KILL_REQUESTS from 32 connections and kills the sidecar with SIGKILL as soon as half
 * are answered; then counts the answered decisions whose trace file is not on disk.
 */
async function killRound(
  dir: string,
  keyPath: string,
  mode: Mode,
  name: string,
  deadline: number,
): Promise<KillResult> {
  const traceDir = join(dir, name);
  const sidecar = startSidecar(dir, keyPath, traceDir, mode);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const startup = await readStartup(sidecar.child);
    const exited = new Promise((resolvePromise) => sidecar.child.once("exit", resolvePromise));
    const answers: Array<{ traceId: string; tracePath: string }> = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed && next < KILL_REQUESTS && Date.now() < deadline) {
        const answer = await post(startup, agent, intentBody(next++));
        if (killed || !answer.body) continue;
        answers.push({ traceId: String(answer.body.trace_id), tracePath: String(answer.body.trace_path) });
        if (answers.length === KILL_REQUESTS / 2) {
          killed = true;
          sidecar.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await exited;
    const missing = answers.filter(({ traceId, tracePath }) => !hasTrace(tracePath, traceId)).length;
    return { answered: answers.length, missing };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nsidecar stderr:\n${sidecar.stderr()}`);
  } finally {
    agent.destroy();
    sidecar.child.kill("SIGKILL");
    rmSync(traceDir, { recursive: true, force: true });
  }
}

/** The answer's trace file is on disk, whole, and is that decision's trace. */
function hasTrace(path: string, traceId: string): boolean {
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { trace_id?: string }).trace_id === traceId;
  } catch {
    return false;
  }
}

function startSidecar(
  dir: string,
  keyPath: string,
  traceDir: string,
  mode: Mode,
): { child: ChildProcess; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [
      resolve(import.meta.dirname, "../dist/gait.cjs"),
      ...["gate", "serve", "--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--json", "--no-config"],
      ...[
        "--trace-dir",
        traceDir,
        "--key-mode",
        "prod",
        "--private-key",
        keyPath,
        "--trace-durability",
        mode,
      ],
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  return { child, stderr: () => stderr };
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
        post(startup, agent, intentBody(first + i)).then(({ error }) => {
          if (i >= WARMUP) latenciesUs.push((performance.now() - from) * 1000);
          if (error !== "") {
            errors++;
            firstError ||= error;
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
    return { paced, load: await loadPhase(startup, SATURATION_REQUESTS, CONCURRENCY, 0, deadline) };
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
      const { error } = await post(startup, agent, bodies[i]!);
      const t1 = performance.now();
      if (i >= WARMUP) {
        latenciesUs.push((t1 - t0) * 1000);
        timedEnd = t1;
      }
      if (error !== "") {
        errors++;
        firstError ||= error;
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

interface Answer {
  /** "" when the answer is HTTP 200 with a verdict; otherwise what went wrong. */
  error: string;
  body?: Record<string, unknown>;
}

function post(startup: Startup, agent: Agent, body: string): Promise<Answer> {
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
          const parsed = res.statusCode === 200 ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          if (parsed?.verdict) resolvePromise({ error: "", body: parsed });
          else resolvePromise({ error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` });
        });
        res.on("error", (error) => resolvePromise({ error: error.message }));
      },
    );
    req.on("error", (error) => resolvePromise({ error: error.message }));
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
