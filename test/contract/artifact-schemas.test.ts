import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { writeError } from "../../src/cli/output.ts";
import {
  type CliErrorEnvelope,
  CliErrorEnvelopeSchema,
  ERROR_CATEGORIES,
  type Signature,
  SignatureSchema,
} from "../../src/contract/artifact-schemas.ts";
import { digestJcs, sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError, invalidInput } from "../../src/contract/errors.ts";
import { createSchemaRegistry } from "../../src/contract/schema.ts";
import { publishedSchemaDocument, publishedSchemaId, publishedSchemas } from "../../src/schemas.ts";
import { conformanceSkip, vectorPath } from "../helpers/conformance.ts";

const registry = createSchemaRegistry(publishedSchemas.map(publishedSchemaDocument));
const idOf = (schema: unknown) =>
  publishedSchemaId(publishedSchemas.find((entry) => entry.schema === schema)!);
const signatureId = idOf(SignatureSchema);
const envelopeId = idOf(CliErrorEnvelopeSchema);

/** Signs like Gait's JSON signer: Ed25519 over the 32 raw bytes of sha256(JCS(signable)). */
function signatureFor(signable: unknown): Signature {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const rawPublic = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const digest = digestJcs(signable);
  return {
    alg: "ed25519",
    key_id: sha256Hex(rawPublic),
    sig: sign(null, Buffer.from(digest, "hex"), privateKey).toString("base64"),
    signed_digest: digest,
  };
}

describe("signature envelope schema", () => {
  it("accepts a signature made the Gait way", async () => {
    assert.deepEqual(await registry.validate(signatureId, signatureFor({ schema_id: "x" })), { ok: true });
  });

  it("accepts the signatures of the reference signing vectors", { skip: conformanceSkip }, async () => {
    for (const file of ["approval_token_signed.json", "delegation_token_signed.json", "trace_signed.json"]) {
      const doc = JSON.parse(readFileSync(vectorPath("signing-compat", file), "utf8")) as {
        signature: unknown;
      };
      assert.deepEqual(await registry.validate(signatureId, doc.signature), { ok: true }, file);
    }
  });

  it("rejects a wrong algorithm, non-canonical hex or base64, a short signature and extra members", async () => {
    const good = signatureFor({ n: 1 });
    const bad: Array<[string, unknown]> = [
      ["alg", { ...good, alg: "ED25519" }],
      ["upper-case key_id", { ...good, key_id: good.key_id.toUpperCase() }],
      ["short signed_digest", { ...good, signed_digest: good.signed_digest.slice(2) }],
      ["unpadded sig", { ...good, sig: good.sig.replace(/=+$/, "") }],
      ["url-safe sig", { ...good, sig: `${"-".repeat(85)}A==` }],
      ["63-byte sig", { ...good, sig: Buffer.alloc(63, 7).toString("base64") }],
      ["non-zero trailing bits", { ...good, sig: `${"A".repeat(85)}B==` }],
      ["missing signed_digest", { alg: good.alg, key_id: good.key_id, sig: good.sig }],
      ["extra member", { ...good, note: "x" }],
    ];
    for (const [label, doc] of bad)
      assert.equal((await registry.validate(signatureId, doc)).ok, false, label);
  });
});

describe("CLI error envelope schema", () => {
  function envelopeOf(error: unknown, warnings: string[] = []): CliErrorEnvelope {
    const written: string[] = [];
    const streams = { stdout: (text: string) => written.push(text), stderr: () => {} };
    writeError(error, { json: true, correlationId: "0123456789abcdef01234567", warnings }, streams);
    return JSON.parse(written.join("")) as CliErrorEnvelope;
  }

  it("accepts what the output writer prints for every error category", async () => {
    for (const category of ERROR_CATEGORIES) {
      const envelope = envelopeOf(
        new GaitError(category, "some_code", "it failed", { details: { path: "a.json" } }),
      );
      assert.deepEqual(await registry.validate(envelopeId, envelope), { ok: true }, category);
    }
  });

  it("accepts envelopes with warnings and for non-Gait errors", async () => {
    assert.deepEqual(await registry.validate(envelopeId, envelopeOf(invalidInput("usage", "bad"), ["w"])), {
      ok: true,
    });
    assert.deepEqual(await registry.validate(envelopeId, envelopeOf(new Error("boom"))), { ok: true });
  });

  it("rejects ok:true, an unknown category and a non-snake_case code", async () => {
    const good = envelopeOf(new GaitError("invalid_input", "bad_input", "bad"));
    for (const doc of [
      { ...good, ok: true },
      { ...good, error_category: "oops" },
      { ...good, error_code: "Bad-Code" },
      { ...good, retryable: "no" },
    ]) {
      assert.equal((await registry.validate(envelopeId, doc)).ok, false, JSON.stringify(doc));
    }
  });
});
