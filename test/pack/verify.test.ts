/**
 * Pack verification: the round trip (unsigned, signed), determinism, every failure the contract
 * names in its order (zip damage, manifest, pack_id, missing/altered/undeclared files, proof
 * records, payload contracts, signatures), legacy dispatch, and the artifacts against the public
 * v1 schemas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize, type JsonObject } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, signJson, verifyKeyFor } from "../../src/contract/signing.ts";
import {
  assemblePack,
  buildPackManifest,
  type PackFile,
  type PackManifest,
  packZip,
  verifyPack,
} from "../../src/pack/index.ts";
import { runpackZip } from "../../src/runpack/index.ts";
import { craftZip } from "../contract/zip-craft.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { build, sampleInput } from "../runpack/fixtures.ts";
import { filesOf, jobPackOf, PRODUCER, rezip, runPackOf } from "./fixtures.ts";

async function rejects(promise: Promise<unknown>, code: string, exitCode: number): Promise<GaitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GaitError, `not a GaitError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.exitCode, exitCode);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** A zip of `files` under a freshly built (consistent) manifest: what a forger who rehashes would make. */
async function rehashed(
  files: ReadonlyMap<string, Buffer>,
  manifest: PackManifest,
  key?: ReturnType<typeof generateSigningKey>,
) {
  const list: PackFile[] = [...files]
    .filter(([path]) => path !== "pack_manifest.json")
    .map(([path, data]) => ({ path, data }));
  const next = buildPackManifest(
    {
      packType: manifest.pack_type,
      sourceRef: manifest.source_ref,
      producerVersion: manifest.producer_version,
      files: list,
    },
    key ? (signable) => signJson(key, signable) : undefined,
  );
  return packZip([...list, { path: "pack_manifest.json", data: Buffer.from(canonicalize(next)) }]);
}

describe("pack verify: round trip", () => {
  it("an unsigned run pack verifies with signature status missing and proof records checked", async () => {
    const { zip, manifest } = await runPackOf();
    const result = await verifyPack(zip);
    assert.equal(result.ok, true);
    assert.equal(result.pack_id, manifest.pack_id);
    assert.equal(result.pack_type, "run");
    assert.equal(result.source_ref, "run_sample");
    assert.equal(result.files_checked, 3);
    assert.equal(result.proof_records_verified, 2);
    assert.equal(result.signature_status, "missing");
    assert.deepEqual([result.missing_files, result.hash_mismatches, result.undeclared_files], [[], [], []]);
  });

  it("a signed pack: verified with its key, skipped without, failed with another, required needs a key", async () => {
    const key = generateSigningKey();
    const { zip } = await runPackOf(sampleInput(), key);
    const verified = await verifyPack(zip, { verifyKey: verifyKeyFor(key), requireSignature: true });
    assert.equal(verified.signature_status, "verified");
    assert.equal(verified.ok, true);
    assert.equal(verified.signatures_valid, 1);
    const skipped = await verifyPack(zip);
    assert.equal(skipped.signature_status, "skipped");
    assert.equal(skipped.ok, true);
    const other = verifyKeyFor(generateSigningKey());
    const failed = await verifyPack(zip, { verifyKey: other });
    assert.equal(failed.signature_status, "failed");
    assert.equal(failed.ok, false);
    await rejects(verifyPack(zip, { requireSignature: true }), "pack_verify_key_required", 6);
    // A project dev key is used only for signatures that name it.
    assert.equal((await verifyPack(zip, { defaultKey: other })).signature_status, "skipped");
    assert.equal((await verifyPack(zip, { defaultKey: verifyKeyFor(key) })).signature_status, "verified");
  });

  it("an unsigned pack fails when a signature is required", async () => {
    const { zip } = await runPackOf();
    const result = await verifyPack(zip, {
      verifyKey: verifyKeyFor(generateSigningKey()),
      requireSignature: true,
    });
    assert.equal(result.ok, false);
    assert.equal(result.signature_status, "missing");
    assert.deepEqual(result.signature_errors, ["manifest has no signatures"]);
  });

  it("a job pack verifies", async () => {
    const result = await verifyPack((await jobPackOf()).zip);
    assert.equal(result.ok, true);
    assert.equal(result.pack_type, "job");
    assert.equal(result.source_ref, "job_demo");
    assert.equal(result.proof_records_verified, 3);
  });

  it("is deterministic: same inputs (and key) give byte-identical zips", async () => {
    assert.ok((await runPackOf()).zip.equals((await runPackOf()).zip));
    const key = generateSigningKey();
    assert.ok((await runPackOf(sampleInput(), key)).zip.equals((await runPackOf(sampleInput(), key)).zip));
    assert.ok((await jobPackOf()).zip.equals((await jobPackOf()).zip));
  });

  it("source/runpack.zip is the runpack re-zipped deterministically", async () => {
    const files = await filesOf((await runPackOf()).zip);
    assert.ok(files.get("source/runpack.zip")!.equals(await runpackZip(build().entries)));
  });
});

describe("pack verify: the artifacts match the public v1 schemas", { skip: publicSchemasSkip }, () => {
  it("manifest, run payload and job payload", async () => {
    for (const { zip } of [
      await runPackOf(),
      await jobPackOf(),
      await runPackOf(sampleInput(), generateSigningKey()),
    ]) {
      const files = await filesOf(zip);
      assertPublicValid(JSON.parse(files.get("pack_manifest.json")!.toString()), "pack_manifest.json");
      for (const payload of ["run_payload.json", "job_payload.json"]) {
        const data = files.get(payload);
        if (data) assertPublicValid(JSON.parse(data.toString()), payload);
      }
      for (const line of files.get("proof_records.jsonl")!.toString().split("\n")) {
        assertPublishedValid(JSON.parse(line), "pack/proof_record.schema.json");
      }
    }
  });
});

describe("pack verify: failures", () => {
  it("an altered entry is a hash mismatch (exit 2 through ok=false)", async () => {
    const { zip } = await runPackOf();
    const files = await filesOf(zip);
    const result = await verifyPack(await rezip(files, { "run_payload.json": Buffer.from("{}") }));
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.hash_mismatches.map((m) => m.path),
      ["run_payload.json"],
    );
    assert.equal(result.proof_records_verified, undefined, "no proof or payload checks on altered files");
  });

  it("a missing entry and an undeclared one are reported", async () => {
    const files = await filesOf((await runPackOf()).zip);
    const result = await verifyPack(
      await rezip(files, { "source/runpack.zip": undefined, "evil.js": Buffer.from("x") }),
    );
    assert.equal(result.ok, false);
    assert.deepEqual(result.missing_files, ["source/runpack.zip"]);
    assert.deepEqual(result.undeclared_files, ["evil.js"]);
  });

  it("a manifest whose content does not give its pack_id is refused", async () => {
    const { zip, manifest } = await runPackOf();
    const files = await filesOf(zip);
    const forged = { ...manifest, source_ref: "run_other" };
    await rejects(
      verifyPack(await rezip(files, { "pack_manifest.json": Buffer.from(canonicalize(forged)) })),
      "pack_id_mismatch",
      2,
    );
  });

  it("a manifest that does not parse strictly is refused", async () => {
    const files = await filesOf((await runPackOf()).zip);
    const manifest = JSON.parse(files.get("pack_manifest.json")!.toString()) as JsonObject;
    await rejects(
      verifyPack(
        await rezip(files, { "pack_manifest.json": Buffer.from(JSON.stringify({ ...manifest, note: "x" })) }),
      ),
      "pack_manifest_invalid",
      2,
    );
  });

  it("a zip without pack_manifest.json or manifest.json is refused", async () => {
    await rejects(
      verifyPack(await packZip([{ path: "a.json", data: Buffer.from("{}") }])),
      "pack_manifest_missing",
      2,
    );
  });

  it("proof records that do not match the entries are refused, even under a rehashed manifest", async () => {
    const { zip, manifest } = await runPackOf();
    const files = await filesOf(zip);
    const lines = files.get("proof_records.jsonl")!.toString().split("\n");
    const tampered: Array<[string, string]> = [
      ["dropped record", lines.slice(1).join("\n")],
      ["swapped records", [lines[1], lines[0]].join("\n")],
      ["trailing newline", `${lines.join("\n")}\n`],
      ["edited event", lines.join("\n").replace('"entry_size_bytes":', '"entry_size_bytes":1')],
      [
        "broken chain",
        lines
          .join("\n")
          .replace(/"previous_record_hash":"sha256:[0-9a-f]{4}/, '"previous_record_hash":"sha256:0000'),
      ],
      [
        "edited record id",
        lines
          .join("\n")
          .replace(
            /"record_id":"prf-1980-01-01T00:00:00Z-[0-9a-f]/,
            '"record_id":"prf-1980-01-01T00:00:00Z-g',
          ),
      ],
      ["unknown member", lines.join("\n").replace('{"agent_id"', '{"x":1,"agent_id"')],
    ];
    for (const [what, text] of tampered) {
      const forged = await rehashed(
        new Map([...files, ["proof_records.jsonl", Buffer.from(text)]]),
        manifest,
      );
      await rejects(verifyPack(forged), "pack_proof_records_invalid", 2).catch((error) => {
        throw new Error(`${what}: ${error}`);
      });
    }
  });

  it("with a signature required, every proof record must be signed by the key", async () => {
    const key = generateSigningKey();
    const { zip, manifest } = await runPackOf(sampleInput(), key);
    const files = await filesOf(zip);
    const unsignedProof = (await filesOf((await runPackOf()).zip)).get("proof_records.jsonl")!;
    const forged = await rehashed(new Map([...files, ["proof_records.jsonl", unsignedProof]]), manifest, key);
    const options = { verifyKey: verifyKeyFor(key), requireSignature: true };
    await rejects(verifyPack(forged, options), "pack_proof_records_invalid", 2);
    assert.equal(
      (await verifyPack(forged, { verifyKey: verifyKeyFor(key) })).ok,
      true,
      "checked only when required",
    );
  });

  it("a payload that disagrees with its source runpack is refused", async () => {
    const built = build();
    const { manifest, files: packFiles } = await runPackOf();
    const files = new Map(packFiles.map((f) => [f.path, f.data]));
    const payload = JSON.parse(files.get("run_payload.json")!.toString()) as JsonObject;
    const cases: Array<[string, JsonObject, string]> = [
      ["count", { ...payload, intents_count: 4 }, "pack_payload_invalid"],
      ["run_id", { ...payload, run_id: "run_other" }, "pack_payload_invalid"],
      ["schema_id", { ...payload, schema_id: "gait.pack.job" }, "pack_payload_invalid"],
      ["extra member", { ...payload, note: "hand-typed" }, "pack_payload_invalid"],
    ];
    for (const [what, doc, code] of cases) {
      const payloadFiles: PackFile[] = [
        { path: "run_payload.json", data: Buffer.from(canonicalize(doc)) },
        { path: "source/runpack.zip", data: await runpackZip(built.entries) },
      ];
      const forged = assemblePack(
        { packType: "run", sourceRef: manifest.source_ref, producerVersion: PRODUCER },
        payloadFiles,
      );
      await rejects(verifyPack(await packZip(forged.files)), code, 2).catch((error) => {
        throw new Error(`${what}: ${error}`);
      });
    }
    const noSource = assemblePack({ packType: "run", sourceRef: "run_sample" }, [
      { path: "run_payload.json", data: files.get("run_payload.json")! },
    ]);
    await rejects(verifyPack(await packZip(noSource.files)), "pack_payload_invalid", 2);
    const brokenSource = assemblePack({ packType: "run", sourceRef: "run_sample" }, [
      { path: "run_payload.json", data: files.get("run_payload.json")! },
      { path: "source/runpack.zip", data: Buffer.from("not a zip") },
    ]);
    await rejects(verifyPack(await packZip(brokenSource.files)), "pack_source_invalid", 2);
  });

  it("a job payload that disagrees with job_state.json is refused", async () => {
    const { files } = await jobPackOf();
    const byPath = new Map(files.map((f) => [f.path, f.data]));
    const payload = JSON.parse(byPath.get("job_payload.json")!.toString()) as JsonObject;
    const forged = assemblePack({ packType: "job", sourceRef: "job_demo" }, [
      { path: "job_payload.json", data: Buffer.from(canonicalize({ ...payload, approval_count: 0 })) },
      { path: "job_state.json", data: byPath.get("job_state.json")! },
      { path: "job_events.jsonl", data: byPath.get("job_events.jsonl")! },
    ]);
    await rejects(verifyPack(await packZip(forged.files)), "pack_payload_invalid", 2);
  });

  it("duplicate entries, traversal, links and stray bytes are refused by the strict reader (exit 2)", async () => {
    const data = Buffer.from("{}");
    const cases: Array<[string, Buffer]> = [
      [
        "duplicate",
        craftZip([
          { name: "pack_manifest.json", data },
          { name: "pack_manifest.json", data },
        ]),
      ],
      [
        "traversal",
        craftZip([
          { name: "pack_manifest.json", data },
          { name: "../x.json", data },
        ]),
      ],
      ["symlink", craftZip([{ name: "pack_manifest.json", data, unixMode: 0o120777 }])],
      ["prefix", craftZip([{ name: "pack_manifest.json", data }], { prefix: Buffer.from("junk") })],
    ];
    for (const [what, zip] of cases) {
      await assert.rejects(verifyPack(zip), (error: unknown) => {
        assert.ok(error instanceof GaitError, what);
        assert.equal(error.exitCode, 2, `${what}: ${error.code}`);
        return true;
      });
    }
  });

  it("a file that is not a zip is bad input (exit 6); a truncated zip is damage (exit 2)", async () => {
    await rejects(verifyPack(Buffer.from("hello, not a zip")), "pack_not_zip", 6);
    const { zip } = await runPackOf();
    await assert.rejects(verifyPack(zip.subarray(0, zip.length - 30)), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.exitCode, 2, error.code);
      return true;
    });
  });
});

describe("pack verify: legacy dispatch", () => {
  it("a runpack zip is verified as a runpack", async () => {
    const result = await verifyPack(await runpackZip(build().entries));
    assert.equal(result.ok, true);
    assert.equal(result.legacy_type, "runpack");
    assert.equal(result.pack_type, "run");
    assert.equal(result.source_ref, "run_sample");
    assert.equal(result.pack_id, build().manifestDigest);
  });

  it("a Guard evidence pack goes to the guard verifier, and without one is refused (exit 6)", async () => {
    const guardManifest = Buffer.from(
      canonicalize({ schema_id: "gait.guard.pack_manifest", schema_version: "1.0.0" }),
    );
    const zip = await packZip([{ path: "pack_manifest.json", data: guardManifest }]);
    await rejects(verifyPack(zip), "guard_pack_not_supported", 6);
    const seen: unknown[] = [];
    const result = await verifyPack(zip, {
      guardVerifier: async (source, options) => {
        seen.push(source, options.requireSignature);
        return {
          ok: true,
          pack_id: "pack_0123456789abcdef",
          pack_type: "evidence",
          source_ref: "run_x",
          files_checked: 0,
          missing_files: [],
          hash_mismatches: [],
          undeclared_files: [],
          signature_status: "missing",
          signature_errors: [],
          signatures_total: 0,
          signatures_valid: 0,
          signature_note: "",
        };
      },
    });
    assert.equal(result.legacy_type, "evidence_pack");
    assert.deepEqual(seen, [zip, undefined]);
  });
});
