/**
 * `gait pack` through the built CLI, from a fresh directory: the acceptance round trip (demo →
 * pack build → pack verify, unsigned `missing` and signed `verified`), determinism, tampering,
 * bad input, legacy runpacks, inspect, diff, job packs, help and explain.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readZip } from "../../src/contract/zip.ts";
import { packZip } from "../../src/pack/index.ts";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

/** Every `gait pack --json` output is a `gait.pack.output` (schemas/v1/pack/output.schema.json). */
function assertPackOutput(result: CliResult): void {
  assertPublishedValid(result.json, "pack/output.schema.json", `${String(result.json?.operation)} output`);
}

/** A member object of a command's JSON output (`{}` when absent). */
function part(result: CliResult, key: string): Record<string, unknown> {
  return (result.json?.[key] ?? {}) as Record<string, unknown>;
}

function workspace() {
  const temp = tempDir("gait-e2e-pack-");
  const home = join(temp.dir, "home");
  mkdirSync(home);
  const gait = (args: string[]) => runGait(args, { cwd: temp.dir, env: { HOME: home, USERPROFILE: home } });
  return { ...temp, gait };
}

describe("gait pack (built CLI)", () => {
  const ws = workspace();
  let unsigned = "";
  let signed = "";
  after(ws.cleanup);

  before(async () => {
    const demo = await ws.gait(["demo"]);
    assert.equal(demo.code, 0, demo.stderr);
  });

  it("demo → pack build --type run --from run_demo → pack verify: exit 0, signature missing", async () => {
    const build = await ws.gait(["pack", "build", "--type", "run", "--from", "run_demo", "--json"]);
    assert.equal(build.code, 0, build.stdout + build.stderr);
    assert.equal(build.json?.schema_id, "gait.pack.output");
    assert.equal(build.json?.operation, "build");
    assert.equal(build.json?.pack_type, "run");
    assert.equal(build.json?.source_ref, "run_demo");
    assertPackOutput(build);
    unsigned = String(build.json?.path);
    assert.equal(unsigned, `./gait-out/pack_${build.json?.pack_id}.zip`);
    const verify = await ws.gait(["pack", "verify", unsigned, "--json"]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal(verify.json?.ok, true);
    assertPackOutput(verify);
    const result = verify.json?.verify as Record<string, unknown>;
    assert.equal(result.signature_status, "missing");
    assert.equal(result.files_checked, 3);
    assert.equal(result.proof_records_verified, 2);
    assert.equal(result.missing_files, undefined, "empty lists are left out");
    const human = await ws.gait(["pack", "verify", unsigned]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^pack verify: ok pack_id=[0-9a-f]{64} pack_type=run source_ref=run_demo/);
  });

  it("signed with --private-key, verify with --public-key: exit 0, signature verified", async () => {
    const keys = await ws.gait(["keys", "init", "--json"]);
    assert.equal(keys.code, 0, keys.stdout);
    const key = "gait-out/keys/gait_private.key";
    const pub = "gait-out/keys/gait_public.key";
    const build = await ws.gait([
      "pack",
      "build",
      "--type",
      "run",
      "--from",
      "run_demo",
      "--private-key",
      key,
      "--out",
      "signed.zip",
      "--json",
    ]);
    assert.equal(build.code, 0, build.stdout);
    assert.equal(part(build, "build").signature_status, "signed");
    signed = "signed.zip";
    const verify = await ws.gait(["pack", "verify", signed, "--public-key", pub, "--json"]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal(part(verify, "verify").signature_status, "verified");
    const strict = await ws.gait(["pack", "verify", signed, "--profile", "strict", "--public-key", pub]);
    assert.equal(strict.code, 0, strict.stdout + strict.stderr);
    const noKey = await ws.gait(["pack", "verify", signed, "--require-signature", "--json"]);
    assert.equal(noKey.code, 6);
    assert.equal(noKey.json?.detail_code ?? noKey.json?.error_code, "pack_verify_key_required");
    const skipped = await ws.gait(["pack", "verify", signed, "--json"]);
    assert.equal(skipped.code, 0);
    assert.equal(part(skipped, "verify").signature_status, "skipped");
    // The unsigned pack fails a required signature: exit 2.
    const required = await ws.gait([
      "pack",
      "verify",
      unsigned,
      "--require-signature",
      "--public-key",
      pub,
      "--json",
    ]);
    assert.equal(required.code, 2);
    assert.equal(required.json?.ok, false);
    assert.equal(required.json?.error_category, "verification_failed");
    assertPackOutput(required);
  });

  it("another key's signature fails (exit 2)", async () => {
    const other = await ws.gait(["keys", "init", "--prefix", "other", "--json"]);
    assert.equal(other.code, 0, other.stdout);
    const verify = await ws.gait([
      "pack",
      "verify",
      signed,
      "--public-key",
      "gait-out/keys/other_public.key",
      "--json",
    ]);
    assert.equal(verify.code, 2);
    assert.equal(part(verify, "verify").signature_status, "failed");
  });

  it("the manifest and payload validate against the public v1 schemas", {
    skip: publicSchemasSkip,
  }, async () => {
    const { entries } = await readZip(join(ws.dir, signed));
    const doc = (path: string) => JSON.parse(entries.find((e) => e.path === path)!.data.toString());
    assertPublicValid(doc("pack_manifest.json"), "pack_manifest.json");
    assertPublicValid(doc("run_payload.json"), "run_payload.json");
  });

  it("building twice gives the same bytes", async () => {
    const again = await ws.gait([
      "pack",
      "build",
      "--type",
      "run",
      "--from",
      "run_demo",
      "--out",
      "again.zip",
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(readFileSync(join(ws.dir, "again.zip")).equals(readFileSync(join(ws.dir, unsigned))));
  });

  it("a flipped byte, an added file and a non-zip are refused with exit 2, 2 and 6", async () => {
    const bytes = readFileSync(join(ws.dir, unsigned));
    for (const position of [0, 40, Math.floor(bytes.length / 2), bytes.length - 10, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[position]! ^= 0xff;
      writeFileSync(join(ws.dir, "flipped.zip"), flipped);
      const verify = await ws.gait(["pack", "verify", "flipped.zip", "--json"]);
      assert.equal(verify.code, 2, `byte ${position}: ${verify.stdout}`);
      assert.equal(verify.json?.ok, false);
    }
    const { entries } = await readZip(bytes);
    writeFileSync(
      join(ws.dir, "extra.zip"),
      await packZip([...entries, { path: "extra.txt", data: Buffer.from("x") }]),
    );
    const extra = await ws.gait(["pack", "verify", "extra.zip", "--json"]);
    assert.equal(extra.code, 2);
    assert.deepEqual(part(extra, "verify").undeclared_files, ["extra.txt"]);
    assert.match(String(extra.json?.error), /undeclared files: extra.txt/);
    writeFileSync(join(ws.dir, "notes.txt"), "not a zip");
    const notZip = await ws.gait(["pack", "verify", "notes.txt", "--json"]);
    assert.equal(notZip.code, 6);
    assert.equal(notZip.json?.detail_code, "pack_not_zip");
    const missing = await ws.gait(["pack", "verify", "nowhere.zip"]);
    assert.equal(missing.code, 6);
  });

  it("a runpack zip is verified and inspected as a legacy runpack", async () => {
    const verify = await ws.gait(["pack", "verify", "--path", "gait-out/runpack_run_demo.zip", "--json"]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal(part(verify, "verify").legacy_type, "runpack");
    const inspect = await ws.gait(["pack", "inspect", "gait-out/runpack_run_demo.zip", "--json"]);
    assert.equal(inspect.code, 0);
    assert.equal(part(inspect, "inspect").legacy_type, "runpack");
  });

  it("inspect shows counts derived from the runpack", async () => {
    const inspect = await ws.gait(["pack", "inspect", unsigned, "--json"]);
    assert.equal(inspect.code, 0, inspect.stdout);
    assertPackOutput(inspect);
    const run = part(inspect, "inspect").run as Record<string, unknown>;
    assert.equal(run.intents_total, 3);
    assert.deepEqual(run.intents_by_status, { ok: 3 });
    const human = await ws.gait(["pack", "inspect", unsigned]);
    assert.match(human.stdout, /intents by tool: tool\.fetch=1 tool\.search=1 tool\.summarize=1/);
  });

  it("diff: exit 0 for the same pack, 2 for different ones; the diff is a gait.pack.diff", async () => {
    const same = await ws.gait(["pack", "diff", unsigned, "again.zip", "--json"]);
    assert.equal(same.code, 0, same.stdout);
    assert.equal((part(same, "diff").summary as Record<string, unknown>).changed, false);
    const changed = await ws.gait(["pack", "diff", unsigned, signed, "--json", "--output", "diff.json"]);
    assert.equal(changed.code, 2, changed.stdout);
    const diff = JSON.parse(readFileSync(join(ws.dir, "diff.json"), "utf8"));
    assert.deepEqual(diff, changed.json?.diff);
    assertPackOutput(changed);
    assertPackOutput(same);
    if (!publicSchemasSkip) assertPublicValid(diff, "pack diff");
  });

  it("a job pack from the job runtime", async () => {
    assert.equal((await ws.gait(["job", "submit", "--id", "job_1", "--identity", "agent.x"])).code, 0);
    assert.equal((await ws.gait(["job", "pause", "--id", "job_1"])).code, 0);
    const build = await ws.gait(["pack", "build", "--type", "job", "--from", "job_1", "--json"]);
    assert.equal(build.code, 0, build.stdout);
    const path = String(build.json?.path);
    assert.ok(existsSync(join(ws.dir, path)));
    const inspect = await ws.gait(["pack", "inspect", path, "--json"]);
    assert.equal(inspect.code, 0, inspect.stdout);
    const job = part(inspect, "inspect").job as Record<string, unknown>;
    assert.equal(job.status, "paused");
    assert.deepEqual(job.events_by_type, { paused: 1, submitted: 1 });
    const unknown = await ws.gait(["pack", "build", "--type", "job", "--from", "job_missing", "--json"]);
    assert.equal(unknown.code, 6, unknown.stdout);
  });

  it("usage: --help and --explain everywhere, missing flags and subcommands are exit 6", async () => {
    for (const words of [
      ["pack"],
      ["pack", "build"],
      ["pack", "verify"],
      ["pack", "inspect"],
      ["pack", "diff"],
    ]) {
      const help = await ws.gait([...words, "--help"]);
      assert.equal(help.code, 0, words.join(" "));
      const explain = await ws.gait([...words, "--explain"]);
      assert.equal(explain.code, 0, words.join(" "));
      assert.ok(explain.stdout.trim().length > 0);
    }
    assert.equal((await ws.gait(["pack"])).code, 6);
    assert.equal((await ws.gait(["pack", "build", "--from", "run_demo"])).code, 6);
    assert.equal((await ws.gait(["pack", "build", "--type", "call", "--from", "run_demo"])).code, 6);
    assert.equal((await ws.gait(["pack", "build", "--type", "run"])).code, 6);
    assert.equal((await ws.gait(["pack", "build", "--type", "run", "--from", "run_nope"])).code, 6);
    assert.equal((await ws.gait(["pack", "verify"])).code, 6);
    assert.equal((await ws.gait(["pack", "diff", unsigned])).code, 6);
  });
});
