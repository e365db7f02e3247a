import assert from "node:assert/strict";
import { verify as nodeVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  keyIdFor,
  parsePrivateKey,
  parsePublicKey,
  signDigest,
  signJson,
  type VerifyKey,
  verifyDigest,
  verifyJson,
  verifyKeyFor,
  withoutSignature,
} from "../../src/contract/signing.ts";
import { verifyTrace } from "../../src/gate/trace.ts";
import { conformanceAvailable, conformanceSkip, vectorPath } from "../helpers/conformance.ts";

interface Vectors {
  scenario_key: { private_key_b64: string; public_key_b64: string; key_id: string };
  approval_expired: { token_signed_digest: string };
  signing_compat: {
    public_key_hex: string;
    key_id: string;
    approval_token_signed_digest: string;
    delegation_token_signed_digest: string;
    trace_signed_digest_raw_object: string;
    trace_signed_digest_struct_projection: string;
  };
}

const vectors: Vectors | undefined = conformanceAvailable
  ? (JSON.parse(readFileSync(vectorPath("vectors.json"), "utf8")) as Vectors)
  : undefined;

function readJson(...parts: string[]): Record<string, unknown> {
  return JSON.parse(readFileSync(vectorPath(...parts), "utf8")) as Record<string, unknown>;
}

function compatKey(): VerifyKey {
  const hex = readFileSync(vectorPath("signing-compat", "public_key.hex"), "utf8").trim();
  return parsePublicKey(Buffer.from(hex, "hex").toString("base64"), "public_key.hex");
}

/** The convention Gait does NOT use: Ed25519 over the UTF-8 text of the hex digest. */
function verifiesOverHexText(key: VerifyKey, digestHex: string, sigB64: string): boolean {
  return nodeVerify(null, Buffer.from(digestHex, "utf8"), key.publicKey, Buffer.from(sigB64, "base64"));
}

const compatFiles = [
  ["approval_token_signed.json", "approval_token_signed_digest"],
  ["delegation_token_signed.json", "delegation_token_signed_digest"],
  ["trace_signed.json", "trace_signed_digest_raw_object"],
] as const;

describe("key ids and key formats", () => {
  it("derives the scenario key id and round-trips the scenario key", { skip: conformanceSkip }, () => {
    const v = vectors!.scenario_key;
    const key = parsePrivateKey(`  ${v.private_key_b64}\n`, "scenario");
    assert.equal(key.keyId, v.key_id);
    assert.equal(encodePrivateKey(key), v.private_key_b64);
    assert.equal(encodePublicKey(key), v.public_key_b64);
    assert.equal(parsePublicKey(v.public_key_b64, "scenario").keyId, v.key_id);
  });

  it("derives the signing-compat key id from the raw public key", { skip: conformanceSkip }, () => {
    const v = vectors!.signing_compat;
    assert.equal(keyIdFor(Buffer.from(v.public_key_hex, "hex")), v.key_id);
    assert.equal(compatKey().keyId, v.key_id);
  });

  it("rejects a 32-byte seed alone, other lengths and bad base64, without echoing the key", () => {
    const key = generateSigningKey();
    const full = Buffer.from(encodePrivateKey(key), "base64");
    const seedOnly = full.subarray(0, 32).toString("base64");
    assert.throws(
      () => parsePrivateKey(seedOnly, "seed.key"),
      (e: unknown) =>
        e instanceof GaitError &&
        e.code === "invalid_private_key" &&
        e.category === "invalid_input" &&
        e.message.includes("invalid private key length") &&
        !e.message.includes(seedOnly),
    );
    assert.throws(() => parsePrivateKey(`${seedOnly}!`, "x"), /not standard base64/);
    assert.throws(() => parsePrivateKey("", "x"), /invalid private key length 0/);
    assert.throws(() => parsePublicKey(full.toString("base64"), "x"), /invalid public key length 64/);
    assert.throws(() => parsePublicKey("not base64", "x"), { code: "invalid_public_key" });
  });

  it("rejects a private key whose embedded public key does not match its seed", () => {
    const a = Buffer.from(encodePrivateKey(generateSigningKey()), "base64");
    const b = Buffer.from(encodePrivateKey(generateSigningKey()), "base64");
    const spliced = Buffer.concat([a.subarray(0, 32), b.subarray(32)]).toString("base64");
    assert.throws(() => parsePrivateKey(spliced, "spliced.key"), /does not match the seed/);
  });

  it("generated keys survive encode/parse", () => {
    const key = generateSigningKey();
    const again = parsePrivateKey(encodePrivateKey(key), "mem");
    assert.equal(again.keyId, key.keyId);
    assert.equal(parsePublicKey(encodePublicKey(key), "mem").keyId, key.keyId);
    assert.match(key.keyId, /^[0-9a-f]{64}$/);
  });
});

describe("reference signatures (raw 32-byte digest convention)", () => {
  for (const [file, digestField] of compatFiles) {
    it(`${file} verifies over the raw digest, not over the hex text`, { skip: conformanceSkip }, () => {
      const artifact = readJson("signing-compat", file);
      const envelope = artifact.signature as { sig: string; signed_digest: string };
      const signable = withoutSignature(artifact);
      const digest = digestJcs(signable);
      assert.equal(digest, vectors!.signing_compat[digestField]);
      assert.equal(envelope.signed_digest, digest);
      const key = compatKey();
      assert.deepEqual(verifyJson(key, signable, envelope), { ok: true });
      assert.equal(verifiesOverHexText(key, digest, envelope.sig), false);
    });
  }

  it("trace verify rejects the hand-made trace as the reference does, and says why", {
    skip: conformanceSkip,
  }, () => {
    // The file lacks observed_at; the reference verifier re-marshals its struct, which renders
    // the zero time, so the digest it checks is the struct projection's (CONTRACTS §12 caveat).
    const trace = readJson("signing-compat", "trace_signed.json");
    const projected = { ...withoutSignature(trace), observed_at: "0001-01-01T00:00:00Z" };
    assert.equal(digestJcs(projected), vectors!.signing_compat.trace_signed_digest_struct_projection);
    const result = verifyTrace(trace, compatKey());
    assert.equal(result.ok, false);
    assert.equal(result.signatureStatus, "failed");
    assert.match(result.reason ?? "", /observed_at is missing \(read as 0001-01-01T00:00:00Z\)/);
    assert.match(result.reason ?? "", /reference verifier rejects it too/);
    // With observed_at present and signed, the same trace verifies.
    const key = generateSigningKey();
    const complete = { ...projected, signature: signJson(key, projected) };
    assert.equal(verifyTrace(complete, verifyKeyFor(key)).ok, true);
  });

  it("the expired approval token verifies with approval_public.key", { skip: conformanceSkip }, () => {
    const token = readJson("approval-expired", "approval-token.json");
    const key = parsePublicKey(
      readFileSync(vectorPath("approval-expired", "approval_public.key"), "utf8"),
      "approval_public.key",
    );
    assert.equal(digestJcs(withoutSignature(token)), vectors!.approval_expired.token_signed_digest);
    assert.equal(
      (token.signature as { signed_digest: string }).signed_digest,
      "dd3578d12548120721acf756ea331656feaff48f2c33edb9f0fd47ef40462796",
    );
    assert.deepEqual(verifyJson(key, withoutSignature(token), token.signature), { ok: true });
  });

  it("re-signing the expired token with the scenario key reproduces its sig", {
    skip: conformanceSkip,
  }, () => {
    const token = readJson("approval-expired", "approval-token.json");
    const key = parsePrivateKey(vectors!.scenario_key.private_key_b64, "scenario");
    assert.deepEqual(signJson(key, withoutSignature(token)), token.signature);
  });
});

describe("tamper evidence", () => {
  const signedFiles = [
    ["approval-expired", "approval-token.json"],
    ["signing-compat", "approval_token_signed.json"],
    ["signing-compat", "delegation_token_signed.json"],
    ["signing-compat", "trace_signed.json"],
  ] as const;

  for (const [dir, file] of signedFiles) {
    it(`flipping any bit of any byte of ${dir}/${file} breaks verification`, {
      skip: conformanceSkip,
    }, () => {
      const bytes = readFileSync(vectorPath(dir, file));
      const key =
        dir === "signing-compat"
          ? compatKey()
          : parsePublicKey(
              readFileSync(vectorPath(dir, "approval_public.key"), "utf8"),
              "approval_public.key",
            );
      const original = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
      assert.equal(verifyJson(key, withoutSignature(original), original.signature).ok, true);
      let stillJson = 0;
      for (let position = 0; position < bytes.length; position++) {
        for (let bit = 0; bit < 8; bit++) {
          const tampered = Buffer.from(bytes);
          tampered[position] = tampered[position]! ^ (1 << bit);
          let parsed: unknown;
          try {
            parsed = JSON.parse(tampered.toString("utf8"));
          } catch {
            continue; // no longer JSON: a reader rejects it before verification
          }
          if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) continue;
          stillJson++;
          const object = parsed as Record<string, unknown>;
          const result = verifyJson(key, withoutSignature(object), object.signature);
          assert.equal(result.ok, false, `byte ${position} bit ${bit} still verifies`);
        }
      }
      assert.ok(stillJson > bytes.length, "most flips should still parse, or the test proves little");
    });
  }
});

describe("sign and verify", () => {
  const signable = { schema_id: "gait.test", value: "hello", list: [1, 2, 3] };

  it("round-trips, with padded standard base64 and the JCS digest", () => {
    const key = generateSigningKey();
    const envelope = signJson(key, signable);
    assert.equal(envelope.alg, "ed25519");
    assert.equal(envelope.key_id, key.keyId);
    assert.equal(envelope.signed_digest, digestJcs(signable));
    assert.match(envelope.sig, /^[A-Za-z0-9+/]{86}==$/);
    assert.deepEqual(verifyJson(verifyKeyFor(key), signable, envelope), { ok: true });
    assert.deepEqual(verifyDigest(verifyKeyFor(key), envelope.signed_digest, envelope), { ok: true });
  });

  it("withoutSignature drops only the named member, without touching the input", () => {
    const artifact = { a: 1, signature: { sig: "x" }, signatures: [] };
    assert.deepEqual(withoutSignature(artifact), { a: 1, signatures: [] });
    assert.deepEqual(withoutSignature(artifact, "signatures"), { a: 1, signature: { sig: "x" } });
    assert.deepEqual(Object.keys(artifact), ["a", "signature", "signatures"]);
  });

  it("a tampered signable fails with signed_digest_mismatch", () => {
    const key = generateSigningKey();
    const envelope = signJson(key, signable);
    const result = verifyJson(verifyKeyFor(key), { ...signable, value: "hellO" }, envelope);
    assert.deepEqual(result.ok ? undefined : result.code, "signed_digest_mismatch");
  });

  it("a different key fails: by key_id when present, by signature when key_id is empty", () => {
    const signer = generateSigningKey();
    const other = verifyKeyFor(generateSigningKey());
    const envelope = signJson(signer, signable);
    const byId = verifyJson(other, signable, envelope);
    assert.equal(byId.ok ? undefined : byId.code, "signature_key_id_mismatch");
    const bySig = verifyJson(other, signable, { ...envelope, key_id: "" });
    assert.equal(bySig.ok ? undefined : bySig.code, "signature_invalid");
  });

  it("checks alg exactly unless foldAlgCase is set", () => {
    const key = generateSigningKey();
    const envelope = { ...signJson(key, signable), alg: "Ed25519" };
    const exact = verifyJson(verifyKeyFor(key), signable, envelope);
    assert.equal(exact.ok ? undefined : exact.code, "signature_alg_unsupported");
    assert.deepEqual(verifyJson(verifyKeyFor(key), signable, envelope, { foldAlgCase: true }), { ok: true });
    const rsa = verifyJson(verifyKeyFor(key), signable, { ...envelope, alg: "rsa" }, { foldAlgCase: true });
    assert.equal(rsa.ok, false);
  });

  it("bad envelopes fail with a code and reason, never throw", () => {
    const key = generateSigningKey();
    const vk = verifyKeyFor(key);
    const good = signJson(key, signable);
    const cases: Array<[unknown, string]> = [
      [undefined, "signature_missing"],
      [null, "signature_missing"],
      ["sig", "signature_malformed"],
      [[good], "signature_malformed"],
      [{ ...good, sig: 5 }, "signature_malformed"],
      [{ ...good, key_id: 7 }, "signature_malformed"],
      [withoutSignature(good, "key_id"), "signature_malformed"],
      [{ ...withoutSignature(good, "key_id"), Key_id: good.key_id }, "signature_malformed"],
      [{ ...good, note: "extra" }, "signature_malformed"],
      [withoutSignature(good, "signed_digest"), "signed_digest_missing"],
      [{ ...good, signed_digest: "" }, "signed_digest_missing"],
      [{ ...good, signed_digest: good.signed_digest.toUpperCase() }, "signed_digest_mismatch"],
      [{ ...good, sig: "%%%" }, "signature_encoding_invalid"],
      [{ ...good, sig: good.sig.slice(0, 84) }, "signature_encoding_invalid"],
      [{ ...good, sig: good.sig.replace(/==$/, "") }, "signature_encoding_invalid"],
      [{ ...good, sig: Buffer.alloc(63).toString("base64") }, "signature_encoding_invalid"],
      [{ ...good, sig: Buffer.alloc(64).toString("base64") }, "signature_invalid"],
    ];
    for (const [envelope, code] of cases) {
      const result = verifyJson(vk, signable, envelope);
      assert.equal(result.ok, false, JSON.stringify(envelope));
      if (!result.ok) {
        assert.equal(result.code, code, JSON.stringify(envelope));
        assert.ok(result.reason.length > 0);
      }
    }
  });

  it("rejects non-canonical base64 of an otherwise valid signature", () => {
    const key = generateSigningKey();
    const good = signJson(key, signable);
    // The last data character before "==" carries 2 bits; setting its 4 unused bits keeps the bytes.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const last = good.sig[85]!;
    const loose = alphabet[alphabet.indexOf(last) | 0b0001]!;
    const sig = `${good.sig.slice(0, 85)}${loose}==`;
    assert.notEqual(sig, good.sig);
    assert.deepEqual(Buffer.from(sig, "base64"), Buffer.from(good.sig, "base64"));
    const result = verifyJson(verifyKeyFor(key), signable, { ...good, sig });
    assert.equal(result.ok ? undefined : result.code, "signature_encoding_invalid");
  });

  it("signing a malformed digest is a programmer error", () => {
    const key = generateSigningKey();
    assert.throws(() => signDigest(key, "abc"), { code: "invalid_digest" });
    assert.throws(() => verifyDigest(verifyKeyFor(key), "ABC", {}), { code: "invalid_digest" });
  });
});
