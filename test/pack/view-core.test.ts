/**
 * The pack view page's verifier in Node: the same code the page runs (serialized and run in a
 * bare context with only the web globals it may use), its JCS against src/contract/canonical.ts
 * (fast-check), its zip reader against the contract's strict reader on crafted and mutated zips
 * (same verdict, same code, same bytes), and whole-pack verification of PackSpec and Guard packs
 * built from the contract: good, modified, undeclared, missing, re-signed, wrongly signed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import vm from "node:vm";
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { canonicalize } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { signJson, verifyKeyFor } from "../../src/contract/signing.ts";
import { readZip, writeZip, type ZipLimits } from "../../src/contract/zip.ts";
import { renderPackViewPage, viewPack } from "../../src/pack/view/index.ts";
import { verifierScript } from "../../src/pack/view/page.ts";
import {
  createPackVerifier,
  PAGE_GLOBALS,
  type PackVerifier,
  type ZipProblemError,
} from "../../src/pack/view/verifier.ts";
import { craftZip, extraField, overlapBomb, unicodePathField } from "../contract/zip-craft.ts";
import { tempDir } from "../helpers/cli.ts";
import { buildGuardPack, buildPackSpec, OTHER_KEY, runPackFiles, TEST_KEY } from "./view-fixtures.ts";

const verifier = createPackVerifier();
const publicKey = TEST_KEY.publicRaw.toString("base64");

/** The verifier as the page gets it: serialized, evaluated where only the web globals exist. */
function serializedVerifier(): PackVerifier {
  const globals = Object.fromEntries(PAGE_GLOBALS.map((name) => [name, globalThis[name]]));
  return vm.runInNewContext(verifierScript(), globals) as PackVerifier;
}

describe("pack view verifier: serialized into the page", () => {
  it("runs from its source text with only the web globals, and verifies a signed pack there", async () => {
    const isolated = serializedVerifier();
    const { zip } = await buildPackSpec({ key: TEST_KEY });
    const report = await isolated.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    assert.equal(report.signature?.status, "verified");
    const tampered = await buildPackSpec({ key: TEST_KEY, zip: { "run_payload.json": "{}" } });
    const bad = await isolated.verifyPack(new Uint8Array(tampered.zip), { publicKey });
    assert.equal(bad.status, "tampered");
    assert.deepEqual([...bad.offending], ["run_payload.json"]); // an array of the other realm
  });

  it("needs no name from the module around it", () => {
    const source = createPackVerifier.toString();
    assert.ok(!/\bimport\b|\brequire\(/.test(source), "no imports");
    assert.ok(!source.includes("</script"), "nothing that would end the page's script element");
  });
});

describe("pack view verifier: JCS", () => {
  const jcsValue = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.constantFrom(0, -0, 1e21, 1e-7, 0.000001, 123456789012345680000, 5e-324, 1.7976931348623157e308),
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), { maxKeys: 6 }),
    ),
  })).value;

  it("gives src/contract/canonical.ts's bytes for any JSON value", () => {
    fc.assert(
      fc.property(jcsValue, (value) => {
        assert.equal(verifier.canonicalize(value), canonicalize(value));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on values parsed from text (numbers as doubles, escapes, key order by UTF-16 units)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value, null, 1);
        const parsed = verifier.parseJsonStrict(text);
        assert.equal(verifier.canonicalize(parsed), canonicalize(JSON.parse(text)));
      }),
      { numRuns: 1000 },
    );
    const samples = [
      '{"b":1,"a":2,"\\u00e9":3,"\\ud83d\\ude00":4,"\\uffff":5,"10":6,"9":7}',
      '[1.0,1e21,1E-7,0.000001,-0,1e400,"\\u2028\\u0007\\/"]'.replace("1e400", "123e2"),
      '{"€":"\\u20ac","\\u0000":"\\u001f"}',
    ];
    for (const text of samples) {
      assert.equal(verifier.canonicalize(verifier.parseJsonStrict(text)), canonicalize(JSON.parse(text)));
    }
  });

  it("refuses what is not JSON: non-finite numbers, undefined leaves, deep nesting", () => {
    assert.throws(() => verifier.canonicalize(Number.NaN));
    assert.throws(() => verifier.canonicalize(Number.POSITIVE_INFINITY));
    assert.throws(() => verifier.canonicalize(() => 1));
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    assert.throws(() => verifier.canonicalize(deep), /deeper than 256/);
  });

  it("parses strictly: duplicate member names anywhere and nesting past 256 levels are refused", () => {
    assert.throws(() => verifier.parseJsonStrict('{"a":1,"a":2}'), /duplicate key "a"/);
    assert.throws(() => verifier.parseJsonStrict('{"x":[{"k":1,"\\u006b":2}]}'), /duplicate key "k"/);
    assert.deepEqual(verifier.parseJsonStrict('{"a":{"a":1},"b":"\\"a\\":"}'), { a: { a: 1 }, b: '"a":' });
    assert.throws(() => verifier.parseJsonStrict(`${"[".repeat(300)}${"]".repeat(300)}`), /deeper than 256/);
    assert.throws(() => verifier.parseJsonStrict("{"), SyntaxError);
  });
});

// ---------------------------------------------------------------------------------------------
// zip reading: the page's reader against the contract's

type Outcome = { ok: true; entries: Array<[string, string]> } | { ok: false; code: string };

const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

async function contractRead(zip: Buffer, limits: ZipLimits = {}): Promise<Outcome> {
  try {
    const { entries } = await readZip(zip, limits);
    return { ok: true, entries: entries.map((e) => [e.path, sha(e.data)]) };
  } catch (error) {
    if (!(error instanceof GaitError)) throw error;
    return { ok: false, code: error.code };
  }
}

async function pageRead(zip: Buffer, limits: ZipLimits = {}): Promise<Outcome> {
  const bytes = new Uint8Array(zip);
  try {
    const listed = verifier.listZip(bytes, limits);
    const entries: Array<[string, string]> = [];
    for (const entry of listed) {
      const data = await verifier.readZipEntry(bytes, entry);
      if (!entry.path.endsWith("/")) entries.push([entry.path, sha(data)]);
    }
    return { ok: true, entries };
  } catch (error) {
    const problem = error as ZipProblemError;
    assert.equal(problem.name, "ZipProblem", `not a ZipProblem: ${String(error)}`);
    assert.match(problem.code, /^zip_/);
    return { ok: false, code: problem.code };
  }
}

async function assertSameReading(label: string, zip: Buffer, limits: ZipLimits = {}): Promise<Outcome> {
  const expected = await contractRead(zip, limits);
  const actual = await pageRead(zip, limits);
  assert.deepEqual(actual, expected, label);
  return actual;
}

describe("pack view verifier: zip reading agrees with the contract's strict reader", () => {
  const run = Buffer.from('{"run_id":"run_demo"}');
  const hidden = craftZip([{ name: "hidden.txt", data: run, method: 0 }]).subarray(0, 30 + 10 + run.length);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  const crafted: Array<[string, Buffer, ZipLimits?]> = [
    ["honest", craftZip([{ name: "a.txt", data: run }])],
    ["stored", craftZip([{ name: "a.txt", data: run, method: 0 }])],
    ["empty file", Buffer.alloc(0)],
    ["not a zip", Buffer.from("definitely not a zip archive")],
    [
      "duplicate",
      craftZip([
        { name: "a.txt", data: run },
        { name: "a.txt", data: run },
      ]),
    ],
    [
      "duplicate after trim",
      craftZip([
        { name: "a.txt", data: run },
        { name: " a.txt ", data: run },
      ]),
    ],
    [
      "duplicate after slashes",
      craftZip([
        { name: "d/a.txt", data: run },
        { name: "d\\a.txt", data: run },
      ]),
    ],
    ["traversal", craftZip([{ name: "../evil.txt", data: run }])],
    ["nested traversal", craftZip([{ name: "a/../../evil.txt", data: run }])],
    ["backslash traversal", craftZip([{ name: "..\\evil.txt", data: run }])],
    ["absolute", craftZip([{ name: "/etc/passwd", data: run }])],
    ["drive letter", craftZip([{ name: "C:\\Windows\\x", data: run }])],
    ["symlink", craftZip([{ name: "link", data: run, unixMode: 0o120777 }])],
    ["device", craftZip([{ name: "dev", data: run, unixMode: 0o020644 }])],
    ["dos directory bit", craftZip([{ name: "thing", data: run, dosAttributes: 0x10 }])],
    ["directory with data", craftZip([{ name: "dir/", data: run, unixMode: 0o040755 }])],
    [
      "directories",
      craftZip([
        { name: "stored/", method: 0, unixMode: 0o040755 },
        { name: "deflated/", unixMode: 0o040755, descriptor: "signed" },
        { name: "deflated/a.txt", data: run },
      ]),
    ],
    [
      "padded directory",
      craftZip([
        {
          name: "d/",
          unixMode: 0o040755,
          body: Buffer.concat([deflateRawSync(Buffer.alloc(0)), Buffer.from("x")]),
        },
      ]),
    ],
    ["control character", craftZip([{ name: "a\u0001b", data: run }])],
    ["C1 control", craftZip([{ name: "a\u0085b", data: run }])],
    ["leading space", craftZip([{ name: " run.json", data: run }])],
    ["empty segment", craftZip([{ name: "a//b", data: run }])],
    ["dot segment", craftZip([{ name: "a/./b", data: run }])],
    ["latin1 without flag", craftZip([{ name: Buffer.from("caf\xe9.txt", "latin1"), flags: 0 }])],
    ["invalid utf-8", craftZip([{ name: Buffer.from("caf\xe9.txt", "latin1") }])],
    ["utf-8 without flag", craftZip([{ name: "café.txt", flags: 0 }])],
    ["utf-8 name", craftZip([{ name: "café/\ufeffnote.txt", data: run }])],
    ["local name differs", craftZip([{ name: "run.json", data: run, local: { name: "../../evil.js" } }])],
    ["local name case", craftZip([{ name: "run.json", data: run, local: { name: "run.jsoN" } }])],
    ["local method", craftZip([{ name: "run.json", data: run, local: { method: 0 } }])],
    ["local flags", craftZip([{ name: "run.json", data: run, local: { flags: 0 } }])],
    ["local crc", craftZip([{ name: "run.json", data: run, local: { crc: 7 } }])],
    ["local size", craftZip([{ name: "run.json", data: run, local: { size: run.length + 1 } }])],
    ["local compressed size", craftZip([{ name: "run.json", data: run, local: { compressedSize: 3 } }])],
    ["signed descriptor", craftZip([{ name: "run.json", data: run, descriptor: "signed" }])],
    ["unsigned descriptor", craftZip([{ name: "run.json", data: run, descriptor: "unsigned" }])],
    [
      "descriptor disagrees",
      craftZip([{ name: "run.json", data: run, descriptor: "signed", descriptorValues: { crc: 1 } }]),
    ],
    ["descriptor missing", craftZip([{ name: "run.json", data: run, flags: 0x0808 }])],
    [
      "unicode path field",
      craftZip([{ name: "decoy.json", data: run, extra: unicodePathField("decoy.json", "run.json") }]),
    ],
    [
      "agreeing unicode path",
      craftZip([{ name: "run.json", data: run, extra: unicodePathField("run.json", "run.json") }]),
    ],
    ["overlap bomb", overlapBomb(50, 4096).zip],
    [
      "shared local header",
      craftZip([{ name: "run.json", data: run }], {
        extraCentral: ([record]) => {
          const copy = Buffer.from(record!);
          copy.write("RUN", 46, "latin1");
          return [copy];
        },
      }),
    ],
    ["prefix", craftZip([{ name: "a.txt", data: run }], { prefix: Buffer.from("MZ stub") })],
    [
      "gap",
      craftZip([
        { name: "a.txt", data: run, after: hidden },
        { name: "b.txt", data: run },
      ]),
    ],
    ["suffix", craftZip([{ name: "a.txt", data: run }], { suffix: Buffer.from("appended") })],
    ["comment", craftZip([{ name: "a.txt", data: run }], { comment: Buffer.from("built by go") })],
    [
      "second end record in comment",
      craftZip([{ name: "a.txt", data: run }], {
        comment: Buffer.concat([Buffer.from("PK\x05\x06", "latin1"), Buffer.alloc(18)]),
      }),
    ],
    [
      "bytes after the deflate stream",
      craftZip([
        { name: "a.txt", data: run, body: Buffer.concat([deflateRawSync(run), Buffer.from("hidden")]) },
      ]),
    ],
    ["bad crc", craftZip([{ name: "a.txt", data: Buffer.from("hello"), crc: 12345 }])],
    ["size understated", craftZip([{ name: "liar.bin", data: Buffer.alloc(5000, 3), declaredSize: 10 }])],
    ["size overstated", craftZip([{ name: "short.bin", data: Buffer.alloc(5000, 3), declaredSize: 6000 }])],
    ["garbage deflate", craftZip([{ name: "a.txt", data: run, body: Buffer.from([0xff, 0xff, 0xff]) }])],
    ["encrypted", craftZip([{ name: "a.txt", data: run, flags: 0x0801 }])],
    ["unknown flag", craftZip([{ name: "a.txt", data: run, flags: 0x0840 }])],
    ["unknown method", craftZip([{ name: "a.txt", data: run, method: 12, body: run }])],
    ["version needed", craftZip([{ name: "a.txt", data: run, versionNeeded: 64 }])],
    ["zip64 extra", craftZip([{ name: "a.txt", data: run, extra: extraField(0x0001, Buffer.alloc(16)) }])],
    ["zip64 locator", craftZip([{ name: "a.txt", data: run }], { beforeEnd: locator })],
    ["multi-disk", craftZip([{ name: "a.txt", data: run }], { end: { disk: 1 } })],
    ["malformed extra", craftZip([{ name: "a.txt", data: run, extra: Buffer.from([1, 0, 9]) }])],
    ["too big", craftZip([{ name: "big.bin", data: Buffer.alloc(5000, 7) }]), { maxEntryBytes: 1000 }],
    ["bomb ratio", craftZip([{ name: "bomb.bin", data: Buffer.alloc(8 * 1024 * 1024) }])],
    [
      "too many",
      craftZip(["a", "b", "c"].map((name) => ({ name, data: Buffer.alloc(600, 1) }))),
      { maxEntries: 2 },
    ],
    [
      "too much",
      craftZip(["a", "b", "c"].map((name) => ({ name, data: Buffer.alloc(600, 1) }))),
      { maxTotalBytes: 1000 },
    ],
    ["count lies", craftZip([{ name: "a.txt", data: run }], { end: { count: 2 } })],
  ];

  it("gives the same verdict, code and bytes on every crafted zip", async () => {
    let rejected = 0;
    for (const [label, zip, limits] of crafted) {
      const outcome = await assertSameReading(label, zip, limits);
      if (!outcome.ok) rejected++;
    }
    assert.ok(rejected > 50, `${rejected} crafted zips rejected`);
  });

  it("rejects with a clear code, never a crash: duplicates, traversal, header disagreement", async () => {
    const expectations: Array<[string, string]> = [
      ["duplicate", "zip_duplicate_entry"],
      ["traversal", "zip_path_traversal"],
      ["local name differs", "zip_header_mismatch"],
      ["local crc", "zip_header_mismatch"],
      ["bytes after the deflate stream", "zip_corrupt"],
      ["not a zip", "zip_invalid"],
    ];
    for (const [label, code] of expectations) {
      const zip = crafted.find(([l]) => l === label)![1];
      assert.deepEqual(await pageRead(zip), { ok: false, code }, label);
    }
  });

  it("agrees on every single-byte change of a real pack (exhaustive) and on truncations", async () => {
    const { zip } = await buildPackSpec({ key: TEST_KEY });
    const original = await contractRead(zip);
    assert.ok(original.ok);
    let accepted = 0;
    for (let i = 0; i < zip.length; i++) {
      const mutated = Buffer.from(zip);
      mutated[i] = mutated[i]! ^ 0x5a;
      const outcome = await assertSameReading(`byte ${i}`, mutated);
      if (outcome.ok) {
        accepted++;
        assert.deepEqual(outcome, original, `byte ${i} changed content yet was read`);
      }
    }
    for (let cut = 0; cut < zip.length; cut += 7) await assertSameReading(`cut ${cut}`, zip.subarray(0, cut));
    assert.ok(accepted < zip.length / 4, `${accepted} of ${zip.length} changes went unnoticed by both`);
  });

  it("agrees on random mutations and random bytes (fast-check)", { timeout: 120_000 }, async () => {
    const valid = await writeZip([
      { path: "pack_manifest.json", data: "{}" },
      { path: "a/b.json", data: "x".repeat(300) },
      { path: "c.txt", data: "" },
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (mutations) => {
          const mutated = Buffer.from(valid);
          for (const [index, value] of mutations) mutated[index] = value;
          await assertSameReading(JSON.stringify(mutations), mutated);
        },
      ),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        await pageRead(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// whole packs

describe("pack view verifier: PackSpec packs", () => {
  it("verifies a signed pack with its key, and says how far without one or unsigned", async () => {
    const { zip, manifest } = await buildPackSpec({ key: TEST_KEY });
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    assert.equal(report.kind, "pack");
    assert.deepEqual(report.problems, []);
    assert.equal(report.files_checked, 2);
    assert.deepEqual(report.pack_id, {
      declared: manifest.pack_id,
      computed: manifest.pack_id,
      matches: true,
    });
    assert.equal(report.signature?.status, "verified");
    assert.equal(report.signature?.key_id, TEST_KEY.keyId);
    assert.deepEqual(
      report.entries.map((e) => [e.path, e.state]),
      [
        ["pack_manifest.json", "manifest"],
        ["run_payload.json", "ok"],
        ["source/runpack.zip", "ok"],
      ],
    );
    assert.deepEqual(
      report.documents.map((d) => d.path),
      ["run_payload.json"],
    );

    const unkeyed = await verifier.verifyPack(new Uint8Array(zip));
    assert.equal(unkeyed.status, "verified");
    assert.equal(unkeyed.signature?.status, "skipped");
    const unsigned = await verifier.verifyPack(new Uint8Array((await buildPackSpec()).zip), { publicKey });
    assert.equal(unsigned.status, "verified");
    assert.equal(unsigned.signature?.status, "missing");
  });

  it("names the modified file: content changed in a rebuilt zip, or bytes changed in place", async () => {
    const rebuilt = await buildPackSpec({ key: TEST_KEY, zip: { "run_payload.json": '{"run_id":"other"}' } });
    const report = await verifier.verifyPack(new Uint8Array(rebuilt.zip), { publicKey });
    assert.equal(report.status, "tampered");
    assert.deepEqual(report.offending, ["run_payload.json"]);
    assert.equal(report.entries.find((e) => e.path === "run_payload.json")?.state, "mismatch");
    assert.equal(report.signature?.status, "verified", "the manifest itself is intact");

    const stored = await buildPackSpec({ key: TEST_KEY });
    const zip = Buffer.from(stored.zip);
    const at = zip.indexOf(Buffer.from("run_payload.json")) + "run_payload.json".length + 9 + 4;
    zip[at] = zip[at]! ^ 1; // a bit of the entry's compressed data
    const flipped = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(flipped.status, "tampered");
    assert.deepEqual(flipped.offending, ["run_payload.json"]);
  });

  it("fails on an undeclared file, a missing file, and a changed pack_id", async () => {
    const extra = await buildPackSpec({ zip: { "notes.txt": "added later" } });
    const undeclared = await verifier.verifyPack(new Uint8Array(extra.zip));
    assert.equal(undeclared.status, "tampered");
    assert.deepEqual(undeclared.offending, ["notes.txt"]);
    assert.equal(undeclared.problems[0]?.code, "undeclared_file");

    const gone = await buildPackSpec({ zip: { "source/runpack.zip": null } });
    const missing = await verifier.verifyPack(new Uint8Array(gone.zip));
    assert.equal(missing.status, "tampered");
    assert.ok(missing.offending.includes("source/runpack.zip"));
    assert.ok(missing.problems.some((p) => p.code === "missing_file"));

    const renamed = await buildPackSpec({
      afterSign: (m) => {
        m.source_ref = "run_other";
      },
    });
    const changed = await verifier.verifyPack(new Uint8Array(renamed.zip));
    assert.equal(changed.status, "tampered");
    assert.ok(changed.problems.some((p) => p.code === "pack_id_mismatch"));
    assert.deepEqual(changed.offending, ["pack_manifest.json", "run_payload.json"]);
  });

  it("fails a wrong signature: another key, a forged sig, a manifest edited after signing", async () => {
    const other = await buildPackSpec({ key: OTHER_KEY });
    const wrongKey = await verifier.verifyPack(new Uint8Array(other.zip), { publicKey });
    assert.equal(wrongKey.status, "tampered");
    assert.equal(wrongKey.signature?.status, "failed");
    assert.deepEqual(wrongKey.offending, ["pack_manifest.json"]);

    const forged = await buildPackSpec({
      key: TEST_KEY,
      afterSign: (m) => {
        const [envelope] = m.signatures as Array<Record<string, string>>;
        envelope!.key_id = OTHER_KEY.keyId;
        envelope!.sig = signJson(OTHER_KEY, { forged: true }).sig;
        envelope!.key_id = TEST_KEY.keyId;
      },
    });
    const bad = await verifier.verifyPack(new Uint8Array(forged.zip), { publicKey });
    assert.equal(bad.signature?.status, "failed");
    assert.match(bad.signature?.errors.join() ?? "", /does not verify/);

    // Re-signed content with a recomputed pack_id but the old signature: the digest no longer matches,
    // which shows even without a key.
    const edited = await buildPackSpec({
      key: TEST_KEY,
      afterSign: (m) => {
        m.producer_version = "9.9.9";
        m.pack_id = createHash("sha256")
          .update(canonicalize({ ...m, pack_id: "", signatures: undefined }))
          .digest("hex");
      },
    });
    for (const options of [{ publicKey }, {}]) {
      const result = await verifier.verifyPack(new Uint8Array(edited.zip), options);
      assert.equal(result.status, "tampered");
      assert.equal(result.signature?.status, "failed");
      assert.match(result.signature?.errors.join() ?? "", /changed after it was signed/);
    }
  });

  it("checks the run payload against its source runpack and derives the run's counts from it", async () => {
    const { zip } = await buildPackSpec({ key: TEST_KEY });
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.deepEqual(report.run, {
      run_id: "run_view_pack",
      created_at: "2026-02-05T00:00:00Z",
      capture_mode: "reference",
      manifest_digest: report.run?.manifest_digest,
      intents: 3,
      results: 2,
      refs: 2,
      intents_by_tool: { "db.query": 1, "http.fetch": 1, "tool.search": 1 },
      results_by_status: { error: 1, ok: 1 },
      verdicts: {},
      reason_codes: {},
    });

    // Hashes and signature all consistent, but the payload does not say what the runpack says.
    const files = await runPackFiles();
    const payload = JSON.parse(String(files["run_payload.json"]));
    const lying = await buildPackSpec({
      key: TEST_KEY,
      files: { ...files, "run_payload.json": canonicalize({ ...payload, intents_count: 99 }) },
    });
    const bad = await verifier.verifyPack(new Uint8Array(lying.zip), { publicKey });
    assert.equal(bad.status, "tampered");
    assert.deepEqual(bad.problems, [
      {
        code: "payload_mismatch",
        message: "does not describe source/runpack.zip (intents_count differ)",
        path: "run_payload.json",
      },
    ]);

    // A source runpack whose own file was changed (its manifest no longer matches).
    const inner = (await readZip(files["source/runpack.zip"] as Buffer)).entries.map((e) => ({
      path: e.path,
      data:
        e.path === "run.json" ? Buffer.from(e.data.toString().replace("9.9.9-test", "9.9.8-test")) : e.data,
    }));
    const broken = await buildPackSpec({ files: { ...files, "source/runpack.zip": await writeZip(inner) } });
    const source = await verifier.verifyPack(new Uint8Array(broken.zip));
    assert.equal(source.status, "tampered");
    assert.deepEqual(source.problems, [
      {
        code: "source_invalid",
        message: "is not a valid runpack: run.json does not match its sha256",
        path: "source/runpack.zip",
      },
    ]);
  });

  it("refuses a malformed manifest and says plainly when a zip is not a pack", async () => {
    const unknownField = await buildPackSpec({
      beforeId: (m) => {
        m.note = "unsigned extra";
      },
    });
    const unknown = await verifier.verifyPack(new Uint8Array(unknownField.zip));
    assert.equal(unknown.status, "tampered");
    assert.match(unknown.problems[0]?.message ?? "", /unknown field "note"/);

    const duplicateKey = await writeZip([
      ...Object.entries(await runPackFiles()).map(([path, data]) => ({ path, data })),
      { path: "pack_manifest.json", data: '{"schema_id":"gait.pack.manifest","schema_id":"x"}' },
    ]);
    const dup = await verifier.verifyPack(new Uint8Array(duplicateKey));
    assert.equal(dup.status, "tampered");
    assert.match(dup.problems[0]?.message ?? "", /duplicate key/);

    const runpack = await writeZip([{ path: "manifest.json", data: "{}" }]);
    const notPack = await verifier.verifyPack(new Uint8Array(runpack));
    assert.equal(notPack.status, "invalid");
    assert.match(notPack.problems[0]?.message ?? "", /it is a runpack/);
    const text = await verifier.verifyPack(new TextEncoder().encode("hello"));
    assert.equal(text.status, "invalid");
    assert.equal(text.problems[0]?.code, "zip_invalid");
    const dupZip = craftZip([
      { name: "pack_manifest.json", data: Buffer.from("{}") },
      { name: "pack_manifest.json", data: Buffer.from("{}") },
    ]);
    const duplicated = await verifier.verifyPack(new Uint8Array(dupZip));
    assert.equal(duplicated.status, "tampered");
    assert.deepEqual(duplicated.offending, ["pack_manifest.json"]);
  });

  it("reads created_at as the reference's struct does: another RFC 3339 spelling of the same time", async () => {
    // pack_id and signature were made over the Go rendering; the file spells the time otherwise.
    const { zip } = await buildPackSpec({
      key: TEST_KEY,
      afterSign: (m) => {
        m.created_at = "1980-01-01T00:00:00.000+00:00";
      },
    });
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    assert.equal(report.signature?.status, "verified");
    const garbled = await buildPackSpec({
      afterSign: (m) => {
        m.created_at = "1980-13-01T00:00:00Z";
      },
    });
    const bad = await verifier.verifyPack(new Uint8Array(garbled.zip));
    assert.match(bad.problems[0]?.message ?? "", /created_at is not an RFC 3339 timestamp/);
  });
});

describe("pack view verifier: Guard evidence packs", () => {
  it("verifies a signed Guard pack and reads its control index", async () => {
    const { zip, manifest } = await buildGuardPack({ key: TEST_KEY });
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    assert.equal(report.kind, "guard");
    assert.equal(report.pack_id?.computed, manifest.pack_id);
    assert.equal(report.signature?.status, "verified");
    assert.deepEqual(
      report.control_index.map((c) => c.control_id),
      ["CC6.6", "CC7.2"],
    );
    assert.equal(report.files_checked, 4);
  });

  it("lists undeclared files without failing (§7.2) but fails on a modified one", async () => {
    const extra = await buildGuardPack({ key: TEST_KEY, zip: { "notes.txt": "later" } });
    const report = await verifier.verifyPack(new Uint8Array(extra.zip), { publicKey });
    assert.equal(report.status, "verified");
    assert.equal(report.entries.find((e) => e.path === "notes.txt")?.state, "unlisted");
    assert.ok(report.warnings.some((w) => w.includes("notes.txt")));

    const modified = await buildGuardPack({ key: TEST_KEY, zip: { "trace_summary.json": '{"traces":0}' } });
    const bad = await verifier.verifyPack(new Uint8Array(modified.zip), { publicKey });
    assert.equal(bad.status, "tampered");
    assert.deepEqual(bad.offending, ["trace_summary.json"]);
  });

  it("warns, without failing, on a pack_id that does not follow the Guard rule", async () => {
    const { zip } = await buildGuardPack({
      afterSign: (m) => {
        m.pack_id = "pack_001";
      },
    });
    const report = await verifier.verifyPack(new Uint8Array(zip));
    assert.equal(report.status, "verified");
    assert.equal(report.pack_id?.matches, false);
    assert.match(report.warnings.join(), /does not follow the Guard rule/);
  });
});

describe("pack view: the page and the command's edge (viewPack)", () => {
  const temp = tempDir("gait-pack-view-");
  after(() => temp.cleanup());
  const write = (name: string, data: Buffer) => {
    writeFileSync(join(temp.dir, name), data);
    return name;
  };

  it("writes a deterministic page whose policy allows exactly its own script, by hash", async () => {
    const { zip } = await buildPackSpec({ key: TEST_KEY });
    const first = renderPackViewPage({ zip, name: "p.zip", publicKey });
    assert.equal(renderPackViewPage({ zip, name: "p.zip", publicKey }), first);
    const scripts = [...first.matchAll(/<script(?: [^>]*)?>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 2);
    assert.equal(scripts[0]![1], zip.toString("base64"));
    const hash = createHash("sha256").update(scripts[1]![1]!, "utf8").digest("base64");
    const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/
      .exec(first)![1]!
      .replaceAll("&#39;", "'");
    assert.match(policy, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, "\\$&")}';`));
    assert.match(policy, /default-src 'none'.*connect-src 'none'.*require-trusted-types-for 'script'/);
    assert.match(first, new RegExp(`id="public-key" value="${publicKey.replace(/[+/]/g, "\\$&")}"`));
    // A hostile file name is text on the page, never markup.
    const hostile = renderPackViewPage({ zip, name: '"><script>alert(1)</script>.zip' });
    assert.ok(!hostile.includes("<script>alert(1)"));
  });

  it("writes the page next to gait-out by default, reports what the page will say, and refuses bad targets", async () => {
    const good = write("pack_good.zip", (await buildPackSpec({ key: TEST_KEY })).zip);
    const viewed = await viewPack({ pack: good, cwd: temp.dir, verifyKey: verifyKeyFor(TEST_KEY) });
    assert.equal(viewed.path, join(temp.dir, "gait-out", "view_pack_good.html"));
    assert.equal(viewed.report.status, "verified");
    assert.equal(viewed.report.signature?.status, "verified");
    assert.equal(viewed.replaced, false);
    assert.equal((await viewPack({ pack: good, cwd: temp.dir })).replaced, true);
    await assert.rejects(viewPack({ pack: good, cwd: temp.dir, out: "page.txt" }), /must end in \.html/);
    await assert.rejects(viewPack({ pack: good, cwd: temp.dir, out: good }), /over its runpack|must end in/);
    await assert.rejects(viewPack({ pack: "missing.zip", cwd: temp.dir }), (e: unknown) => {
      assert.ok(e instanceof GaitError);
      assert.equal(e.category, "invalid_input");
      return true;
    });
    const text = write("notes.zip", Buffer.from("not a zip"));
    const invalid = await viewPack({ pack: text, cwd: temp.dir, out: "notes.html" });
    assert.equal(invalid.report.status, "invalid");
    assert.ok(readFileSync(invalid.path, "utf8").includes(Buffer.from("not a zip").toString("base64")));
  });

  it("uses a found (project) key only for the signatures it made, as pack verify does", async () => {
    const signed = write("pack_signed.zip", (await buildPackSpec({ key: TEST_KEY })).zip);
    const own = await viewPack({
      pack: signed,
      cwd: temp.dir,
      out: "own.html",
      defaultKey: verifyKeyFor(TEST_KEY),
    });
    assert.equal(own.report.signature?.status, "verified");
    assert.ok(readFileSync(own.path, "utf8").includes(`value="${publicKey}"`));
    const other = await viewPack({
      pack: signed,
      cwd: temp.dir,
      out: "other.html",
      defaultKey: verifyKeyFor(OTHER_KEY),
    });
    assert.equal(other.report.status, "verified");
    assert.equal(other.report.signature?.status, "skipped");
    const given = await viewPack({
      pack: signed,
      cwd: temp.dir,
      out: "given.html",
      verifyKey: verifyKeyFor(OTHER_KEY),
    });
    assert.equal(given.report.signature?.status, "failed");
  });
});
