import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { crc32, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import yauzl from "yauzl";
import { sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { extractZip, openZip, readZip, withZip, writeZip, writeZipFile } from "../../src/contract/zip.ts";
import { tempDir } from "../helpers/cli.ts";
import { craftZip, extraField, overlapBomb, unicodePathField } from "./zip-craft.ts";

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  return dir;
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
    const zip = craftZip([
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
      const zip = craftZip([
        { name: a!, data: Buffer.from("1") },
        { name: b!, data: Buffer.from("1") },
      ]);
      await rejectsWith(readZip(zip), "zip_duplicate_entry");
    }
  });

  it("rejects path traversal", async () => {
    for (const name of ["../evil.txt", "a/../../evil.txt", "..\\evil.txt"]) {
      await rejectsWith(readZip(craftZip([{ name, data: Buffer.from("x") }])), "zip_path_traversal");
    }
  });

  it("rejects absolute paths and drive letters", async () => {
    for (const name of ["/etc/passwd", "C:\\Windows\\x", "c:/x", "\\\\server\\share"]) {
      await rejectsWith(readZip(craftZip([{ name, data: Buffer.from("x") }])), "zip_absolute_path");
    }
  });

  it("rejects symlink entries", async () => {
    const zip = craftZip([{ name: "link", data: Buffer.from("/etc/passwd"), unixMode: 0o120777 }]);
    await rejectsWith(readZip(zip), "zip_symlink_entry");
  });

  it("rejects an entry whose declared size is over the cap", async () => {
    const zip = craftZip([{ name: "big.bin", data: Buffer.alloc(5000, 7) }]);
    await rejectsWith(readZip(zip, { maxEntryBytes: 1000 }), "zip_entry_too_large");
  });

  it("rejects an entry whose data inflates past its declared size (inflation stops there)", async () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    const zip = craftZip([{ name: "liar.bin", data, declaredSize: 10 }]);
    await rejectsWith(readZip(zip, { maxEntryBytes: 1000 }), "zip_corrupt");
    await rejectsWith(readZip(zip), "zip_corrupt");
    const short = craftZip([{ name: "short.bin", data, declaredSize: 6000 }]);
    await rejectsWith(readZip(short), "zip_corrupt");
  });

  it("rejects a suspicious compression ratio (zip bomb), declared or actual", async () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    await rejectsWith(readZip(craftZip([{ name: "bomb.bin", data: zeros }])), "zip_bomb_suspected");
    // A bomb that understates its size is stopped at the stated size.
    const liar = craftZip([{ name: "bomb.bin", data: zeros, declaredSize: 100 }]);
    await rejectsWith(readZip(liar), "zip_corrupt");
    const modest = craftZip([{ name: "text.txt", data: Buffer.alloc(2 * 1024 * 1024, "ab") }]);
    await rejectsWith(readZip(modest, { maxCompressionRatio: 10 }), "zip_bomb_suspected");
  });

  it("rejects archives with too many entries or too much content", async () => {
    const three = craftZip(["a", "b", "c"].map((name) => ({ name, data: Buffer.alloc(600, 1) })));
    await rejectsWith(readZip(three, { maxEntries: 2 }), "zip_too_large");
    await rejectsWith(readZip(three, { maxTotalBytes: 1000 }), "zip_too_large");
  });

  it("rejects corrupt data and CRC mismatches", async () => {
    const zip = await writeZip([{ path: "data.txt", data: "some content ".repeat(200) }]);
    const damaged = Buffer.from(zip);
    damaged[50] = damaged[50]! ^ 0xff;
    damaged[60] = damaged[60]! ^ 0xff;
    await rejectsWith(readZip(damaged), "zip_corrupt");
    const badCrc = craftZip([{ name: "a.txt", data: Buffer.from("hello"), crc: 12345 }]);
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

describe("strict reading: what other readers would see differently is refused", () => {
  const run = Buffer.from('{"run_id":"run_demo"}');

  it("takes names from the raw central-directory bytes; a Unicode Path field (0x7075) must agree", async () => {
    // yauzl (and unzip) prefer the 0x7075 name; Python's zipfile and Go use the raw name.
    const differential = craftZip([
      { name: "decoy.json", data: run, extra: unicodePathField("decoy.json", "run.json") },
    ]);
    await rejectsWith(readZip(differential), "zip_unicode_path_mismatch");
    const onlyLocal = craftZip([
      { name: "decoy.json", data: run, local: { extra: unicodePathField("decoy.json", "run.json") } },
    ]);
    await rejectsWith(readZip(onlyLocal), "zip_unicode_path_mismatch");
    const agreeing = craftZip([
      { name: "run.json", data: run, extra: unicodePathField("run.json", "run.json") },
    ]);
    assert.deepEqual(
      (await readZip(agreeing)).entries.map((e) => e.path),
      ["run.json"],
    );
  });

  it("requires UTF-8 names: flagged when non-ASCII (else CP437 elsewhere), valid, no controls or odd forms", async () => {
    const latin1 = Buffer.from("caf\xe9.txt", "latin1");
    await rejectsWith(readZip(craftZip([{ name: latin1, flags: 0 }])), "zip_invalid_entry_name");
    await rejectsWith(readZip(craftZip([{ name: latin1 }])), "zip_invalid_entry_name");
    await rejectsWith(readZip(craftZip([{ name: "café.txt", flags: 0 }])), "zip_invalid_entry_name");
    for (const name of [
      "a\u0001b",
      "tab\t.txt",
      "a\u0085b",
      " run.json",
      "run.json ",
      "d\\a.txt",
      "a//b",
      "./a",
      "a/./b",
    ]) {
      await rejectsWith(readZip(craftZip([{ name, data: run }])), "zip_invalid_entry_name");
    }
    const { entries } = await readZip(craftZip([{ name: "café/\ufeffnote.txt", data: run }]));
    assert.deepEqual(
      entries.map((e) => e.path),
      ["café/\ufeffnote.txt"],
      "the name is the raw UTF-8, BOM and all",
    );
  });

  it("rejects a local header whose name differs from the central directory (../../evil.js)", async () => {
    const zip = craftZip([{ name: "run.json", data: run, local: { name: "../../evil.js" } }]);
    await rejectsWith(readZip(zip), "zip_header_mismatch");
    const sameLength = craftZip([{ name: "run.json", data: run, local: { name: "run.jsoN" } }]);
    await rejectsWith(readZip(sameLength), "zip_header_mismatch");
  });

  it("rejects local headers that disagree on method, flags, CRC-32 or sizes", async () => {
    const cases = [
      { method: 0 },
      { flags: 0x0801 },
      { flags: 0x0808 },
      { flags: 0 }, // the UTF-8 bit changes how other readers decode the name
      { crc: crc32(run) ^ 1 },
      { compressedSize: 3 },
      { size: run.length + 1 },
    ];
    for (const local of cases) {
      await rejectsWith(readZip(craftZip([{ name: "run.json", data: run, local }])), "zip_header_mismatch");
    }
  });

  it("compares a data descriptor, not the zeroed local fields, when flag 0x08 is set", async () => {
    for (const descriptor of ["signed", "unsigned"] as const) {
      const ok = craftZip([{ name: "run.json", data: run, descriptor }]);
      assert.ok((await readZip(ok)).entries[0]!.data.equals(run), descriptor);
      for (const descriptorValues of [{ crc: 1 }, { size: 1 }, { compressedSize: 1 }]) {
        const bad = craftZip([{ name: "run.json", data: run, descriptor, descriptorValues }]);
        await rejectsWith(readZip(bad), "zip_header_mismatch");
      }
    }
    const nonZeroLocal = craftZip([{ name: "run.json", data: run, descriptor: "signed", local: { crc: 7 } }]);
    await rejectsWith(readZip(nonZeroLocal), "zip_header_mismatch");
    const missing = craftZip([{ name: "run.json", data: run, flags: 0x0808 }]);
    await rejectsWith(readZip(missing), "zip_header_mismatch");
  });

  it("rejects overlapping entries (a 100 KB overlap bomb that inflates to half a gigabyte) before inflating", async () => {
    const { zip, declaredTotal } = overlapBomb(1000, 512 * 1024);
    assert.ok(zip.length < 110_000 && declaredTotal > 500_000_000, `${zip.length} -> ${declaredTotal}`);
    // Every header is honest and within the limits: only the layout check stands in the way.
    await rejectsWith(openZip(zip), "zip_overlapping_entries");
    await rejectsWith(readZip(overlapBomb(2, 100).zip), "zip_overlapping_entries");
  });

  it("rejects central records that share one local header", async () => {
    const zip = craftZip([{ name: "run.json", data: run }], {
      extraCentral: ([record]) => {
        const copy = Buffer.from(record!);
        copy.write("RUN", 46, "latin1");
        return [copy];
      },
    });
    await rejectsWith(readZip(zip), "zip_header_mismatch");
    await rejectsWith(
      readZip(craftZip([{ name: "run.json", data: run }], { extraCentral: (r) => [r[0]!] })),
      "zip_duplicate_entry",
    );
  });

  it("rejects bytes that belong to no entry: prefixes, gaps (hidden entries) and appended data", async () => {
    const hidden = craftZip([{ name: "hidden.txt", data: run, method: 0 }]).subarray(0, 30 + 10 + run.length);
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run }], { prefix: Buffer.from("MZ stub") })),
      "zip_stray_bytes",
    );
    await rejectsWith(
      readZip(
        craftZip([
          { name: "a.txt", data: run, after: hidden },
          { name: "b.txt", data: run },
        ]),
      ),
      "zip_stray_bytes",
    );
    await rejectsWith(readZip(craftZip([{ name: "a.txt", data: run, after: hidden }])), "zip_stray_bytes");
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run }], { suffix: Buffer.from("appended") })),
      "zip_stray_bytes",
    );
    await rejectsWith(readZip(Buffer.concat([await writeZip(sample), Buffer.from([0])])), "zip_stray_bytes");
  });

  it("accepts an archive comment, unless it hides a second end record", async () => {
    const commented = craftZip([{ name: "a.txt", data: run }], { comment: Buffer.from("built by go") });
    assert.equal((await readZip(commented)).entries.length, 1);
    const decoy = craftZip([{ name: "a.txt", data: run }], {
      comment: Buffer.concat([Buffer.from("PK\x05\x06", "latin1"), Buffer.alloc(18)]),
    });
    await rejectsWith(readZip(decoy), "zip_stray_bytes");
  });

  it("rejects bytes after the end of a deflate stream inside an entry", async () => {
    const body = Buffer.concat([deflateRawSync(run), Buffer.from("hidden")]);
    await rejectsWith(readZip(craftZip([{ name: "a.txt", data: run, body }])), "zip_corrupt");
  });

  it("rejects encryption, unknown flags and methods, ZIP64 and multi-disk archives", async () => {
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run, flags: 0x0801 }])),
      "zip_unsupported_entry",
    );
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run, flags: 0x0840 }])),
      "zip_unsupported_entry",
    );
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run, method: 12, body: run }])),
      "zip_unsupported_entry",
    );
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run, versionNeeded: 64 }])),
      "zip_unsupported_entry",
    );
    const zip64Extra = extraField(0x0001, Buffer.alloc(16));
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run, extra: zip64Extra }])),
      "zip_unsupported_archive",
    );
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run }], { beforeEnd: locator })),
      "zip_unsupported_archive",
    );
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run }], { end: { disk: 1 } })),
      "zip_unsupported_archive",
    );
    await rejectsWith(
      readZip(craftZip([{ name: "a.txt", data: run, extra: Buffer.from([1, 0, 9]) }])),
      "zip_corrupt",
    );
  });

  it("rejects links and other non-regular entries; reads empty directories, stored or deflated", async () => {
    for (const unixMode of [0o120777, 0o020644, 0o010644, 0o140644, 0o060644, 0o040755]) {
      const zip = craftZip([{ name: "thing", data: run, unixMode }]);
      await rejectsWith(readZip(zip), unixMode === 0o120777 ? "zip_symlink_entry" : "zip_special_entry");
    }
    await rejectsWith(
      readZip(craftZip([{ name: "thing", data: run, dosAttributes: 0x10 }])),
      "zip_special_entry",
    );
    await rejectsWith(
      readZip(craftZip([{ name: "dir/", data: run, unixMode: 0o040755 }])),
      "zip_unsupported_entry",
    );
    const dirs = craftZip([
      { name: "stored/", method: 0, unixMode: 0o040755 },
      { name: "deflated/", unixMode: 0o040755, descriptor: "signed" },
      { name: "deflated/a.txt", data: run },
    ]);
    assert.deepEqual(
      (await readZip(dirs)).entries.map((e) => e.path),
      ["deflated/a.txt"],
    );
    const padded = craftZip([
      {
        name: "d/",
        unixMode: 0o040755,
        body: Buffer.concat([deflateRawSync(Buffer.alloc(0)), Buffer.from("x")]),
      },
    ]);
    await rejectsWith(readZip(padded), "zip_corrupt");
  });

  it("checks entry count and total declared size before inflating anything", async () => {
    // The data is garbage: reaching it would fail differently.
    const garbage = craftZip(
      ["a", "b", "c"].map((name) => ({ name, declaredSize: 600, body: Buffer.from("xx") })),
    );
    await rejectsWith(readZip(garbage, { maxEntries: 2 }), "zip_too_large");
    await rejectsWith(readZip(garbage, { maxTotalBytes: 1000 }), "zip_too_large");
    await rejectsWith(readZip(garbage, { maxEntryBytes: 500 }), "zip_entry_too_large");
    await rejectsWith(readZip(garbage), "zip_corrupt");
  });

  it("reads what other writers produce: Go's layout, the 22-byte empty archive, a stored entry", async () => {
    const empty = Buffer.alloc(22);
    empty.writeUInt32LE(0x06054b50, 0);
    assert.deepEqual(await readZip(empty), { entries: [] });
    const timestamp = extraField(0x5455, Buffer.from([1, 0, 0, 0, 0]));
    const goLike = craftZip([
      { name: "dir/", method: 0, unixMode: 0o040755, dosAttributes: 0x10 },
      { name: "dir/a.txt", data: run, descriptor: "signed", extra: timestamp },
      { name: "b.bin", data: run, method: 0, descriptor: "signed" },
    ]);
    const { entries } = await readZip(goLike);
    assert.deepEqual(
      entries.map((e) => [e.path, e.data.equals(run)]),
      [
        ["dir/a.txt", true],
        ["b.bin", true],
      ],
    );
  });
});

describe("ZipReader", () => {
  it("lists entries without inflating them, reads with a cap, and hashes without buffering", async (t) => {
    // Incompressible enough to stay under the ratio limit, big enough to be streamed.
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const path = join(scratch(t), "big.zip");
    await writeZipFile(path, [
      { path: "big.bin", data: big },
      { path: "small.json", data: "{}" },
    ]);
    await withZip(path, {}, async (zip) => {
      assert.deepEqual(
        zip.entries.map((e) => [e.path, e.size]),
        [
          ["big.bin", big.length],
          ["small.json", 2],
        ],
      );
      assert.equal(await zip.sha256("big.bin"), sha256Hex(big));
      assert.equal((await zip.read("small.json")).data.toString(), "{}");
      await rejectsWith(zip.read("big.bin", { maxBytes: 1024 }), "zip_entry_too_large");
      await rejectsWith(zip.read("missing.json"), "zip_entry_not_found", "invalid_input");
    });
  });

  it("streams a big entry through the same checks: size, CRC-32, deflate framing", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2246822519) >>> 0, i);
    const cases = [
      craftZip([{ name: "big.bin", data: big, crc: crc32(big) ^ 1 }]),
      craftZip([{ name: "big.bin", data: big, declaredSize: big.length - 1 }]),
      craftZip([{ name: "big.bin", data: big, declaredSize: big.length + 1 }]),
      craftZip([
        { name: "big.bin", data: big, body: Buffer.concat([deflateRawSync(big), Buffer.from("tail")]) },
      ]),
      craftZip([{ name: "big.bin", data: big, method: 0, crc: 5 }]),
    ];
    for (const zip of cases) {
      const reader = await openZip(zip);
      try {
        await rejectsWith(reader.sha256("big.bin"), "zip_corrupt");
      } finally {
        await reader.close();
      }
    }
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
    const zip = craftZip([
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
