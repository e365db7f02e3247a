import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { GaitError } from "../../src/contract/errors.ts";
import {
  acquireFileLock,
  type NewFileToWrite,
  withFileLock,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFileNew,
  writeFilesNew,
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

describe("writeFilesNew", () => {
  /** Every entry in `dir` and below, relative, sorted (so a leftover temp file shows up). */
  const listing = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).sort();

  it("writes every file with its content and mode 0600, creating parent directories", async (t) => {
    const dir = scratch(t);
    const files: NewFileToWrite[] = [
      { names: join(dir, "traces", "trace_a.json"), data: "a\n" },
      { names: join(dir, "traces", "trace_b.json"), data: Buffer.from("b\n") },
      { names: join(dir, "audits", "deep", "audit_a.json"), data: "{}" },
    ];
    assert.deepEqual(
      await writeFilesNew(files),
      files.map((file) => ({ path: file.names, attempt: 0 })),
    );
    for (const file of files) {
      const path = file.names as string;
      assert.equal(readFileSync(path, "utf8"), Buffer.from(file.data).toString("utf8"));
      assert.equal(modeOf(path), 0o600);
    }
    assert.deepEqual(listing(dir), [
      "audits",
      join("audits", "deep"),
      join("audits", "deep", "audit_a.json"),
      "traces",
      join("traces", "trace_a.json"),
      join("traces", "trace_b.json"),
    ]);
  });

  it("never replaces a file: an exact path that exists fails with file_exists, names move on", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "trace_x.json");
    writeFileSync(path, "first", { mode: 0o644 });
    writeFileSync(join(dir, "trace_x.2.json"), "second");
    const numbered = (attempt: number) =>
      join(dir, attempt === 0 ? "trace_x.json" : `trace_x.${attempt + 1}.json`);
    const [exact, next, after] = await writeFilesNew(
      [
        { names: path, data: "clobber" },
        { names: numbered, data: "third" },
        { names: numbered, data: "fourth" },
      ],
      { fsync: false },
    );
    assert.ok(exact instanceof GaitError);
    assert.equal(exact.code, "file_exists");
    assert.equal(exact.category, "invalid_input");
    assert.equal(exact.exitCode, 6);
    assert.ok(exact.message.includes(path));
    assert.deepEqual(next, { path: join(dir, "trace_x.3.json"), attempt: 2 });
    assert.deepEqual(after, { path: join(dir, "trace_x.4.json"), attempt: 3 });
    assert.equal(readFileSync(path, "utf8"), "first");
    assert.equal(modeOf(path), 0o644);
    assert.equal(readFileSync(join(dir, "trace_x.3.json"), "utf8"), "third");
    assert.equal(readFileSync(join(dir, "trace_x.4.json"), "utf8"), "fourth");
    assert.deepEqual(listing(dir), ["trace_x.2.json", "trace_x.3.json", "trace_x.4.json", "trace_x.json"]);
  });

  it("applies an explicit mode regardless of the umask", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "shared.json");
    const previous = process.umask(0o077);
    try {
      assert.deepEqual(await writeFilesNew([{ names: path, data: "{}" }], { mode: 0o644, fsync: false }), [
        { path, attempt: 0 },
      ]);
    } finally {
      process.umask(previous);
    }
    assert.equal(modeOf(path), 0o644);
  });

  it("a file under a regular file fails with a coded error at its index only", async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, "blocker"), "a file where a directory should be");
    const bad = join(dir, "blocker", "traces", "trace_x.json");
    const alsoBad = join(dir, "blocker", "traces", "audit_x.json");
    const outcomes = await writeFilesNew([
      { names: join(dir, "ok", "one.json"), data: "1" },
      { names: bad, data: "x" },
      { names: join(dir, "ok", "two.json"), data: "2" },
      { names: alsoBad, data: "y" },
    ]);
    assert.equal(outcomes.length, 4);
    assert.deepEqual(outcomes[0], { path: join(dir, "ok", "one.json"), attempt: 0 });
    assert.deepEqual(outcomes[2], { path: join(dir, "ok", "two.json"), attempt: 0 });
    for (const [index, path] of [
      [1, bad],
      [3, alsoBad],
    ] as const) {
      const error = outcomes[index];
      assert.ok(error instanceof GaitError);
      assert.equal(error.category, "io_failure");
      assert.equal(error.code, "io_error");
      assert.ok(error.message.includes(path));
    }
    assert.equal(readFileSync(join(dir, "ok", "one.json"), "utf8"), "1");
    assert.equal(readFileSync(join(dir, "ok", "two.json"), "utf8"), "2");
    assert.equal(readFileSync(join(dir, "blocker"), "utf8"), "a file where a directory should be");
    assert.deepEqual(listing(dir), ["blocker", "ok", join("ok", "one.json"), join("ok", "two.json")]);
  });

  it("a name taken by a directory counts as taken, and nothing is left behind", async (t) => {
    const dir = scratch(t);
    mkdirSync(join(dir, "taken"));
    writeFileSync(join(dir, "taken", "inside"), "x");
    const outcomes = await writeFilesNew(
      [
        { names: join(dir, "before.json"), data: "b" },
        { names: join(dir, "taken"), data: "data" },
        { names: (attempt) => join(dir, attempt === 0 ? "taken" : "free"), data: "f" },
      ],
      { fsync: false },
    );
    assert.deepEqual(outcomes[0], { path: join(dir, "before.json"), attempt: 0 });
    const error = outcomes[1];
    assert.ok(error instanceof GaitError);
    assert.equal(error.code, "file_exists");
    assert.deepEqual(outcomes[2], { path: join(dir, "free"), attempt: 1 });
    assert.deepEqual(listing(dir), ["before.json", "free", "taken", join("taken", "inside")]);
  });

  it("never throws: unwritable data is reported, not thrown, and leaves no temp file", async (t) => {
    const dir = scratch(t);
    const notWritable = { length: 3 } as unknown as Uint8Array;
    const outcomes = await writeFilesNew([
      { names: join(dir, "bad.json"), data: notWritable },
      { names: join(dir, "good.json"), data: "ok" },
    ]);
    assert.ok(outcomes[0] instanceof GaitError);
    assert.deepEqual(outcomes[1], { path: join(dir, "good.json"), attempt: 0 });
    assert.deepEqual(listing(dir), ["good.json"]);
  });

  it("returns an empty list for no files", async () => {
    assert.deepEqual(await writeFilesNew([]), []);
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
