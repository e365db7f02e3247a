/**
 * Sidecar load test: `gait gate serve` as a child process on an ephemeral loopback port, every
 * decision signed and written as an fsynced trace file, in both trace durability modes:
 * `durable` (the default: a decision is answered once its trace is on disk) and `async` (answered
 * first, written behind), each beside four floors measured in the same rounds:
 * - `trivial`: a node:http server that only parses the JSON body and answers a fixed verdict, what
 *   this machine allows any Node HTTP service (the floor of throughput and of async latency);
 * - `trivial+fdatasync`: the same, but it first writes one small new file per request and
 *   fdatasyncs it, the least a service that answers only once something is on disk can do (the
 *   floor of durable latency);
 * - `sign+journal`: the trivial server that also signs each body with Ed25519 and appends the
 *   signed line to one journal, group-committed (one fdatasync for all that arrived meanwhile),
 *   answering after the sync: the least a service that answers only once a signed record is on
 *   disk can do, with none of the decision's own work (the ceiling of durable throughput);
 * - `sign+files`: the same, but each signed record is its own new file, written the way the v1
 *   contract wants a trace written (a temp file beside it, fsynced, linked under its name, the
 *   temp name removed, the directory fsynced), the files of all that arrived meanwhile synced
 *   together: the ceiling of durable throughput for a service that keeps one file per record.
 * Each round starts every server, then gives each three loads: requests one at a time over one
 * connection (a single agent's call latency), in short turns alternating between the servers so
 * their tails are measured in the same minutes; then, server after server in a rotating order, a
 * paced open-loop load over 32 keep-alive connections and a closed loop from 32 connections as
 * fast as they are answered (saturation, where resident memory is sampled too). Figures are the
 * medians over the rounds, and each row says which floor it is judged against. Latency is as the
 * client sees it. After a SIGTERM flush the sidecar's trace files on disk must equal the requests
 * sent.
 *
 * The kill -9 experiment, per mode and round: drive requests from 32 connections, and as soon as
 * half of them are answered kill the sidecar with SIGKILL; then count the answered decisions
 * (trace_id and trace_path from each answer) whose trace is not on disk. Durable must lose none.
 *
 * Files are removed only at the end: on ext4, creating files next to many just deleted ones is
 * slow (the inode allocator skips recently freed inodes), which would tax the later rounds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodePrivateKey, generateSigningKey } from "../src/contract/signing.ts";
import { type BenchRow, percentile, settleFileSystems } from "./lib.ts";

type Mode = "durable" | "async";
type Floor = "trivial" | "trivial+fdatasync" | "sign+journal" | "sign+files";
type ServerKind = Mode | Floor;
const SERVERS: ServerKind[] = [
  "durable",
  "async",
  "trivial",
  "trivial+fdatasync",
  "sign+journal",
  "sign+files",
];
const ROUNDS = 3;
const CONCURRENCY = 32;
/**
 * Requests sent one at a time: the latency of a single agent's call, without queueing. Enough
 * that the p99 rests on 45 samples above it, not 15 (with 2,000 it moved by 0.5× from run to run).
 */
const SINGLE_REQUESTS = 5_000;
/**
 * The paced phase offers a steady rate over the same 32 connections (open loop): latency is
 * measured from each request's scheduled send time, so queueing behind a slow answer counts
 * (no coordinated omission). This is the latency an agent fleet sees below saturation.
 */
const PACED_REQUESTS = 3_000;
const PACED_RATE = 1_000;
const SATURATION_REQUESTS = 10_000;
/** The first requests of each phase warm up both processes (JIT, connections): sent, not timed. */
const WARMUP = 500;
/** Requests per turn of the single-connection load (see singleConnectionTurns). */
const SINGLE_TURN = 250;
/** Pause before each turn of the single-connection load. */
const TURN_PAUSE_MS = 50;
/** Requests driven in a kill -9 experiment; the kill comes once half are answered. */
const KILL_REQUESTS = 3_000;
/** Resident memory is sampled this often during the saturation load. */
const RSS_SAMPLE_MS = 25;
/** The issue's bound on the sidecar's resident memory under load. */
const RSS_TARGET_MB = 100;
/** The whole benchmark is abandoned past this. */
const TIME_LIMIT_MS = 900_000;

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
 * The floors: a node:http server that parses the JSON body and answers a fixed verdict; with a
 * directory argument it first writes the answer to a new file there and fdatasyncs it (through
 * the thread pool, as a real server would, so requests on other connections go on meanwhile).
 */
const FLOOR_SERVER = `
const fs = require("node:fs");
const dir = process.argv[1];
let next = 0;
const server = require("node:http").createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify({ ok: true, verdict: "allow" });
    const answer = () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (!dir) return answer();
    const fail = (error) => { res.writeHead(500); res.end(String(error)); };
    fs.open(dir + "/answer-" + next++ + ".json", "wx", 0o600, (error, fd) => {
      if (error) return fail(error);
      fs.write(fd, body, (error) => {
        if (error) return fs.close(fd, () => fail(error));
        fs.fdatasync(fd, (error) => fs.close(fd, () => (error ? fail(error) : answer())));
      });
    });
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port, token: "-" })));
`;

/**
 * The two signing floors' server: parse, sign, `stage` the signed record (the floor's own part
 * defines `stage` and `commit`), answer once the group commit that holds it settles.
 */
function signingFloorServer(persistence: string): string {
  return `
const fs = require("node:fs");
const crypto = require("node:crypto");
const dir = process.argv[1];
const { privateKey } = crypto.generateKeyPairSync("ed25519");
let waiting = [];
let syncing = false;
${persistence}
const server = require("node:http").createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const record = JSON.stringify({ intent: JSON.parse(Buffer.concat(chunks).toString("utf8")), verdict: "allow" });
    const signature = crypto.sign(null, Buffer.from(record), privateKey).toString("base64");
    const body = JSON.stringify({ ok: true, verdict: "allow" });
    const entry = stage(record, signature);
    entry.done = (error) => {
      if (error) { res.writeHead(500); return res.end(String(error)); }
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    waiting.push(entry);
    setImmediate(commit);
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port, token: "-" })));
`;
}

/** The `sign+journal` floor (see the module comment): each signed record a line of one journal. */
const SIGN_JOURNAL_FLOOR_SERVER = signingFloorServer(`
const journal = fs.openSync(dir + "/journal.jsonl", "a", 0o600);
const stage = (record, signature) => ({ line: JSON.stringify({ record, signature }) + "\\n" });
const commit = () => {
  if (syncing || waiting.length === 0) return;
  syncing = true;
  const group = waiting;
  waiting = [];
  fs.write(journal, group.map((g) => g.line).join(""), (error) =>
    fs.fdatasync(journal, (syncError) => {
      syncing = false;
      for (const g of group) g.done(error || syncError);
      commit();
    }),
  );
};`);

/**
 * The `sign+files` floor (see the module comment): each signed record written to a new temp
 * file; at commit the group's files are fsynced together, each linked under its name and its temp
 * name removed, then the directory fsynced once.
 */
const SIGN_FILES_FLOOR_SERVER = signingFloorServer(`
let next = 0;
const stage = (record, signature) => {
  const n = next++;
  const temp = dir + "/.record-" + n + ".json.tmp";
  const fd = fs.openSync(temp, "wx", 0o600);
  fs.writeSync(fd, JSON.stringify({ record, signature }, null, 2) + "\\n");
  return { fd, temp, path: dir + "/record-" + n + ".json", error: null };
};
const commit = () => {
  if (syncing || waiting.length === 0) return;
  syncing = true;
  const group = waiting;
  waiting = [];
  let unsynced = group.length;
  const place = () => {
    for (const g of group) {
      fs.closeSync(g.fd);
      if (!g.error) fs.linkSync(g.temp, g.path);
      fs.unlinkSync(g.temp);
    }
    const directory = fs.openSync(dir, "r");
    fs.fsync(directory, (error) => {
      fs.closeSync(directory);
      syncing = false;
      for (const g of group) g.done(g.error || error);
      commit();
    });
  };
  for (const g of group) fs.fsync(g.fd, (error) => { g.error = error; if (--unsynced === 0) place(); });
};`);

interface Startup {
  url: string;
  token: string;
}

interface LoadResult {
  sent: number;
  latenciesUs: number[];
  throughput: number;
  errors: number;
  firstError: string;
}

interface RoundResult {
  single: LoadResult;
  paced: LoadResult;
  saturation: LoadResult;
  /** Peak resident memory sampled during the saturation load, MB. */
  rssMb: number;
  sent: number;
  /** Trace files on disk after SIGTERM (sidecars only). */
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
  const rounds = Object.fromEntries(SERVERS.map((kind) => [kind, [] as RoundResult[]])) as Record<
    ServerKind,
    RoundResult[]
  >;
  const kills: Record<Mode, KillResult[]> = { durable: [], async: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, result] of await loadRound(dir, keyPath, round, deadline)) rounds[kind].push(result);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modeOrder(round)) {
        kills[mode].push(await killRound(dir, keyPath, mode, `kill-${mode}-${round}`, deadline));
      }
    }
    const floors = floorFigures(rounds);
    return [
      ...(["durable", "async"] as const).flatMap((mode) => modeRows(mode, rounds[mode], kills[mode], floors)),
      ...floorRows("trivial", rounds.trivial, "parses the body, answers a fixed verdict"),
      ...floorRows("trivial+fdatasync", rounds["trivial+fdatasync"], "also writes and fdatasyncs a new file"),
      ...floorRows(
        "sign+journal",
        rounds["sign+journal"],
        "also signs each body and group-commits it to an fdatasynced journal",
        floors.trivialThroughput,
      ),
      ...floorRows(
        "sign+files",
        rounds["sign+files"],
        "also signs each body and group-commits it as a new file (temp, fsync, link, directory fsync)",
        floors.trivialThroughput,
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rotates the order each round, so no server always runs on a warmer (or more tired) machine. */
function serverOrder(round: number): ServerKind[] {
  const shift = round % SERVERS.length;
  return [...SERVERS.slice(shift), ...SERVERS.slice(0, shift)];
}

function modeOrder(round: number): Mode[] {
  return round % 2 === 0 ? ["durable", "async"] : ["async", "durable"];
}

/** A figure's median over the rounds, with each round's value in the note. */
function medianRow(
  results: RoundResult[],
  pick: (r: RoundResult) => number,
  name: string,
  unit: string,
): BenchRow {
  const values = results.map(pick);
  const each = values.map((v) => v.toFixed(0)).join(", ");
  return { name, value: percentile(values, 50), unit, note: `rounds: ${each}` };
}

const p50 = (load: LoadResult) => percentile(load.latenciesUs, 50);
const p99 = (load: LoadResult) => percentile(load.latenciesUs, 99);

interface FloorFigures {
  trivialSingleP99: number;
  trivialThroughput: number;
  /** What the sign+journal floor reaches: the ceiling of a durable signing service here. */
  signingThroughput: number;
  /** What the sign+files floor reaches: the same ceiling with one file per record, as v1 traces are. */
  signedFilesThroughput: number;
  fdatasyncSingleP99: number;
}

function floorFigures(rounds: Record<ServerKind, RoundResult[]>): FloorFigures {
  const median = (results: RoundResult[], pick: (r: RoundResult) => number) =>
    percentile(results.map(pick), 50);
  return {
    trivialSingleP99: median(rounds.trivial, (r) => p99(r.single)),
    trivialThroughput: median(rounds.trivial, (r) => r.saturation.throughput),
    signingThroughput: median(rounds["sign+journal"], (r) => r.saturation.throughput),
    signedFilesThroughput: median(rounds["sign+files"], (r) => r.saturation.throughput),
    fdatasyncSingleP99: median(rounds["trivial+fdatasync"], (r) => p99(r.single)),
  };
}

/** One mode's rows: medians over the rounds, the headline figures beside their floors. */
function modeRows(mode: Mode, results: RoundResult[], kills: KillResult[], floors: FloorFigures): BenchRow[] {
  const sent = results.reduce((sum, r) => sum + r.sent, 0);
  const traces = results.reduce((sum, r) => sum + r.traces, 0);
  const errors = results.reduce((sum, r) => sum + r.single.errors + r.paced.errors + r.saturation.errors, 0);
  const firstError = results
    .map((r) => r.single.firstError || r.paced.firstError || r.saturation.firstError)
    .find(Boolean);
  const answered = kills.reduce((sum, k) => sum + k.answered, 0);
  const missing = kills.reduce((sum, k) => sum + k.missing, 0);
  const singleP99Floor =
    mode === "durable"
      ? { value: floors.fdatasyncSingleP99, name: "trivial+fdatasync", target: 2 }
      : { value: floors.trivialSingleP99, name: "trivial", target: 2 };
  const throughputFloor =
    mode === "durable"
      ? { value: floors.trivialThroughput, name: "trivial", target: 0.5, higherIsBetter: true }
      : { value: floors.trivialThroughput, name: "trivial", higherIsBetter: true };
  const rss = medianRow(results, (r) => r.rssMb, `${mode} RSS under load`, "MB");
  const throughput = medianRow(
    results,
    (r) => r.saturation.throughput,
    `${mode} ${CONCURRENCY} connections throughput`,
    "req/s",
  );
  const ceiling = (floor: number) => (floor / floors.trivialThroughput).toFixed(2);
  return [
    medianRow(results, (r) => p50(r.single), `${mode} 1 connection p50`, "µs"),
    { ...medianRow(results, (r) => p99(r.single), `${mode} 1 connection p99`, "µs"), floor: singleP99Floor },
    medianRow(results, (r) => p50(r.paced), `${mode} paced ${PACED_RATE} req/s p50`, "µs"),
    medianRow(results, (r) => p99(r.paced), `${mode} paced ${PACED_RATE} req/s p99`, "µs"),
    medianRow(results, (r) => p50(r.saturation), `${mode} ${CONCURRENCY} connections p50`, "µs"),
    medianRow(results, (r) => p99(r.saturation), `${mode} ${CONCURRENCY} connections p99`, "µs"),
    {
      ...throughput,
      floor: throughputFloor,
      note: `${throughput.note}; the sign+journal floor reaches ${ceiling(floors.signingThroughput)}× trivial, sign+files ${ceiling(floors.signedFilesThroughput)}×`,
    },
    // Against the ceiling of any service that keeps one synced file per record, as v1 traces are
    // (docs/performance.md, sixth pass): how much of what the contract allows here Gait reaches.
    ...(mode === "durable"
      ? [
          {
            name: `${mode} ${CONCURRENCY} connections throughput, of sign+files`,
            value: throughput.value,
            unit: "req/s",
            floor: { value: floors.signedFilesThroughput, name: "sign+files", higherIsBetter: true },
          },
        ]
      : []),
    {
      ...rss,
      note: `target ≤ ${RSS_TARGET_MB} MB${rss.value <= RSS_TARGET_MB ? ", met" : ", NOT met"}; peak during the ${CONCURRENCY}-connection load (${rss.note})`,
    },
    { name: `${mode} errors`, value: errors, unit: "req", note: firstError ?? "" },
    {
      name: `${mode} traces after SIGTERM`,
      value: traces,
      unit: "files",
      note: traces === sent ? `= ${sent} requests (none lost)` : `LOST ${sent - traces} of ${sent}`,
    },
    {
      ...medianRow(results, (r) => r.flushMs, `${mode} SIGTERM to exit`, "ms"),
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

function floorRows(
  kind: Floor,
  results: RoundResult[],
  what: string,
  trivialThroughput?: number,
): BenchRow[] {
  const errors = results.reduce((sum, r) => sum + r.single.errors + r.paced.errors + r.saturation.errors, 0);
  return [
    { ...medianRow(results, (r) => p50(r.single), `${kind} 1 connection p50`, "µs"), note: what },
    medianRow(results, (r) => p99(r.single), `${kind} 1 connection p99`, "µs"),
    medianRow(results, (r) => p50(r.paced), `${kind} paced ${PACED_RATE} req/s p50`, "µs"),
    medianRow(results, (r) => p99(r.paced), `${kind} paced ${PACED_RATE} req/s p99`, "µs"),
    medianRow(results, (r) => p50(r.saturation), `${kind} ${CONCURRENCY} connections p50`, "µs"),
    medianRow(results, (r) => p99(r.saturation), `${kind} ${CONCURRENCY} connections p99`, "µs"),
    {
      ...medianRow(
        results,
        (r) => r.saturation.throughput,
        `${kind} ${CONCURRENCY} connections throughput`,
        "req/s",
      ),
      ...(trivialThroughput
        ? { floor: { value: trivialThroughput, name: "trivial", higherIsBetter: true } }
        : {}),
    },
    medianRow(results, (r) => r.rssMb, `${kind} RSS under load`, "MB"),
    ...(errors > 0 ? [{ name: `${kind} errors`, value: errors, unit: "req" }] : []),
  ];
}

/** A server of one round, started and answering. */
interface LiveServer {
  kind: ServerKind;
  outDir: string;
  child: ChildProcess;
  stderr: () => string;
  startup: Startup;
}

/**
 * One round: every server started, the single-connection load in alternating turns (see
 * singleConnectionTurns), then each server in turn gets the paced and saturation loads (memory
 * sampled during saturation) and a SIGTERM.
 */
async function loadRound(
  dir: string,
  keyPath: string,
  round: number,
  deadline: number,
): Promise<Map<ServerKind, RoundResult>> {
  settleFileSystems();
  const servers: LiveServer[] = [];
  try {
    for (const kind of serverOrder(round)) {
      servers.push(await launch(dir, keyPath, kind, join(dir, `${kind}-${round}`)));
    }
    const single = await singleConnectionTurns(servers, deadline);
    const results = new Map<ServerKind, RoundResult>();
    for (const server of servers) {
      results.set(server.kind, await loadAfterSingle(server, single.get(server)!, deadline));
    }
    return results;
  } finally {
    for (const server of servers) server.child.kill("SIGKILL");
  }
}

async function launch(dir: string, keyPath: string, kind: ServerKind, outDir: string): Promise<LiveServer> {
  const server = startServer(dir, keyPath, outDir, kind);
  try {
    return { kind, outDir, ...server, startup: await readStartup(server.child) };
  } catch (error) {
    server.child.kill("SIGKILL");
    throw withStderr(kind, error, server.stderr());
  }
}

function withStderr(kind: ServerKind, error: unknown, stderr: string): Error {
  return new Error(`${kind}: ${(error as Error).message}\nserver stderr:\n${stderr}`);
}

/**
 * The single-connection load of every server of a round, in turns of SINGLE_TURN requests
 * (after each server's warm-up), the servers in a rotating order, a pause before each turn so
 * one server's work behind its answers (async traces) does not fall in the next one's turn. A
 * single connection's p99 is its slowest 1%: measured server after server, each saw the machine
 * of its own minute (the trivial server's p99 moved between 0.5 and 1.5 ms from round to round);
 * in turns, every server's slowest requests come from the same minutes.
 */
async function singleConnectionTurns(
  servers: LiveServer[],
  deadline: number,
): Promise<Map<LiveServer, LoadResult>> {
  const loads = new Map(servers.map((server) => [server, new SingleConnectionLoad(server.startup)]));
  for (const server of servers) await loads.get(server)!.send(WARMUP, false, deadline);
  const turns = Math.ceil((SINGLE_REQUESTS - WARMUP) / SINGLE_TURN);
  for (let turn = 0; turn < turns; turn++) {
    const shift = turn % servers.length;
    for (const server of [...servers.slice(shift), ...servers.slice(0, shift)]) {
      await new Promise((resolvePromise) => setTimeout(resolvePromise, TURN_PAUSE_MS));
      await loads.get(server)!.send(SINGLE_TURN, true, deadline);
    }
  }
  return new Map(servers.map((server) => [server, loads.get(server)!.result()]));
}

/** Requests one at a time over one keep-alive connection, intents numbered from 0. */
class SingleConnectionLoad {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly latenciesUs: number[] = [];
  private sent = 0;
  private timedMs = 0;
  private errors = 0;
  private firstError = "";

  constructor(private readonly startup: Startup) {}

  async send(count: number, timed: boolean, deadline: number): Promise<void> {
    for (let i = 0; i < count && Date.now() < deadline; i++) {
      const t0 = performance.now();
      const { error } = await post(this.startup, this.agent, intentBody(this.sent++));
      const elapsedMs = performance.now() - t0;
      if (timed) {
        this.latenciesUs.push(elapsedMs * 1000);
        this.timedMs += elapsedMs;
      }
      if (error !== "") {
        this.errors++;
        this.firstError ||= error;
      }
    }
  }

  result(): LoadResult {
    this.agent.destroy();
    const { sent, latenciesUs, errors, firstError } = this;
    return { sent, latenciesUs, throughput: (latenciesUs.length * 1000) / this.timedMs, errors, firstError };
  }
}

/** The paced and saturation loads of a server whose single-connection load is done, then SIGTERM. */
async function loadAfterSingle(
  server: LiveServer,
  single: LoadResult,
  deadline: number,
): Promise<RoundResult> {
  const { kind, startup, child } = server;
  try {
    const paced = await pacedPhase(startup, single.sent, deadline);
    const first = single.sent + paced.sent;
    settleFileSystems();
    const sampler = rssSampler(child.pid);
    const saturation = await loadPhase(startup, SATURATION_REQUESTS, CONCURRENCY, first, deadline);
    const rssMb = sampler.stop();
    const flushStart = performance.now();
    const exitCode = await stop(child, deadline);
    const flushMs = performance.now() - flushStart;
    const sent = single.sent + paced.sent + saturation.sent;
    const traces = kind === "durable" || kind === "async" ? countTraces(server.outDir) : 0;
    return { single, paced, saturation, rssMb, sent, traces, flushMs, exitCode };
  } catch (error) {
    throw withStderr(kind, error, server.stderr());
  }
}

function countTraces(traceDir: string): number {
  return readdirSync(traceDir).filter((f) => /^trace_.*\.json$/.test(f)).length;
}

/** Samples a process's resident memory (Linux /proc); stop() returns the peak in MB (NaN elsewhere). */
function rssSampler(pid: number | undefined): { stop(): number } {
  let peakKb = Number.NaN;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]);
      if (Number.isFinite(kb) && !(kb <= peakKb)) peakKb = kb;
    } catch {
      // Not Linux, or the process is gone: no figure.
    }
  };
  sample();
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peakKb / 1024;
    },
  };
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
  const sidecar = startServer(dir, keyPath, traceDir, mode);
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

/**
 * The CLI as installed (package.json `bin`), so the benchmark follows the bundle layout; or
 * GAIT_BENCH_CLI, e.g. a copy of an earlier build's dist/gait.cjs to compare with.
 */
function cliPath(): string {
  if (process.env.GAIT_BENCH_CLI) return resolve(process.env.GAIT_BENCH_CLI);
  const root = resolve(import.meta.dirname, "..");
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    bin: string | Record<string, string>;
  };
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin.gait!;
  return join(root, bin);
}

/** A sidecar in `kind` mode writing traces to `outDir`, or a floor server writing there. */
function startServer(
  dir: string,
  keyPath: string,
  outDir: string,
  kind: ServerKind,
): { child: ChildProcess; stderr: () => string } {
  let args: string[];
  if (kind === "trivial") args = ["-e", FLOOR_SERVER];
  else if (kind === "trivial+fdatasync") {
    mkdirSync(outDir);
    args = ["-e", FLOOR_SERVER, outDir];
  } else if (kind === "sign+journal") {
    mkdirSync(outDir);
    args = ["-e", SIGN_JOURNAL_FLOOR_SERVER, outDir];
  } else if (kind === "sign+files") {
    mkdirSync(outDir);
    args = ["-e", SIGN_FILES_FLOOR_SERVER, outDir];
  } else {
    args = [
      cliPath(),
      ...["gate", "serve", "--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--json", "--no-config"],
      ...["--trace-dir", outDir, "--key-mode", "prod", "--private-key", keyPath, "--trace-durability", kind],
    ];
  }
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
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

function readStartup(child: ChildProcess): Promise<Startup> {
  return new Promise((resolvePromise, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n", 1)[0];
      if (out.includes("\n") && line) {
        const parsed = JSON.parse(line) as { url?: string; token?: string };
        if (parsed.url && parsed.token) resolvePromise({ url: parsed.url, token: parsed.token });
        else reject(new Error(`server did not start: ${line}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before it started`)));
  });
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

/** SIGTERM, then wait for the exit (a sidecar writes its queued traces first). */
function stop(child: ChildProcess, deadline: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not exit in time")), deadline - Date.now());
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolvePromise(code ?? (signal === "SIGTERM" ? 0 : -1));
    });
    child.kill("SIGTERM");
  });
}
