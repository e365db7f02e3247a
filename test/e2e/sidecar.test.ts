/** `gait gate serve` end to end: the built CLI as a child process on an ephemeral loopback port. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  parsePublicKey,
} from "../../src/contract/signing.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import { mintApprovalToken, parsePolicyYaml, prepareIntent, verifyTrace } from "../../src/gate/index.ts";
import { captureOutput, gaitBin, runGait, tempDir } from "../helpers/cli.ts";
import {
  call,
  deadPid,
  eventually,
  intent,
  limitedPolicy,
  POLICY_YAML,
  POLICY_YAML_READS_BLOCKED,
  type Reply,
  type ServeProcess,
  savedCounts,
  startServe,
} from "../sidecar/support.ts";

describe("gait gate serve (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  let server: ServeProcess;
  const policyPath = () => join(dir, "policy.yaml");

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-e2e-sidecar-"));
    writeFileSync(policyPath(), POLICY_YAML);
    server = await startServe(
      ["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--max-request-bytes", "4096"],
      {
        cwd: dir,
      },
    );
  });
  after(async () => {
    await server.stop("SIGKILL");
    cleanup();
  });

  it("prints one startup JSON object with the bound address, digest, generated token and trace key", () => {
    const s = server.startup;
    assert.equal(s.ok, true);
    assert.match(String(s.listen), /^127\.0\.0\.1:\d+$/);
    assert.notEqual(s.listen, "127.0.0.1:0");
    assert.equal(s.url, `http://${s.listen}`);
    assert.match(String(s.policy_digest), /^[0-9a-f]{64}$/);
    assert.equal(s.token_source, "generated");
    assert.match(String(s.token), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(s.trace_dir, "./gait-out/traces");
    assert.equal(s.max_request_bytes, 4096);
    assert.ok(Array.isArray(s.warnings), "dev-key warning is reported");
    assert.equal(server.stderr().includes(server.token), false, "the token is not logged");
  });

  it("refuses unauthenticated (401), oversized (413), non-JSON (415) and malformed (400) requests", async () => {
    const body = intent("tool.read");
    const noToken = await call(server.url, "/v1/evaluate", { body });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.json.error_code, "invalid_input");
    assert.equal(noToken.json.detail_code, "unauthorized");
    assert.equal((await call(server.url, "/v1/evaluate", { body, token: `${server.token}x` })).status, 401);
    const big = { ...body, args: { blob: "x".repeat(5000) } };
    const oversized = await call(server.url, "/v1/evaluate", { body: big, token: server.token });
    assert.equal(oversized.status, 413);
    assert.equal(oversized.json.error_code, "invalid_input");
    assert.equal(oversized.json.detail_code, "request_too_large");
    const streamed = await call(server.url, "/v1/evaluate", {
      body: big,
      token: server.token,
      chunked: true,
    });
    assert.equal(streamed.status, 413);
    const text = await call(server.url, "/v1/evaluate", {
      body,
      token: server.token,
      contentType: "text/plain",
    });
    assert.equal(text.status, 415);
    const bad = await call(server.url, "/v1/evaluate", { text: "{", token: server.token });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.ok, false);
    assert.equal(bad.json.error_code, "invalid_input");
    assert.equal(bad.json.detail_code, "invalid_json");
    assert.equal(bad.json.error_category, "invalid_input");
    assert.equal(typeof bad.json.hint, "string");
    assert.equal((await call(server.url, "/v1/evaluate", { token: server.token })).status, 405);
  });

  it("answers each verdict with HTTP 200 and the policy digest; the traces on disk verify", async () => {
    const verdicts: Record<string, string> = {};
    const tracePaths: string[] = [];
    for (const tool of ["tool.read", "tool.write", "tool.delete"]) {
      const answer = await call(server.url, "/v1/evaluate", { body: intent(tool), token: server.token });
      assert.equal(answer.status, 200);
      assert.equal(answer.json.policy_digest, server.startup.policy_digest);
      verdicts[tool] = String(answer.json.verdict);
      tracePaths.push(String(answer.json.trace_path));
    }
    assert.deepEqual(verdicts, {
      "tool.read": "allow",
      "tool.write": "require_approval",
      "tool.delete": "block",
    });
    const key = parsePublicKey(String(server.startup.trace_public_key), "startup");
    await eventually(async () => {
      const health = await call(server.url, "/v1/health", { token: server.token });
      return health.json.traces_pending === 0;
    });
    for (const path of tracePaths) {
      assert.equal(verifyTrace(JSON.parse(readFileSync(path, "utf8")), key).ok, true, path);
    }
    const policy = await call(server.url, "/v1/policy", { token: server.token });
    assert.equal(policy.json.rule_count, 2);
    assert.equal(policy.json.default_verdict, "block");
  });

  it("hot-reloads the policy, blocks with policy_unavailable while it is corrupt, and recovers", async () => {
    const read = async () =>
      (await call(server.url, "/v1/evaluate", { body: intent("tool.read"), token: server.token })).json;
    const original = server.startup.policy_digest;
    writeFileSync(policyPath(), POLICY_YAML_READS_BLOCKED);
    await eventually(async () => (await read()).policy_digest !== original);
    const reloaded = await read();
    assert.equal(reloaded.verdict, "block");
    assert.match(String(reloaded.policy_digest), /^[0-9a-f]{64}$/);

    writeFileSync(policyPath(), "schema_id: gait.gate.policy\n\tdefault_verdict: allow\n");
    await eventually(async () => (await read()).policy_digest === "");
    const corrupt = await read();
    assert.equal(corrupt.verdict, "block");
    assert.deepEqual(corrupt.reason_codes, ["policy_unavailable"]);
    const health = await call(server.url, "/v1/health", { token: server.token });
    assert.equal(health.status, 503);
    assert.equal(health.json.status, "degraded");

    writeFileSync(policyPath(), POLICY_YAML);
    await eventually(async () => (await read()).verdict === "allow");
    assert.equal((await read()).policy_digest, original);
    assert.match(server.stderr(), /unavailable/);
  });

  it("refuses a non-loopback bind without --allow-remote and an explicit token (exit 6)", async () => {
    const base = ["gate", "serve", "--policy", "policy.yaml", "--no-config", "--json"];
    const plain = await runGait([...base, "--listen", "0.0.0.0:0"], { cwd: dir });
    assert.equal(plain.code, 6);
    assert.equal(plain.json?.error_code, "invalid_input");
    assert.equal(plain.json?.detail_code, "sidecar_remote_bind_refused");
    const noToken = await runGait([...base, "--listen", "0.0.0.0:0", "--allow-remote"], { cwd: dir });
    assert.equal(noToken.code, 6);
    assert.equal(noToken.json?.error_code, "invalid_input");
    assert.equal(noToken.json?.detail_code, "sidecar_remote_bind_refused");
    const weak = await runGait([...base, "--token-env", "T"], { cwd: dir, env: { T: "short" } });
    assert.equal(weak.code, 6);
    assert.equal(weak.json?.error_code, "invalid_input");
    assert.equal(weak.json?.detail_code, "sidecar_token_weak");
    const badPolicy = await runGait(["gate", "serve", "--policy", "missing.yaml", "--no-config", "--json"], {
      cwd: dir,
    });
    assert.notEqual(badPolicy.code, 0);
    assert.equal(badPolicy.json?.ok, false);
  });

  it("uses a token from --token-env and never echoes it", async () => {
    const token = "e2e-token-0123456789abcdef";
    const withEnv = await startServe(
      ["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--token-env", "GAIT_T"],
      {
        cwd: dir,
        env: { GAIT_T: token },
      },
    );
    try {
      assert.equal(withEnv.startup.token_source, "env");
      assert.equal(withEnv.startup.token, undefined);
      assert.equal((await call(withEnv.url, "/v1/health", { token })).status, 200);
    } finally {
      await withEnv.stop();
    }
    assert.equal(withEnv.stderr().includes(token), false);
  });

  it("takes its defaults from .gait/config.yaml (gate and sidecar sections)", async () => {
    const { dir: project, cleanup: removeProject } = tempDir("gait-e2e-sidecar-config-");
    try {
      writeFileSync(join(project, "rules.yaml"), POLICY_YAML);
      mkdirSync(join(project, ".gait"));
      writeFileSync(
        join(project, ".gait", "config.yaml"),
        [
          "gate:",
          "  policy: rules.yaml",
          "  trace_dir: evidence",
          "sidecar:",
          "  listen: 127.0.0.1:0",
          "  token_env: PROJECT_TOKEN",
          "  max_request_bytes: 2048",
          "",
        ].join("\n"),
      );
      const token = "project-token-0123456789";
      const configured = await startServe([], {
        cwd: project,
        env: { PROJECT_TOKEN: token },
        useConfig: true,
      });
      try {
        assert.equal(configured.startup.policy_path, "rules.yaml");
        assert.equal(configured.startup.trace_dir, "./evidence");
        assert.equal(configured.startup.token_source, "env");
        assert.equal(configured.startup.max_request_bytes, 2048);
        const answer = await call(configured.url, "/v1/evaluate", { body: intent("tool.read"), token });
        assert.equal(answer.json.verdict, "allow");
        assert.ok(String(answer.json.trace_path).startsWith(join(project, "evidence")));
      } finally {
        await configured.stop();
      }
    } finally {
      removeProject();
    }
  });

  it("on SIGTERM finishes, writes every queued trace, and exits 0", async () => {
    const keyPath = join(dir, "trace.key");
    writeFileSync(keyPath, encodePrivateKey(generateSigningKey()), { mode: 0o600 });
    const traceDir = join(dir, "sigterm-traces");
    const sidecar = await startServe(
      [
        "--policy",
        "policy.yaml",
        "--listen",
        "127.0.0.1:0",
        "--trace-dir",
        traceDir,
        "--key-mode",
        "prod",
        "--private-key",
        keyPath,
      ],
      { cwd: dir },
    );
    const count = 200;
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        call(sidecar.url, "/v1/evaluate", {
          body: intent("tool.read", `/work/${i}.txt`),
          token: sidecar.token,
        }),
      ),
    );
    assert.ok(answers.every((a) => a.status === 200));
    const code = await sidecar.stop("SIGTERM");
    assert.equal(code, 0);
    assert.equal(readdirSync(traceDir).filter((f) => f.startsWith("trace_")).length, count);
    assert.match(sidecar.stderr(), new RegExp(`traces_written=${count} trace_write_failures=0`));
    assert.equal(sidecar.startup.warnings, undefined, "prod key: no dev-key warning");
  });
});

describe("gait gate serve (human mode)", () => {
  it("prints the listening line on stdout and the generated token once on stderr", async () => {
    const { dir, cleanup } = tempDir("gait-e2e-sidecar-human-");
    writeFileSync(join(dir, "policy.yaml"), POLICY_YAML);
    const child = spawn(
      process.execPath,
      [gaitBin, "gate", "serve", "--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--no-config"],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const output = captureOutput(child);
    try {
      await eventually(
        async () => output.stdout().includes("token_source=") && output.stderr().includes("token="),
      );
      const url = /listening on (http:\/\/\S+)/.exec(output.stdout())?.[1];
      const token = /^token=(\S+)$/m.exec(output.stderr())?.[1];
      assert.ok(url && token);
      assert.equal(output.stdout().includes(token), false, "the token is not on stdout");
      assert.equal((await call(url, "/v1/health", { token })).status, 200);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      assert.equal(await exited, 0);
      cleanup();
    }
  });
});

describe("gait gate serve evidence and rate-limit state (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("gait-e2e-sidecar-evidence-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY_YAML);
    writeFileSync(join(dir, "limited.yaml"), limitedPolicy(300));
    writeFileSync(join(dir, "search.json"), JSON.stringify(intent("tool.search")));
  });
  after(() => cleanup());

  it("after kill -9, every decision it had answered has its trace on disk (durable)", async () => {
    const traceDir = join(dir, "killed-traces");
    const server = await startServe(
      ["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--trace-dir", traceDir],
      {
        cwd: dir,
      },
    );
    const answered: Reply[] = [];
    let killed: Promise<number> | undefined;
    const requests = Array.from({ length: 400 }, (_, i) =>
      call(server.url, "/v1/evaluate", {
        body: intent(["tool.read", "tool.write", "tool.delete"][i % 3]!, `/work/${i}.txt`),
        token: server.token,
      }).then(
        (reply) => {
          if (killed) return;
          answered.push(reply);
          // Killed as soon as half the answers are in, with the rest in flight.
          if (answered.length === 200) killed = server.stop("SIGKILL");
        },
        () => undefined,
      ),
    );
    await Promise.all(requests);
    await killed;
    assert.equal(answered.length, 200);
    const missing = answered.filter((reply) => {
      const path = String(reply.json.trace_path);
      return !existsSync(path) || JSON.parse(readFileSync(path, "utf8")).trace_id !== reply.json.trace_id;
    });
    assert.deepEqual(
      missing.map((reply) => reply.json.trace_id),
      [],
      "answered decisions without a trace",
    );
    assert.ok(answered.every((reply) => reply.status === 200 && reply.json.trace_id));
  });

  it("a repeated identical decision gets a new trace file, also after a restart; none is overwritten", async () => {
    const traceDir = join(dir, "repeat-traces");
    const args = ["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--trace-dir", traceDir];
    const ask = async (server: ServeProcess) =>
      (await call(server.url, "/v1/evaluate", { body: intent("tool.write"), token: server.token })).json;
    const first = await startServe(args, { cwd: dir });
    const a = await ask(first);
    const b = await ask(first);
    await first.stop("SIGKILL");
    const bytes = [readFileSync(String(a.trace_path), "utf8"), readFileSync(String(b.trace_path), "utf8")];
    const second = await startServe(args, { cwd: dir });
    const c = await ask(second);
    await second.stop();
    const id = String(a.trace_id);
    assert.deepEqual(
      [a, b, c].map((answer) => [answer.trace_id, answer.trace_path]),
      [
        [id, join(traceDir, `trace_${id}.json`)],
        [id, join(traceDir, `trace_${id}.2.json`)],
        [id, join(traceDir, `trace_${id}.3.json`)],
      ],
    );
    assert.equal(readFileSync(String(a.trace_path), "utf8"), bytes[0]);
    assert.equal(readFileSync(String(b.trace_path), "utf8"), bytes[1]);
    assert.equal(readdirSync(traceDir).filter((name) => name.startsWith("trace_")).length, 3);
    assert.equal(readdirSync(traceDir).filter((name) => name.startsWith("approval_audit_")).length, 3);
  });

  it("a rate-limited gate eval is not held up by a lock whose owner pid is dead", async () => {
    const statePath = join(dir, "eval-limits.json");
    writeFileSync(
      `${statePath}.lock`,
      JSON.stringify({ schema_id: "gait.gate.rate_limit_lock", pid: await deadPid() }),
    );
    const result = await runGait(
      [
        "gate",
        "eval",
        "--policy",
        "limited.yaml",
        "--intent",
        "search.json",
        "--rate-limit-state",
        statePath,
      ],
      { cwd: dir, env: {}, timeoutMs: 30_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(savedCounts(statePath), [1]);
    assert.equal(existsSync(`${statePath}.lock`), false);
  });

  it("a 500-request burst with --rate-limit-state gets no 503 and exact counters; the state file is the sidecar's while it runs", async () => {
    const statePath = join(dir, "serve-limits.json");
    // Left by a killed sidecar: taken over at once.
    writeFileSync(
      `${statePath}.lock`,
      JSON.stringify({ schema_id: "gait.gate.rate_limit_lock", pid: await deadPid() }),
    );
    const server = await startServe(
      ["--policy", "limited.yaml", "--listen", "127.0.0.1:0", "--rate-limit-state", statePath],
      { cwd: dir },
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 500 }, () =>
          call(server.url, "/v1/evaluate", { body: intent("tool.search"), token: server.token }),
        ),
      );
      const statuses = new Map<number, number>();
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      assert.deepEqual([...statuses], [[200, 500]]);
      const verdicts = answers.map((answer) => answer.json.verdict);
      assert.equal(verdicts.filter((v) => v === "allow").length, 300);
      assert.equal(verdicts.filter((v) => v === "block").length, 200);
      assert.deepEqual(savedCounts(statePath), [300], "saved before the answers (durable)");

      const contended = await runGait(
        [
          "gate",
          "eval",
          "--policy",
          "limited.yaml",
          "--intent",
          "search.json",
          "--rate-limit-state",
          statePath,
          "--json",
        ],
        { cwd: dir, timeoutMs: 30_000 },
      );
      assert.equal(contended.code, 1);
      assert.equal(contended.json?.error_code, "state_contention");
      assert.match(String(contended.json?.hint), /gait gate serve/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(savedCounts(statePath), [300]);
    assert.equal(existsSync(`${statePath}.lock`), false, "released at shutdown");
  });

  it("approver keys and single-use approvals: a spent token is refused, also after kill -9 and a restart", async () => {
    const alice = generateSigningKey();
    writeFileSync(
      join(dir, "approvers.yaml"),
      `approvers:\n  - identity: alice\n    public_key: ${encodePublicKey(alice)}\n`,
    );
    const write = intent("tool.write");
    const token = (approver: string) =>
      mintApprovalToken(
        {
          intentDigest: prepareIntent(write).intentDigest,
          policyDigest: parsePolicyYaml(POLICY_YAML, "policy.yaml").policyDigest,
          approver,
          reasonCode: "change_1",
          scope: ["tool:tool.write"],
          ttlNanos: parseGoDuration("1h"),
          now: Timestamp.fromEpochMs(Date.now()),
        },
        alice,
      );
    const args = [
      ...["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--approver-keys", "approvers.yaml"],
      ...["--approval-single-use", "--approval-ledger", "serve-spent.json"],
    ];
    const evaluate = (server: ServeProcess, approvalTokens: unknown[]) =>
      call(server.url, "/v1/evaluate", {
        body: { intent: write, approval_tokens: approvalTokens },
        token: server.token,
      });
    const first = await startServe(args, { cwd: dir });
    const good = token("alice");
    try {
      const borrowed = await evaluate(first, [token("bob")]);
      assert.equal(borrowed.json.verdict, "require_approval");
      assert.ok((borrowed.json.reason_codes as string[]).includes("approval_token_approver_unknown"));
      const granted = await evaluate(first, [good]);
      assert.equal(granted.json.verdict, "allow", JSON.stringify(granted.json));
      const replay = await evaluate(first, [good]);
      assert.equal(replay.json.verdict, "require_approval");
      assert.ok((replay.json.reason_codes as string[]).includes("approval_token_consumed"));
    } finally {
      await first.stop("SIGKILL");
    }
    // Answered means saved: after kill -9 the spend is on disk and a new sidecar refuses the replay.
    const second = await startServe(args, { cwd: dir });
    try {
      const replay = await evaluate(second, [good]);
      assert.ok((replay.json.reason_codes as string[]).includes("approval_token_consumed"));
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
