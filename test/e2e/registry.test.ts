/**
 * gait registry end to end: publish a signed registry, install it from a folder, over http on
 * loopback (--allow-insecure-http) and over https (a certificate made with openssl at test time),
 * offline from the cache and --frozen from gait.lock; list, verify, gate eval --policy pack:...;
 * and every attack the issue lists, each exit 2 with its reason and nothing installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { parsePrivateKey } from "../../src/contract/signing.ts";
import {
  parseRegistryIndex,
  parseRegistryPack,
  registryPackDigest,
  signRegistryPack,
} from "../../src/registry/index.ts";
import { signRegistryIndex } from "../../src/registry/manifest.ts";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { startRegistryServer, type TestRegistryServer } from "../registry/server.ts";

const POLICY =
  "default_verdict: allow\nrules:\n  - name: block-delete\n    effect: block\n    match:\n      tool_names: [tool.delete]\n";
const INTENT = JSON.stringify({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-01-01T00:00:00Z",
  producer_version: "test",
  tool_name: "tool.delete",
  args: {},
  targets: [],
  context: { identity: "agent", workspace: "ws", risk_class: "high" },
});

let work: { dir: string; cleanup: () => void };
let reg: string;
let pub: string;
let other: string;
let projectCount = 0;

function packSource(dir: string, version: string, extra = ""): void {
  mkdirSync(join(dir, "docs"), { recursive: true });
  writeFileSync(
    join(dir, "gait-pack.yaml"),
    `name: baseline-safety\nversion: ${version}\npack_type: policy\nrisk_class: high\nuse_case: block destructive tools\ncompatibility: [">=0.1"]\npublisher: Acme\nsource: https://github.com/acme/packs\nartifacts:\n  - path: policy.yaml\n    media_type: application/yaml\n  - path: docs/README.md\n${extra}`,
  );
  writeFileSync(join(dir, "policy.yaml"), POLICY);
  writeFileSync(join(dir, "docs", "README.md"), `baseline ${version}\n`);
}

/** A fresh project folder. */
function project(): string {
  const dir = join(work.dir, `project-${++projectCount}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "intent.json"), INTENT);
  return dir;
}

/** A copy of the published registry, for tampering. */
function registryCopy(): string {
  const dir = join(work.dir, `reg-copy-${++projectCount}`);
  cpSync(reg, dir, { recursive: true });
  return dir;
}

function install(cwd: string, args: string[], key = pub): Promise<CliResult> {
  return runGait(
    [
      "registry",
      "install",
      ...args,
      "--public-key",
      key,
      "--cache-dir",
      join(cwd, "..", `cache-${cwd.split("-").at(-1)}`),
      "--json",
    ],
    { cwd },
  );
}

function assertRefused(result: CliResult, detail: string): void {
  assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
  assert.equal(result.json?.ok, false);
  assert.equal(result.json?.detail_code ?? result.json?.error_code, detail, result.stdout);
  assert.ok(typeof result.json?.error === "string" && result.json.error !== "");
}

function assertNothingInstalled(cwd: string): void {
  assert.equal(existsSync(join(cwd, ".gait", "packs", "baseline-safety")), false, "nothing half installed");
  assert.equal(existsSync(join(cwd, "gait.lock")), false, "no lockfile written");
}

const packDir = (root: string, version: string) => join(root, "packs", "baseline-safety", version);

before(async () => {
  work = tempDir("gait-registry-");
  reg = join(work.dir, "registry");
  for (const prefix of ["pub", "other"]) {
    const keys = await runGait(["keys", "init", "--out-dir", "keys", "--prefix", prefix], { cwd: work.dir });
    assert.equal(keys.code, 0, keys.stderr);
  }
  pub = join(work.dir, "keys", "pub_public.key");
  other = join(work.dir, "keys", "other_public.key");
  for (const version of ["1.0.0", "1.1.0"]) {
    const src = join(work.dir, `src-${version}`);
    packSource(src, version);
    const published = await runGait(
      ["registry", "publish", "--dir", src, "--out", reg, "--private-key", "keys/pub_private.key", "--json"],
      { cwd: work.dir },
    );
    assert.equal(published.code, 0, published.stdout + published.stderr);
    assert.equal(published.json?.pack_version, version);
  }
});
after(() => work.cleanup());

describe("registry publish", () => {
  it("writes a signed pack and a signed index that validate against the schemas", {
    skip: publicSchemasSkip,
  }, () => {
    const pack = JSON.parse(readFileSync(join(packDir(reg, "1.0.0"), "registry_pack.json"), "utf8"));
    assertPublicValid(pack, "registry pack", { schemaFile: "registry/registry_pack.schema.json" });
    assertPublishedValid(pack, "registry/registry_pack.schema.json");
    assert.equal(pack.publisher, "acme", "publisher normalized to lower case");
    const index = JSON.parse(readFileSync(join(reg, "index.json"), "utf8"));
    assertPublishedValid(index, "registry/index.schema.json");
    assert.deepEqual(
      index.packs.map((p: { pack_version: string }) => p.pack_version),
      ["1.0.0", "1.1.0"],
    );
    assert.equal(index.packs[0].digest, registryPackDigest(parseRegistryPack(JSON.stringify(pack))));
  });

  it("refuses to republish a version with other content, and needs a signing key", async () => {
    const src = join(work.dir, "src-changed");
    packSource(src, "1.0.0");
    writeFileSync(join(src, "policy.yaml"), `${POLICY}# changed\n`);
    const again = await runGait(
      ["registry", "publish", "--dir", src, "--out", reg, "--private-key", "keys/pub_private.key", "--json"],
      { cwd: work.dir },
    );
    assert.equal(again.code, 6, again.stdout);
    assert.equal(again.json?.detail_code, "registry_version_exists");
    const unsigned = await runGait(["registry", "publish", "--dir", src, "--out", reg, "--json"], {
      cwd: work.dir,
    });
    assert.equal(unsigned.code, 6);
    assert.equal(unsigned.json?.detail_code, "registry_key_required");
  });

  it("names the line of a bad gait-pack.yaml field", async () => {
    const src = join(work.dir, "src-bad");
    packSource(src, "1.0.0", "unknown_key: 1\n");
    const bad = await runGait(
      ["registry", "publish", "--dir", src, "--out", reg, "--private-key", "keys/pub_private.key", "--json"],
      {
        cwd: work.dir,
      },
    );
    assert.equal(bad.code, 6);
    assert.equal(bad.json?.detail_code, "registry_pack_unknown_field");
    assert.match(String(bad.json?.error), /gait-pack\.yaml:13:1: unknown field "unknown_key"/);
  });
});

describe("registry install from a folder", () => {
  let cwd: string;
  before(async () => {
    cwd = project();
  });

  it("installs the newest version, verified, into .gait/packs and the cache, pinned and locked", async () => {
    const result = await install(cwd, ["baseline-safety", "--source", reg, "--publisher-allowlist", "acme"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const [pack] = (result.json?.packs ?? []) as Array<Record<string, unknown>>;
    assert.equal(pack?.pack_version, "1.1.0");
    const installed = join(cwd, ".gait", "packs", "baseline-safety", "1.1.0");
    assert.equal(readFileSync(join(installed, "policy.yaml"), "utf8"), POLICY);
    assert.equal(readFileSync(String(pack?.pin_path), "utf8"), `sha256:${pack?.digest}\n`);
    assert.ok(existsSync(join(String(pack?.cache_path), "registry_pack.json")));
    const lock = JSON.parse(readFileSync(join(cwd, "gait.lock"), "utf8"));
    assertPublishedValid(lock, "registry/lock.schema.json");
    assert.equal(lock.packs[0].digest, pack?.digest);
    assert.equal(lock.packs[0].artifacts.length, 2);
  });

  it("lists and verifies what is installed; verification reports validate", async () => {
    const list = await runGait(
      [
        "registry",
        "list",
        "--public-key",
        pub,
        "--cache-dir",
        join(work.dir, `cache-${cwd.split("-").at(-1)}`),
        "--json",
      ],
      { cwd },
    );
    assert.equal(list.code, 0, list.stdout);
    const [entry] = (list.json?.packs ?? []) as Array<Record<string, unknown>>;
    assert.deepEqual([entry?.installed, entry?.pinned, entry?.verified], [true, true, true]);
    const verify = await runGait(
      [
        "registry",
        "verify",
        "--public-key",
        pub,
        "--cache-dir",
        join(work.dir, `cache-${cwd.split("-").at(-1)}`),
        "--json",
      ],
      { cwd },
    );
    assert.equal(verify.code, 0, verify.stdout);
    for (const report of (verify.json?.reports ?? []) as unknown[]) {
      if (!publicSchemasSkip)
        assertPublicValid(report, "verification report", {
          schemaFile: "registry/verification_report.schema.json",
        });
      assertPublishedValid(report, "registry/verification_report.schema.json");
    }
  });

  it("gate eval --policy pack:<name>/<file> evaluates the installed policy and names the pack and digest", async () => {
    const lock = JSON.parse(readFileSync(join(cwd, "gait.lock"), "utf8"));
    const result = await runGait(
      ["gate", "eval", "--policy", "pack:baseline-safety/policy.yaml", "--intent", "intent.json", "--json"],
      { cwd },
    );
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.equal(result.json?.verdict, "block");
    const policyPack = result.json?.policy_pack as Record<string, unknown>;
    assert.equal(policyPack.name, "baseline-safety");
    assert.equal(policyPack.version, "1.1.0");
    assert.equal(policyPack.digest, lock.packs[0].digest);
    const missing = await runGait(
      ["gate", "eval", "--policy", "pack:baseline-safety/nope.yaml", "--intent", "intent.json", "--json"],
      { cwd },
    );
    assert.equal(missing.code, 6);
    assert.equal(missing.json?.detail_code, "registry_policy_ref_invalid");
  });

  it("refuses a version rollback below gait.lock's", async () => {
    const result = await install(cwd, ["baseline-safety@1.0.0", "--source", reg]);
    assertRefused(result, "registry_version_rollback");
    assert.equal(JSON.parse(readFileSync(join(cwd, "gait.lock"), "utf8")).packs[0].pack_version, "1.1.0");
  });

  it("verify and gate eval catch an installed file changed afterwards (exit 2, a reason per pack)", async () => {
    const policy = join(cwd, ".gait", "packs", "baseline-safety", "1.1.0", "policy.yaml");
    writeFileSync(policy, "default_verdict: allow\n");
    writeFileSync(join(cwd, ".gait", "packs", "baseline-safety", "1.1.0", "extra.txt"), "x");
    const verify = await runGait(["registry", "verify", "--public-key", pub, "--json"], { cwd });
    assert.equal(verify.code, 2, verify.stdout);
    const [report] = (verify.json?.reports ?? []) as Array<{ status: string; failure_reasons: string[] }>;
    assert.equal(report?.status, "fail");
    assert.deepEqual(report?.failure_reasons, [
      "artifact_digest_mismatch:policy.yaml",
      "unexpected_file:extra.txt",
    ]);
    const gate = await runGait(
      ["gate", "eval", "--policy", "pack:baseline-safety/policy.yaml", "--intent", "intent.json", "--json"],
      { cwd },
    );
    assert.equal(gate.code, 2, gate.stdout);
    assert.equal(gate.json?.detail_code, "registry_artifact_digest_mismatch");
  });

  it("requires a publisher key", async () => {
    const result = await runGait(["registry", "install", "baseline-safety", "--source", reg, "--json"], {
      cwd: project(),
    });
    assert.equal(result.code, 6);
    assert.equal(result.json?.detail_code, "registry_key_required");
  });
});

describe("registry install refuses attacks (exit 2, a reason, nothing installed)", () => {
  it("a tampered artifact", async () => {
    const copy = registryCopy();
    writeFileSync(join(packDir(copy, "1.1.0"), "policy.yaml"), "default_verdict: allow\n");
    const cwd = project();
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", copy]),
      "registry_artifact_digest_mismatch",
    );
    assertNothingInstalled(cwd);
  });

  it("a tampered manifest", async () => {
    const copy = registryCopy();
    const path = join(packDir(copy, "1.1.0"), "registry_pack.json");
    writeFileSync(path, readFileSync(path, "utf8").replace('"risk_class": "high"', '"risk_class": "low"'));
    const cwd = project();
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", copy]),
      "registry_manifest_digest_mismatch",
    );
    assertNothingInstalled(cwd);
  });

  it("an unsigned index, and an index signed by another key", async () => {
    const copy = registryCopy();
    const index = JSON.parse(readFileSync(join(copy, "index.json"), "utf8"));
    delete index.signatures;
    writeFileSync(join(copy, "index.json"), JSON.stringify(index));
    const cwd = project();
    assertRefused(await install(cwd, ["baseline-safety", "--source", copy]), "registry_index_unsigned");
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", reg], other),
      "registry_index_signature_invalid",
    );
    assertNothingInstalled(cwd);
  });

  it("an unknown publisher", async () => {
    const cwd = project();
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", reg, "--publisher-allowlist", "someone-else"]),
      "registry_publisher_not_allowed",
    );
    assertNothingInstalled(cwd);
  });

  it("a pin mismatch", async () => {
    const cwd = project();
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", reg, "--pin", `sha256:${"0".repeat(64)}`]),
      "registry_pin_mismatch",
    );
    assertNothingInstalled(cwd);
  });

  it("path traversal in a signed artifact path", async () => {
    const copy = registryCopy();
    const key = parsePrivateKey(readFileSync(join(work.dir, "keys", "pub_private.key"), "utf8"), "key");
    const path = join(packDir(copy, "1.1.0"), "registry_pack.json");
    const pack = JSON.parse(readFileSync(path, "utf8"));
    pack.artifacts[0].path = "../../../../escape.txt";
    // Signed with the right key: only the path rule stops it.
    const { signatures: _s, ...unsigned } = pack;
    const signed = signRegistryPack(unsigned, key);
    writeFileSync(path, JSON.stringify(signed));
    const index = parseRegistryIndex(readFileSync(join(copy, "index.json"), "utf8"));
    const { digest: _d, ...rest } = index.packs[1]!;
    index.packs[1] = { ...rest, digest: registryPackDigestUnchecked(signed) };
    writeFileSync(join(copy, "index.json"), JSON.stringify(signRegistryIndex(index, key)));
    const cwd = project();
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", copy]),
      "registry_artifact_path_invalid",
    );
    assertNothingInstalled(cwd);
    assert.equal(existsSync(join(work.dir, "escape.txt")), false);
  });

  it("an oversized download", async () => {
    const cwd = project();
    assertRefused(
      await install(cwd, ["baseline-safety", "--source", reg, "--max-download-bytes", "64"]),
      "registry_download_too_large",
    );
    assertNothingInstalled(cwd);
  });
});

/** The digest of metadata the normal parser refuses (an unsafe path): canonical digest without signatures. */
function registryPackDigestUnchecked(pack: Record<string, unknown>): string {
  const { signatures: _s, ...rest } = pack;
  return digestJcs(rest);
}

describe("registry install over http on loopback", () => {
  let server: TestRegistryServer;
  let cwd: string;
  before(async () => {
    server = await startRegistryServer(reg);
    cwd = project();
  });
  after(() => server.stop());

  it("refuses plain http without --allow-insecure-http", async () => {
    const result = await install(project(), ["baseline-safety", "--source", `${server.url}/reg`]);
    assert.equal(result.code, 6);
    assert.equal(result.json?.detail_code, "registry_insecure_source");
  });

  it("installs, retrying a transient 503, then --frozen reproduces the lockfile and --offline works with the server stopped", async () => {
    const first = await install(cwd, [
      "baseline-safety@1.0.0",
      "--source",
      `${server.url}/flaky`,
      "--allow-insecure-http",
      "--retry-base-delay",
      "10ms",
    ]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(server.hits.get("/flaky/index.json"), 2, "one retry after the 503");
    const lockText = readFileSync(join(cwd, "gait.lock"), "utf8");
    // A teammate's checkout: only gait.lock; --frozen installs exactly it from the recorded source.
    const mate = project();
    writeFileSync(join(mate, "gait.lock"), lockText);
    const frozen = await install(mate, ["--frozen", "--allow-insecure-http"]);
    assert.equal(frozen.code, 0, frozen.stdout + frozen.stderr);
    assert.equal(readFileSync(join(mate, "gait.lock"), "utf8"), lockText);
    await server.stop();
    // Same cache as the first install (the cache dir follows the project number in install()).
    const offlineProject = join(work.dir, "offline-project");
    mkdirSync(offlineProject);
    writeFileSync(join(offlineProject, "gait.lock"), lockText);
    const offline = await runGait(
      [
        "registry",
        "install",
        "--frozen",
        "--offline",
        "--public-key",
        pub,
        "--cache-dir",
        join(work.dir, `cache-${cwd.split("-").at(-1)}`),
        "--json",
      ],
      { cwd: offlineProject },
    );
    assert.equal(offline.code, 0, offline.stdout + offline.stderr);
    assert.equal(((offline.json?.packs ?? []) as Array<{ from_cache: boolean }>)[0]?.from_cache, true);
    assert.equal(readFileSync(join(offlineProject, "gait.lock"), "utf8"), lockText);
    assert.equal(
      readFileSync(join(offlineProject, ".gait", "packs", "baseline-safety", "1.0.0", "policy.yaml"), "utf8"),
      POLICY,
    );
  });

  it("--frozen fails on drift from gait.lock", async () => {
    const mate = project();
    const lock = JSON.parse(readFileSync(join(cwd, "gait.lock"), "utf8"));
    lock.packs[0].digest = "1".repeat(64);
    lock.packs[0].source = reg;
    writeFileSync(join(mate, "gait.lock"), JSON.stringify(lock));
    const result = await install(mate, ["--frozen"]);
    assertRefused(result, "registry_frozen_drift");
  });
});

describe("registry install: redirects and caps over http", () => {
  let server: TestRegistryServer;
  before(async () => {
    server = await startRegistryServer(reg);
  });
  after(() => server.stop());

  it("refuses a redirect to a host not allowed", async () => {
    const cwd = project();
    assertRefused(
      await install(cwd, [
        "baseline-safety",
        "--source",
        `${server.url}/redirect-out`,
        "--allow-insecure-http",
      ]),
      "registry_redirect_not_allowed",
    );
    assertNothingInstalled(cwd);
  });

  it("follows a redirect to a host given with --allow-host", async () => {
    const result = await install(project(), [
      "baseline-safety",
      "--source",
      `${server.url}/redirect-ok`,
      "--allow-insecure-http",
      "--allow-host",
      "localhost",
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it("caps a download without a content-length", async () => {
    const cwd = project();
    assertRefused(
      await install(cwd, [
        "baseline-safety",
        "--source",
        `${server.url}/chunked`,
        "--allow-insecure-http",
        "--max-download-bytes",
        "100",
      ]),
      "registry_download_too_large",
    );
    assertNothingInstalled(cwd);
  });

  it("does not retry a 404", async () => {
    const result = await install(project(), [
      "baseline-safety",
      "--source",
      `${server.url}/missing`,
      "--allow-insecure-http",
    ]);
    assert.equal(result.code, 1);
    assert.equal(result.json?.detail_code, "registry_fetch_failed");
    assert.equal(server.hits.get("/missing/index.json"), 1);
  });
});

const openssl = spawnSync("openssl", ["version"]).status === 0;
const httpsSkip = openssl ? false : "openssl is not available to make a test certificate";
if (httpsSkip && process.env.CI === "true") throw new Error("CI=true: the https registry test needs openssl");

describe("registry install over https on loopback", { skip: httpsSkip }, () => {
  it("installs from an https registry trusted through NODE_EXTRA_CA_CERTS", async () => {
    const key = join(work.dir, "tls.key");
    const cert = join(work.dir, "tls.crt");
    const made = spawnSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ]);
    assert.equal(made.status, 0, String(made.stderr));
    const server = await startRegistryServer(reg, {
      tls: { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") },
    });
    try {
      const cwd = project();
      const untrusted = await install(cwd, [
        "baseline-safety",
        "--source",
        `${server.url}/reg`,
        "--retry-max-attempts",
        "1",
      ]);
      assert.equal(untrusted.code, 1, "an untrusted certificate is refused");
      const result = await runGait(
        [
          "registry",
          "install",
          "baseline-safety",
          "--source",
          `${server.url}/reg`,
          "--public-key",
          pub,
          "--cache-dir",
          join(cwd, "cache"),
          "--json",
        ],
        { cwd, env: { NODE_EXTRA_CA_CERTS: cert } },
      );
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(
        JSON.parse(readFileSync(join(cwd, "gait.lock"), "utf8")).packs[0].source,
        `${server.url}/reg`,
      );
    } finally {
      await server.stop();
    }
  });
});

describe("registry commands describe themselves", () => {
  for (const sub of ["publish", "install", "list", "verify"]) {
    it(`registry ${sub} --help and --explain`, async () => {
      const help = await runGait(["registry", sub, "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--json|Usage/);
      const explain = await runGait(["registry", sub, "--explain"]);
      assert.equal(explain.code, 0);
      assert.ok(explain.stdout.trim().length > 20);
    });
  }
});
