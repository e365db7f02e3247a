import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { GaitError } from "../../src/contract/errors.ts";
import {
  type FileToWrite,
  withFileLock,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFilesAtomic,
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

describe("writeFilesAtomic", () => {
  /** Every entry in `dir` and below, relative, sorted (so a leftover temp file shows up). */
  const listing = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).sort();

  it("writes every file with its content and mode 0600, creating parent directories", async (t) => {
    const dir = scratch(t);
    const files: FileToWrite[] = [
      { path: join(dir, "traces", "trace_a.json"), data: "a\n" },
      { path: join(dir, "traces", "trace_b.json"), data: Buffer.from("b\n") },
      { path: join(dir, "audits", "deep", "audit_a.json"), data: "{}" },
    ];
    assert.deepEqual(await writeFilesAtomic(files), [undefined, undefined, undefined]);
    for (const file of files) {
      assert.equal(readFileSync(file.path, "utf8"), Buffer.from(file.data).toString("utf8"));
      assert.equal(modeOf(file.path), 0o600);
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

  it("replaces existing files and works without fsync", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "state.json");
    writeFileSync(path, "previous", { mode: 0o644 });
    assert.deepEqual(await writeFilesAtomic([{ path, data: "next" }], { fsync: false }), [undefined]);
    assert.equal(readFileSync(path, "utf8"), "next");
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(listing(dir), ["state.json"]);
  });

  it("applies an explicit mode regardless of the umask", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "shared.json");
    const previous = process.umask(0o077);
    try {
      assert.deepEqual(await writeFilesAtomic([{ path, data: "{}" }], { mode: 0o644, fsync: false }), [
        undefined,
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
    const outcomes = await writeFilesAtomic([
      { path: join(dir, "ok", "one.json"), data: "1" },
      { path: bad, data: "x" },
      { path: join(dir, "ok", "two.json"), data: "2" },
      { path: alsoBad, data: "y" },
    ]);
    assert.equal(outcomes.length, 4);
    assert.equal(outcomes[0], undefined);
    assert.equal(outcomes[2], undefined);
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

  it("a rename onto a directory fails with a coded error at its index only and cleans up", async (t) => {
    const dir = scratch(t);
    mkdirSync(join(dir, "taken"));
    writeFileSync(join(dir, "taken", "inside"), "x");
    const outcomes = await writeFilesAtomic(
      [
        { path: join(dir, "before.json"), data: "b" },
        { path: join(dir, "taken"), data: "data" },
        { path: join(dir, "after.json"), data: "a" },
      ],
      { fsync: false },
    );
    assert.equal(outcomes[0], undefined);
    assert.equal(outcomes[2], undefined);
    const error = outcomes[1];
    assert.ok(error instanceof GaitError);
    assert.equal(error.category, "invalid_input");
    assert.equal(error.code, "path_is_directory");
    assert.match(error.message, /taken/);
    assert.equal(readFileSync(join(dir, "before.json"), "utf8"), "b");
    assert.equal(readFileSync(join(dir, "after.json"), "utf8"), "a");
    assert.deepEqual(listing(dir), ["after.json", "before.json", "taken", join("taken", "inside")]);
  });

  it("never throws: unwritable data is reported, not thrown, and leaves no temp file", async (t) => {
    const dir = scratch(t);
    const notWritable = { length: 3 } as unknown as Uint8Array;
    const outcomes = await writeFilesAtomic([
      { path: join(dir, "bad.json"), data: notWritable },
      { path: join(dir, "good.json"), data: "ok" },
    ]);
    assert.ok(outcomes[0] instanceof GaitError);
    assert.equal(outcomes[1], undefined);
    assert.deepEqual(listing(dir), ["good.json"]);
  });

  it("returns an empty list for no files", async () => {
    assert.deepEqual(await writeFilesAtomic([]), []);
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
});
