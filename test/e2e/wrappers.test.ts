import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { captureOutput, gaitBin, runGait, tempDir } from "../helpers/cli.ts";

const policy = `default_verdict: block
rules:
  - name: allow-read
    effect: allow
    match:
      tool_names: [tool.read]
  - name: approve-write
    effect: require_approval
    match:
      tool_names: [tool.write]
`;

const intent = (tool: string) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: tool,
  args: {},
  context: { identity: "agent.a", workspace: "/repo", risk_class: "low" },
});

/**
 * The child every wrapper test runs: for each tool named on its command line it asks
 * `gait gate eval --json`, prints `trace_path=<path>`, and runs the "tool" only on allow.
 */
const agent = `
const { execFileSync } = require("node:child_process");
const tools = process.argv.slice(2);
for (const tool of tools) {
  let out;
  try {
    out = execFileSync(process.execPath, [${JSON.stringify(gaitBin)}, "gate", "eval", "--policy", "policy.yaml",
      "--intent", tool + ".json", "--json"], { encoding: "utf8" });
  } catch (error) {
    out = error.stdout;
  }
  const result = JSON.parse(out);
  console.log("trace_path=" + result.trace_path);
  console.log(tool + ": " + (result.verdict === "allow" ? "executed" : "refused (" + result.verdict + ")"));
}
console.log("wrapper_mode=" + process.env.GAIT_WRAPPER_MODE);
`;

describe("gait test|enforce|trace -- <cmd> (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, "policy.yaml"), policy);
    for (const tool of ["read", "write", "delete"]) {
      writeFileSync(join(dir, `${tool}.json`), JSON.stringify(intent(`tool.${tool}`)));
    }
    writeFileSync(join(dir, "agent.cjs"), agent);
  });
  after(() => cleanup());

  const wrap = (args: string[]) => runGait(args, { cwd: dir });

  it("enforce exits 0 when every decision allowed, 3 when one was blocked, 4 on approval", async () => {
    const allowed = await wrap(["enforce", "--json", "--", "node", "agent.cjs", "read"]);
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.equal(allowed.json?.mode, "enforce");
    assert.equal(allowed.json?.boundary_contract, "explicit_trace_reference");
    assert.deepEqual(allowed.json?.verdict_counts, { allow: 1, block: 0, dry_run: 0, require_approval: 0 });
    assert.deepEqual(allowed.json?.command, ["node", "agent.cjs", "read"]);
    assert.match(String(allowed.json?.stdout), /read: executed\n/);
    assert.match(String(allowed.json?.stdout), /wrapper_mode=enforce/);

    const blocked = await wrap(["enforce", "--json", "--", "node", "agent.cjs", "read", "delete", "write"]);
    assert.equal(blocked.code, 3);
    assert.equal(blocked.json?.ok, true);
    assert.equal(blocked.json?.child_exit_code, 0);
    assert.equal((blocked.json!.trace_paths as string[]).length, 3);
    assert.deepEqual(blocked.json?.verdict_counts, { allow: 1, block: 1, dry_run: 0, require_approval: 1 });

    const approval = await wrap(["enforce", "--", "node", "agent.cjs", "write"]);
    assert.equal(approval.code, 4);
    assert.match(approval.stdout, /write: refused \(require_approval\)/);
    assert.match(approval.stdout, /gait enforce: child exit 0, 1 trace\(s\)/);
  });

  it("test and trace keep the child's exit code", async () => {
    const tested = await wrap(["test", "--json", "--", "node", "agent.cjs", "delete"]);
    assert.equal(tested.code, 0);
    assert.equal(tested.json?.mode, "test");
    const failing = await wrap([
      "trace",
      "--json",
      "--",
      "node",
      "-e",
      "console.log('trace_path=x.json'); process.exit(5)",
    ]);
    assert.equal(failing.code, 5);
    assert.equal(failing.json?.mode, "trace");
    assert.match(String((failing.json!.warnings as string[])[0]), /invalid trace artifact x\.json/);
  });

  it("a child that reports no trace is missing_trace_reference (exit 6); a slow one times out (exit 1)", async () => {
    const silent = await wrap(["enforce", "--json", "--", "node", "-e", "console.log('no gate here')"]);
    assert.equal(silent.code, 6);
    assert.equal(silent.json?.ok, false);
    assert.equal(silent.json?.failure_reason, "missing_trace_reference");
    assert.equal(silent.json?.error_code, "invalid_input");

    const slow = await wrap([
      "test",
      "--timeout",
      "300ms",
      "--json",
      "--",
      "node",
      "-e",
      "setTimeout(() => {}, 20000)",
    ]);
    assert.equal(slow.code, 1);
    assert.equal(slow.json?.failure_reason, "child_timed_out");
    assert.equal(slow.json?.timed_out, true);
  });

  it("gait trace verify still works next to gait trace -- <cmd>; unknown operands are usage errors", async () => {
    const keys = await wrap(["keys", "init", "--out-dir", "keys"]);
    assert.equal(keys.code, 0);
    const evaluated = await wrap([
      "gate",
      "eval",
      "--policy",
      "policy.yaml",
      "--intent",
      "read.json",
      "--key-mode",
      "prod",
      "--private-key",
      "keys/gait_private.key",
      "--trace-out",
      "signed.json",
    ]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const verified = await wrap([
      "trace",
      "verify",
      "signed.json",
      "--public-key",
      "keys/gait_public.key",
      "--json",
    ]);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.json?.signature_status, "verified");

    const wrapped = await wrap([
      "trace",
      "--public-key",
      "keys/gait_public.key",
      "--json",
      "--",
      "node",
      "-e",
      "console.log('trace_path=signed.json')",
    ]);
    assert.equal(wrapped.code, 0, wrapped.stdout);
    assert.deepEqual(wrapped.json?.verdict_counts, { allow: 1, block: 0, dry_run: 0, require_approval: 0 });

    for (const args of [["trace", "nosuch"], ["trace"], ["enforce", "node", "x.js"], ["test"]]) {
      const result = await wrap([...args, "--json"]);
      assert.equal(result.code, 6, args.join(" "));
      assert.equal(result.json?.error_code, "invalid_input");
      assert.equal(result.json?.detail_code, "usage");
    }
  });

  it("passes the child's output through live and does not kill a long child (no default timeout)", async () => {
    // The child prints, then would sleep for 40 s: `start` must show while it still runs.
    const child = "console.log('start ' + process.pid); console.error('note'); setTimeout(() => {}, 40000)";
    for (const json of [false, true]) {
      const live = spawnGait(["test", ...(json ? ["--json"] : []), "--", "node", "-e", child], dir);
      try {
        // Human mode: the child's stdout on our stdout; --json: on stderr, stdout stays for the JSON.
        const seen = await live.waitFor(json ? "stderr" : "stdout", /start (\d+)\n/);
        await live.waitFor("stderr", /note\n/);
        assert.equal(live.process.exitCode, null, "gait is still running the child");
        if (json) assert.equal(live.stdout(), "", "nothing but the final JSON goes to stdout");
        live.process.kill("SIGTERM");
        await live.closed;
        // SIGTERM is forwarded to the child's process group: nothing is left running.
        await gone(Number(seen[1]));
      } finally {
        live.process.kill("SIGKILL");
      }
    }
  });

  it("keeps the streams apart in human mode; with --json stdout is the one JSON object", async () => {
    const child = [
      "-e",
      "console.log('trace_path=gone.json'); console.error('to stderr'); process.stdout.write('no newline')",
    ];
    const human = await wrap(["test", "--", "node", ...child]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^trace_path=gone\.json\nno newline\ngait test: child exit 0, 1 trace\(s\)/);
    assert.match(human.stderr, /^to stderr\n/);
    assert.doesNotMatch(human.stdout, /to stderr/);

    const json = await wrap(["test", "--json", "--", "node", ...child]);
    assert.equal(json.code, 0);
    assert.equal(json.json?.stdout, "trace_path=gone.json\nno newline");
    assert.equal(json.json?.stderr, "to stderr\n");
    assert.match(json.stderr, /trace_path=gone\.json/);
    assert.match(json.stderr, /to stderr/);
  });
});

interface LiveGait {
  process: ChildProcessWithoutNullStreams;
  stdout(): string;
  /** Resolves with the match once `pattern` shows on the stream; rejects after 10 s. */
  waitFor(stream: "stdout" | "stderr", pattern: RegExp): Promise<RegExpMatchArray>;
  closed: Promise<void>;
}

function spawnGait(args: string[], cwd: string): LiveGait {
  const child = spawn(process.execPath, [gaitBin, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
  const text = captureOutput(child);
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    process: child,
    stdout: text.stdout,
    closed,
    async waitFor(stream, pattern) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const match = pattern.exec(text[stream]());
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(
            `no ${pattern} on ${stream}: ${JSON.stringify({ stdout: text.stdout(), stderr: text.stderr() })}`,
          );
        }
        await sleep(20);
      }
    },
  };
}

/** Waits (up to 10 s) until this pid has died: no such process, or a zombie not yet reaped by init. */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!running(pid)) return;
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      assert.fail(`process ${pid} outlived gait`);
    }
    await sleep(50);
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return !existsSync("/proc/self"); // without /proc, kill(0) is all we know
  }
}
