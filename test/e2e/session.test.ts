/**
 * Run sessions through the built CLI: start, many appends (several processes at once), two
 * checkpoints, compaction, `verify session-chain` (and a tampered checkpoint failing with exit 2),
 * `verify chain`, and a regress fixture from a checkpoint.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const JOURNAL = "gait-out/sessions/agent.jsonl";

/** A member of a command's JSON output, which must be there. */
function member<T>(result: CliResult, key: string): T {
  assert.ok(result.json, `no JSON output: ${result.stdout}${result.stderr}`);
  return result.json[key] as T;
}
const CHAIN = "gait-out/sessions/agent_chain.json";

describe("gait run session and gait verify session-chain (built CLI)", () => {
  const { dir, cleanup } = tempDir("gait-session-e2e-");
  const gait = (args: string[], env: NodeJS.ProcessEnv = {}) => runGait(args, { cwd: dir, env });
  const append = (tool: string, extra: string[] = []) =>
    gait(["run", "session", "append", "--journal", JOURNAL, "--tool", tool, "--json", ...extra]);

  before(async () => {
    const started = await gait([
      "run",
      "session",
      "start",
      "--journal",
      JOURNAL,
      "--session-id",
      "sess_agent",
      "--run-id",
      "run_agent",
      "--json",
    ]);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    assert.equal(started.json?.operation, "start");
  });
  after(cleanup);

  it("a second start on the same journal is refused (exit 6) and leaves it alone", async () => {
    const again = await gait([
      "run",
      "session",
      "start",
      JOURNAL,
      "--session-id",
      "x",
      "--run-id",
      "run_x",
      "--json",
    ]);
    assert.equal(again.code, 6);
    assert.equal(again.json?.error_code, "invalid_input");
    assert.equal(again.json?.detail_code, "file_exists");
  });

  it("four processes appending at once get sequences 1..24 without gaps or repeats", async () => {
    const appender = (p: number) => async () => {
      const sequences: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await append(`tool.p${p}`, [
          "--verdict",
          i === 2 ? "block" : "allow",
          "--reason-codes",
          `r${p},s${i}`,
        ]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        sequences.push(member<{ sequence: number }>(r, "event").sequence);
      }
      return sequences;
    };
    const all = (await Promise.all([0, 1, 2, 3].map((p) => appender(p)()))).flat();
    assert.deepEqual(
      all.sort((a, b) => a - b),
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    const status = await gait(["run", "session", "status", "--journal", JOURNAL, "--json"]);
    assert.equal(status.code, 0);
    assert.deepEqual(status.json?.status, {
      session_id: "sess_agent",
      run_id: "run_agent",
      started_at: member<{ started_at: string }>(status, "status").started_at,
      last_sequence: 24,
      events_in_journal: 24,
      pending_events: 24,
      checkpoint_count: 0,
      last_checkpoint_index: 0,
      last_checkpoint_sequence_end: 0,
    });
  });

  it("two checkpoints link by digest, compaction drops covered events, and the chain verifies", async () => {
    const first = await gait(["run", "session", "checkpoint", "--journal", JOURNAL, "--json"]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const cp1 = first.json?.checkpoint as Record<string, unknown>;
    assert.deepEqual([cp1.checkpoint_index, cp1.sequence_start, cp1.sequence_end], [1, 1, 24]);
    assert.equal(first.json?.runpack, "./gait-out/sessions/runpack_run_agent_cp_0001.zip");

    const empty = await gait(["run", "session", "checkpoint", "--journal", JOURNAL, "--json"]);
    assert.equal(empty.code, 6);
    assert.equal(empty.json?.detail_code, "session_checkpoint_empty");

    for (const tool of ["tool.a", "tool.b", "tool.c"]) assert.equal((await append(tool)).code, 0);
    const second = await gait(["run", "session", "checkpoint", JOURNAL, "--json"]);
    assert.equal(second.code, 0, second.stdout);
    const cp2 = second.json?.checkpoint as Record<string, unknown>;
    assert.equal(cp2.prev_checkpoint_digest, cp1.checkpoint_digest);
    assert.deepEqual([cp2.sequence_start, cp2.sequence_end], [25, 27]);

    // Every checkpoint runpack is an ordinary runpack.
    const verified = await gait(["verify", "gait-out/sessions/runpack_run_agent_cp_0002.zip", "--json"]);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.json?.run_id, "run_agent_cp_0002");

    const dry = await gait(["run", "session", "compact", "--journal", JOURNAL, "--dry-run", "--json"]);
    assert.equal(member<{ events_dropped: number; compacted: boolean }>(dry, "compaction").compacted, false);
    const compact = await gait(["run", "session", "compact", "--journal", JOURNAL, "--json"]);
    assert.equal(compact.code, 0);
    assert.deepEqual(
      [
        member<{ events_dropped: number }>(compact, "compaction").events_dropped,
        member<{ events_in_journal: number }>(compact, "status").events_in_journal,
        member<{ last_sequence: number }>(compact, "status").last_sequence,
      ],
      [27, 0, 27],
    );
    assert.equal(member<{ sequence: number }>(await append("tool.after"), "event").sequence, 28);

    const chain = await gait(["verify", "session-chain", "--chain", CHAIN, "--json"]);
    assert.equal(chain.code, 0, chain.stdout);
    assert.deepEqual(
      [chain.json?.ok, chain.json?.session_id, chain.json?.run_id, chain.json?.checkpoints_checked],
      [true, "sess_agent", "run_agent", 2],
    );
    assert.deepEqual([chain.json?.linkage_errors, chain.json?.checkpoint_errors], [[], []]);
    const human = await gait(["verify", "session-chain", CHAIN]);
    assert.match(human.stdout, /verify session-chain: ok/);
  });

  it("the chain and checkpoint records validate against the public schemas", {
    skip: publicSchemasSkip,
  }, () => {
    const chain = JSON.parse(readFileSync(join(dir, CHAIN), "utf8"));
    assertPublicValid(chain, "session chain");
    for (const checkpoint of chain.checkpoints) assertPublicValid(checkpoint, "session checkpoint");
  });

  it("a fixture can be taken from a checkpoint, and regress run passes on it", async () => {
    const init = await gait(["regress", "init", "--from", CHAIN, "--checkpoint", "1", "--json"]);
    assert.equal(init.code, 0, init.stdout + init.stderr);
    assert.equal(init.json?.run_id, "run_agent_cp_0001");
    const fixture = JSON.parse(
      readFileSync(join(dir, "fixtures", String(init.json?.fixture_name), "fixture.json"), "utf8"),
    );
    assert.deepEqual([fixture.session_chain, fixture.checkpoint_index], [CHAIN, 1]);
    assert.equal(fixture.expected_tool_sequence.length, 24);
    assert.equal((await gait(["regress", "run", "--json"])).code, 0);
    const missing = await gait([
      "regress",
      "add",
      "--from",
      CHAIN,
      "--checkpoint",
      "9",
      "--name",
      "nine",
      "--json",
    ]);
    assert.equal(missing.code, 6);
    assert.equal(missing.json?.detail_code, "session_checkpoint_not_found");
  });

  it("a tampered checkpoint runpack breaks the chain: exit 2 with the reason, and no fixture is taken from it", async () => {
    const original = readFileSync(join(dir, "gait-out/sessions/runpack_run_agent_cp_0001.zip"));
    // Swap in another valid runpack: it verifies on its own, but it is not the checkpoint's.
    writeFileSync(
      join(dir, "gait-out/sessions/runpack_run_agent_cp_0001.zip"),
      readFileSync(join(dir, "gait-out/sessions/runpack_run_agent_cp_0002.zip")),
    );
    try {
      const broken = await gait(["verify", "session-chain", CHAIN, "--json"]);
      assert.equal(broken.code, 2, broken.stdout);
      assert.equal(broken.json?.ok, false);
      const errors = member<string[]>(broken, "checkpoint_errors").join("\n");
      assert.match(errors, /checkpoint 1: runpack manifest_digest/);
      assert.match(errors, /checkpoint 1: runpack run_id is run_agent_cp_0002, expected run_agent_cp_0001/);
      assert.match(String(broken.json?.error), /session chain sess_agent is broken/);
      const human = await gait(["verify", "session-chain", CHAIN]);
      assert.equal(human.code, 2);
      assert.match(human.stdout, /checkpoint 1: FAILED/);
      const refused = await gait(["regress", "add", "--from", CHAIN, "--name", "broken", "--json"]);
      assert.equal(refused.code, 2);
      assert.equal(refused.json?.detail_code, "session_chain_broken");
    } finally {
      writeFileSync(join(dir, "gait-out/sessions/runpack_run_agent_cp_0001.zip"), original);
    }
  });

  it("an edited link in the chain file fails with a linkage error (exit 2); a non-chain is invalid input (exit 6)", async () => {
    const path = join(dir, CHAIN);
    const original = readFileSync(path, "utf8");
    try {
      const chain = JSON.parse(original);
      chain.checkpoints[1].sequence_start = 24;
      writeFileSync(path, JSON.stringify(chain));
      const broken = await gait(["verify", "session-chain", CHAIN, "--json"]);
      assert.equal(broken.code, 2);
      assert.match(
        member<string[]>(broken, "linkage_errors").join("\n"),
        /checkpoint 2: sequence_start is 24, expected 25/,
      );
      assert.match(
        member<string[]>(broken, "linkage_errors").join("\n"),
        /checkpoint 2: checkpoint_digest .* does not match its fields/,
      );
      writeFileSync(path, '{"schema_id":"gait.runpack.manifest"}');
      const invalid = await gait(["verify", "session-chain", CHAIN, "--json"]);
      assert.equal(invalid.code, 6);
      assert.equal(invalid.json?.detail_code, "session_chain_invalid");
    } finally {
      writeFileSync(path, original);
    }
  });

  it("a corrupt journal line is a coded error naming the line, never a stack trace", async () => {
    const path = join(dir, JOURNAL);
    const original = readFileSync(path, "utf8");
    try {
      writeFileSync(path, original.replace('"sequence":28', '"sequence":"28"'));
      const status = await gait(["run", "session", "status", "--journal", JOURNAL, "--json"]);
      assert.equal(status.code, 6, status.stdout + status.stderr);
      assert.equal(status.json?.detail_code, "session_journal_invalid");
      assert.match(String(status.json?.error), /agent\.jsonl line \d+: .*sequence/);
      assert.doesNotMatch(status.stderr, /at .*\.ts:\d+/);
    } finally {
      writeFileSync(path, original);
    }
  });

  it("verify chain checks a runpack with its trace and pack in one verdict", async () => {
    const run = await gait([
      "verify",
      "chain",
      "--run",
      "gait-out/sessions/runpack_run_agent_cp_0002.zip",
      "--json",
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(member<{ run_id: string }>(run, "run").run_id, "run_agent_cp_0002");
    const noKey = await gait([
      "verify",
      "chain",
      "--run",
      "gait-out/sessions/runpack_run_agent_cp_0002.zip",
      "--trace",
      "t.json",
      "--json",
    ]);
    assert.equal(noKey.code, 6);
    const notRunpack = await gait([
      "verify",
      "chain",
      "--run",
      "gait-out/sessions/runpack_run_agent_cp_0002.zip",
      "--pack",
      CHAIN,
      "--json",
    ]);
    assert.notEqual(notRunpack.code, 0);
    assert.equal(notRunpack.json?.ok, false);
  });

  it("every session command has --help and --explain", async () => {
    for (const sub of ["start", "append", "status", "checkpoint", "compact"]) {
      const explain = await gait(["run", "session", sub, "--explain"]);
      assert.equal(explain.code, 0);
      assert.ok(explain.stdout.trim().length > 0);
      const help = await gait(["run", "session", sub, "--help"]);
      assert.match(help.stdout, /--journal <path>/);
    }
    for (const sub of ["chain", "session-chain"])
      assert.equal((await gait(["verify", sub, "--explain"])).code, 0);
  });
});

describe("gait verify chain with a signed trace and an evidence pack (built CLI)", () => {
  const { dir, cleanup } = tempDir("gait-verify-chain-");
  const gait = (args: string[]) => runGait(args, { cwd: dir });
  after(cleanup);

  it("passes for the run, its trace and its pack; an edited trace fails with exit 2 and the reason", async () => {
    // gait init makes a project dev key: gate eval signs the trace with it and verify finds it.
    assert.equal((await gait(["init", "--json"])).code, 0);
    assert.equal((await gait(["demo", "--json"])).code, 0);
    writeFileSync(
      join(dir, "intent.json"),
      JSON.stringify({
        schema_id: "gait.gate.intent_request",
        schema_version: "1.0.0",
        created_at: "2026-02-05T00:00:00Z",
        producer_version: "test",
        tool_name: "tool.search",
        args: { q: "x" },
        targets: [],
        context: { identity: "agent", workspace: "/w", risk_class: "low" },
      }),
    );
    const evaluated = await gait([
      "gate",
      "eval",
      "--policy",
      ".gait.yaml",
      "--intent",
      "intent.json",
      "--json",
    ]);
    const trace = String(member<string>(evaluated, "trace_path"));
    const packed = await gait(["guard", "pack", "--run", "run_demo", "--json"]);
    assert.equal(packed.code, 0, packed.stdout);
    const pack = member<string>(packed, "pack_path");
    const ok = await gait([
      "verify",
      "chain",
      "--run",
      "run_demo",
      "--trace",
      trace,
      "--pack",
      pack,
      "--json",
    ]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.deepEqual(
      [
        member<{ ok: boolean }>(ok, "run").ok,
        member<{ ok: boolean }>(ok, "trace").ok,
        member<{ ok: boolean }>(ok, "pack").ok,
      ],
      [true, true, true],
    );
    const record = JSON.parse(readFileSync(join(dir, trace), "utf8"));
    record.verdict = record.verdict === "allow" ? "block" : "allow";
    writeFileSync(join(dir, "edited.json"), JSON.stringify(record));
    const edited = await gait(["verify", "chain", "--run", "run_demo", "--trace", "edited.json", "--json"]);
    assert.equal(edited.code, 2, edited.stdout);
    assert.equal(member<{ ok: boolean }>(edited, "trace").ok, false);
    assert.match(String(member<string>(edited, "error")), /chain failed verification: trace/);
  });
});
