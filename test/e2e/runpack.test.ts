import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import yazl from "yazl";
import { encodePrivateKey, encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { fixedClock } from "../../src/contract/time.ts";
import { writeZip } from "../../src/contract/zip.ts";
import { loadRunpackEntries } from "../../src/runpack/index.ts";
import { startRun } from "../../src/sdk/index.ts";
import { craftZip } from "../contract/zip-craft.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

const FOOTER = /^GAIT run_id=([A-Za-z0-9_-]+) manifest=sha256:[0-9a-f]{64} verify="gait verify \1"$/;

const runInput = {
  run: { run_id: "run_e2e", created_at: "2026-02-05T00:00:00Z" },
  intents: [
    { intent_id: "i1", tool_name: "tool.search", args: { q: "gait" } },
    { intent_id: "i2", tool_name: "file.write", args: { path: "out/note.txt", content: "replayed" } },
    { intent_id: "i3", tool_name: "shell.exec", args: { command: "echo not-allowed > shell.txt" } },
  ],
  results: [
    { intent_id: "i1", status: "ok", result: { hits: 1 } },
    { intent_id: "i3", status: "ok", result: { exit_code: 0 } },
  ],
};

/** A fresh directory with its own HOME, so nothing leaks in from ~/.gait. */
function workspace() {
  const temp = tempDir("gait-e2e-runpack-");
  const home = join(temp.dir, "home");
  mkdirSync(home);
  const env = { HOME: home, USERPROFILE: home, GAIT_ALLOW_REAL_REPLAY: "" };
  const gait = (args: string[], extraEnv: Record<string, string> = {}) =>
    runGait(args, { cwd: temp.dir, env: { ...env, ...extraEnv } });
  return { ...temp, home, gait };
}

describe("gait demo and verify", () => {
  const ws = workspace();
  after(ws.cleanup);

  it("demo then verify run_demo both exit 0 in a fresh directory", async () => {
    const demo = await ws.gait(["demo"]);
    assert.equal(demo.code, 0, demo.stderr);
    const lines = demo.stdout.trim().split("\n");
    assert.ok(lines.includes("run_id=run_demo"));
    assert.ok(lines.includes("bundle=./gait-out/runpack_run_demo.zip"));
    assert.ok(lines.some((l) => FOOTER.test(l)));
    assert.ok(lines.some((l) => l.trim() === "gait verify run_demo"));
    assert.ok(
      lines.some((l) => l.trim() === "gait regress bootstrap --from run_demo --junit ./gait-out/junit.xml"),
    );
    assert.ok(existsSync(join(ws.dir, "gait-out", "runpack_run_demo.zip")));
    const verify = await ws.gait(["verify", "run_demo"]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^verify: ok run_id=run_demo/);
  });

  it("demo --json carries the contract fields and is deterministic", async () => {
    const a = await ws.gait(["demo", "--json"]);
    const b = await ws.gait(["demo", "--json"]);
    assert.equal(a.code, 0);
    assert.equal(a.json?.run_id, "run_demo");
    assert.equal(a.json?.verify, "ok");
    assert.equal(a.json?.mode, "standard");
    assert.match(String(a.json?.ticket_footer), FOOTER);
    assert.deepEqual(a.json?.next_commands, [
      "gait verify run_demo",
      "gait regress bootstrap --from run_demo --junit ./gait-out/junit.xml",
      "gait demo --durable",
      "gait demo --policy",
    ]);
    assert.equal(a.json?.ticket_footer, b.json?.ticket_footer);
  });

  it("resolves a run_id from ~/.gait/runpacks when ./gait-out has none", async () => {
    const stored = join(ws.home, ".gait", "runpacks");
    mkdirSync(stored, { recursive: true });
    writeFileSync(
      join(stored, "runpack_run_demo.zip"),
      readFileSync(join(ws.dir, "gait-out", "runpack_run_demo.zip")),
    );
    const elsewhere = join(ws.dir, "elsewhere");
    mkdirSync(elsewhere);
    const r = await runGait(["verify", "run_demo", "--json"], { cwd: elsewhere, env: { HOME: ws.home } });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json?.path, join(stored, "runpack_run_demo.zip"));
  });

  it("an unknown run_id or a non-zip is invalid input (exit 6)", async () => {
    const missing = await ws.gait(["verify", "run_nope", "--json"]);
    assert.equal(missing.code, 6);
    assert.equal(missing.json?.error_code, "invalid_input");
    assert.equal(missing.json?.detail_code, "runpack_not_found");
    writeFileSync(join(ws.dir, "junk.zip"), "not a zip");
    const junk = await ws.gait(["verify", "junk.zip", "--json"]);
    assert.equal(junk.code, 6);
    assert.equal(junk.json?.error_code, "invalid_input");
    assert.equal(junk.json?.detail_code, "runpack_not_zip");
  });
});

describe("gait run record / verify / inspect / replay / diff / receipt / migrate", () => {
  const ws = workspace();
  after(ws.cleanup);
  writeFileSync(join(ws.dir, "run.json"), JSON.stringify(runInput));

  it("record writes the zip, prints the footer, and is byte-identical when repeated", async () => {
    const first = await ws.gait(["run", "record", "--input", "run.json", "--json"]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(first.json?.bundle, "./gait-out/runpack_run_e2e.zip");
    assert.equal(first.json?.signature_status, "missing");
    assert.match(String(first.json?.ticket_footer), FOOTER);
    assert.deepEqual(first.json?.warnings, [
      "reference capture stripped raw intent arguments and raw result payloads after digesting",
    ]);
    const bytes = readFileSync(join(ws.dir, "gait-out", "runpack_run_e2e.zip"));
    const second = await ws.gait(["run", "record", "run.json"]);
    assert.equal(second.code, 0);
    assert.ok(
      second.stdout
        .trim()
        .split("\n")
        .some((l) => FOOTER.test(l)),
    );
    assert.ok(readFileSync(join(ws.dir, "gait-out", "runpack_run_e2e.zip")).equals(bytes));
  });

  it("verify, replay and diff print the same bytes every time", async () => {
    for (const args of [
      ["verify", "run_e2e", "--json"],
      ["run", "replay", "run_e2e", "--json"],
      ["run", "diff", "run_e2e", "./gait-out/runpack_run_e2e.zip", "--json"],
      ["run", "inspect", "run_e2e", "--json"],
    ]) {
      const a = await ws.gait(args);
      const b = await ws.gait(args);
      assert.equal(a.stdout, b.stdout, args.join(" "));
      assert.ok(a.stdout.length > 0);
    }
  });

  it("replay stubs by default and exits 2 when a result is missing", async () => {
    const r = await ws.gait(["run", "replay", "run_e2e", "--json"]);
    assert.equal(r.code, 0, r.stdout);
    const steps = r.json?.steps as Array<Record<string, string>>;
    assert.deepEqual(
      steps.map((s) => s.execution),
      ["recorded", "stubbed", "recorded"],
    );
    writeFileSync(
      join(ws.dir, "gap.json"),
      JSON.stringify({
        ...runInput,
        run: { run_id: "run_gap" },
        intents: [...runInput.intents, { intent_id: "i4", tool_name: "tool.think", args: {} }],
      }),
    );
    assert.equal((await ws.gait(["run", "record", "gap.json"])).code, 0);
    const gap = await ws.gait(["run", "replay", "run_gap", "--json"]);
    assert.equal(gap.code, 2);
    assert.deepEqual(gap.json?.missing_results, ["i4"]);
    assert.equal(gap.json?.ok, false);
  });

  it("real-tool replay: each missing interlock exits 8; with all of them only allow-listed tools run", async () => {
    assert.equal(
      (await ws.gait(["run", "record", "run.json", "--capture-mode", "raw", "--run-id", "run_raw"])).code,
      0,
    );
    const full = [
      "run",
      "replay",
      "run_raw",
      "--json",
      "--real-tools",
      "--unsafe-real-tools",
      "--allow-tools",
      "file.write",
    ];
    const allowed = { GAIT_ALLOW_REAL_REPLAY: "1" };
    const cases: Array<[string[], Record<string, string>, string]> = [
      [full.filter((a) => a !== "--unsafe-real-tools"), allowed, "real_replay_unsafe_flag_missing"],
      [full.slice(0, -2), allowed, "real_replay_allow_list_empty"],
      [full, {}, "real_replay_env_not_set"],
      [["run", "replay", "run_e2e", "--json", ...full.slice(4)], allowed, "real_replay_reference_capture"],
    ];
    for (const [args, env, code] of cases) {
      const r = await ws.gait(args, env);
      assert.equal(r.code, 8, `${code}: ${r.stdout}`);
      assert.equal(r.json?.error_code, "unsafe_operation");
      assert.equal(r.json?.detail_code, code);
      assert.equal(r.json?.error_category, "internal_failure");
    }
    assert.ok(!existsSync(join(ws.dir, "out")), "refused replays ran nothing");
    const r = await ws.gait(full, allowed);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json?.mode, "real");
    assert.equal(readFileSync(join(ws.dir, "out", "note.txt"), "utf8"), "replayed");
    assert.ok(!existsSync(join(ws.dir, "shell.txt")), "shell.exec was not allow-listed");
  });

  it("diff exits 0 for the same run, 2 for a changed one, and writes --output", async () => {
    const changed = structuredClone(runInput);
    changed.run.run_id = "run_changed";
    changed.results[0] = { intent_id: "i1", status: "error", result: { hits: 0 } };
    writeFileSync(join(ws.dir, "changed.json"), JSON.stringify(changed));
    assert.equal((await ws.gait(["run", "record", "changed.json"])).code, 0);
    const same = await ws.gait(["run", "diff", "run_e2e", "run_e2e"]);
    assert.equal(same.code, 0);
    const diff = await ws.gait([
      "run",
      "diff",
      "run_e2e",
      "run_changed",
      "--privacy",
      "metadata",
      "--output",
      "diff.json",
      "--json",
    ]);
    assert.equal(diff.code, 2, diff.stdout);
    assert.equal(diff.json?.privacy, "metadata");
    assert.deepEqual((diff.json?.summary as Record<string, unknown> | undefined)?.changed_results, ["i1"]);
    assert.equal(diff.json?.output, "./diff.json");
    assert.deepEqual(JSON.parse(readFileSync(join(ws.dir, "diff.json"), "utf8")).summary, diff.json?.summary);
  });

  it("inspect shows the timeline; receipt re-verifies and prints the footer", async () => {
    const inspect = await ws.gait(["run", "inspect", "run_e2e"]);
    assert.equal(inspect.code, 0);
    assert.match(inspect.stdout, /tool\.search\s+ok/);
    assert.match(inspect.stdout, /file\.write\s+missing/);
    const receipt = await ws.gait(["run", "receipt", "run_e2e"]);
    assert.equal(receipt.code, 0);
    assert.match(receipt.stdout.trim(), FOOTER);
    const json = await ws.gait(["run", "receipt", "--from", "run_e2e", "--json"]);
    assert.equal(json.json?.ticket_footer, receipt.stdout.trim());
  });

  it("verify reports tampered, duplicated and renamed entries with exit 2", async () => {
    const path = join(ws.dir, "gait-out", "runpack_run_e2e.zip");
    const entries = await loadRunpackEntries(path);
    const write = async (name: string, list: typeof entries) => {
      writeFileSync(join(ws.dir, name), await writeZip(list));
      return ws.gait(["verify", name, "--json"]);
    };
    for (const victim of entries) {
      const flipped = entries.map((e) => {
        if (e !== victim) return e;
        const data = Buffer.from(e.data);
        data[Math.floor(data.length / 2)]! ^= 0x01;
        return { ...e, data };
      });
      const r = await write(`flip_${victim.path}.zip`, flipped);
      assert.equal(r.code, 2, `flip in ${victim.path}: ${r.stdout}`);
      assert.equal(r.json?.ok, false);
    }
    const renamed = await write(
      "renamed.zip",
      entries.map((e) => (e.path === "run.json" ? { ...e, path: "run2.json" } : e)),
    );
    assert.equal(renamed.code, 2);
    assert.deepEqual(renamed.json?.missing_files, ["run.json"]);
    const dropped = await write(
      "dropped.zip",
      entries.filter((e) => e.path !== "manifest.json"),
    );
    assert.equal(dropped.code, 2);
    assert.equal(dropped.json?.error_code, "runpack_manifest_missing");
    const duplicate = await new Promise<Buffer>((resolve) => {
      const zip = new yazl.ZipFile();
      for (const e of [...entries, entries[0]!]) zip.addBuffer(e.data, e.path);
      zip.end();
      const chunks: Buffer[] = [];
      zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
      zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    });
    writeFileSync(join(ws.dir, "dup.zip"), duplicate);
    const dup = await ws.gait(["verify", "dup.zip", "--json"]);
    assert.equal(dup.code, 2);
    assert.equal(dup.json?.error_code, "runpack_duplicate_entries");
  });

  it("verify fails (exit 2) on undeclared entries and on zips other readers would read differently", async () => {
    const path = join(ws.dir, "gait-out", "runpack_run_e2e.zip");
    const entries = await loadRunpackEntries(path);
    const extra = [...entries, { path: "evil.js", data: Buffer.from("alert(1)") }];
    writeFileSync(join(ws.dir, "extra.zip"), await writeZip(extra));
    const undeclared = await ws.gait(["verify", "extra.zip", "--json"]);
    assert.equal(undeclared.code, 2, undeclared.stdout);
    assert.equal(undeclared.json?.ok, false);
    assert.deepEqual(undeclared.json?.undeclared_files, ["evil.js"]);
    assert.deepEqual(undeclared.json?.missing_files, []);
    assert.match(String(undeclared.json?.error), /undeclared files: evil\.js/);
    const human = await ws.gait(["verify", "extra.zip"]);
    assert.equal(human.code, 2);
    assert.match(human.stdout, /^undeclared: evil\.js$/m);
    const renamedLocal = craftZip(
      entries.map((e) => ({
        name: e.path,
        data: e.data,
        ...(e.path === "run.json" ? { local: { name: "../../evil.js" } } : {}),
      })),
    );
    writeFileSync(join(ws.dir, "local.zip"), renamedLocal);
    const mismatch = await ws.gait(["verify", "local.zip", "--json"]);
    assert.equal(mismatch.code, 2, mismatch.stdout);
    assert.equal(mismatch.json?.error_code, "zip_header_mismatch");
    assert.equal(mismatch.json?.error_category, "verification_failed");
    assert.doesNotMatch(mismatch.stderr, /\n\s+at /, "no stack trace");
  });

  it("migrate writes a verified sibling and never touches the input", async () => {
    const before = readFileSync(join(ws.dir, "gait-out", "runpack_run_e2e.zip"));
    const r = await ws.gait(["migrate", "run_e2e", "--json"]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json?.status, "no_change");
    assert.equal(r.json?.output, "./gait-out/runpack_run_e2e_migrated.zip");
    assert.ok(readFileSync(join(ws.dir, "gait-out", "runpack_run_e2e.zip")).equals(before));
    const self = await ws.gait(["migrate", "run_e2e", "--out", "gait-out/runpack_run_e2e.zip", "--json"]);
    assert.equal(self.code, 6);
  });

  it("the SDK recorder writes the same bytes as gait run record for the same input", async () => {
    const sdkDir = join(ws.dir, "sdk");
    // The same input: the CLI defaults the evidence mode to best_effort, the library does not
    // (test/runpack/parity-vectors.test.ts pins both forms), so the recorder states it.
    const recorder = startRun({
      runId: "run_sdk_e2e",
      cwd: sdkDir,
      env: {},
      clock: fixedClock("2026-02-05T00:00:00Z"),
      contextEvidenceMode: "best_effort",
    })
      .addIntent({ intent_id: "i1", tool_name: "tool.search", args: { q: "x" } })
      .addResult({ intent_id: "i1", status: "ok", result: { n: 1 } });
    writeFileSync(join(ws.dir, "sdk.json"), JSON.stringify(recorder.toInput()));
    const finished = await recorder.finish();
    const cli = await ws.gait(["run", "record", "sdk.json", "--out-dir", "cli-out"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(
      readFileSync(join(ws.dir, "cli-out", "runpack_run_sdk_e2e.zip")).equals(readFileSync(finished.path)),
    );
  });
});

describe("signed runpacks", () => {
  const ws = workspace();
  after(ws.cleanup);
  const key = generateSigningKey();
  const other = generateSigningKey();
  const keyEnv = {
    GAIT_TEST_PRIVATE: encodePrivateKey(key),
    GAIT_TEST_PUBLIC: encodePublicKey(key),
    GAIT_OTHER_PUBLIC: encodePublicKey(other),
  };
  writeFileSync(join(ws.dir, "run.json"), JSON.stringify(runInput));

  it("prod-signed: verifies with the matching key, fails with another, skipped with none", async () => {
    const rec = await ws.gait(
      ["run", "record", "run.json", "--key-mode", "prod", "--private-key-env", "GAIT_TEST_PRIVATE", "--json"],
      keyEnv,
    );
    assert.equal(rec.code, 0, rec.stdout);
    assert.equal(rec.json?.signature_status, "signed");
    assert.equal(rec.json?.signature_key_id, key.keyId);
    const good = await ws.gait(
      ["verify", "run_e2e", "--public-key-env", "GAIT_TEST_PUBLIC", "--json"],
      keyEnv,
    );
    assert.equal(good.code, 0);
    assert.equal(good.json?.signature_status, "verified");
    const bad = await ws.gait(
      ["verify", "run_e2e", "--public-key-env", "GAIT_OTHER_PUBLIC", "--json"],
      keyEnv,
    );
    assert.equal(bad.code, 2);
    assert.equal(bad.json?.signature_status, "failed");
    const none = await ws.gait(["verify", "run_e2e", "--json"], keyEnv);
    assert.equal(none.code, 0);
    assert.equal(none.json?.signature_status, "skipped");
    const strict = await ws.gait(["verify", "run_e2e", "--require-signature", "--json"], keyEnv);
    assert.equal(strict.code, 6);
    const strictOk = await ws.gait(
      ["verify", "run_e2e", "--require-signature", "--public-key-env", "GAIT_TEST_PUBLIC"],
      keyEnv,
    );
    assert.equal(strictOk.code, 0);
  });

  it("a private key alone switches record to prod signing", async () => {
    writeFileSync(join(ws.dir, "priv.key"), `${encodePrivateKey(key)}\n`, { mode: 0o600 });
    const rec = await ws.gait([
      "run",
      "record",
      "run.json",
      "--private-key",
      "priv.key",
      "--run-id",
      "run_keyfile",
      "--json",
    ]);
    assert.equal(rec.code, 0, rec.stdout);
    assert.equal(rec.json?.signature_status, "signed");
  });
});
