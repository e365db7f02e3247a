import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { systemClock } from "../../src/contract/time.ts";
import { enforceLimits, prepareIntent, verifyTrace } from "../../src/gate/index.ts";
import { parseListenTarget, type Sidecar, startSidecar } from "../../src/sidecar/index.ts";
import { tempDir } from "../helpers/cli.ts";
import {
  call,
  deadPid,
  eventually,
  intent,
  limitedPolicy,
  POLICY_YAML,
  POLICY_YAML_READS_BLOCKED,
  savedCounts,
} from "./support.ts";

const key = generateSigningKey();

describe("sidecar server (in-process, real sockets)", () => {
  let dir: string;
  let cleanup: () => void;
  const logs: string[] = [];
  const running: Sidecar[] = [];

  before(() => {
    ({ dir, cleanup } = tempDir("gait-sidecar-"));
  });
  after(async () => {
    for (const sidecar of running) await sidecar.close();
    cleanup();
  });

  const start = async (name: string, options: Partial<Parameters<typeof startSidecar>[0]> = {}) => {
    const policyPath = join(dir, `${name}.yaml`);
    if (!existsSync(policyPath)) writeFileSync(policyPath, POLICY_YAML);
    const sidecar = await startSidecar({
      policyPath,
      listen: parseListenTarget("127.0.0.1:0"),
      traceDir: join(dir, `${name}-traces`),
      signingKey: key,
      fsync: false,
      pollMs: 100,
      maxRequestBytes: 64 * 1024,
      log: (message) => logs.push(message),
      ...options,
    });
    running.push(sidecar);
    const url = sidecar.address.kind === "tcp" ? sidecar.address.url : "";
    return { sidecar, url, policyPath, traceDir: join(dir, `${name}-traces`) };
  };

  it("listens on an ephemeral loopback port with a generated token", async () => {
    const { sidecar, url } = await start("basic");
    assert.equal(sidecar.tokenSource, "generated");
    assert.match(sidecar.token, /^[A-Za-z0-9_-]{43}$/);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await call(url, "/v1/health")).status, 401);
    assert.equal((await call(url, "/v1/health", { token: "nope" })).status, 401);
    const health = await call(url, "/v1/health", { token: sidecar.token });
    assert.equal(health.status, 200);
    assert.equal(health.json.policy_digest, sidecar.policyDigest());
    assert.equal(health.headers["content-type"], "application/json");
  });

  it("refuses oversized bodies, declared or streamed, and keeps serving", async () => {
    const { sidecar, url } = await start("limits");
    const big = JSON.stringify({ ...intent("tool.read"), args: { blob: "x".repeat(100_000) } });
    const declared = await call(url, "/v1/evaluate", { token: sidecar.token, text: big });
    assert.equal(declared.status, 413);
    assert.equal(declared.json.error_code, "invalid_input");
    assert.equal(declared.json.detail_code, "request_too_large");
    const streamed = await call(url, "/v1/evaluate", { token: sidecar.token, text: big, chunked: true });
    assert.equal(streamed.status, 413);
    assert.equal(streamed.headers.connection, "close");
    const ok = await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.read") });
    assert.equal(ok.json.verdict, "allow");
    const unauthenticatedBig = await call(url, "/v1/evaluate", { text: big, chunked: true });
    assert.equal(unauthenticatedBig.status, 401);
    assert.equal(unauthenticatedBig.headers.connection, "close", "a refused body is not drained");
  });

  it("writes a signed trace for every decision; close() flushes them all", async () => {
    const { sidecar, url, traceDir } = await start("traces");
    const tools = ["tool.read", "tool.write", "tool.delete"];
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(url, "/v1/evaluate", { token: sidecar.token, body: intent(tools[i % 3]!, `/work/${i}.txt`) }),
      ),
    );
    const stats = await sidecar.close();
    assert.equal(stats.written, 60);
    assert.equal(stats.failed, 0);
    assert.equal(stats.pending, 0);
    const files = readdirSync(traceDir).filter((f) => f.startsWith("trace_"));
    assert.equal(files.length, 60);
    for (const answer of answers) {
      const trace = JSON.parse(readFileSync(String(answer.json.trace_path), "utf8"));
      assert.equal(trace.trace_id, answer.json.trace_id);
      assert.equal(trace.verdict, answer.json.verdict);
      assert.equal(trace.policy_digest, answer.json.policy_digest);
      assert.equal(verifyTrace(trace, verifyKeyFor(key)).ok, true);
    }
  });

  it("keeps every trace when the same decision is asked again, also after a restart", async () => {
    const { sidecar, url, traceDir } = await start("repeat");
    const first = await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.read") });
    const second = await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.read") });
    assert.equal(first.json.trace_id, second.json.trace_id);
    assert.notEqual(first.json.trace_path, second.json.trace_path);
    await sidecar.close();
    const firstBytes = readFileSync(String(first.json.trace_path), "utf8");
    const restarted = await start("repeat");
    const third = await call(restarted.url, "/v1/evaluate", {
      token: restarted.sidecar.token,
      body: intent("tool.read"),
    });
    const id = String(first.json.trace_id);
    assert.equal(third.json.trace_id, id);
    assert.equal(third.json.trace_path, join(traceDir, `trace_${id}.3.json`), "the next free name on disk");
    await restarted.sidecar.close();
    assert.deepEqual(readdirSync(traceDir).sort(), [
      `trace_${id}.2.json`,
      `trace_${id}.3.json`,
      `trace_${id}.json`,
    ]);
    assert.equal(readFileSync(String(first.json.trace_path), "utf8"), firstBytes, "never overwritten");
  });

  it("answers a decision only once its trace is on disk (durable, the default)", async () => {
    const { sidecar, url } = await start("durable");
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.write", `/work/${i}.txt`) }),
      ),
    );
    for (const answer of answers) {
      // Read at once, before any flush: the file and its audit are already there.
      const trace = JSON.parse(readFileSync(String(answer.json.trace_path), "utf8"));
      assert.equal(trace.trace_id, answer.json.trace_id);
      assert.ok(existsSync(String(answer.json.approval_audit_path)));
    }
    assert.equal(sidecar.stats().pending, 0);
  });

  it("hot-reloads an edited or replaced policy, blocks while it is broken or missing, recovers when fixed", async () => {
    const { sidecar, url, policyPath } = await start("reload");
    const evaluateRead = async () =>
      (await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.read") })).json;
    const first = await evaluateRead();
    assert.equal(first.verdict, "allow");
    const original = String(first.policy_digest);

    // Edited in place.
    writeFileSync(policyPath, POLICY_YAML_READS_BLOCKED);
    await eventually(async () => (await evaluateRead()).policy_digest !== original);
    const edited = await evaluateRead();
    assert.equal(edited.verdict, "block");
    assert.equal(edited.matched_rule, "allow-read");

    // Corrupted: block with policy_unavailable, never the last good policy.
    writeFileSync(policyPath, "default_verdict: allow\nrules: [\n");
    await eventually(async () => (await evaluateRead()).policy_digest === "");
    const broken = await evaluateRead();
    assert.equal(broken.verdict, "block");
    assert.deepEqual(broken.reason_codes, ["policy_unavailable"]);
    assert.equal((broken.policy_error as Record<string, unknown>).error_code, "invalid_input");
    assert.equal((broken.policy_error as Record<string, unknown>).detail_code, "policy_yaml_invalid");
    const health = await call(url, "/v1/health", { token: sidecar.token });
    assert.equal(health.status, 503);
    assert.equal(health.json.status, "degraded");

    // Replaced atomically (write a temp file, rename over), as editors and deploy tools do.
    writeFileSync(`${policyPath}.tmp`, POLICY_YAML);
    renameSync(`${policyPath}.tmp`, policyPath);
    await eventually(async () => (await evaluateRead()).policy_digest === original);
    assert.equal((await evaluateRead()).verdict, "allow");

    // Deleted: block again; back: allowed again with the same digest.
    rmSync(policyPath);
    await eventually(async () => (await evaluateRead()).policy_digest === "");
    assert.equal((await evaluateRead()).verdict, "block");
    writeFileSync(policyPath, POLICY_YAML);
    await eventually(async () => (await evaluateRead()).verdict === "allow");
    assert.equal((await evaluateRead()).policy_digest, original);
    assert.ok(logs.some((line) => line.includes("unavailable") && line.includes("policy_unavailable")));
    assert.ok(logs.some((line) => line.includes(`policy_digest=${original}`)));
  });

  it("enforces rate limits in memory by default, or in a shared state file", async () => {
    const limited = limitedPolicy(2);
    const statePath = join(dir, "limits.json");
    for (const [name, options] of [
      ["memory-limits", {}],
      ["file-limits", { rateLimitStatePath: statePath }],
    ] as const) {
      writeFileSync(join(dir, `${name}.yaml`), limited);
      const { sidecar, url } = await start(name, options);
      const verdicts: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.search") });
        verdicts.push(answer.json.verdict);
        if (i === 2) assert.ok((answer.json.reason_codes as string[]).includes("rate_limit_exceeded"), name);
      }
      assert.deepEqual(verdicts, ["allow", "allow", "block"], name);
    }
    assert.ok(existsSync(statePath), "the shared state file holds the counters");
  });

  it("owns the rate-limit state file while it runs: counts a burst in memory, saves it exactly", async () => {
    writeFileSync(join(dir, "owned.yaml"), limitedPolicy(100));
    const statePath = join(dir, "owned", "limits.json");
    mkdirSync(join(dir, "owned"));
    // A lock left by a killed process (its pid is dead): taken over at once.
    writeFileSync(`${statePath}.lock`, JSON.stringify({ pid: await deadPid(), host: hostname() }));
    const { sidecar, url } = await start("owned", { rateLimitStatePath: statePath });
    const answers = await Promise.all(
      Array.from({ length: 150 }, () =>
        call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.search") }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status).filter((status) => status !== 200),
      [],
    );
    const verdicts = answers.map((a) => String(a.json.verdict));
    assert.equal(verdicts.filter((v) => v === "allow").length, 100);
    assert.equal(verdicts.filter((v) => v === "block").length, 50);
    // Durable: the counts are in the file before the answers arrive.
    assert.deepEqual(savedCounts(statePath), [100]);
    const lock = JSON.parse(readFileSync(`${statePath}.lock`, "utf8"));
    assert.equal(lock.pid, process.pid, "the sidecar holds the lock while it runs");
    // Another writer waits for the lock and gives up with state_contention rather than count.
    const outcome = await enforceLimits(
      statePath,
      {
        rateLimits: [{ rule: "limited-search", limit: { requests: 100, window: "hour", scope: "tool" } }],
        destructiveBudgets: [],
      },
      prepareIntent(intent("tool.search")).intent,
      systemClock(),
    ).then(
      () => "counted",
      (error: { code?: string }) => error.code,
    );
    assert.equal(outcome, "state_contention");
    await sidecar.close();
    assert.equal(existsSync(`${statePath}.lock`), false, "released on close");
    assert.deepEqual(savedCounts(statePath), [100]);
  });

  it("blocks an unnormalizable intent when the policy fails closed for its risk class, as gait gate eval does", async () => {
    writeFileSync(
      join(dir, "failclosed.yaml"),
      "default_verdict: allow\nfail_closed:\n  enabled: true\nrules:\n  - name: allow-all\n    effect: allow\n",
    );
    const { sidecar, url } = await start("failclosed");
    const bad = (riskClass: string) => ({
      ...intent("tool.write"),
      args: "not-an-object",
      context: { identity: "agent.test", workspace: "/work", risk_class: riskClass },
    });
    const high = await call(url, "/v1/evaluate", { token: sidecar.token, body: bad("high") });
    assert.equal(high.status, 200);
    assert.equal(high.json.verdict, "block");
    assert.deepEqual(high.json.reason_codes, ["fail_closed_intent_invalid"]);
    assert.match(String(high.json.trace_id), /^[0-9a-f]{24}$/);
    const low = await call(url, "/v1/evaluate", { token: sidecar.token, body: bad("low") });
    assert.equal(low.status, 400);
    assert.equal(low.json.error_category, "invalid_input");
  });

  it("refuses to start on an invalid policy", async () => {
    writeFileSync(join(dir, "invalid.yaml"), "default_verdict: maybe\n");
    await assert.rejects(
      start("invalid"),
      (error: Error & { code?: string }) => error.code === "policy_invalid",
    );
  });

  it("refuses to decide (503) when the trace cannot be written, and counts and logs it", async () => {
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "");
    const { sidecar, url } = await start("failing", { traceDir: blocker });
    const answer = await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.read") });
    assert.equal(answer.status, 503);
    assert.equal(answer.json.ok, false);
    assert.equal(answer.json.verdict, undefined, "no decision");
    assert.equal(answer.json.error_code, "trace_write_failed");
    const stats = await sidecar.close();
    assert.equal(stats.failed, 1);
    assert.ok(logs.some((line) => /trace [0-9a-f]{24} was not written/.test(line)));
  });

  it("with --trace-durability async, answers first and counts a trace that then fails", async () => {
    const blocker = join(dir, "not-a-dir-async");
    writeFileSync(blocker, "");
    const { sidecar, url } = await start("failing-async", { traceDir: blocker, traceDurability: "async" });
    const answer = await call(url, "/v1/evaluate", { token: sidecar.token, body: intent("tool.read") });
    assert.equal(answer.json.verdict, "allow");
    const stats = await sidecar.close();
    assert.equal(stats.failed, 1);
    assert.ok(logs.some((line) => line.includes(`trace ${answer.json.trace_id} was not written`)));
  });

  it("serves on a Unix socket (owner-only), replacing a stale socket file and removing it on close", async () => {
    const socketPath = join(dir, "gate.sock");
    await leaveStaleSocket(socketPath);
    assert.ok(existsSync(socketPath));
    const { sidecar } = await start("socket", { listen: { kind: "socket", path: socketPath } });
    assert.deepEqual(sidecar.address, { kind: "socket", path: socketPath });
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    const answer = await call("", "/v1/evaluate", {
      socketPath,
      token: sidecar.token,
      body: intent("tool.read"),
    });
    assert.equal(answer.json.verdict, "allow");
    assert.equal((await call("", "/v1/health", { socketPath })).status, 401);
    await sidecar.close();
    assert.equal(existsSync(socketPath), false);
  });

  it("refuses a port already in use with a coded error", async () => {
    const { sidecar } = await start("busy");
    assert.equal(sidecar.address.kind, "tcp");
    const port = sidecar.address.kind === "tcp" ? sidecar.address.port : 0;
    await assert.rejects(
      start("busy2", { listen: parseListenTarget(`127.0.0.1:${port}`) }),
      (error: Error & { code?: string }) => error.code === "sidecar_address_in_use",
    );
  });
});

/** A socket file whose server crashed: a child listens on it and is killed with SIGKILL. */
async function leaveStaleSocket(path: string): Promise<void> {
  const script = `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}
