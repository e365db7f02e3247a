import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { GaitError } from "../../src/contract/errors.ts";
import {
  acquireFileLock,
  withFileLock,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFileNew,
} from "../../src/contract/files.ts";
import { fixedClock } from "../../src/contract/time.ts";
import { tempDir } from "../helpers/cli.ts";

/** A fresh directory removed when the test ends. */
function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  return dir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("writeFileAtomic", () => {
  it("writes with mode 0600, creates parent directories and leaves no temp files", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "nested", "out", "runpack.zip");
    await writeFileAtomic(path, "first");
    await writeFileAtomic(path, Buffer.from("second"));
    assert.equal(readFileSync(path, "utf8"), "second");
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(readdirSync(join(dir, "nested", "out")), ["runpack.zip"]);
  });

  it("applies an explicit mode regardless of the umask", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "state.json");
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(path, "{}", { mode: 0o644, fsync: false });
    } finally {
      process.umask(previous);
    }
    assert.equal(modeOf(path), 0o644);
  });

  it("has a synchronous twin with the same guarantees", (t) => {
    const dir = scratch(t);
    const path = join(dir, "sub", "state.json");
    writeFileAtomicSync(path, "one");
    writeFileAtomicSync(path, "two");
    assert.equal(readFileSync(path, "utf8"), "two");
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(readdirSync(join(dir, "sub")), ["state.json"]);
  });

  it("keeps the previous content and removes the temp file when the write fails", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "state.json");
    writeFileSync(path, "previous");
    const notWritable = { length: 3 } as unknown as Uint8Array;
    await assert.rejects(writeFileAtomic(path, notWritable), GaitError);
    assert.throws(() => writeFileAtomicSync(path, notWritable), GaitError);
    assert.equal(readFileSync(path, "utf8"), "previous");
    assert.deepEqual(readdirSync(dir), ["state.json"]);
  });

  it("reports a rename onto a directory as a coded error and cleans up", async (t) => {
    const dir = scratch(t);
    mkdirSync(join(dir, "taken"));
    writeFileSync(join(dir, "taken", "inside"), "x");
    await assert.rejects(writeFileAtomic(join(dir, "taken"), "data"), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.match(error.message, /taken/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), ["taken"]);
  });
});

describe("writeFileNew", () => {
  it("takes the first free name, never replaces, and refuses an existing exact path", async (t) => {
    const dir = scratch(t);
    const names = (attempt: number) => join(dir, `n${attempt}.json`);
    assert.deepEqual(await writeFileNew(names, "zero"), { path: join(dir, "n0.json"), attempt: 0 });
    assert.deepEqual(await writeFileNew(names, "one", { fsync: false }), {
      path: join(dir, "n1.json"),
      attempt: 1,
    });
    await assert.rejects(writeFileNew(join(dir, "n0.json"), "clobber"), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.code, "file_exists");
      assert.equal(error.exitCode, 6);
      assert.match(error.hint, /another output path/);
      return true;
    });
    assert.equal(readFileSync(join(dir, "n0.json"), "utf8"), "zero");
    assert.equal(readFileSync(join(dir, "n1.json"), "utf8"), "one");
    assert.equal(modeOf(join(dir, "n1.json")), 0o600);
    assert.deepEqual(readdirSync(dir).sort(), ["n0.json", "n1.json"]);
  });

  it("finds the name after a long run of taken ones, replacing none, whatever the run's length", async (t) => {
    const dir = scratch(t);
    const names = (attempt: number) => join(dir, `n${attempt}.json`);
    for (const run of [1, 2, 3, 7, 8, 9, 100]) {
      for (let i = 0; i < run; i++) writeFileSync(names(i), `taken ${i}`);
      assert.deepEqual(await writeFileNew(names, "new", { fsync: false }), {
        path: names(run),
        attempt: run,
      });
      for (let i = 0; i < run; i++) assert.equal(readFileSync(names(i), "utf8"), `taken ${i}`);
      for (const name of readdirSync(dir)) rmSync(join(dir, name));
    }
    // A name freed inside the run may stay free; the new file still takes a free name.
    for (let i = 0; i < 40; i++) if (i !== 5) writeFileSync(names(i), `taken ${i}`);
    const written = await writeFileNew(names, "new", { fsync: false });
    assert.equal(readFileSync(written.path, "utf8"), "new");
    assert.equal(readdirSync(dir).length, 40);
    // Bounded names all taken: refused.
    const two = (attempt: number) => (attempt < 2 ? names(attempt) : undefined);
    writeFileSync(names(5), "taken 5");
    await assert.rejects(writeFileNew(two, "clobber"), /already exists/);
  });
});

describe("withFileLock", () => {
  it("serializes concurrent holders (read-modify-write across awaits stays consistent)", async (t) => {
    const dir = scratch(t);
    const counter = join(dir, "counter.txt");
    const lock = join(dir, "counter.txt.lock");
    writeFileSync(counter, "0");
    const increment = () =>
      withFileLock(lock, async () => {
        const value = Number(await readFile(counter, "utf8"));
        await sleep(3);
        await writeFile(counter, String(value + 1));
      });
    await Promise.all(Array.from({ length: 12 }, increment));
    assert.equal(readFileSync(counter, "utf8"), "12");
    assert.deepEqual(readdirSync(dir), ["counter.txt"]);
  });

  it("writes the lock record with schema, pid and a Go-style created_at", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "state", "gate_rate_limits.json.lock");
    const record = await withFileLock(lock, async () => JSON.parse(await readFile(lock, "utf8")), {
      schemaId: "gait.gate.rate_limit_lock",
      clock: fixedClock("2026-02-05T00:00:00.120Z"),
    });
    assert.deepEqual(record, {
      schema_id: "gait.gate.rate_limit_lock",
      schema_version: "1.0.0",
      pid: process.pid,
      host: hostname(),
      created_at: "2026-02-05T00:00:00.12Z",
    });
  });

  it("times out with a retryable state_contention error naming the lock", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "held.lock");
    writeFileSync(lock, "{}");
    let ran = false;
    await assert.rejects(
      withFileLock(
        lock,
        () => {
          ran = true;
        },
        { timeoutMs: 60, retryMs: 5 },
      ),
      (error: unknown) => {
        assert.ok(error instanceof GaitError);
        assert.equal(error.category, "state_contention");
        assert.equal(error.code, "state_contention");
        assert.equal(error.retryable, true);
        assert.equal(error.exitCode, 1);
        assert.ok(error.message.includes(lock));
        assert.ok(error.hint.includes(`another gait process holds ${lock}`));
        return true;
      },
    );
    assert.equal(ran, false);
    assert.equal(readFileSync(lock, "utf8"), "{}");
  });

  it("takes over a stale lock", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "stale.lock");
    writeFileSync(lock, "{}");
    const oneMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, oneMinuteAgo, oneMinuteAgo);
    const result = await withFileLock(lock, () => "ran", { timeoutMs: 200, staleMs: 1000 });
    assert.equal(result, "ran");
    assert.deepEqual(readdirSync(dir), []);
  });

  it("releases the lock when the callback throws", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "throw.lock");
    await assert.rejects(
      withFileLock(lock, () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(await withFileLock(lock, () => 7, { timeoutMs: 50 }), 7);
  });

  it("does not remove a lock that another process took over in the meantime", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "taken.lock");
    await withFileLock(lock, async () => {
      writeFileSync(`${lock}.other`, '{"pid":1}');
      await rename(`${lock}.other`, lock);
    });
    assert.equal(readFileSync(lock, "utf8"), '{"pid":1}');
  });

  it("takes over at once a lock whose owner pid is dead, however fresh", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "dead.lock");
    writeFileSync(lock, JSON.stringify({ schema_id: "gait.lock", pid: await deadPid(), host: hostname() }));
    // Without the pid rule this would wait for the 60 s age limit and time out after 200 ms.
    assert.equal(await withFileLock(lock, () => "ran", { timeoutMs: 200, staleMs: 60_000 }), "ran");
    assert.deepEqual(readdirSync(dir), []);
  });

  it("waits for a live owner, and for a lock whose owner cannot be told until it is old", async (t) => {
    const dir = scratch(t);
    for (const [name, content] of [
      ["live.lock", JSON.stringify({ pid: process.ppid })],
      ["other-host.lock", JSON.stringify({ pid: await deadPid(), host: `not-${hostname()}` })],
      ["half-written.lock", ""],
    ]) {
      const lock = join(dir, name!);
      writeFileSync(lock, content!);
      await assert.rejects(
        withFileLock(lock, () => "ran", { timeoutMs: 60, retryMs: 5, staleMs: 60_000 }),
        (error: unknown) => error instanceof GaitError && error.code === "state_contention",
        name,
      );
      assert.equal(readFileSync(lock, "utf8"), content, name);
    }
  });

  it("names the live holder's pid in the contention error", async (t) => {
    const dir = scratch(t);
    const lock = join(dir, "held.lock");
    const held = await acquireFileLock(lock);
    try {
      await assert.rejects(
        withFileLock(lock, () => "ran", { timeoutMs: 40, retryMs: 5 }),
        (error: unknown) => {
          assert.ok(error instanceof GaitError);
          assert.equal(error.details?.lock_pid, process.pid);
          assert.ok(error.hint.includes(`gait process ${process.pid} holds ${lock}`));
          return true;
        },
      );
    } finally {
      await held.release();
      await held.release();
    }
    assert.deepEqual(readdirSync(dir), []);
  });
});

/** The pid of a process that has exited (and was reaped), so nothing answers to it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  assert.ok(child.pid);
  return child.pid;
}
