/**
 * `gait guard pack|verify` through the built CLI, from a fresh directory: demo → regress init/run
 * → gate eval (a trace and an approval audit) → guard pack → guard verify and pack verify, unsigned
 * (`missing`) and signed (`verified`); the summaries derived from those artifacts; determinism;
 * a modified entry (exit 2, named); an undeclared file (accepted, reported); bad input, help and
 * explain.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readZip } from "../../src/contract/zip.ts";
import { packZip } from "../../src/pack/index.ts";
import { type CliResult, repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const policy = join(repoRoot, "templates", "policy", "baseline-highrisk.yaml");
const intent = (name: string) => join(repoRoot, "examples", "policy", "intents", `${name}.json`);

function workspace() {
  const temp = tempDir("gait-e2e-guard-");
  const home = join(temp.dir, "home");
  mkdirSync(home);
  const gait = async (args: string[], expected?: number): Promise<CliResult> => {
    const result = await runGait(args, { cwd: temp.dir, env: { HOME: home, USERPROFILE: home } });
    if (expected !== undefined)
      assert.equal(result.code, expected, `gait ${args.join(" ")}: ${result.stdout}${result.stderr}`);
    return result;
  };
  return { ...temp, gait };
}

async function entries(path: string): Promise<Map<string, Buffer>> {
  return new Map((await readZip(path)).entries.map((e) => [e.path, e.data]));
}

/** A member of a command's JSON output, `{}` when absent. */
function part(result: CliResult, key: string): Record<string, unknown> {
  return (result.json?.[key] ?? {}) as Record<string, unknown>;
}

const doc = (files: Map<string, Buffer>, path: string) =>
  JSON.parse(files.get(path)!.toString("utf8")) as Record<string, unknown>;

describe("gait guard (built CLI)", () => {
  const ws = workspace();
  after(ws.cleanup);
  const inputs = [
    "--regress",
    "regress_result.json",
    "--trace",
    "trace_delete.json,trace_read.json",
    "--approval-audit",
    "audit_delete.json",
    "--inventory",
    "inventory.json",
  ];
  const signing = ["--key-mode", "prod", "--private-key", "keys/gait_private.key"];
  const publicKey = ["--public-key", "keys/gait_public.key"];

  before(async () => {
    await ws.gait(["demo"], 0);
    await ws.gait(["regress", "init", "--from", "run_demo"], 0);
    await ws.gait(["regress", "run", "--json"], 0);
    const gate = ["gate", "eval", "--policy", policy, "--json"];
    await ws.gait(
      [
        ...gate,
        "--intent",
        intent("delete"),
        "--trace-out",
        "trace_delete.json",
        "--approval-audit-out",
        "audit_delete.json",
      ],
      4,
    );
    await ws.gait([...gate, "--intent", intent("read"), "--trace-out", "trace_read.json"], 0);
    writeFileSync(
      join(ws.dir, "inventory.json"),
      JSON.stringify({
        schema_id: "gait.scout.inventory_snapshot",
        schema_version: "1.0.0",
        created_at: "2026-02-04T00:00:00Z",
        producer_version: "0.0.0-test",
        snapshot_id: "snap_0123456789ab",
        items: [
          {
            id: "tool_delete",
            kind: "tool",
            name: "tool.delete",
            locator: "agent.ts:10",
            risk_level: "high",
          },
          { id: "tool_search", kind: "tool", name: "tool.search", locator: "agent.ts:20", risk_level: "low" },
          { id: "mcp_files", kind: "mcp_server", name: "files", locator: ".mcp.json" },
        ],
      }),
    );
    await ws.gait(["keys", "init", "--out-dir", "keys"], 0);
  });

  it("demo → regress → gate eval → guard pack → guard verify and pack verify: exit 0, signature missing", async () => {
    const built = await ws.gait(["guard", "pack", "--run", "run_demo", ...inputs, "--json"], 0);
    const path = String(built.json?.pack_path);
    assert.match(path, /^\.\/gait-out\/evidence_pack_pack_[0-9a-f]{16}\.zip$/);
    assert.equal(path, `./gait-out/evidence_pack_${built.json?.pack_id}.zip`);
    assert.equal(built.json?.run_id, "run_demo");
    assert.equal(built.json?.signature_status, "missing");
    assert.equal(built.json?.manifest_path, `${path}#pack_manifest.json`);
    const verify = await ws.gait(["guard", "verify", path, "--json"], 0);
    assert.equal(verify.json?.ok, true);
    assert.equal(verify.json?.signature_status, "missing");
    assert.equal(verify.json?.pack_id, built.json?.pack_id);
    const packVerify = await ws.gait(["pack", "verify", path, "--json"], 0);
    assertPublishedValid(packVerify.json, "pack/output.schema.json", "pack verify output");
    const result = part(packVerify, "verify");
    assert.equal(result.legacy_type, "evidence_pack");
    assert.equal(result.signature_status, "missing");
    assert.equal(packVerify.json?.source_ref, "run_demo");
  });

  it("signed with a prod key: verified by guard verify and pack verify with the public key, strict profile too", async () => {
    const built = await ws.gait(
      ["guard", "pack", "run_demo", ...inputs, ...signing, "--out", "signed.zip", "--json"],
      0,
    );
    assert.equal(built.json?.signature_status, "signed");
    assert.match(String(built.json?.signature_key_id), /^[0-9a-f]{64}$/);
    const verify = await ws.gait(
      ["guard", "verify", "signed.zip", ...publicKey, "--require-signature", "--json"],
      0,
    );
    assert.equal(verify.json?.signature_status, "verified");
    assert.equal(verify.json?.signatures_valid, 1);
    const pack = await ws.gait(
      ["pack", "verify", "signed.zip", ...publicKey, "--profile", "strict", "--json"],
      0,
    );
    assert.equal(part(pack, "verify").signature_status, "verified");
    const skipped = await ws.gait(["guard", "verify", "signed.zip", "--json"], 0);
    assert.equal(skipped.json?.signature_status, "skipped");
    const noKey = await ws.gait(["guard", "verify", "signed.zip", "--require-signature", "--json"], 6);
    assert.equal(noKey.json?.error_code, "invalid_input");
    assert.match(String(noKey.json?.hint), /--public-key/);
  });

  it("the summaries are the artifacts' counts; the manifest is the public schema's", async () => {
    await ws.gait(
      ["guard", "pack", "--run", "run_demo", ...inputs, "--case-id", "INC-42", "--out", "case.zip"],
      0,
    );
    const files = await entries(join(ws.dir, "case.zip"));
    const manifest = doc(files, "pack_manifest.json");
    if (!publicSchemasSkip) assertPublicValid(manifest, "guard manifest");
    assert.equal(manifest.case_id, "INC-42");
    assert.equal(manifest.created_at, "2026-02-05T00:00:00Z", "the demo run's created_at");
    assert.equal(manifest.generated_at, manifest.created_at);
    const traces = doc(files, "trace_summary.json");
    assert.equal(traces.traces_total, 2);
    assert.deepEqual(traces.by_verdict, { allow: 1, block: 0, dry_run: 0, require_approval: 1 });
    assert.deepEqual(traces.by_reason_code, { approval_not_granted: 1 });
    assert.deepEqual(traces.by_tool, { "tool.delete": 1, "tool.read": 1 });
    assert.equal(traces.approvals_total, 1);
    assert.equal(traces.approvals_granted, 0);
    const regress = doc(files, "regress_summary.json");
    assert.equal(regress.status, "pass");
    assert.deepEqual(regress.by_grader, {
      diff: { pass: 1, fail: 0 },
      expected_exit_code: { pass: 1, fail: 0 },
      schema_validation: { pass: 1, fail: 0 },
      trajectory: { pass: 1, fail: 0 },
    });
    assert.deepEqual(regress.run_fixtures, ["run_demo"]);
    const run = doc(files, "runpack_summary.json");
    assert.equal(run.intents_total, 3);
    const coverage = doc(files, "inventory_coverage.json");
    assert.deepEqual(coverage.tools_listed, ["tool.delete", "tool.search"]);
    assert.deepEqual(coverage.tools_missing, ["tool.fetch", "tool.read", "tool.summarize"]);
    assert.equal(coverage.coverage_percent, 40);
    assert.deepEqual(files.get("approval_audit_01.json"), readFileSync(join(ws.dir, "audit_delete.json")));
    assert.deepEqual(files.get("inventory_snapshot_01.json"), readFileSync(join(ws.dir, "inventory.json")));
  });

  it("same inputs and key, same bytes", async () => {
    await ws.gait(["guard", "pack", "--run", "run_demo", ...inputs, ...signing, "--out", "a.zip"], 0);
    await ws.gait(["guard", "pack", "--run", "run_demo", ...inputs, ...signing, "--out", "b.zip"], 0);
    assert.deepEqual(readFileSync(join(ws.dir, "a.zip")), readFileSync(join(ws.dir, "b.zip")));
  });

  it("a modified entry fails both verifiers (exit 2), naming the file", async () => {
    const files = await entries(join(ws.dir, "signed.zip"));
    const summary = files.get("trace_summary.json")!.toString().replace('"block":0', '"block":3');
    files.set("trace_summary.json", Buffer.from(summary));
    writeFileSync(
      join(ws.dir, "modified.zip"),
      await packZip([...files].map(([path, data]) => ({ path, data }))),
    );
    const guard = await ws.gait(["guard", "verify", "modified.zip", ...publicKey, "--json"], 2);
    assert.equal(guard.json?.ok, false);
    assert.equal(guard.json?.error_category, "verification_failed");
    assert.deepEqual(
      ((guard.json?.hash_mismatches ?? []) as Array<{ path: string }>).map((m) => m.path),
      ["trace_summary.json"],
    );
    assert.match(String(guard.json?.error), /trace_summary\.json was modified/);
    const human = await ws.gait(["guard", "verify", "modified.zip", ...publicKey], 2);
    assert.match(human.stdout, /guard verify: FAILED/);
    assert.match(human.stdout, /modified: trace_summary\.json/);
    const pack = await ws.gait(["pack", "verify", "modified.zip", ...publicKey, "--json"], 2);
    assert.match(String(pack.json?.error), /hash mismatches: trace_summary\.json/);
  });

  it("an undeclared extra file is accepted (CONTRACTS.md §7.2) but reported", async () => {
    const files = await entries(join(ws.dir, "signed.zip"));
    files.set("notes/extra.txt", Buffer.from("slipped in"));
    writeFileSync(
      join(ws.dir, "extra.zip"),
      await packZip([...files].map(([path, data]) => ({ path, data }))),
    );
    const guard = await ws.gait(
      ["guard", "verify", "extra.zip", ...publicKey, "--require-signature", "--json"],
      0,
    );
    assert.deepEqual(guard.json?.undeclared_files, ["notes/extra.txt"]);
    assert.match(
      String(((guard.json?.warnings ?? []) as string[])[0]),
      /notes\/extra\.txt is in the zip but not declared/,
    );
    const human = await ws.gait(["guard", "verify", "extra.zip", ...publicKey], 0);
    assert.match(human.stdout, /undeclared \(accepted, not covered\): notes\/extra\.txt/);
    const pack = await ws.gait(["pack", "verify", "extra.zip", ...publicKey, "--json"], 0);
    assert.deepEqual(part(pack, "verify").undeclared_files, ["notes/extra.txt"]);
  });

  it("bad input is exit 6 with a code and a hint; help and explain exit 0", async () => {
    const none = await ws.gait(["guard", "pack", "--json"], 6);
    assert.match(String(none.json?.hint), /gait guard pack --run run_demo/);
    const badTrace = await ws.gait(
      ["guard", "pack", "--run", "run_demo", "--trace", "regress_result.json", "--json"],
      6,
    );
    assert.equal(badTrace.json?.detail_code, "guard_trace_invalid");
    assert.match(String(badTrace.json?.error), /regress_result\.json is not a valid trace_record/);
    const missing = await ws.gait(["guard", "pack", "--run", "run_nope", "--json"], 6);
    assert.equal(missing.json?.detail_code, "runpack_not_found");
    const notZip = await ws.gait(["guard", "verify", "regress_result.json", "--json"], 6);
    assert.equal(notZip.json?.detail_code, "pack_not_zip");
    const runpack = await ws.gait(["guard", "verify", "gait-out/runpack_run_demo.zip", "--json"], 2);
    assert.equal(runpack.json?.detail_code, "guard_manifest_missing");
    await ws.gait(["guard"], 6);
    const help = await ws.gait(["guard", "pack", "--help"], 0);
    for (const flag of [
      "--run",
      "--inventory",
      "--trace",
      "--regress",
      "--approval-audit",
      "--case-id",
      "--out",
      "--key-mode",
      "--private-key",
    ])
      assert.match(help.stdout, new RegExp(`${flag} `), flag);
    const explain = await ws.gait(["guard", "verify", "--explain"], 0);
    assert.match(explain.stdout, /^Verify a Guard evidence pack offline/);
    const human = await ws.gait(["guard", "pack", "--run", "run_demo", ...inputs, "--out", "human.zip"], 0);
    assert.match(human.stdout, /^guard pack: ok pack_id=pack_[0-9a-f]{16} run_id=run_demo/);
    assert.match(
      human.stdout,
      /traces=2 \(allow=1 block=0 dry_run=0 require_approval=1\) approvals=0\/1 granted/,
    );
    assert.match(human.stdout, /inventory coverage=40% of 5 tool\(s\) used/);
  });
});
