/**
 * `gait guard retain` through the built CLI on a generated tree of traces, packs and runpacks
 * (plain and encrypted) of known ages: the dry run lists and deletes nothing, the real run deletes
 * exactly the expired files, a locked file is kept and reported, the report is deterministic,
 * validates against the public schema and its detached signature verifies.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { digestJcs, sha256Hex } from "../../src/contract/canonical.ts";
import {
  encodePrivateKey,
  generateSigningKey,
  verifyDigest,
  verifyKeyFor,
} from "../../src/contract/signing.ts";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const NOW = "2026-02-06T12:00:00Z";
const NOW_SECONDS = Date.parse(NOW) / 1000;
const HOUR = 3600;

/** Path → age in hours. TTLs used: trace 24h, pack 72h. */
const TREE: Record<string, number> = {
  "traces/trace_old.json": 30,
  "traces/trace_old.2.json.age": 25,
  "traces/trace_new.json": 2,
  "traces/trace_locked.json": 48,
  "gait-out/runpack_run_a.zip": 100,
  "gait-out/runpack_run_b.zip.age": 10,
  "gait-out/evidence_pack_x.zip": 73,
  "gait-out/incident_pack_y.zip.gaitenc": 80,
  "gait-out/pack_z.zip": 71,
  "gait-out/notes.txt": 1000,
  "gait-out/regress_result.json": 1000,
};
const EXPIRED = [
  "gait-out/evidence_pack_x.zip",
  "gait-out/incident_pack_y.zip.gaitenc",
  "gait-out/runpack_run_a.zip",
  "traces/trace_old.2.json.age",
  "traces/trace_old.json",
];

function buildTree(root: string): void {
  for (const [path, hours] of Object.entries(TREE)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, `content of ${path}\n`);
    const at = NOW_SECONDS - hours * HOUR;
    utimesSync(full, at, at);
  }
  // Held by another gait process (this test's own pid is alive).
  writeFileSync(
    join(root, "traces/trace_locked.json.lock"),
    JSON.stringify({ schema_id: "gait.lock", pid: process.pid }),
  );
}

describe("gait guard retain (built CLI)", { skip: publicSchemasSkip }, () => {
  const temp = tempDir("gait-e2e-retain-");
  after(temp.cleanup);
  const gait = async (args: string[], expected: number): Promise<CliResult> => {
    const result = await runGait(args, { cwd: temp.dir, env: { HOME: join(temp.dir, "home") } });
    assert.equal(result.code, expected, `gait ${args.join(" ")}: ${result.stdout}${result.stderr}`);
    return result;
  };
  const root = join(temp.dir, "data");
  const ttl = ["--root", "data", "--trace-ttl", "24h", "--pack-ttl", "72h", "--now", NOW];

  it("dry run lists the expired files and deletes nothing", async () => {
    buildTree(root);
    const dry = await gait(["guard", "retain", ...ttl, "--dry-run", "--json"], 0);
    assert.deepEqual(dry.json?.deleted, EXPIRED);
    assert.deepEqual(dry.json?.busy, ["traces/trace_locked.json"]);
    const report = dry.json?.report as Record<string, unknown>;
    assertPublicValid(report, "dry-run report");
    assert.equal(report.scanned_files, 9);
    assert.equal(report.dry_run, true);
    for (const path of Object.keys(TREE)) assert.ok(existsSync(join(root, path)), `${path} must remain`);
  });

  it("a real run deletes exactly the expired files, keeps the locked one, and signs a deterministic report", async () => {
    const key = generateSigningKey();
    writeFileSync(join(temp.dir, "signer.key"), encodePrivateKey(key), { mode: 0o600 });
    const out = await gait(
      ["guard", "retain", ...ttl, "--report-out", "report.json", "--private-key", "signer.key", "--json"],
      0,
    );
    assert.equal(out.json?.signature_key_id, key.keyId);
    assert.deepEqual(out.json?.deleted, EXPIRED);
    for (const [path] of Object.entries(TREE)) {
      assert.equal(existsSync(join(root, path)), !EXPIRED.includes(path), path);
    }
    const text = readFileSync(join(temp.dir, "report.json"), "utf8");
    const report = JSON.parse(text) as Record<string, unknown>;
    assertPublicValid(report, "retention report");
    assert.equal(report.created_at, NOW);
    assert.equal(report.trace_ttl_seconds, 24 * HOUR);
    assert.equal(report.pack_ttl_seconds, 72 * HOUR);
    const kept = (report.kept_files as Array<Record<string, unknown>>).map((f) => [f.path, f.kind, f.action]);
    assert.deepEqual(kept, [
      ["gait-out/pack_z.zip", "pack", "kept"],
      ["gait-out/runpack_run_b.zip.age", "pack", "kept"],
      ["traces/trace_locked.json", "trace", "kept"],
      ["traces/trace_new.json", "trace", "kept"],
    ]);
    const deleted = report.deleted_files as Array<Record<string, unknown>>;
    assert.deepEqual(deleted[0], {
      path: "gait-out/evidence_pack_x.zip",
      kind: "pack",
      modified_at: "2026-02-03T11:00:00Z",
      age_seconds: 73 * HOUR,
      action: "deleted",
    });

    const signature = JSON.parse(readFileSync(join(temp.dir, "report.json.sig.json"), "utf8"));
    assertPublishedValid(signature, "guard/retention_report_signature.schema.json");
    assert.equal(signature.report_sha256, sha256Hex(text));
    assert.equal(signature.signature.signed_digest, digestJcs(report));
    const publicKey = verifyKeyFor(key);
    assert.deepEqual(verifyDigest(publicKey, digestJcs(report), signature.signature), { ok: true });
    const tampered = { ...report, dry_run: true };
    assert.equal(verifyDigest(publicKey, digestJcs(tampered), signature.signature).ok, false);

    // Same tree state, same --now: the same report, byte for byte.
    const again = await gait(["guard", "retain", ...ttl, "--dry-run", "--json"], 0);
    const second = again.json?.report as Record<string, unknown>;
    assert.deepEqual(second.kept_files, report.kept_files);
  });

  it("profiles from the flag or the config; bad TTL and root are exit 6", async () => {
    mkdirSync(join(temp.dir, ".gait"), { recursive: true });
    writeFileSync(join(temp.dir, ".gait/config.yaml"), "retention:\n  profile: long\n");
    const long = await gait(["guard", "retain", "--root", "data", "--now", NOW, "--dry-run", "--json"], 0);
    assert.equal((long.json?.report as Record<string, unknown> | undefined)?.trace_ttl_seconds, 720 * HOUR);
    const short = await gait(
      ["guard", "retain", "--root", "data", "--profile", "short", "--now", NOW, "--dry-run", "--json"],
      0,
    );
    assert.equal((short.json?.report as Record<string, unknown> | undefined)?.pack_ttl_seconds, 72 * HOUR);
    const bad = await gait(["guard", "retain", "--root", "data", "--trace-ttl", "soon", "--json"], 6);
    assert.equal(bad.json?.detail_code, "invalid_duration");
    const noRoot = await gait(["guard", "retain", "--root", "missing", "--json"], 6);
    assert.equal(noRoot.json?.detail_code, "retention_root_invalid");
  });
});
