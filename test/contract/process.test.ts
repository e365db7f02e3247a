import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { type ProcessOptions, runProcess } from "../../src/contract/process.ts";
import { tempDir } from "../helpers/cli.ts";

const posix = process.platform !== "win32";
/** Generous bound for "settles promptly" on a busy 2-core box; the runs below need well under 2 s. */
const SETTLE_BOUND_MS = 10_000;

const node = (script: string, options?: ProcessOptions) =>
  runProcess(process.execPath, ["-e", script], options);

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, "ESRCH");
    return false;
  }
}

/** Killed members may take a moment to be reaped; poll instead of racing them. */
async function groupGone(pgid: number): Promise<boolean> {
  for (let i = 0; i < 200 && groupAlive(pgid); i++) await sleep(50);
  return !groupAlive(pgid);
}

/** The first line a child printed, as a pid (the tests make the group leader print `$$`). */
function firstPid(output: string): number {
  const pid = Number(output.split("\n")[0]);
  assert.ok(Number.isInteger(pid) && pid > 0, `no pid in ${JSON.stringify(output)}`);
  return pid;
}

/** Runs a command expected to time out; checks it did and that the run settled promptly. */
async function runToTimeout(file: string, args: string[], options: ProcessOptions) {
  const started = Date.now();
  const run = await runProcess(file, args, options);
  assert.ok(Date.now() - started < SETTLE_BOUND_MS, "settled promptly");
  assert.equal(run.timedOut, true);
  return run;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

describe("runProcess", () => {
  it("reports exit codes, output and duration", async () => {
    const ok = await node("process.stdout.write('out'); process.stderr.write('err')");
    assert.deepEqual(
      { ...ok, durationMs: 0 },
      {
        exitCode: 0,
        stdout: "out",
        stderr: "err",
        stdoutTruncated: false,
        stderrTruncated: false,
        timedOut: false,
        durationMs: 0,
      },
    );
    assert.ok(ok.durationMs >= 0);
    const failed = await node("process.exit(3)");
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.signal, undefined);
  });

  it("reports the signal that ended the child, with exit code -1", async () => {
    const run = await node("process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000)");
    assert.equal(run.exitCode, -1);
    assert.equal(run.signal, "SIGTERM");
    assert.equal(run.timedOut, false);
  });

  it("runs in the given cwd with exactly the given env, stdin empty or given", async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const where = await node("console.log(process.cwd(), process.env.ONLY, process.env.HOME)", {
      cwd: dir,
      env: { ONLY: "yes" },
    });
    assert.equal(where.stdout, `${realpathSync(dir)} yes undefined\n`);
    const echo =
      "process.stdin.on('data', (d) => process.stdout.write(d)).on('end', () => process.stdout.write('.'))";
    assert.equal((await node(echo)).stdout, ".");
    assert.equal((await node(echo, { input: "hello" })).stdout, "hello.");
    // A child that never reads its input must not break the run (EPIPE on our side).
    assert.equal((await node("process.exit(0)", { input: Buffer.alloc(1 << 20) })).exitCode, 0);
  });

  it("keeps the first maxOutputBytes of each stream, flags truncation, and streams everything live", async () => {
    const seen = { out: [] as Buffer[], err: [] as Buffer[] };
    const run = await node("process.stdout.write('x'.repeat(100000)); process.stderr.write('short')", {
      maxOutputBytes: 10,
      onStdout: (chunk) => seen.out.push(chunk),
      onStderr: (chunk) => seen.err.push(chunk),
    });
    assert.equal(run.stdout, "x".repeat(10));
    assert.equal(run.stdoutTruncated, true);
    assert.equal(run.stderr, "short");
    assert.equal(run.stderrTruncated, false);
    assert.equal(Buffer.concat(seen.out).toString(), "x".repeat(100000));
    assert.equal(Buffer.concat(seen.err).toString(), "short");
    const none = await node("process.stdout.write('a')", { maxOutputBytes: 0 });
    assert.deepEqual([none.stdout, none.stdoutTruncated], ["", true]);
  });

  it("has no timeout when timeoutMs is 0 or absent, and a huge one does not fire early", async () => {
    for (const timeoutMs of [0, undefined, 2 ** 40]) {
      const run = await node("setTimeout(() => process.exit(4), 300)", { timeoutMs });
      assert.deepEqual([run.exitCode, run.timedOut], [4, false]);
    }
  });

  it("settles with a spawn error instead of rejecting", async () => {
    const missing = await runProcess("/nonexistent/gait-test-binary", ["x"], { timeoutMs: 1000 });
    assert.match(missing.spawnError ?? "", /ENOENT/);
    assert.deepEqual([missing.exitCode, missing.timedOut, missing.stdout], [-1, false, ""]);
    const empty = await runProcess("", []);
    assert.match(empty.spawnError ?? "", /empty/);
    const badCwd = await runProcess(process.execPath, ["-e", ""], { cwd: "/nonexistent/gait-dir" });
    assert.match(badCwd.spawnError ?? "", /ENOENT/);
  });

  describe("timeout (POSIX process groups)", { skip: !posix }, () => {
    it("kills the whole group with SIGKILL, grandchildren holding the pipes included", async () => {
      const run = await runToTimeout("sh", ["-c", "echo $$; sleep 30 & sleep 30"], {
        timeoutMs: 300,
        killGraceMs: 0,
      });
      assert.deepEqual([run.exitCode, run.signal], [-1, "SIGKILL"]);
      assert.ok(await groupGone(firstPid(run.stdout)), "no process left in the group");
    });

    it("sends SIGTERM first and lets the child clean up within the grace", async () => {
      const script =
        "process.on('SIGTERM', () => { console.log('bye'); process.exit(7) }); setInterval(() => {}, 1000)";
      // Long enough for node to install its handler even on a loaded machine.
      const run = await runToTimeout(process.execPath, ["-e", script], {
        timeoutMs: 1500,
        killGraceMs: 5000,
      });
      assert.deepEqual([run.exitCode, run.signal, run.stdout], [7, undefined, "bye\n"]);
    });

    it("follows with SIGKILL when SIGTERM is ignored", async () => {
      // Ignored signals are inherited: neither sh nor the sleeps die of SIGTERM.
      const run = await runToTimeout("sh", ["-c", "trap '' TERM; echo $$; sleep 30 & sleep 30"], {
        timeoutMs: 300,
        killGraceMs: 300,
      });
      assert.equal(run.signal, "SIGKILL");
      assert.ok(await groupGone(firstPid(run.stdout)));
    });

    it("settles even when a grandchild that left the group keeps the pipes open", async (t) => {
      const script = [
        "const { spawn } = require('node:child_process');",
        "const escaped = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { detached: true, stdio: 'inherit' });",
        "console.log(escaped.pid);",
        "setInterval(() => {}, 1000);",
      ].join("\n");
      const run = await runToTimeout(process.execPath, ["-e", script], { timeoutMs: 1000, killGraceMs: 0 });
      t.after(() => killQuietly(firstPid(run.stdout)));
      assert.equal(run.signal, "SIGKILL");
    });
  });

  it("leaves nothing of the group behind after a normal exit", { skip: !posix }, async () => {
    const run = await runProcess("sh", ["-c", "echo $$; sleep 30 >/dev/null 2>&1 &"]);
    assert.equal(run.exitCode, 0);
    assert.ok(await groupGone(firstPid(run.stdout)), "the background sleep was killed");
  });

  it("forwards a signal sent to this process to the child's group", { skip: !posix }, async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const moduleUrl = pathToFileURL(join(import.meta.dirname, "../../src/contract/process.ts")).href;
    const script = join(dir, "parent.mjs");
    writeFileSync(
      script,
      `import { runProcess } from ${JSON.stringify(moduleUrl)};\n` +
        `await runProcess("sh", ["-c", "echo $$; sleep 30 & sleep 30"], { onStdout: (c) => process.stdout.write(c) });\n`,
    );
    const parent = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pgid = await new Promise<number>((resolve) =>
      parent.stdout.once("data", (d: Buffer) => resolve(firstPid(String(d)))),
    );
    t.after(() => killQuietly(-pgid));
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      parent.on("exit", (_code, signal) => resolve(signal)),
    );
    parent.kill("SIGTERM");
    // Alone with the signal, the parent dies of it as it would have without the runner.
    assert.equal(await ended, "SIGTERM");
    assert.ok(await groupGone(pgid), "the child's group got the signal too");
  });
});
