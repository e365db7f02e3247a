/**
 * The PackSpec manifest: pack_id and signature rules, the strict parser's refusals, and property
 * tests that no input makes it fail any other way than with its coded error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalize, digestJcs, type JsonObject } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, signJson, verifyJson, verifyKeyFor } from "../../src/contract/signing.ts";
import {
  buildPackManifest,
  entryType,
  type PackManifest,
  PackManifestSchema,
  packIdOf,
  parsePackManifest,
  signablePackManifest,
} from "../../src/pack/index.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const files = [
  { path: "run_payload.json", data: Buffer.from("{}") },
  { path: "source/runpack.zip", data: Buffer.from("zip") },
  { path: "proof_records.jsonl", data: Buffer.from("") },
];
const fields = { packType: "run" as const, sourceRef: "run_demo", producerVersion: "0.0.0-test", files };

function manifestError(fn: () => unknown): GaitError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GaitError, `not a GaitError: ${String(error)}`);
    assert.equal(error.code, "pack_manifest_invalid", error.message);
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail("expected pack_manifest_invalid");
}

const asJson = (manifest: PackManifest) => JSON.parse(canonicalize(manifest)) as JsonObject;

describe("pack manifest", () => {
  it("lists every entry in byte order with its sha256 and type, at the fixed 1980 time", () => {
    const manifest = buildPackManifest(fields);
    assert.deepEqual(
      manifest.contents.map((e) => [e.path, e.type]),
      [
        ["proof_records.jsonl", "jsonl"],
        ["run_payload.json", "json"],
        ["source/runpack.zip", "zip"],
      ],
    );
    assert.equal(manifest.created_at, "1980-01-01T00:00:00Z");
    assert.equal(manifest.contents[1]!.sha256, digestJcs({}));
  });

  it("pack_id is DigestJCS of the manifest with pack_id empty and no signatures", () => {
    const manifest = buildPackManifest(fields);
    const { signatures: _none, ...rest } = manifest;
    assert.equal(manifest.pack_id, digestJcs({ ...rest, pack_id: "" }));
    assert.equal(packIdOf(manifest), manifest.pack_id);
    const signed = buildPackManifest(fields, () => ({
      alg: "ed25519",
      key_id: "k",
      sig: "s",
      signed_digest: "0".repeat(64),
    }));
    assert.equal(signed.pack_id, manifest.pack_id, "signatures do not change the pack_id");
  });

  it("the signature signs the manifest with its pack_id and without signatures", () => {
    const key = generateSigningKey();
    const manifest = buildPackManifest(fields, (signable) => {
      assert.equal(signable.signatures, undefined);
      assert.notEqual(signable.pack_id, "");
      return signJson(key, signable);
    });
    assert.equal(manifest.signatures?.[0]?.signed_digest, digestJcs(signablePackManifest(manifest)));
    assert.ok(verifyJson(verifyKeyFor(key), signablePackManifest(manifest), manifest.signatures?.[0]).ok);
  });

  it("validates against the public and the published manifest schema", { skip: publicSchemasSkip }, () => {
    const manifest = asJson(buildPackManifest(fields));
    assertPublicValid(manifest, "pack manifest");
    assertPublishedValid(manifest, "pack/manifest.schema.json");
  });

  it("entry types come from the extension", () => {
    assert.equal(entryType("a.json"), "json");
    assert.equal(entryType("a.JSONL"), "jsonl");
    assert.equal(entryType("source/runpack.zip"), "zip");
    assert.equal(entryType("summary.pdf"), "blob");
    assert.equal(entryType("noext"), "blob");
  });
});

describe("parsePackManifest", () => {
  const good = () => asJson(buildPackManifest(fields));
  const parse = (doc: unknown) => parsePackManifest(typeof doc === "string" ? doc : JSON.stringify(doc));

  it("reads back what the builder wrote, the timestamp normalized Go-style", () => {
    const manifest = buildPackManifest(fields);
    assert.deepEqual(parse(asJson(manifest)), manifest);
    assert.equal(
      parse({ ...good(), created_at: "1980-01-01T00:00:00.000+00:00" }).created_at,
      "1980-01-01T00:00:00Z",
    );
  });

  const refusals: Array<[string, (doc: JsonObject) => unknown]> = [
    ["an unknown member", (d) => ({ ...d, extra: 1 })],
    ["another schema_id", (d) => ({ ...d, schema_id: "gait.runpack.manifest" })],
    ["another schema_version", (d) => ({ ...d, schema_version: "2.0.0" })],
    ["an unknown pack_type", (d) => ({ ...d, pack_type: "voice" })],
    ["an empty source_ref", (d) => ({ ...d, source_ref: "" })],
    ["an empty producer_version", (d) => ({ ...d, producer_version: "" })],
    ["a short pack_id", (d) => ({ ...d, pack_id: "abc" })],
    ["a bad created_at", (d) => ({ ...d, created_at: "yesterday" })],
    ["missing contents", (d) => ({ ...d, contents: undefined })],
    ["null contents", (d) => ({ ...d, contents: null })],
    [
      "an entry with an unknown member",
      (d) => ({ ...d, contents: [{ ...(d.contents as JsonObject[])[0], mode: 1 }] }),
    ],
    ["a bad entry sha256", (d) => ({ ...d, contents: [{ path: "a.json", sha256: "x", type: "json" }] })],
    [
      "an entry type that is not its extension's",
      (d) => ({ ...d, contents: [{ path: "a.json", sha256: "a".repeat(64), type: "blob" }] }),
    ],
    [
      "a path declared twice",
      (d) => ({ ...d, contents: [(d.contents as JsonObject[])[0], (d.contents as JsonObject[])[0]] }),
    ],
    [
      "the manifest declared in itself",
      (d) => ({ ...d, contents: [{ path: "pack_manifest.json", sha256: "a".repeat(64), type: "json" }] }),
    ],
    ["signatures that are not a list", (d) => ({ ...d, signatures: {} })],
    [
      "a signature with an unknown member",
      (d) => ({ ...d, signatures: [{ alg: "ed25519", key_id: "k", sig: "s", x: 1 }] }),
    ],
    ["a signature without sig", (d) => ({ ...d, signatures: [{ alg: "ed25519", key_id: "k" }] })],
    [
      "a bad signed_digest",
      (d) => ({ ...d, signatures: [{ alg: "ed25519", key_id: "k", sig: "s", signed_digest: "zz" }] }),
    ],
  ];
  for (const [what, change] of refusals) {
    it(`refuses ${what}`, () => {
      manifestError(() => parse(change(good())));
    });
  }

  it("refuses duplicate member names, non-objects, invalid JSON and invalid UTF-8", () => {
    const text = canonicalize(good());
    manifestError(() => parse(`${text.slice(0, -1)},"pack_type":"job"}`));
    manifestError(() => parse("[]"));
    manifestError(() => parse("{"));
    manifestError(() => parsePackManifest(Buffer.from([0x7b, 0xff, 0x7d])));
  });

  it("property: arbitrary bytes are a manifest or a coded error, never a crash", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          parsePackManifest(bytes);
        } catch (error) {
          return error instanceof GaitError && error.code === "pack_manifest_invalid";
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it("property: arbitrary JSON values are a manifest or a coded error", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        try {
          parse(JSON.stringify(value));
        } catch (error) {
          return error instanceof GaitError && error.code === "pack_manifest_invalid";
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it("property: a good manifest with any member replaced by any JSON value parses only into a valid manifest", () => {
    const members = Object.keys(PackManifestSchema.properties);
    fc.assert(
      fc.property(fc.constantFrom(...members), fc.jsonValue({ maxDepth: 3 }), (member, value) => {
        const doc = { ...good(), [member]: value };
        let manifest: PackManifest;
        try {
          manifest = parse(doc);
        } catch (error) {
          return error instanceof GaitError && error.code === "pack_manifest_invalid";
        }
        // What the parser accepts, the public schema accepts too.
        if (publicSchemasSkip === false) assertPublicValid(asJson(manifest), "parsed manifest");
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
