/**
 * The artifact store's pure core and edges: age round trips and recognition, recipient and
 * identity parsing, key hooks (file, env, command with timeout, output cap and exit status), the
 * reference envelope (open, tamper, wrong key), the store seam (ciphertext only on disk, `.age`
 * names, identity required), and property tests: any bytes given to the readers end in a coded
 * error or the plain source, never an exception of another kind.
 */
import assert from "node:assert/strict";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import {
  ageDecrypt,
  ageEncrypt,
  isAgeCiphertext,
  openArtifact,
  openGaitEnvelope,
  parseEnvelopeKey,
  parseGaitEnvelope,
  parseIdentities,
  parseRecipients,
  readArtifactFile,
  readKeyMaterial,
  useArtifactStore,
  writeArtifactAtomic,
  writeArtifactNew,
} from "../../src/store/index.ts";
import { tempDir } from "../helpers/cli.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const other = await generateIdentity();

function codeOf(error: unknown): string {
  assert.ok(error instanceof GaitError, `expected a GaitError, got ${String(error)}`);
  return error.code;
}

async function rejectsWith(promise: Promise<unknown>, code: string, exit?: number): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal(codeOf(error), code);
    if (exit !== undefined) assert.equal((error as GaitError).exitCode, exit);
    return true;
  });
}

describe("age", () => {
  it("round trips bytes and text; the wrong identity is store_decrypt_failed (exit 2)", async () => {
    const plain = randomBytes(5000);
    const sealed = await ageEncrypt(plain, { recipients: [recipient] });
    assert.ok(isAgeCiphertext(sealed));
    assert.deepEqual(await ageDecrypt(sealed, { identities: [identity] }, "x"), plain);
    await rejectsWith(ageDecrypt(sealed, { identities: [other] }, "x"), "store_decrypt_failed", 2);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] ?? 0) ^ 1;
    await rejectsWith(ageDecrypt(flipped, { identities: [identity] }, "x"), "store_decrypt_failed", 2);
  });

  it("needs a recipient; parses recipient and identity files with comments, refuses anything else", async () => {
    await rejectsWith(ageEncrypt("x", { recipients: [] }), "store_recipient_required", 6);
    assert.deepEqual(parseRecipients(`# team\n${recipient}\n\n`, "f"), [recipient]);
    assert.throws(
      () => parseRecipients("age1NOTVALID", "f"),
      (e) => codeOf(e) === "store_recipient_invalid",
    );
    assert.deepEqual(parseIdentities(`# created: now\n# public key: ${recipient}\n${identity}\n`, "f"), [
      identity,
    ]);
    assert.throws(
      () => parseIdentities(`${identity}\nsomething else`, "f"),
      (e) => codeOf(e) === "store_identity_invalid",
    );
    assert.throws(
      () => parseIdentities(`${identity}\nnot-a-key`, "f"),
      (e: unknown) =>
        codeOf(e) === "store_identity_invalid" && !String((e as Error).message).includes(identity),
    );
  });

  it("isAgeCiphertext: binary and armored headers only", () => {
    assert.ok(isAgeCiphertext(Buffer.from("age-encryption.org/v1\n-> X25519 abc")));
    assert.ok(isAgeCiphertext(Buffer.from("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl")));
    assert.equal(isAgeCiphertext(Buffer.from("age-encryption.org/v")), false);
    assert.equal(isAgeCiphertext(Buffer.from("PK\u0003\u0004")), false);
    assert.equal(isAgeCiphertext(new Uint8Array()), false);
  });
});

describe("key hooks", () => {
  const temp = tempDir("gait-store-keys-");
  after(temp.cleanup);
  const context = { cwd: temp.dir, env: { KEY: identity, EMPTY: "" } };

  it("file, env and command give the key text", async () => {
    writeFileSync(join(temp.dir, "k.txt"), `${identity}\n`);
    assert.equal((await readKeyMaterial({ file: "k.txt" }, context)).text.trim(), identity);
    assert.equal((await readKeyMaterial({ env: "KEY" }, context)).text, identity);
    assert.equal((await readKeyMaterial({ command: "cat k.txt" }, context)).text.trim(), identity);
  });

  it("a missing file or variable is a coded error without the key", async () => {
    await rejectsWith(readKeyMaterial({ file: "none.txt" }, context), "file_not_found", 6);
    await rejectsWith(readKeyMaterial({ env: "EMPTY" }, context), "store_identity_invalid", 6);
    await rejectsWith(readKeyMaterial({ env: "UNSET_VAR" }, context), "store_identity_invalid", 6);
  });

  it("a command that fails, prints nothing, prints too much or hangs is store_key_command_failed (exit 2)", async () => {
    for (const command of [
      "exit 4",
      "true",
      "head -c 70000 /dev/zero | tr '\\0' a",
      "printf c2VjcmV0LW9uLXN0ZGVycg== | base64 -d >&2; exit 1",
    ]) {
      await assert.rejects(readKeyMaterial({ command }, context), (error: unknown) => {
        assert.equal(codeOf(error), "store_key_command_failed");
        assert.equal((error as GaitError).exitCode, 2);
        assert.equal(String((error as Error).message).includes("secret-on-stderr"), false);
        return true;
      });
    }
    await rejectsWith(
      readKeyMaterial({ command: "sleep 5" }, { ...context, timeoutMs: 200 }),
      "store_key_command_failed",
    );
  });
});

function envelopeFor(plain: Buffer, key: Buffer) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return {
    schema_id: "gait.guard.encrypted_artifact",
    schema_version: "1.0.0",
    created_at: "2026-02-06T12:00:00Z",
    producer_version: "0.0.0-dev",
    algorithm: "aes-256-gcm",
    key_source: { mode: "command", command: "kms-get" },
    nonce: nonce.toString("base64"),
    ciphertext: body.toString("base64"),
    plain_sha256: createHash("sha256").update(plain).digest("hex"),
    plain_size: plain.length,
  };
}

describe("the reference envelope", () => {
  const key = randomBytes(32);
  const plain = Buffer.from("evidence bytes");

  it("opens with the key; a wrong key, altered digest or size, or malformed field is exit 2", () => {
    const envelope = envelopeFor(plain, key);
    const text = Buffer.from(JSON.stringify(envelope));
    assert.deepEqual(openGaitEnvelope(parseGaitEnvelope(text, "e"), key, "e"), plain);
    assert.throws(
      () => openGaitEnvelope(parseGaitEnvelope(text, "e"), randomBytes(32), "e"),
      (e) => codeOf(e) === "store_decrypt_failed",
    );
    const lying = Buffer.from(JSON.stringify({ ...envelope, plain_size: 3 }));
    assert.throws(
      () => openGaitEnvelope(parseGaitEnvelope(lying, "e"), key, "e"),
      (e) => codeOf(e) === "store_envelope_digest_mismatch",
    );
    for (const broken of [
      { ...envelope, algorithm: "aes-128-gcm" },
      { ...envelope, nonce: "%%" },
      { ...envelope, plain_sha256: "x" },
    ]) {
      assert.throws(
        () => parseGaitEnvelope(Buffer.from(JSON.stringify(broken)), "e"),
        (e) => codeOf(e) === "store_envelope_invalid",
      );
    }
    assert.throws(
      () => parseEnvelopeKey("c2hvcnQ=", "$K"),
      (e) => codeOf(e) === "store_envelope_key_invalid",
    );
    assert.deepEqual(parseEnvelopeKey(`${key.toString("base64")}\n`, "$K"), key);
  });
});

describe("the store seam", () => {
  const temp = tempDir("gait-store-seam-");
  after(temp.cleanup);
  afterEach(() => useArtifactStore(undefined));
  const settings =
    (extra: Record<string, unknown> = {}) =>
    async () => ({
      recipients: [recipient],
      cwd: temp.dir,
      env: { AGE_ID: identity },
      ...extra,
    });
  const secret = "canary-4b1d secret value";

  it("plain mode writes the plain file under its own name", async () => {
    const path = join(temp.dir, "plain", "a.json");
    assert.equal(await writeArtifactAtomic(path, secret), path);
    assert.equal(readFileSync(path, "utf8"), secret);
    assert.equal(await openArtifact(path), path, "a plain source is handed on untouched");
  });

  it("encrypted mode writes only ciphertext under <name>.age, and reads it back only with an identity", async () => {
    useArtifactStore(settings());
    const dir = join(temp.dir, "sealed");
    const written = await writeArtifactAtomic(join(dir, "r.json"), secret);
    assert.equal(written, join(dir, "r.json.age"));
    const fresh = await writeArtifactNew((n) => (n < 3 ? join(dir, `t.${n}.json`) : undefined), secret);
    const again = await writeArtifactNew((n) => (n < 3 ? join(dir, `t.${n}.json`) : undefined), secret);
    assert.deepEqual([fresh.path, again.path], [join(dir, "t.0.json.age"), join(dir, "t.1.json.age")]);
    for (const name of readdirSync(dir)) {
      assert.match(name, /\.age$/);
      assert.equal(readFileSync(join(dir, name)).includes(secret), false);
    }
    await rejectsWith(readArtifactFile(written), "store_identity_required", 2);
    useArtifactStore(settings({ identity: { env: "AGE_ID" } }));
    assert.equal((await readArtifactFile(written)).toString("utf8"), secret);
    assert.equal(((await openArtifact(written)) as Buffer).toString("utf8"), secret);
  });

  it("the resolver runs once, on first use", async () => {
    let calls = 0;
    useArtifactStore(async () => {
      calls++;
      return { recipients: [], cwd: temp.dir, env: {} };
    });
    assert.equal(calls, 0);
    await writeArtifactAtomic(join(temp.dir, "once", "a"), "x");
    await writeArtifactAtomic(join(temp.dir, "once", "b"), "x");
    assert.equal(calls, 1);
  });

  it("property: any bytes end as the plain source or a coded error (exit 2 or 6), never another exception", async () => {
    useArtifactStore(settings({ identity: { env: "AGE_ID" } }));
    const sealed = Buffer.from(await ageEncrypt("x", { recipients: [recipient] }));
    const envelope = Buffer.from(JSON.stringify(envelopeFor(Buffer.from("x"), randomBytes(32))));
    const mutate = (base: Buffer) =>
      fc
        .tuple(
          fc.nat({ max: base.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          fc.nat({ max: base.length }),
        )
        .map(([at, xor, cut]) => {
          const copy = Buffer.from(base);
          copy[at] = (copy[at] ?? 0) ^ xor;
          return copy.subarray(0, Math.max(cut, 1));
        });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          mutate(sealed),
          mutate(envelope),
        ),
        async (bytes) => {
          try {
            const opened = await openArtifact(bytes);
            assert.ok(Buffer.isBuffer(opened));
          } catch (error) {
            assert.ok(error instanceof GaitError, `not coded: ${String(error)}`);
            assert.ok([2, 6].includes(error.exitCode), `${error.code} exit ${error.exitCode}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
