/**
 * The encrypted artifact store and `gait guard encrypt|decrypt` through the built CLI: under
 * `store.encrypt`, demo, run record, gate eval and regress leave only `*.age` files and no known
 * plaintext anywhere in the tree; verify, trace verify and regress run read them with an identity
 * (flag, environment, command or config) and fail with exit 2 and `store_identity_required`
 * without one; age interop both ways with the `age` CLI (skipped visibly without it, a failure
 * under CI=true); the reference's envelope read with --format gait-aes-gcm; run record --redact.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { readZip } from "../../src/contract/zip.ts";
import { type CliResult, repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const policy = join(repoRoot, "templates", "policy", "baseline-highrisk.yaml");
/** Appears in every input we feed in, so it must appear in no file Gait wrote. */
const MARKER = "marker-7f3c-plaintext-canary";

function workspace(prefix: string) {
  const temp = tempDir(prefix);
  const home = join(temp.dir, "home");
  mkdirSync(home);
  const gait = async (args: string[], expected?: number, env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const result = await runGait(args, { cwd: temp.dir, env: { HOME: home, USERPROFILE: home, ...env } });
    if (expected !== undefined) {
      assert.equal(result.code, expected, `gait ${args.join(" ")}: ${result.stdout}${result.stderr}`);
    }
    return result;
  };
  return { ...temp, home, gait };
}

/** Every file under `dir` except the ones listed (relative paths, `/`-separated). */
function filesUnder(dir: string, skip: (path: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      const rel = relative(dir, full).split("\\").join("/");
      if (skip(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

function recordInput(runId: string) {
  const at = "2026-02-05T00:00:00Z";
  return {
    run: { run_id: runId, created_at: at, timeline: [{ event: "run_started", ts: at }] },
    intents: [
      { intent_id: "i1", tool_name: "tool.write", args: { path: `/workspace/${MARKER}`, password: MARKER } },
    ],
    results: [{ intent_id: "i1", status: "ok", result: { token: MARKER } }],
    refs: { receipts: [] },
    capture_mode: "raw",
  };
}

function intentFor(path: string) {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    producer_version: "0.0.0-test",
    tool_name: "tool.delete",
    args: { path },
    targets: [{ kind: "path", value: path, operation: "delete" }],
    arg_provenance: [{ arg_path: "$.path", source: "user" }],
    context: { identity: "agent.ops", workspace: "/workspace", risk_class: "high" },
  };
}

function ageCliOrSkip(t: TestContext): boolean {
  if (spawnSync("age", ["--version"]).error === undefined) return true;
  if (process.env.CI === "true") assert.fail("age not found (CI=true: .ci/run installs the age package)");
  t.skip("the age command-line tool is not installed (Debian package age)");
  return false;
}

describe("encrypted artifact store (built CLI)", () => {
  const ws = workspace("gait-e2e-store-");
  after(ws.cleanup);
  let identity: string;
  const keyFile = () => join(ws.dir, "keys", "age.key");

  before(async () => {
    identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    mkdirSync(join(ws.dir, "keys"));
    writeFileSync(keyFile(), `# test identity\n${identity}\n`, { mode: 0o600 });
    mkdirSync(join(ws.dir, ".gait"));
    writeFileSync(
      join(ws.dir, ".gait", "config.yaml"),
      `store:\n  encrypt:\n    recipients: [${recipient}]\n`,
    );
    mkdirSync(join(ws.dir, "inputs"));
    writeFileSync(join(ws.dir, "inputs", "run.json"), JSON.stringify(recordInput("run_secret")));
    writeFileSync(join(ws.dir, "inputs", "intent.json"), JSON.stringify(intentFor(`/workspace/${MARKER}`)));
  });

  it("demo, run record, gate eval and regress write only ciphertext: no known plaintext in the tree", async () => {
    const demo = await ws.gait(["demo", "--json"], 0);
    assert.equal(demo.json?.bundle, "./gait-out/runpack_run_demo.zip.age");
    const recorded = await ws.gait(
      ["run", "record", "inputs/run.json", "--capture-mode", "raw", "--json"],
      0,
    );
    assert.equal(recorded.json?.bundle, "./gait-out/runpack_run_secret.zip.age");
    const gate = await ws.gait(
      [
        "gate",
        "eval",
        "--policy",
        policy,
        "--intent",
        "inputs/intent.json",
        "--trace-dir",
        "traces",
        "--json",
      ],
      4,
    );
    assert.match(String(gate.json?.trace_path), /^\.\/traces\/trace_[0-9a-f]+\.json\.age$/);
    await ws.gait(["regress", "bootstrap", "--from", "run_demo", "--identity", keyFile(), "--json"], 0);

    const written = filesUnder(
      ws.dir,
      (p) => p === "inputs" || p === "keys" || p === "home" || p === ".gait",
    );
    const artifacts = written.filter((p) => /(runpack_|trace_|regress_result)/.test(p));
    assert.ok(artifacts.length >= 4, `expected the artifacts, found ${written.join(", ")}`);
    for (const path of artifacts) assert.match(path, /\.age$/, `${path} is not encrypted`);
    for (const path of written) {
      const bytes = readFileSync(join(ws.dir, path));
      assert.equal(bytes.includes(MARKER), false, `${path} holds the marker in plain`);
      if (artifacts.includes(path)) {
        assert.ok(
          bytes.subarray(0, 22).toString("latin1") === "age-encryption.org/v1\n",
          `${path} is not age`,
        );
        for (const plain of ["schema_id", "gait.gate.trace", "PK\u0003\u0004", "run_demo"]) {
          assert.equal(bytes.includes(plain), false, `${path} holds ${JSON.stringify(plain)}`);
        }
      }
    }
    // Not even a temp file was left behind.
    assert.deepEqual(
      written.filter((p) => p.includes(".tmp-")),
      [],
    );
  });

  it("verify reads encrypted runpacks with an identity from a file, the environment, a command or the config", async () => {
    const missing = await ws.gait(["verify", "run_secret", "--json"], 2);
    assert.equal(missing.json?.detail_code, "store_identity_required");
    assert.match(String(missing.json?.error), /an identity is needed/);
    await ws.gait(["verify", "run_secret", "--identity", keyFile(), "--json"], 0);
    await ws.gait(["verify", "run_secret", "--identity-env", "GAIT_TEST_AGE", "--json"], 0, {
      GAIT_TEST_AGE: identity,
    });
    await ws.gait(["verify", "run_secret", "--identity-command", `cat '${keyFile()}'`, "--json"], 0);
    const failing = await ws.gait(["verify", "run_secret", "--identity-command", "exit 3", "--json"], 2);
    assert.equal(failing.json?.detail_code, "store_key_command_failed");
    const other = await generateIdentity();
    const wrong = await ws.gait(["verify", "run_secret", "--identity-env", "K", "--json"], 2, { K: other });
    assert.equal(wrong.json?.detail_code, "store_decrypt_failed");
    assert.equal(wrong.stdout.includes(other), false, "the identity must never be echoed");
  });

  it("store.identity in the config opens traces and regress results read by trace verify and regress run", async () => {
    const config = readFileSync(join(ws.dir, ".gait", "config.yaml"), "utf8");
    writeFileSync(join(ws.dir, ".gait", "config.yaml"), `${config}  identity: keys/age.key\n`);
    const trace = readdirSync(join(ws.dir, "traces")).find((name) => name.startsWith("trace_"))!;
    const verified = await ws.gait(["trace", "verify", join("traces", trace), "--json"], 0);
    assert.equal(verified.json?.verdict, "require_approval");
    await ws.gait(["regress", "run", "--json"], 0);
    writeFileSync(join(ws.dir, ".gait", "config.yaml"), config);
    await ws.gait(["trace", "verify", join("traces", trace), "--json"], 2);
  });

  it("run record --redact replaces values by their digest; the runpack still verifies", async () => {
    const plain = workspace("gait-e2e-redact-");
    try {
      writeFileSync(join(plain.dir, "run.json"), JSON.stringify(recordInput("run_redacted")));
      const recorded = await plain.gait(
        [
          "run",
          "record",
          "run.json",
          "--capture-mode",
          "raw",
          "--redact",
          "intents[*].args.password,intents[*].args.path,results.*.result.token",
          "--json",
        ],
        0,
      );
      assert.equal(recorded.json?.redacted_values, 3);
      await plain.gait(["verify", "run_redacted", "--json"], 0);
      const zip = join(plain.dir, "gait-out", "runpack_run_redacted.zip");
      const { entries } = await readZip(zip);
      for (const entry of entries)
        assert.equal(entry.data.includes(MARKER), false, `${entry.path} holds the marker`);
      const intents = entries.find((e) => e.path === "intents.jsonl")!.data.toString("utf8");
      const digest = createHash("sha256").update(JSON.stringify(MARKER)).digest("hex");
      assert.ok(intents.includes(`sha256:${digest}`), "the digest of the JCS value stands in for it");
      const bad = await plain.gait(["run", "record", "run.json", "--redact", "intents[", "--json"], 6);
      assert.equal(bad.json?.detail_code, "runpack_redact_path_invalid");
    } finally {
      plain.cleanup();
    }
  });
});

describe("gait guard encrypt|decrypt (built CLI)", () => {
  const ws = workspace("gait-e2e-crypt-");
  after(ws.cleanup);
  const payload = Buffer.concat([Buffer.from(`${MARKER}\n`), randomBytes(70_000)]);

  it("round trip: encrypt to a recipient, decrypt with the identity, identical bytes; never overwrites", async () => {
    const identity = await generateIdentity();
    writeFileSync(join(ws.dir, "id.key"), `${identity}\n`);
    writeFileSync(join(ws.dir, "data.bin"), payload);
    const recipient = await identityToRecipient(identity);
    const sealed = await ws.gait(
      ["guard", "encrypt", "--in", "data.bin", "--recipient", recipient, "--json"],
      0,
    );
    assert.equal(sealed.json?.path, "./data.bin.age");
    await ws.gait(["guard", "encrypt", "--in", "data.bin", "--recipient", recipient, "--json"], 6);
    await ws.gait(
      ["guard", "decrypt", "--in", "data.bin.age", "--out", "round.bin", "--identity", "id.key"],
      0,
    );
    assert.deepEqual(readFileSync(join(ws.dir, "round.bin")), payload);
    const none = await ws.gait(["guard", "decrypt", "--in", "data.bin.age", "--out", "x.bin", "--json"], 2);
    assert.equal(none.json?.detail_code, "store_identity_required");
    const bad = await ws.gait(
      ["guard", "encrypt", "--in", "data.bin", "--recipient", "age1nope", "--json"],
      6,
    );
    assert.equal(bad.json?.detail_code, "store_recipient_invalid");
  });

  it("passphrase (scrypt) round trip", async () => {
    const env = { GAIT_TEST_PASS: "correct horse battery staple" };
    writeFileSync(join(ws.dir, "pp.txt"), payload);
    await ws.gait(["guard", "encrypt", "--in", "pp.txt", "--passphrase-env", "GAIT_TEST_PASS"], 0, env);
    await ws.gait(
      ["guard", "decrypt", "--in", "pp.txt.age", "--out", "pp.out", "--passphrase-env", "GAIT_TEST_PASS"],
      0,
      env,
    );
    assert.deepEqual(readFileSync(join(ws.dir, "pp.out")), payload);
  });

  it("interop: Gait's file decrypts with `age -d`, and `age -e` output decrypts with Gait", async (t) => {
    if (!ageCliOrSkip(t)) return;
    const keygen = spawnSync("age-keygen", ["-o", join(ws.dir, "cli.key")], { encoding: "utf8" });
    assert.equal(keygen.status, 0, keygen.stderr);
    const recipient = spawnSync("age-keygen", ["-y", join(ws.dir, "cli.key")], {
      encoding: "utf8",
    }).stdout.trim();
    writeFileSync(join(ws.dir, "interop.bin"), payload);
    await ws.gait(["guard", "encrypt", "--in", "interop.bin", "--recipient", recipient], 0);
    const decrypted = spawnSync("age", [
      "-d",
      "-i",
      join(ws.dir, "cli.key"),
      join(ws.dir, "interop.bin.age"),
    ]);
    assert.equal(decrypted.status, 0, String(decrypted.stderr));
    assert.deepEqual(decrypted.stdout, payload);
    const byCli = spawnSync("age", [
      "-r",
      recipient,
      "-o",
      join(ws.dir, "fromcli.age"),
      join(ws.dir, "interop.bin"),
    ]);
    assert.equal(byCli.status, 0, String(byCli.stderr));
    await ws.gait(
      ["guard", "decrypt", "--in", "fromcli.age", "--out", "fromcli.bin", "--identity", "cli.key"],
      0,
    );
    assert.deepEqual(readFileSync(join(ws.dir, "fromcli.bin")), payload);
    const armored = spawnSync("age", [
      "-a",
      "-r",
      recipient,
      "-o",
      join(ws.dir, "armored.age"),
      join(ws.dir, "interop.bin"),
    ]);
    assert.equal(armored.status, 0, String(armored.stderr));
    await ws.gait(
      ["guard", "decrypt", "--in", "armored.age", "--out", "armored.bin", "--identity", "cli.key"],
      0,
    );
    assert.deepEqual(readFileSync(join(ws.dir, "armored.bin")), payload);
  });

  it("reads the reference's gait.guard.encrypted_artifact envelope (--format gait-aes-gcm); tampering is exit 2", {
    skip: publicSchemasSkip,
  }, async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const body = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
    const envelope = {
      schema_id: "gait.guard.encrypted_artifact",
      schema_version: "1.0.0",
      created_at: "2026-02-06T12:00:00Z",
      producer_version: "0.0.0-dev",
      algorithm: "aes-256-gcm",
      key_source: { mode: "env", ref: "GAIT_GUARD_KEY" },
      nonce: nonce.toString("base64"),
      ciphertext: body.toString("base64"),
      plain_sha256: createHash("sha256").update(payload).digest("hex"),
      plain_size: payload.length,
    };
    assertPublicValid(envelope, "test envelope");
    writeFileSync(join(ws.dir, "ref.bin.gaitenc"), JSON.stringify(envelope));
    const env = { GAIT_GUARD_KEY: key.toString("base64") };
    const args = [
      "guard",
      "decrypt",
      "--in",
      "ref.bin.gaitenc",
      "--format",
      "gait-aes-gcm",
      "--identity-env",
      "GAIT_GUARD_KEY",
    ];
    await ws.gait([...args, "--json"], 0, env);
    assert.deepEqual(readFileSync(join(ws.dir, "ref.bin")), payload);
    await ws.gait(
      ["guard", "decrypt", "--in", "ref.bin.gaitenc", "--format", "age", "--out", "n", "--json"],
      6,
    );
    body[5] = (body[5] ?? 0) ^ 1;
    writeFileSync(
      join(ws.dir, "bad.gaitenc"),
      JSON.stringify({ ...envelope, ciphertext: body.toString("base64") }),
    );
    const tampered = await ws.gait(
      ["guard", "decrypt", "--in", "bad.gaitenc", "--identity-env", "GAIT_GUARD_KEY", "--json"],
      2,
      env,
    );
    assert.equal(tampered.json?.detail_code, "store_decrypt_failed");
    assert.equal(
      statSync(join(ws.dir, "bad"), { throwIfNoEntry: false }),
      undefined,
      "nothing written on failure",
    );
  });

  it("help and explain", async () => {
    for (const sub of ["encrypt", "decrypt", "retain"]) {
      const help = await ws.gait(["guard", sub, "--help"], 0);
      assert.match(help.stdout, /Examples:/);
      const explain = await ws.gait(["guard", sub, "--explain"], 0);
      assert.ok(explain.stdout.trim().length > 20);
    }
  });
});
