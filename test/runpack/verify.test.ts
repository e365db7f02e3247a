import assert from "node:assert/strict";
import { describe, it } from "node:test";
import yazl from "yazl";
import { canonicalize } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  signJson,
  verifyKeyFor,
} from "../../src/contract/signing.ts";
import {
  manifestDigest,
  type RunpackEntry,
  runpackZip,
  signableManifest,
  verifyRunpack,
  verifyRunpackEntries,
} from "../../src/runpack/index.ts";
import { craftZip, unicodePathField } from "../contract/zip-craft.ts";
import { build, sampleInput } from "./fixtures.ts";

/** Verification must either report a failure or throw a coded exit-2 error. */
function assertDetected(entries: RunpackEntry[], what: string): void {
  let result: ReturnType<typeof verifyRunpackEntries>;
  try {
    result = verifyRunpackEntries(entries);
  } catch (error) {
    assert.ok(error instanceof GaitError, `${what}: threw a non-coded error ${String(error)}`);
    assert.equal(error.exitCode, 2, `${what}: ${error.code} should exit 2`);
    return;
  }
  assert.equal(result.ok, false, `${what}: mutation not detected`);
}

function zipWithDuplicate(entries: RunpackEntry[], duplicate: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    for (const entry of entries) zip.addBuffer(entry.data, entry.path);
    const copy = entries.find((e) => e.path === duplicate)!;
    zip.addBuffer(copy.data, duplicate);
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

describe("runpack verify", () => {
  const entries = build().entries;

  it("accepts an intact runpack and reports the contract fields", async () => {
    const result = await verifyRunpack(await runpackZip(entries));
    assert.equal(result.ok, true);
    assert.equal(result.run_id, "run_sample");
    assert.equal(result.files_checked, 4);
    assert.deepEqual(result.missing_files, []);
    assert.deepEqual(result.hash_mismatches, []);
    assert.deepEqual(result.undeclared_files, []);
    assert.equal(result.signature_status, "missing");
    assert.equal(result.signatures_total, 0);
  });

  it("fails on entries the manifest does not declare, listing them sorted, in the core and through a zip", async () => {
    const extra = [
      { path: "zz/evil.js", data: Buffer.from("alert(1)") },
      { path: "a.txt", data: Buffer.from("") },
    ];
    const core = verifyRunpackEntries([...entries, ...extra]);
    assert.equal(core.ok, false);
    assert.deepEqual(core.undeclared_files, ["a.txt", "zz/evil.js"]);
    assert.deepEqual(core.missing_files, []);
    assert.deepEqual(core.hash_mismatches, []);
    const zipped = await verifyRunpack(await runpackZip([...entries, ...extra]));
    assert.deepEqual(zipped, core);
  });

  it("refuses a signed runpack that would show other readers a different run.json (0x7075 names)", async () => {
    const key = generateSigningKey();
    const signed = build(sampleInput(), { sign: (signable) => signJson(key, signable) }).entries;
    const genuine = signed.find((e) => e.path === "run.json")!;
    const evil = Buffer.from('{"run_id":"run_evil"}');
    // Python, Go and unzip -UU read the raw names; a Unicode-Path-aware reader reads the 0x7075 ones.
    const zip = craftZip([
      ...signed.filter((e) => e !== genuine).map((e) => ({ name: e.path, data: e.data })),
      { name: "run.json", data: evil, extra: unicodePathField("run.json", "zzz.json") },
      { name: "yyy.json", data: genuine.data, extra: unicodePathField("yyy.json", "run.json") },
    ]);
    await assert.rejects(
      verifyRunpack(zip, { verifyKey: verifyKeyFor(key) }),
      (e: unknown) => e instanceof GaitError && e.code === "zip_unicode_path_mismatch" && e.exitCode === 2,
    );
  });

  it("refuses a runpack whose local header names another file (../../evil.js)", async () => {
    const zip = craftZip(
      entries.map((e) => ({
        name: e.path,
        data: e.data,
        ...(e.path === "run.json" ? { local: { name: "../../evil.js" } } : {}),
      })),
    );
    await assert.rejects(
      verifyRunpack(zip),
      (e: unknown) => e instanceof GaitError && e.code === "zip_header_mismatch" && e.exitCode === 2,
    );
  });

  it("detects a flipped byte anywhere in any entry (every byte, several bit patterns)", () => {
    let mutations = 0;
    for (const [index, entry] of entries.entries()) {
      for (let offset = 0; offset < entry.data.length; offset++) {
        for (const mask of [0x01, 0x20, 0x80]) {
          const data = Buffer.from(entry.data);
          data[offset]! ^= mask;
          const mutated = entries.map((e, i) => (i === index ? { path: e.path, data } : e));
          assertDetected(mutated, `${entry.path}[${offset}]^0x${mask.toString(16)}`);
          mutations++;
        }
      }
    }
    assert.ok(mutations > 3000);
  });

  it("detects renamed, dropped, appended-to and truncated entries", () => {
    for (const victim of entries) {
      const others = entries.filter((e) => e !== victim);
      assertDetected(others, `drop ${victim.path}`);
      assertDetected([...others, { path: `${victim.path}.bak`, data: victim.data }], `rename ${victim.path}`);
      assertDetected(
        [...others, { path: victim.path, data: Buffer.concat([victim.data, Buffer.from("\n")]) }],
        `append to ${victim.path}`,
      );
      assertDetected(
        [...others, { path: victim.path, data: victim.data.subarray(1) }],
        `truncate ${victim.path}`,
      );
    }
  });

  it("treats duplicate entries as runpack_duplicate_entries (exit 2), in the core and through a zip", async () => {
    for (const victim of entries) {
      assert.throws(
        () => verifyRunpackEntries([...entries, victim]),
        (e: unknown) => e instanceof GaitError && e.code === "runpack_duplicate_entries" && e.exitCode === 2,
      );
      await assert.rejects(
        verifyRunpack(await zipWithDuplicate(entries, victim.path)),
        (e: unknown) => e instanceof GaitError && e.code === "runpack_duplicate_entries" && e.exitCode === 2,
      );
    }
    assert.throws(
      () => verifyRunpackEntries([...entries, { path: " run.json", data: Buffer.from("x") }]),
      (e: unknown) => e instanceof GaitError && e.code === "runpack_duplicate_entries",
      "names are compared trimmed",
    );
  });

  it("reports a required file the manifest does not list as missing", () => {
    const built = build();
    const manifest = {
      ...built.runpack.manifest,
      files: built.runpack.manifest.files.filter((f) => f.path !== "refs.json"),
    };
    manifest.manifest_digest = manifestDigest(manifest);
    const relisted = built.entries.map((e) =>
      e.path === "manifest.json" ? { path: e.path, data: Buffer.from(canonicalize(manifest)) } : e,
    );
    const result = verifyRunpackEntries(relisted);
    assert.equal(result.ok, false);
    assert.deepEqual(result.missing_files, ["refs.json"]);
    assert.deepEqual(result.hash_mismatches, []);
  });

  it("refuses a manifest whose bytes are not canonical, unless migrating", () => {
    const built = build();
    const pretty = built.entries.map((e) =>
      e.path === "manifest.json"
        ? { path: e.path, data: Buffer.from(JSON.stringify(JSON.parse(e.data.toString()), null, 2)) }
        : e,
    );
    assert.throws(
      () => verifyRunpackEntries(pretty),
      (e: unknown) =>
        e instanceof GaitError && e.code === "runpack_manifest_not_canonical" && e.exitCode === 2,
    );
    assert.equal(verifyRunpackEntries(pretty, { allowNonCanonicalManifest: true }).ok, true);
  });

  it("says not-a-zip is invalid input (exit 6)", async () => {
    await assert.rejects(
      verifyRunpack(Buffer.from("this is not a zip file at all")),
      (e: unknown) => e instanceof GaitError && e.code === "runpack_not_zip" && e.exitCode === 6,
    );
  });

  describe("signatures", () => {
    const key = generateSigningKey();
    const signed = build(sampleInput(), { sign: (signable) => signJson(key, signable) }).entries;

    it("signs the manifest (with its digest, without signatures) and verifies with the matching key", () => {
      const manifest = JSON.parse(signed.find((e) => e.path === "manifest.json")!.data.toString());
      assert.equal(manifest.signatures.length, 1);
      assert.equal(manifest.signatures[0].key_id, key.keyId);
      assert.deepEqual(manifest.signatures[0], signJson(key, signableManifest(manifest)));
      const result = verifyRunpackEntries(signed, { verifyKey: verifyKeyFor(key) });
      assert.equal(result.signature_status, "verified");
      assert.equal(result.signatures_valid, 1);
      assert.equal(result.ok, true);
    });

    it("fails with another key, reports skipped without one", () => {
      const other = verifyKeyFor(generateSigningKey());
      const failed = verifyRunpackEntries(signed, { verifyKey: other });
      assert.equal(failed.signature_status, "failed");
      assert.equal(failed.ok, false);
      assert.ok(failed.signature_errors.length > 0);
      const skipped = verifyRunpackEntries(signed);
      assert.equal(skipped.signature_status, "skipped");
      assert.equal(skipped.ok, true);
      assert.equal(skipped.signatures_total, 1);
    });

    it("with --require-signature: needs a key (exit 6) and a verified signature", async () => {
      await assert.rejects(
        verifyRunpack(await runpackZip(signed), { requireSignature: true }),
        (e: unknown) => e instanceof GaitError && e.exitCode === 6,
      );
      const unsigned = verifyRunpackEntries(entries, {
        requireSignature: true,
        verifyKey: verifyKeyFor(key),
      });
      assert.equal(unsigned.ok, false);
      assert.deepEqual(unsigned.signature_errors, ["manifest has no signatures"]);
      assert.equal(
        verifyRunpackEntries(signed, { requireSignature: true, verifyKey: verifyKeyFor(key) }).ok,
        true,
      );
    });

    it("key material round-trips through the key file encodings", () => {
      assert.equal(Buffer.from(encodePrivateKey(key), "base64").length, 64);
      assert.equal(Buffer.from(encodePublicKey(key), "base64").length, 32);
    });
  });
});
