import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import {
  DEV_KEY_WARNING,
  type KeyIo,
  keyPairPaths,
  resolveSigningKey,
  resolveVerifyKey,
  rotationPrefix,
  writeKeyPair,
} from "../../src/contract/keys.ts";
import { encodePrivateKey, encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { tempDir } from "../helpers/cli.ts";

const tmp = tempDir("gait-keys-");
after(tmp.cleanup);

const pair = generateSigningKey();
const other = generateSigningKey();
writeFileSync(join(tmp.dir, "p.key"), `\n  ${encodePrivateKey(pair)}  \n`, { mode: 0o600 });
chmodSync(join(tmp.dir, "p.key"), 0o600);
writeFileSync(join(tmp.dir, "pub.key"), `${encodePublicKey(pair)}\n`);
writeFileSync(join(tmp.dir, "other_pub.key"), `${encodePublicKey(other)}\n`);
writeFileSync(join(tmp.dir, "loose.key"), encodePrivateKey(pair));
chmodSync(join(tmp.dir, "loose.key"), 0o644);

const io: KeyIo = {
  cwd: tmp.dir,
  env: { GAIT_TEST_KEY: ` ${encodePrivateKey(pair)}\n`, GAIT_TEST_PUB: encodePublicKey(pair), EMPTY: "  " },
};

function rejectsWith(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof GaitError, String(error));
    assert.equal(error.code, code);
    if (pattern) assert.match(error.message, pattern);
    assert.ok(error.hint.length > 0);
    return true;
  };
}

describe("signing key modes", () => {
  it("dev mode mints a fresh key each time and warns", async () => {
    const a = await resolveSigningKey({ mode: "dev" }, io);
    const b = await resolveSigningKey({ mode: "dev" }, io);
    assert.equal(a.mode, "dev");
    assert.deepEqual(a.warnings, [`${DEV_KEY_WARNING} (key_id ${a.key.keyId})`]);
    assert.equal(
      DEV_KEY_WARNING,
      "dev mode: ephemeral keypair generated; signatures will not verify across machines",
    );
    assert.notEqual(a.key.keyId, b.key.keyId);
  });

  it("dev mode rejects any explicit key source", async () => {
    for (const request of [
      { privateKey: { path: "p.key" } },
      { privateKey: { env: "GAIT_TEST_KEY" } },
      { publicKey: { path: "pub.key" } },
    ]) {
      await assert.rejects(
        resolveSigningKey({ mode: "dev", ...request }, io),
        rejectsWith("key_source_not_allowed", /dev mode does not accept explicit key sources/),
      );
    }
  });

  it("dev mode ignores empty sources", async () => {
    const r = await resolveSigningKey({ mode: "dev", privateKey: { path: " ", env: "" } }, io);
    assert.equal(r.mode, "dev");
  });

  it("prod mode requires a private key source", async () => {
    await assert.rejects(resolveSigningKey({ mode: "prod" }, io), (error: unknown) => {
      rejectsWith("key_source_missing")(error);
      assert.match((error as GaitError).hint, /--private-key PATH or --private-key-env VAR/);
      return true;
    });
    await assert.rejects(
      resolveSigningKey({ mode: "prod", publicKey: { path: "pub.key" } }, io),
      rejectsWith("key_source_missing"),
    );
  });

  it("prod mode loads a trimmed key file relative to cwd", async () => {
    const r = await resolveSigningKey({ mode: "prod", privateKey: { path: "p.key" } }, io);
    assert.equal(r.key.keyId, pair.keyId);
    assert.deepEqual(r.warnings, []);
  });

  it("prod mode reads the environment variable named by the source, trimmed", async () => {
    const r = await resolveSigningKey({ mode: "prod", privateKey: { env: "GAIT_TEST_KEY" } }, io);
    assert.equal(r.key.keyId, pair.keyId);
    await assert.rejects(
      resolveSigningKey({ mode: "prod", privateKey: { env: "EMPTY" } }, io),
      rejectsWith("key_env_unset", /EMPTY/),
    );
    await assert.rejects(
      resolveSigningKey({ mode: "prod", privateKey: { env: "GAIT_TEST_UNSET_VAR" } }, io),
      rejectsWith("key_env_unset"),
    );
  });

  it("a path and an env var for the same key conflict", async () => {
    await assert.rejects(
      resolveSigningKey({ mode: "prod", privateKey: { path: "p.key", env: "GAIT_TEST_KEY" } }, io),
      rejectsWith("key_source_conflict"),
    );
    await assert.rejects(
      resolveSigningKey(
        { mode: "prod", privateKey: { path: "p.key" }, publicKey: { path: "pub.key", env: "GAIT_TEST_PUB" } },
        io,
      ),
      rejectsWith("key_source_conflict"),
    );
  });

  it("a public key given with the private key must match it", async () => {
    const ok = await resolveSigningKey(
      { mode: "prod", privateKey: { path: "p.key" }, publicKey: { env: "GAIT_TEST_PUB" } },
      io,
    );
    assert.equal(ok.key.keyId, pair.keyId);
    await assert.rejects(
      resolveSigningKey(
        { mode: "prod", privateKey: { path: "p.key" }, publicKey: { path: "other_pub.key" } },
        io,
      ),
      (error: unknown) => {
        rejectsWith("key_pair_mismatch")(error);
        assert.equal((error as GaitError).category, "verification_failed");
        return true;
      },
    );
  });

  it("rejects a 32-byte seed alone without echoing it", async () => {
    const seed = Buffer.from(encodePrivateKey(pair), "base64").subarray(0, 32).toString("base64");
    await assert.rejects(
      resolveSigningKey(
        { mode: "prod", privateKey: { env: "SEED_ONLY" } },
        { ...io, env: { SEED_ONLY: seed } },
      ),
      (error: unknown) => {
        rejectsWith("invalid_private_key", /invalid private key length/)(error);
        assert.ok(!(error as GaitError).message.includes(seed));
        return true;
      },
    );
  });

  it("a missing key file is a coded error naming the path", async () => {
    await assert.rejects(
      resolveSigningKey({ mode: "prod", privateKey: { path: "missing.key" } }, io),
      rejectsWith("file_not_found", /missing\.key/),
    );
  });

  it("warns (does not fail) when the private key file is readable by others", async (t) => {
    if (process.platform === "win32") return t.skip("POSIX modes only");
    const r = await resolveSigningKey({ mode: "prod", privateKey: { path: "loose.key" } }, io);
    assert.equal(r.key.keyId, pair.keyId);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /loose\.key.*0644.*chmod 600/);
  });
});

describe("verify keys", () => {
  it("is undefined when no source is given", async () => {
    assert.equal(await resolveVerifyKey({}, io), undefined);
  });

  it("loads a public key, or derives it from a private key", async () => {
    assert.equal((await resolveVerifyKey({ publicKey: { path: "pub.key" } }, io))?.keyId, pair.keyId);
    assert.equal((await resolveVerifyKey({ privateKey: { env: "GAIT_TEST_KEY" } }, io))?.keyId, pair.keyId);
    const both = await resolveVerifyKey(
      { privateKey: { path: "p.key" }, publicKey: { path: "pub.key" } },
      io,
    );
    assert.equal(both?.keyId, pair.keyId);
  });

  it("rejects conflicting sources and mismatched pairs", async () => {
    await assert.rejects(
      resolveVerifyKey({ publicKey: { path: "pub.key", env: "GAIT_TEST_PUB" } }, io),
      rejectsWith("key_source_conflict"),
    );
    await assert.rejects(
      resolveVerifyKey({ privateKey: { path: "p.key" }, publicKey: { path: "other_pub.key" } }, io),
      rejectsWith("key_pair_mismatch"),
    );
  });

  it("passes the loose-mode warning to io.warn", async (t) => {
    if (process.platform === "win32") return t.skip("POSIX modes only");
    const warnings: string[] = [];
    await resolveVerifyKey({ privateKey: { path: "loose.key" } }, { ...io, warn: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
  });
});

describe("key files", () => {
  it("names pairs and rotations like the reference", () => {
    assert.deepEqual(keyPairPaths("gait-out/keys", "gait"), {
      privateKeyPath: join("gait-out/keys", "gait_private.key"),
      publicKeyPath: join("gait-out/keys", "gait_public.key"),
    });
    const at = Timestamp.parse("2026-02-05T01:02:03.456+02:00");
    assert.equal(rotationPrefix("gait", at), "gait_20260204T230203Z");
    for (const bad of ["", "..", "a/b", "a\\b"]) {
      assert.throws(() => keyPairPaths("keys", bad), { code: "invalid_key_prefix" });
    }
  });

  it("writes 0600/0644 base64 files and refuses to overwrite without force", async (t) => {
    const key = generateSigningKey();
    const paths = keyPairPaths("written", "k");
    await writeKeyPair(key, paths, { cwd: tmp.dir });
    const privatePath = join(tmp.dir, paths.privateKeyPath);
    const publicPath = join(tmp.dir, paths.publicKeyPath);
    assert.equal(readFileSync(privatePath, "utf8"), `${encodePrivateKey(key)}\n`);
    assert.equal(readFileSync(publicPath, "utf8"), `${encodePublicKey(key)}\n`);
    await assert.rejects(
      writeKeyPair(generateSigningKey(), paths, { cwd: tmp.dir }),
      rejectsWith("key_file_exists"),
    );
    assert.equal(readFileSync(privatePath, "utf8"), `${encodePrivateKey(key)}\n`);
    const replacement = generateSigningKey();
    await writeKeyPair(replacement, paths, { cwd: tmp.dir, force: true });
    assert.equal(readFileSync(publicPath, "utf8"), `${encodePublicKey(replacement)}\n`);
    if (process.platform === "win32") return t.skip("POSIX modes only");
    assert.equal(statSync(privatePath).mode & 0o777, 0o600);
    assert.equal(statSync(publicPath).mode & 0o777, 0o644);
  });
});
