/**
 * The per-user cache holds code and compiled policies, so what it reads back must be ours: a
 * directory or file others can write, a link, an oversized or empty file is ignored; writes are
 * atomic and private; retention removes other builds' entries and the oldest beyond the limit.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readCacheEntry, userCacheDir, writeCacheEntry } from "../../src/contract/user-cache.ts";
import { tempDir } from "../helpers/cli.ts";

const posix = typeof process.getuid === "function";
const keepAll = { stale: () => false, maxEntries: 100 };

describe("user cache", { skip: posix ? false : "POSIX owners and modes only" }, () => {
  const temp = tempDir("gait-user-cache-");
  after(temp.cleanup);
  let count = 0;
  const freshDir = () => join(temp.dir, `c${count++}`, "v8");

  it("lives under GAIT_CACHE_DIR, else XDG_CACHE_HOME/gait, else ~/.cache/gait; GAIT_NO_CACHE turns it off", () => {
    assert.equal(userCacheDir({ GAIT_CACHE_DIR: "/x" }, "v8"), "/x/v8");
    assert.equal(userCacheDir({ XDG_CACHE_HOME: "/y" }, "policy"), "/y/gait/policy");
    assert.match(userCacheDir({}, "v8") ?? "", /\.cache\/gait\/v8$/);
    assert.equal(userCacheDir({ GAIT_CACHE_DIR: "/x", GAIT_NO_CACHE: "1" }, "v8"), undefined);
    assert.equal(userCacheDir({ GAIT_CACHE_DIR: "/x", GAIT_NO_CACHE: "" }, "v8"), "/x/v8");
  });

  it("writes a private entry in a private directory and reads it back", () => {
    const dir = freshDir();
    writeCacheEntry(dir, "a.bin", Buffer.from("hello"), keepAll);
    assert.equal(readCacheEntry(dir, "a.bin")?.toString(), "hello");
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, "a.bin")).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ["a.bin"], "no temp file is left behind");
  });

  it("ignores a missing, empty, group- or world-writable or linked entry", () => {
    const dir = freshDir();
    writeCacheEntry(dir, "a.bin", "data", keepAll);
    assert.equal(readCacheEntry(dir, "missing.bin"), undefined);
    writeFileSync(join(dir, "empty.bin"), "", { mode: 0o600 });
    assert.equal(readCacheEntry(dir, "empty.bin"), undefined);
    writeFileSync(join(dir, "shared.bin"), "planted", { mode: 0o600 });
    chmodSync(join(dir, "shared.bin"), 0o620);
    assert.equal(readCacheEntry(dir, "shared.bin"), undefined);
    chmodSync(join(dir, "shared.bin"), 0o602);
    assert.equal(readCacheEntry(dir, "shared.bin"), undefined);
    symlinkSync(join(dir, "a.bin"), join(dir, "link.bin"));
    assert.equal(readCacheEntry(dir, "link.bin"), undefined);
  });

  it("ignores every entry of a directory others can write, and does not write there", () => {
    const dir = freshDir();
    writeCacheEntry(dir, "a.bin", "data", keepAll);
    chmodSync(dir, 0o777);
    assert.equal(readCacheEntry(dir, "a.bin"), undefined);
    writeCacheEntry(dir, "b.bin", "data", keepAll);
    assert.equal(existsSync(join(dir, "b.bin")), false);
    chmodSync(dir, 0o700);
  });

  it("ignores a directory that is a link", () => {
    const dir = freshDir();
    writeCacheEntry(dir, "a.bin", "data", keepAll);
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    assert.equal(readCacheEntry(link, "a.bin"), undefined);
  });

  it("never throws: an unusable place only costs the cache", () => {
    const file = join(temp.dir, "not-a-dir");
    writeFileSync(file, "x");
    assert.doesNotThrow(() => writeCacheEntry(join(file, "v8"), "a.bin", "data", keepAll));
    assert.equal(readCacheEntry(join(file, "v8"), "a.bin"), undefined);
  });

  it("removes stale entries and keeps the newest up to the limit", () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [index, name] of ["old-1", "keep-1", "keep-2", "keep-3"].entries()) {
      writeCacheEntry(dir, name, "x", keepAll);
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, index));
      utimesSync(join(dir, name), at, at);
    }
    writeCacheEntry(dir, "keep-4", "x", { stale: (entry) => entry.startsWith("old-"), maxEntries: 3 });
    assert.deepEqual(readdirSync(dir).sort(), ["keep-2", "keep-3", "keep-4"]);
  });
});
