/**
 * The reference's v1 flags and demo modes on the commands we have (issue 13, items 6 and 9),
 * through the built CLI: what each does, its coded errors and its --help line. Flags that need a
 * feature gait does not have yet are accepted and refused with a coded error (exit 6).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";

/** The command's own code: the envelope keeps it in detail_code when error_code is the category's. */
function codeOf(result: CliResult): unknown {
  return result.json?.detail_code ?? result.json?.error_code;
}

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir("gait-ref-flags-");
  try {
    await fn(dir);
  } finally {
    cleanup();
  }
}

async function helpOf(args: string[]): Promise<string> {
  const help = await runGait([...args, "--help"]);
  assert.equal(help.code, 0, help.stderr);
  return help.stdout;
}

describe("gait demo (reference fields and modes)", () => {
  it("--json carries the reference's fields: metrics_opt_in, next_commands, duration_ms", () =>
    inTemp(async (dir) => {
      const demo = await runGait(["demo", "--json"], { cwd: dir });
      assert.equal(demo.code, 0, demo.stdout);
      const json = demo.json!;
      for (const key of [
        "ok",
        "mode",
        "run_id",
        "bundle",
        "ticket_footer",
        "verify",
        "next_commands",
        "metrics_opt_in",
        "duration_ms",
      ]) {
        assert.ok(key in json, `missing ${key}`);
      }
      assert.equal(json.mode, "standard");
      assert.equal(json.metrics_opt_in, "none: gait records no usage metrics and sends no telemetry");
      assert.deepEqual(json.next_commands, [
        "gait verify run_demo",
        "gait regress bootstrap --from run_demo --junit ./gait-out/junit.xml",
        "gait demo --durable",
        "gait demo --policy",
      ]);
      // The deterministic runpack is unchanged (best_effort evidence mode, as gait run record writes).
      assert.equal(json.manifest_digest, "9d05d18f191c86cd6569f3d2f637e15aef37d7de0969bfe115a6c392c19d8d7e");
    }));

  it("--policy writes the policy and intent, reports the block, and the files reproduce it", () =>
    inTemp(async (dir) => {
      const demo = await runGait(["demo", "--policy", "--json"], { cwd: dir });
      assert.equal(demo.code, 0, demo.stdout);
      const json = demo.json!;
      assert.equal(json.mode, "policy");
      assert.equal(json.policy_verdict, "block");
      assert.equal(json.matched_rule, "block-high-risk-delete");
      assert.ok((json.reason_codes as string[]).includes("destructive_delete_blocked"));
      assert.equal(json.policy_path, "./gait-out/policy_demo_high_risk.yaml");
      assert.equal(json.intent_path, "./gait-out/intent_demo_delete.json");
      assert.equal(typeof json.metrics_opt_in, "string");
      assert.ok(existsSync(join(dir, "gait-out/policy_demo_high_risk.yaml")));
      const test = await runGait(
        [
          "policy",
          "test",
          "gait-out/policy_demo_high_risk.yaml",
          "gait-out/intent_demo_delete.json",
          "--json",
        ],
        { cwd: dir },
      );
      assert.equal(test.code, 3, test.stdout);
      assert.equal(test.json?.verdict, "block");
      const human = await runGait(["demo", "--policy"], { cwd: dir });
      assert.equal(human.code, 0);
      assert.match(human.stdout, /^policy_verdict=block$/m);
    }));

  it("--durable runs job_demo_durable through a simulated failure to completion and packs it; --policy with --durable is usage", () =>
    inTemp(async (dir) => {
      const durable = await runGait(["demo", "--durable", "--json"], { cwd: dir });
      assert.equal(durable.code, 0, durable.stdout + durable.stderr);
      const json = durable.json!;
      // The reference's fields (REFERENCE.md §2.1), with its values.
      assert.equal(json.mode, "durable");
      assert.equal(json.job_id, "job_demo_durable");
      assert.equal(json.job_status, "completed");
      assert.equal(json.pack_path, "./gait-out/pack_job_demo_durable.zip");
      assert.equal(json.simulated_failure, true);
      assert.equal(typeof json.metrics_opt_in, "string");
      assert.equal(typeof json.duration_ms, "number");
      assert.match(String(json.pack_id), /^[0-9a-f]{64}$/);
      assert.equal((json.failure_checkpoint as { type: string }).type, "decision_needed");
      assert.equal((json.approval as { actor: string }).actor, "demo.operator");
      assert.ok(existsSync(join(dir, "gait-out/jobs/job_demo_durable/events.jsonl")));

      // The job is there for `gait job`, and the pack verifies offline.
      const status = await runGait(["job", "status", "--id", "job_demo_durable", "--json"], { cwd: dir });
      assert.equal(status.code, 0, status.stdout);
      assert.equal(status.json?.status, "completed");
      assert.equal(status.json?.approval_count, 1);
      const verify = await runGait(["pack", "verify", String(json.pack_path), "--json"], { cwd: dir });
      assert.equal(verify.code, 0, verify.stdout);
      assert.equal(verify.json?.pack_type, "job");
      assert.equal(verify.json?.source_ref, "job_demo_durable");

      // Deterministic: a re-run (which replaces the demo job) gives the same pack, byte for byte.
      const pack = join(dir, "gait-out/pack_job_demo_durable.zip");
      const first = readFileSync(pack);
      const again = await runGait(["demo", "--durable", "--json"], { cwd: dir });
      assert.equal(again.code, 0, again.stdout);
      assert.equal(again.json?.pack_id, json.pack_id);
      assert.deepEqual(readFileSync(pack), first);

      const human = await runGait(["demo", "--durable"], { cwd: dir });
      assert.equal(human.code, 0);
      assert.match(human.stdout, /^job_status=completed /m);
      assert.match(human.stdout, /^simulated_failure=true: /m);

      const both = await runGait(["demo", "--policy", "--durable", "--json"], { cwd: dir });
      assert.equal(both.code, 6);
      assert.equal(codeOf(both), "usage");
    }));

  it("--help names both modes", async () => {
    const help = await helpOf(["demo"]);
    assert.match(help, /--policy/);
    assert.match(help, /--durable/);
  });
});

const approvalPolicy =
  "schema_id: gait.gate.policy\nschema_version: 1.0.0\ndefault_verdict: require_approval\n";
const writeIntent = JSON.stringify({
  tool_name: "tool.write",
  args: { path: "/w/a" },
  targets: [{ kind: "path", value: "/w/a", operation: "write" }],
  context: { identity: "a", workspace: "/w", risk_class: "low" },
});

describe("gait gate eval --approval-token-ref", () => {
  it("a token id resolves to approval_<id>.json and grants; unknown ids and mismatched files are coded errors", () =>
    inTemp(async (dir) => {
      writeFileSync(join(dir, "p.yaml"), approvalPolicy);
      writeFileSync(join(dir, "i.json"), writeIntent);
      assert.equal((await runGait(["keys", "init"], { cwd: dir })).code, 0);
      const pending = await runGait(["gate", "eval", "--policy", "p.yaml", "--intent", "i.json", "--json"], {
        cwd: dir,
      });
      assert.equal(pending.code, 4);
      const approved = await runGait(
        [
          "approve",
          "--intent-digest",
          String(pending.json?.intent_digest),
          "--policy-digest",
          String(pending.json?.policy_digest),
          "--ttl",
          "1h",
          "--scope",
          "tool:tool.write",
          "--approver",
          "alice",
          "--reason-code",
          "change_ok",
          "--key-mode",
          "prod",
          "--private-key",
          "gait-out/keys/gait_private.key",
          "--json",
        ],
        { cwd: dir },
      );
      assert.equal(approved.code, 0, approved.stdout);
      const tokenId = String(approved.json?.token_id);
      const evalWith = (ref: string) =>
        runGait(
          [
            "gate",
            "eval",
            "--policy",
            "p.yaml",
            "--intent",
            "i.json",
            "--approval-token-ref",
            ref,
            "--approval-public-key",
            "gait-out/keys/gait_public.key",
            "--json",
          ],
          { cwd: dir },
        );
      const granted = await evalWith(tokenId);
      assert.equal(granted.code, 0, granted.stdout);
      assert.equal(granted.json?.verdict, "allow");
      assert.equal(granted.json?.approval_ref, tokenId);
      // A path works too.
      assert.equal((await evalWith(`approval_${tokenId}.json`)).code, 0);

      const unknown = await evalWith("0123456789abcdef01234567");
      assert.equal(unknown.code, 6);
      assert.equal(codeOf(unknown), "approval_token_ref_not_found");
      assert.ok(unknown.json?.hint);
      const label = await evalWith("TICKET-123");
      assert.equal(label.code, 6);
      assert.equal(codeOf(label), "approval_token_ref_not_found");

      const other = "fedcba9876543210fedcba98";
      writeFileSync(join(dir, `approval_${other}.json`), readFileSync(join(dir, `approval_${tokenId}.json`)));
      const mismatch = await evalWith(other);
      assert.equal(mismatch.code, 6);
      assert.equal(codeOf(mismatch), "approval_token_ref_mismatch");
    }));

  it("--help describes it", async () => {
    assert.match(await helpOf(["gate", "eval"]), /--approval-token-ref <ref>/);
  });
});

const rawRun = JSON.stringify({
  run: { run_id: "run_echo", created_at: "2026-02-05T00:00:00Z" },
  intents: [{ intent_id: "i1", tool_name: "tool.echo", args: { say: "hi" } }],
  results: [{ intent_id: "i1", status: "ok", result: { echo: { say: "hi" } } }],
  refs: { receipts: [] },
  capture_mode: "raw",
});

describe("gait run record --context-envelope, run replay --unsafe-real-tools-env", () => {
  it("--context-envelope that is not a verified envelope is refused before anything is written", () =>
    inTemp(async (dir) => {
      writeFileSync(join(dir, "run.json"), rawRun);
      writeFileSync(join(dir, "env.json"), JSON.stringify({ schema_id: "gait.context.envelope" }));
      const recorded = await runGait(
        ["run", "record", "run.json", "--context-envelope", "env.json", "--json"],
        {
          cwd: dir,
        },
      );
      assert.equal(recorded.code, 6);
      assert.equal(codeOf(recorded), "context_envelope_invalid");
      assert.ok(!existsSync(join(dir, "gait-out")), "no runpack written");
      assert.match(await helpOf(["run", "record"]), /--context-envelope <path>/);
    }));

  it("--unsafe-real-tools-env names the variable that must be 1 in place of GAIT_ALLOW_REAL_REPLAY", () =>
    inTemp(async (dir) => {
      writeFileSync(join(dir, "run.json"), rawRun);
      assert.equal((await runGait(["run", "record", "run.json"], { cwd: dir })).code, 0);
      const real = [
        "run",
        "replay",
        "run_echo",
        "--real-tools",
        "--unsafe-real-tools",
        "--allow-tools",
        "tool.echo",
      ];
      const refused = await runGait([...real, "--unsafe-real-tools-env", "MY_REPLAY_OK", "--json"], {
        cwd: dir,
        env: { GAIT_ALLOW_REAL_REPLAY: "1" },
      });
      assert.equal(refused.code, 8, refused.stdout);
      assert.equal(codeOf(refused), "real_replay_env_not_set");
      assert.match(String(refused.json?.error), /MY_REPLAY_OK=1/);
      const ran = await runGait([...real, "--unsafe-real-tools-env", "MY_REPLAY_OK", "--json"], {
        cwd: dir,
        env: { MY_REPLAY_OK: "1", GAIT_ALLOW_REAL_REPLAY: "" },
      });
      assert.equal(ran.code, 0, ran.stdout);
      assert.equal(ran.json?.mode, "real");
      const bad = await runGait([...real, "--unsafe-real-tools-env", "NOT-A-NAME", "--json"], { cwd: dir });
      assert.equal(bad.code, 6);
      assert.equal(codeOf(bad), "real_replay_env_name_invalid");
      assert.match(await helpOf(["run", "replay"]), /--unsafe-real-tools-env <name>/);
    }));
});

describe("gait regress init|bootstrap --checkpoint", () => {
  for (const sub of ["init", "bootstrap"]) {
    it(`${sub} --checkpoint reads --from as a session chain: a run id is refused and nothing is written`, () =>
      inTemp(async (dir) => {
        assert.equal((await runGait(["demo"], { cwd: dir })).code, 0);
        const result = await runGait(
          ["regress", sub, "--from", "run_demo", "--checkpoint", "latest", "--json"],
          {
            cwd: dir,
          },
        );
        assert.equal(result.code, 6, result.stdout);
        assert.equal(codeOf(result), "file_not_found");
        assert.match(String(result.json?.error), /session chain/);
        assert.ok(!existsSync(join(dir, "gait.yaml")));
        assert.match(await helpOf(["regress", sub]), /--checkpoint <latest\|N>/);
      }));
  }
});

describe("gait doctor --summary, --workdir, --output-dir and key flags", () => {
  it("--summary prints only what warns or fails, and the verdict", () =>
    inTemp(async (dir) => {
      const summary = await runGait(["doctor", "--summary"], { cwd: dir });
      assert.equal(summary.code, 0);
      assert.doesNotMatch(summary.stdout, /^\[pass\]/m);
      assert.match(summary.stdout, /^\[warn\] project_config/m);
      assert.match(summary.stdout, /^doctor: warn \(/m);
    }));

  it("--workdir checks another project directory; --output-dir another output dir", () =>
    inTemp(async (dir) => {
      assert.equal((await runGait(["init"], { cwd: dir })).code, 0);
      const elsewhere = await runGait(["doctor", "--workdir", dir, "--output-dir", "out-x", "--json"], {
        cwd: dirname(dir),
      });
      assert.equal(elsewhere.code, 0, elsewhere.stdout);
      const checks = elsewhere.json?.checks as Array<{ name: string; status: string; message: string }>;
      const named = (name: string) => checks.find((c) => c.name === name)!;
      assert.equal(named("workdir").status, "pass");
      assert.equal(named("project_config").status, "pass", "the workdir's config is found");
      assert.match(named("output_dir").message, /^out-x /);
      const missing = await runGait(["doctor", "--workdir", join(dir, "nope"), "--json"], { cwd: dir });
      const workdir = (missing.json!.checks as Array<{ name: string; status: string }>).find(
        (c) => c.name === "workdir",
      );
      assert.equal(workdir?.status, "fail");
    }));

  it("key flags: one source per key (key_source_ambiguity) and a public key that is the signing key's (key_config)", () =>
    inTemp(async (dir) => {
      assert.equal((await runGait(["keys", "init"], { cwd: dir })).code, 0);
      assert.equal((await runGait(["keys", "init", "--out-dir", "other"], { cwd: dir })).code, 0);
      const checksOf = async (args: string[]) => {
        const result = await runGait(["doctor", ...args, "--json"], { cwd: dir });
        return Object.fromEntries(
          (result.json!.checks as Array<{ name: string; status: string }>).map((c) => [c.name, c.status]),
        );
      };
      const good = await checksOf([
        "--private-key",
        "gait-out/keys/gait_private.key",
        "--public-key",
        "gait-out/keys/gait_public.key",
      ]);
      assert.equal(good.key_source_ambiguity, "pass");
      assert.equal(good.signing_key, "pass");
      assert.equal(good.key_config, "pass");
      const mismatch = await checksOf([
        "--private-key",
        "gait-out/keys/gait_private.key",
        "--public-key",
        "other/gait_public.key",
      ]);
      assert.equal(mismatch.key_config, "fail");
      const ambiguous = await checksOf([
        "--private-key",
        "gait-out/keys/gait_private.key",
        "--private-key-env",
        "K",
      ]);
      assert.equal(ambiguous.key_source_ambiguity, "fail");
      const prodWithoutKey = await checksOf(["--key-mode", "prod"]);
      assert.equal(prodWithoutKey.signing_key, "fail");
      const none = await checksOf([]);
      assert.equal(none.key_source_ambiguity, undefined, "only with key flags");
      const help = await helpOf(["doctor"]);
      for (const flag of [
        "--summary",
        "--workdir <dir>",
        "--output-dir <dir>",
        "--key-mode",
        "--private-key <path>",
        "--public-key <path>",
      ]) {
        assert.ok(help.includes(flag), flag);
      }
    }));
});
