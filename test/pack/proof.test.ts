/** proof_records.jsonl: the record layout, ids, hashes and chain of CONTRACTS.md §7.1, and signatures. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestJcs, type JsonObject, sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, verifyKeyFor, verifyMessage } from "../../src/contract/signing.ts";
import { buildPackManifest, buildProofRecords, verifyProofRecords } from "../../src/pack/index.ts";

const subject = { packType: "run", sourceRef: "run_demo", producerVersion: "0.0.0-test" };
const data = { "b.json": Buffer.from("{}"), "a.zip": Buffer.from("zip bytes") };
const entries = Object.entries(data).map(([path, bytes]) => ({
  path,
  sha256: sha256Hex(bytes),
  size: bytes.length,
}));

function manifestFor(proof: string) {
  const files = [
    ...Object.entries(data).map(([path, bytes]) => ({ path, data: bytes })),
    { path: "proof_records.jsonl", data: Buffer.from(proof) },
  ];
  return buildPackManifest({ ...subject, packType: "run", files });
}
const sizes = new Map(Object.entries(data).map(([path, bytes]) => [path, bytes.length]));

describe("proof records", () => {
  it("one canonical record per entry, in path order, no trailing newline", () => {
    const text = buildProofRecords(subject, entries);
    assert.ok(!text.endsWith("\n"));
    const records = text.split("\n").map((line) => JSON.parse(line) as JsonObject);
    assert.deepEqual(
      records.map((r) => (r.event as JsonObject).entry_path),
      ["a.zip", "b.json"],
    );
    const [first, second] = records as [JsonObject, JsonObject];
    assert.deepEqual(first.event, {
      pack_type: "run",
      source_ref: "run_demo",
      producer_version: "0.0.0-test",
      entry_path: "a.zip",
      entry_type: "zip",
      entry_sha256: sha256Hex(data["a.zip"]),
      entry_size_bytes: data["a.zip"].length,
      entry_permissions: "0644",
    });
    assert.equal(first.timestamp, "1980-01-01T00:00:00Z");
    assert.equal(first.record_version, "1.0");
    assert.deepEqual(first.controls, { permissions_enforced: false });
    assert.deepEqual(first.metadata, { artifact_kind: "gait.pack.entry" });
    const identity = {
      timestamp: first.timestamp,
      source: "gait.pack",
      source_product: "gait",
      agent_id: "gait",
      record_type: "tool_invocation",
      event: first.event,
    };
    assert.equal(first.record_id, `prf-1980-01-01T00:00:00Z-${digestJcs(identity).slice(0, 8)}`);
    const { integrity: firstIntegrity, ...firstBody } = first;
    assert.equal(
      (firstIntegrity as JsonObject).record_hash,
      `sha256:${digestJcs({ ...firstBody, integrity: {} })}`,
    );
    const { integrity: secondIntegrity, ...secondBody } = second;
    const previous = (firstIntegrity as JsonObject).record_hash;
    assert.equal((secondIntegrity as JsonObject).previous_record_hash, previous);
    assert.equal(
      (secondIntegrity as JsonObject).record_hash,
      `sha256:${digestJcs({ ...secondBody, integrity: { previous_record_hash: previous } })}`,
    );
    assert.equal(verifyProofRecords(text, manifestFor(text), sizes), 2);
  });

  it("signed records carry the key id and base64: Ed25519 over the record hash text", () => {
    const key = generateSigningKey();
    const text = buildProofRecords(subject, entries, key);
    for (const line of text.split("\n")) {
      const integrity = (JSON.parse(line) as JsonObject).integrity as JsonObject;
      assert.equal(integrity.signing_key_id, key.keyId);
      const sig = String(integrity.signature);
      assert.match(sig, /^base64:/);
      assert.ok(verifyMessage(verifyKeyFor(key), Buffer.from(String(integrity.record_hash)), sig.slice(7)));
    }
    const options = { verifyKey: verifyKeyFor(key), requireSignature: true };
    assert.equal(verifyProofRecords(text, manifestFor(text), sizes, options), 2);
    assert.throws(
      () =>
        verifyProofRecords(text, manifestFor(text), sizes, {
          verifyKey: verifyKeyFor(generateSigningKey()),
          requireSignature: true,
        }),
      (error: unknown) => error instanceof GaitError && error.code === "pack_proof_records_invalid",
    );
  });

  it("records must describe the entries as stored (size from the zip)", () => {
    const text = buildProofRecords(subject, entries);
    assert.throws(
      () => verifyProofRecords(text, manifestFor(text), new Map([...sizes, ["a.zip", 1]])),
      (error: unknown) => error instanceof GaitError && error.code === "pack_proof_records_invalid",
    );
  });

  it("no entries: an empty file", () => {
    assert.equal(buildProofRecords(subject, []), "");
  });
});
