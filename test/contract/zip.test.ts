import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { crc32, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import yauzl from "yauzl";
import { sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { extractZip, readZip, writeZip, writeZipFile } from "../../src/contract/zip.ts";
import { tempDir } from "../helpers/cli.ts";

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  return dir;
}

/** One entry of a hand-crafted (possibly malicious) archive. */
interface RawEntry {
  name: string;
  data?: Buffer;
  /** 0 = stored, 8 = deflate (default). */
  method?: number;
  /** Overrides the uncompressed size written in the headers (a lying header). */
  declaredSize?: number;
  crc?: number;
  /** Unix mode placed in the high 16 bits of the external attributes. */
  unixMode?: number;
}

/** Minimal zip builder for tests: sizes and CRC in the headers, no data descriptors. */
function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    const method = entry.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, "utf8");
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.unixMode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
}

/** Asserts that `promise` rejects with a GaitError of the given code (and category, if given). */
async function rejectsWith(promise: Promise<unknown>, code: string, category = "verification_failed") {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GaitError, `expected a GaitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.category, category);
    return true;
  });
}

/** Central directory records as yauzl reports them, for header-level assertions. */
async function centralRecords(zip: Buffer): Promise<yauzl.Entry[]> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: true });
  const records: yauzl.Entry[] = [];
  for await (const entry of file.eachEntry()) records.push(entry);
  return records;
}

const sample = [
  { path: "run.json", data: '{"run_id":"run_demo"}' },
  { path: "intents.jsonl", data: "" },
  { path: "bin/tool.sh", data: "#!/bin/sh\necho hi\n", executable: true },
  { path: "manifest.json", data: Buffer.from('{"schema_id":"gait.runpack.manifest"}') },
];

describe("writeZip determinism", () => {
  it("produces identical bytes for the same entries in any order", async () => {
    const first = await writeZip(sample);
    const second = await writeZip([...sample].reverse());
    assert.ok(first.equals(second));
    assert.ok(first.equals(await writeZip(sample)));
  });

  it("sorts by byte order and fixes time, mode, method, flags and extra field", async () => {
    const zip = await writeZip([...sample, { path: "Zeta", data: "z" }, { path: "émoji", data: "é" }]);
    const records = await centralRecords(zip);
    assert.deepEqual(
      records.map((r) => r.fileName),
      ["Zeta", "bin/tool.sh", "intents.jsonl", "manifest.json", "run.json", "émoji"],
    );
    for (const record of records) {
      assert.equal(record.lastModFileTime, 0);
      assert.equal(record.lastModFileDate, (1 << 5) | 1);
      assert.equal(record.compressionMethod, 8);
      assert.equal(record.versionMadeBy >> 8, 3, "creator unix");
      assert.equal(record.generalPurposeBitFlag & 0x08, 0x08, "data descriptor flag");
      assert.equal(record.fileCommentLength, 0);
      const timestamp = record.extraFields.find((f) => f.id === 0x5455);
      assert.ok(timestamp);
      assert.equal(timestamp.data.readUInt8(0), 1);
      assert.equal(timestamp.data.readUInt32LE(1), 315532800);
      const mode = record.externalFileAttributes >>> 16;
      assert.equal(mode, record.fileName === "bin/tool.sh" ? 0o100755 : 0o100644);
    }
    assert.equal(zip.readUInt16LE(zip.length - 2), 0, "no archive comment");
  });

  it("writes an empty archive as zero bytes and reads it back as empty", async () => {
    const zip = await writeZip([]);
    assert.equal(zip.length, 0);
    assert.deepEqual(await readZip(zip), { entries: [] });
  });

  it("rejects unsafe or ambiguous entry paths", async () => {
    for (const path of ["", "/etc/passwd", "C:/x", "../up", "a/../b", "a\\b", "a//b", "./a", "dir/"]) {
      await rejectsWith(writeZip([{ path, data: "x" }]), "zip_invalid_entry_path", "invalid_input");
    }
    await rejectsWith(
      writeZip([
        { path: "a.txt", data: "1" },
        { path: "a.txt", data: "2" },
      ]),
      "zip_duplicate_entry",
      "invalid_input",
    );
  });
});

describe("readZip", () => {
  it("round-trips content with sizes and sha256", async () => {
    const zip = await writeZip(sample);
    const { entries } = await readZip(zip);
    assert.deepEqual(
      entries.map((e) => e.path),
      ["bin/tool.sh", "intents.jsonl", "manifest.json", "run.json"],
    );
    for (const entry of entries) {
      const input = sample.find((s) => s.path === entry.path)!;
      const bytes = Buffer.from(input.data);
      assert.ok(entry.data.equals(bytes));
      assert.equal(entry.size, bytes.length);
      assert.equal(entry.sha256, sha256Hex(bytes));
      assert.ok(entry.compressedSize > 0);
    }
  });

  it("reads from a path written atomically with mode 0600", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "out", "runpack_run_demo.zip");
    await writeZipFile(path, sample);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const fromPath = await readZip(path);
    const fromBuffer = await readZip(readFileSync(path));
    assert.deepEqual(fromPath, fromBuffer);
    assert.deepEqual(readdirSync(join(dir, "out")), ["runpack_run_demo.zip"]);
  });

  it("reads stored entries and skips directory entries", async () => {
    const zip = rawZip([
      { name: "dir/", unixMode: 0o040755 },
      { name: "dir/file.txt", data: Buffer.from("stored"), method: 0 },
    ]);
    const { entries } = await readZip(zip);
    assert.deepEqual(
      entries.map((e) => [e.path, e.data.toString()]),
      [["dir/file.txt", "stored"]],
    );
  });

  it("rejects duplicate entry names, also after trimming and slash normalization", async () => {
    for (const [a, b] of [
      ["a.txt", "a.txt"],
      ["a.txt", " a.txt "],
      ["d/a.txt", "d\\a.txt"],
    ]) {
      const zip = rawZip([
        { name: a!, data: Buffer.from("1") },
        { name: b!, data: Buffer.from("1") },
      ]);
      await rejectsWith(readZip(zip), "zip_duplicate_entry");
    }
  });

  it("rejects path traversal", async () => {
    for (const name of ["../evil.txt", "a/../../evil.txt", "..\\evil.txt"]) {
      await rejectsWith(readZip(rawZip([{ name, data: Buffer.from("x") }])), "zip_path_traversal");
    }
  });

  it("rejects absolute paths and drive letters", async () => {
    for (const name of ["/etc/passwd", "C:\\Windows\\x", "c:/x", "\\\\server\\share"]) {
      await rejectsWith(readZip(rawZip([{ name, data: Buffer.from("x") }])), "zip_absolute_path");
    }
  });

  it("rejects symlink entries", async () => {
    const zip = rawZip([{ name: "link", data: Buffer.from("/etc/passwd"), unixMode: 0o120777 }]);
    await rejectsWith(readZip(zip), "zip_symlink_entry");
  });

  it("rejects an entry whose declared size is over the cap", async () => {
    const zip = rawZip([{ name: "big.bin", data: Buffer.alloc(5000, 7) }]);
    await rejectsWith(readZip(zip, { maxEntryBytes: 1000 }), "zip_entry_too_large");
  });

  it("rejects an entry whose header lies about its size once it inflates past the cap", async () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    const zip = rawZip([{ name: "liar.bin", data, declaredSize: 10 }]);
    await rejectsWith(readZip(zip, { maxEntryBytes: 1000 }), "zip_entry_too_large");
    await rejectsWith(readZip(zip), "zip_corrupt");
  });

  it("rejects a suspicious compression ratio (zip bomb), declared or actual", async () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    await rejectsWith(readZip(rawZip([{ name: "bomb.bin", data: zeros }])), "zip_bomb_suspected");
    const liar = rawZip([{ name: "bomb.bin", data: zeros, declaredSize: 100 }]);
    await rejectsWith(readZip(liar), "zip_bomb_suspected");
    const modest = rawZip([{ name: "text.txt", data: Buffer.alloc(2 * 1024 * 1024, "ab") }]);
    await rejectsWith(readZip(modest, { maxCompressionRatio: 10 }), "zip_bomb_suspected");
  });

  it("rejects archives with too many entries or too much content", async () => {
    const three = rawZip(["a", "b", "c"].map((name) => ({ name, data: Buffer.alloc(600, 1) })));
    await rejectsWith(readZip(three, { maxEntries: 2 }), "zip_too_large");
    await rejectsWith(readZip(three, { maxTotalBytes: 1000 }), "zip_too_large");
  });

  it("rejects corrupt data and CRC mismatches", async () => {
    const zip = await writeZip([{ path: "data.txt", data: "some content ".repeat(200) }]);
    const damaged = Buffer.from(zip);
    damaged[50] = damaged[50]! ^ 0xff;
    damaged[60] = damaged[60]! ^ 0xff;
    await rejectsWith(readZip(damaged), "zip_corrupt");
    const badCrc = rawZip([{ name: "a.txt", data: Buffer.from("hello"), crc: 12345 }]);
    await rejectsWith(readZip(badCrc), "zip_corrupt");
  });

  it("rejects input that is not a zip as invalid input", async (t) => {
    await rejectsWith(readZip(Buffer.from("definitely not a zip archive")), "zip_invalid", "invalid_input");
    const path = join(scratch(t), "notes.zip");
    writeFileSync(path, "plain text");
    await rejectsWith(readZip(path), "zip_invalid", "invalid_input");
    await rejectsWith(readZip(join(path, "missing.zip")), "io_error", "io_failure");
  });

  it("never throws anything but a GaitError on mutated or random input", { timeout: 120_000 }, async () => {
    const valid = await writeZip(sample);
    const isTypedOutcome = async (input: Buffer) => {
      try {
        await readZip(input);
      } catch (error) {
        if (!(error instanceof GaitError)) throw error;
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(valid.length),
        async (mutations, cut) => {
          const mutated = Buffer.from(valid);
          for (const [index, value] of mutations) mutated[index] = value;
          await isTypedOutcome(mutated);
          await isTypedOutcome(mutated.subarray(0, cut));
        },
      ),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        await isTypedOutcome(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe("extractZip", () => {
  it("extracts validated entries under the target directory", async (t) => {
    const dir = scratch(t);
    const dest = join(dir, "out");
    const written = await extractZip(await writeZip(sample), dest);
    assert.equal(written.length, 4);
    assert.equal(readFileSync(join(dest, "bin", "tool.sh"), "utf8"), "#!/bin/sh\necho hi\n");
    assert.equal(readFileSync(join(dest, "intents.jsonl"), "utf8"), "");
  });

  it("writes nothing anywhere when any entry is malicious", async (t) => {
    const dir = scratch(t);
    const dest = join(dir, "out");
    mkdirSync(dest);
    const zip = rawZip([
      { name: "fine.txt", data: Buffer.from("ok") },
      { name: "../escaped.txt", data: Buffer.from("pwned") },
    ]);
    await rejectsWith(extractZip(zip, dest), "zip_path_traversal");
    assert.deepEqual(readdirSync(dir), ["out"]);
    assert.deepEqual(readdirSync(dest), []);
  });

  it("never follows a symlink planted inside the target directory", async (t) => {
    const dir = scratch(t);
    const dest = join(dir, "out");
    const outside = join(dir, "outside");
    mkdirSync(dest);
    mkdirSync(outside);
    symlinkSync(outside, join(dest, "sub"));
    symlinkSync(join(outside, "target.txt"), join(dest, "file.txt"));
    const viaDir = await writeZip([{ path: "sub/evil.txt", data: "pwned" }]);
    await rejectsWith(extractZip(viaDir, dest), "extract_unsafe_target", "unsafe_operation");
    const viaFile = await writeZip([{ path: "file.txt", data: "pwned" }]);
    await rejectsWith(
      extractZip(viaFile, dest, {}, { overwrite: true }),
      "extract_target_exists",
      "unsafe_operation",
    );
    assert.deepEqual(readdirSync(outside), []);
  });

  it("refuses to overwrite existing files unless asked", async (t) => {
    const dest = join(scratch(t), "out");
    mkdirSync(dest);
    writeFileSync(join(dest, "run.json"), "old");
    const zip = await writeZip([{ path: "run.json", data: "new" }]);
    await rejectsWith(extractZip(zip, dest), "extract_target_exists", "unsafe_operation");
    assert.equal(readFileSync(join(dest, "run.json"), "utf8"), "old");
    await extractZip(zip, dest, {}, { overwrite: true });
    assert.equal(readFileSync(join(dest, "run.json"), "utf8"), "new");
  });
});
