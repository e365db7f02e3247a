/** Run sessions: the journal core (parse, link, compact) and the I/O edge (locks, state index, checkpoints, chain verification). */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  appendSessionEvent,
  checkpointDigest,
  checkpointSession,
  compactSession,
  parseSessionJournal,
  readRunpack,
  readSessionChain,
  readSessionStatus,
  type SessionContext,
  sessionPaths,
  startSession,
  verifySessionChain,
} from "../../src/runpack/index.ts";
import {
  compactJournal,
  journalHeader,
  journalLine,
  nextCheckpoint,
  sessionEvent,
} from "../../src/runpack/session-journal.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

/** A clock that ticks one second per reading, so every record has its own time. */
function tickingClock(): SessionContext["clock"] {
  let second = Date.UTC(2026, 1, 5) / 1000;
  return () => Timestamp.of(second++);
}

function context(cwd: string): SessionContext {
  return { cwd, env: {}, clock: tickingClock() };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GaitError, String(error));
    return error.code;
  }
  assert.fail("expected a coded error");
}

async function codeOfAsync(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GaitError, String(error));
    return error.code;
  }
  assert.fail("expected a coded error");
}

const META = { createdAt: "2026-02-05T00:00:01Z", producerVersion: "0.0.0-test" };
const HEADER = journalHeader({
  sessionId: "sess_t",
  runId: "run_t",
  createdAt: "2026-02-05T00:00:00Z",
  producerVersion: "0.0.0-test",
});

function journalText(events: number): string {
  let text = journalLine(HEADER);
  for (let i = 1; i <= events; i++)
    text += journalLine(sessionEvent(HEADER, i, { tool_name: `tool.${i}`, verdict: "allow" }, META));
  return text;
}

describe("session journal core", () => {
  it("checkpoint_digest is sha256 of manifest:prev:index:start:end (CONTRACTS.md §8)", () => {
    const manifest = "a".repeat(64);
    const expected = createHash("sha256").update(`${manifest}::1:1:5`).digest("hex");
    assert.equal(checkpointDigest(manifest, "", 1, 1, 5), expected);
  });

  it("the header needs a session id and a runpack run id", () => {
    const base = { createdAt: "2026-02-05T00:00:00Z", producerVersion: "x" };
    assert.equal(
      codeOf(() => journalHeader({ ...base, sessionId: " ", runId: "run_a" })),
      "session_input_invalid",
    );
    assert.equal(
      codeOf(() => journalHeader({ ...base, sessionId: "s", runId: "agent" })),
      "invalid_run_id",
    );
  });

  it("events need a tool and take only the gate's verdicts and 64-hex digests", () => {
    assert.equal(
      codeOf(() => sessionEvent(HEADER, 1, { tool_name: "" }, META)),
      "session_input_invalid",
    );
    assert.equal(
      codeOf(() => sessionEvent(HEADER, 1, { tool_name: "t", verdict: "maybe" }, META)),
      "session_input_invalid",
    );
    assert.equal(
      codeOf(() => sessionEvent(HEADER, 1, { tool_name: "t", intent_digest: "abc" }, META)),
      "session_input_invalid",
    );
    const event = sessionEvent(
      HEADER,
      7,
      { tool_name: " t ", verdict: "BLOCK", reason_codes: ["a", " "] },
      META,
    );
    assert.deepEqual(
      [event.tool_name, event.verdict, event.reason_codes, event.sequence],
      ["t", "block", ["a"], 7],
    );
  });

  it("reads back what it writes, and the assembled journal and records validate against the public schemas", {
    skip: publicSchemasSkip,
  }, () => {
    const journal = parseSessionJournal(journalText(3), "j");
    assert.equal(journal.events.length, 3);
    assert.equal(journal.lastSequence, 3);
    assertPublicValid({ ...journal.header, events: journal.events }, "session journal");
  });

  it("refuses gaps, foreign sessions, unknown members and torn lines with coded errors", () => {
    const lines = journalText(3).split("\n");
    const gap = [lines[0], lines[1], lines[3], ""].join("\n");
    assert.equal(
      codeOf(() => parseSessionJournal(gap, "j")),
      "session_journal_invalid",
    );
    const foreign =
      journalText(1) +
      journalLine({ ...sessionEvent(HEADER, 2, { tool_name: "t" }, META), session_id: "other" });
    assert.equal(
      codeOf(() => parseSessionJournal(foreign, "j")),
      "session_journal_invalid",
    );
    const extra = journalText(1).replace('"sequence":1', '"sequence":1,"extra":true');
    assert.equal(
      codeOf(() => parseSessionJournal(extra, "j")),
      "session_journal_invalid",
    );
    assert.equal(
      codeOf(() => parseSessionJournal(journalText(2).slice(0, -5), "j")),
      "session_journal_truncated",
    );
    assert.equal(
      codeOf(() => parseSessionJournal("", "j")),
      "session_journal_invalid",
    );
  });

  it("checkpoints link by digest; an altered checkpoint line is a broken journal (exit 2)", () => {
    const journal = parseSessionJournal(journalText(2), "j");
    const fields = {
      createdAt: META.createdAt,
      producerVersion: "x",
      runpackPath: "cp.zip",
      manifestDigest: "b".repeat(64),
    };
    const first = nextCheckpoint(journal, { ...fields, sequenceStart: 1, sequenceEnd: 2 });
    assert.equal(first.prev_checkpoint_digest, undefined);
    let text =
      journalText(2) + journalLine(first) + journalLine(sessionEvent(HEADER, 3, { tool_name: "t" }, META));
    const second = nextCheckpoint(parseSessionJournal(text, "j"), {
      ...fields,
      sequenceStart: 3,
      sequenceEnd: 3,
    });
    assert.equal(second.prev_checkpoint_digest, first.checkpoint_digest);
    assert.equal(
      second.checkpoint_digest,
      checkpointDigest("b".repeat(64), first.checkpoint_digest, 2, 3, 3),
    );
    text += journalLine(second);
    assert.equal(parseSessionJournal(text, "j").checkpoints.length, 2);
    const tampered = text.replace(`"sequence_end":2`, `"sequence_end":1`);
    let error: unknown;
    try {
      parseSessionJournal(tampered, "j");
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof GaitError && error.code === "session_journal_broken" && error.exitCode === 2);
  });

  it("compaction keeps the header, the checkpoints and the pending events, byte for byte", () => {
    const journal = parseSessionJournal(journalText(3), "j");
    const checkpoint = nextCheckpoint(journal, {
      createdAt: META.createdAt,
      producerVersion: "x",
      runpackPath: "cp.zip",
      manifestDigest: "c".repeat(64),
      sequenceStart: 1,
      sequenceEnd: 3,
    });
    const pending = journalLine(sessionEvent(HEADER, 4, { tool_name: "t" }, META));
    const text = journalText(3) + journalLine(checkpoint) + pending;
    const plan = compactJournal(parseSessionJournal(text, "j"), Buffer.byteLength(text));
    assert.equal(plan.events_dropped, 3);
    assert.equal(plan.text, journalLine(HEADER) + journalLine(checkpoint) + pending);
    const compacted = parseSessionJournal(plan.text, "j");
    assert.equal(compacted.lastSequence, 4);
    assert.equal(compacted.events.length, 1);
  });
});

describe("sessions on disk", () => {
  const { dir, cleanup } = tempDir("gait-session-");
  after(cleanup);

  it("start, many appends (concurrent), two checkpoints, compaction; the chain verifies", async () => {
    const ctx = context(dir);
    const journal = "s/agent.jsonl";
    await startSession({ journal, sessionId: "sess_agent", runId: "run_agent" }, ctx);
    assert.equal(
      await codeOfAsync(startSession({ journal, sessionId: "x", runId: "run_x" }, ctx)),
      "file_exists",
    );
    // Concurrent appenders in one process contend for the same lock file as separate processes do.
    const appended = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        appendSessionEvent(
          {
            journal,
            event: {
              tool_name: `tool.${i % 3}`,
              verdict: i === 5 ? "block" : "allow",
              trace_id: `trace_${i}`,
            },
          },
          ctx,
        ),
      ),
    );
    assert.deepEqual(
      appended.map((a) => a.event.sequence).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    const first = await checkpointSession({ journal }, ctx);
    assert.deepEqual(
      [first.checkpoint.checkpoint_index, first.checkpoint.sequence_start, first.checkpoint.sequence_end],
      [1, 1, 12],
    );
    assert.equal(await codeOfAsync(checkpointSession({ journal }, ctx)), "session_checkpoint_empty");
    for (let i = 0; i < 3; i++) await appendSessionEvent({ journal, event: { tool_name: "tool.late" } }, ctx);
    const second = await checkpointSession({ journal }, ctx);
    assert.equal(second.checkpoint.prev_checkpoint_digest, first.checkpoint.checkpoint_digest);
    assert.deepEqual([second.checkpoint.sequence_start, second.checkpoint.sequence_end], [13, 15]);

    const { runpack } = await readRunpack(first.runpackPath);
    assert.equal(runpack.run.run_id, "run_agent_cp_0001");
    assert.equal(runpack.intents.length, 12);
    assert.equal(runpack.results.find((r) => r.result?.verdict === "block")?.status, "error");
    assert.equal(runpack.refs.receipts.length, 12);

    await appendSessionEvent({ journal, event: { tool_name: "tool.pending" } }, ctx);
    const compacted = await compactSession({ journal }, ctx);
    assert.equal(compacted.compaction.events_dropped, 15);
    assert.equal(compacted.status.last_sequence, 16);
    assert.equal(compacted.status.events_in_journal, 1);
    const next = await appendSessionEvent({ journal, event: { tool_name: "tool.after" } }, ctx);
    assert.equal(next.event.sequence, 17);

    const chainPath = sessionPaths(join(dir, journal)).chain;
    const chain = await readSessionChain(chainPath, "chain");
    const verified = await verifySessionChain({ chainPath, chain, cwd: dir, verify: {} });
    assert.deepEqual(
      [verified.ok, verified.checkpoints_checked, verified.linkage_errors, verified.checkpoint_errors],
      [true, 2, [], []],
    );
  });

  it("the published artifacts validate against the public schemas", { skip: publicSchemasSkip }, async () => {
    const ctx = context(dir);
    const journal = "schemas/j.jsonl";
    await startSession({ journal, sessionId: "sess_s", runId: "run_s" }, ctx);
    await appendSessionEvent(
      {
        journal,
        event: {
          tool_name: "tool.write",
          verdict: "allow",
          intent_id: "i1",
          intent_digest: "1".repeat(64),
          policy_digest: "2".repeat(64),
          policy_id: "p",
          policy_version: "1",
          matched_rule_ids: ["r"],
          trace_id: "t",
          trace_path: "t.json",
          reason_codes: ["ok"],
          violations: [],
          safety_invariant_version: "v1",
          safety_invariant_hash: "3".repeat(64),
        },
      },
      ctx,
    );
    const cp = await checkpointSession({ journal }, ctx);
    assertPublicValid(cp.checkpoint, "checkpoint");
    const text = readFileSync(join(dir, journal), "utf8");
    const parsed = parseSessionJournal(text, "j");
    assertPublicValid(
      { ...parsed.header, events: parsed.events, checkpoints: parsed.checkpoints },
      "journal",
    );
    assertPublicValid(JSON.parse(readFileSync(cp.chainPath, "utf8")), "chain");
  });

  it("a stale state index is rebuilt from the journal; a torn final line is cut with a warning", async () => {
    const ctx = context(dir);
    const journal = "stale/j.jsonl";
    await startSession({ journal, sessionId: "sess_s", runId: "run_s" }, ctx);
    await appendSessionEvent({ journal, event: { tool_name: "a" } }, ctx);
    const paths = sessionPaths(join(dir, journal));
    rmSync(paths.state);
    assert.equal((await appendSessionEvent({ journal, event: { tool_name: "b" } }, ctx)).event.sequence, 2);
    // The state says sequence 2 with the old size; a line appended behind its back changes the size.
    appendFileSync(
      paths.journal,
      journalLine(
        sessionEvent(
          parseSessionJournal(readFileSync(paths.journal, "utf8"), "j").header,
          3,
          { tool_name: "c" },
          META,
        ),
      ),
    );
    assert.equal((await appendSessionEvent({ journal, event: { tool_name: "d" } }, ctx)).event.sequence, 4);
    appendFileSync(paths.journal, '{"schema_id":"gait.runpack.session_ev');
    const repaired = await appendSessionEvent({ journal, event: { tool_name: "e" } }, ctx);
    assert.equal(repaired.event.sequence, 5);
    assert.match(repaired.warnings.join("\n"), /torn final line/);
    assert.equal((await readSessionStatus({ journal }, ctx)).status.last_sequence, 5);
  });

  it("a tampered checkpoint runpack or chain link fails verification with reasons", async () => {
    const ctx = context(dir);
    const journal = "tamper/j.jsonl";
    await startSession({ journal, sessionId: "sess_t", runId: "run_t" }, ctx);
    for (let round = 0; round < 2; round++) {
      await appendSessionEvent({ journal, event: { tool_name: `tool.${round}` } }, ctx);
      await checkpointSession({ journal }, ctx);
    }
    const chainPath = sessionPaths(join(dir, journal)).chain;
    const original = readFileSync(chainPath, "utf8");
    const chain = JSON.parse(original);
    chain.checkpoints[1].prev_checkpoint_digest = "0".repeat(64);
    writeFileSync(chainPath, JSON.stringify(chain));
    let result = await verifySessionChain({
      chainPath,
      chain: await readSessionChain(chainPath, "c"),
      cwd: dir,
      verify: {},
    });
    assert.equal(result.ok, false);
    assert.match(result.linkage_errors.join("\n"), /checkpoint 2: prev_checkpoint_digest/);

    writeFileSync(chainPath, original);
    const runpackPath = join(dir, "tamper", chain.checkpoints[0].runpack_path);
    const other = join(dir, "tamper", chain.checkpoints[1].runpack_path);
    writeFileSync(runpackPath, readFileSync(other));
    result = await verifySessionChain({
      chainPath,
      chain: await readSessionChain(chainPath, "c"),
      cwd: dir,
      verify: {},
    });
    assert.equal(result.ok, false);
    assert.match(result.checkpoint_errors.join("\n"), /checkpoint 1: runpack manifest_digest/);
    rmSync(runpackPath);
    result = await verifySessionChain({
      chainPath,
      chain: await readSessionChain(chainPath, "c"),
      cwd: dir,
      verify: {},
    });
    assert.match(result.checkpoint_errors.join("\n"), /checkpoint 1: runpack .* not found/);

    writeFileSync(chainPath, '{"schema_id":"gait.runpack.manifest"}');
    assert.equal(await codeOfAsync(readSessionChain(chainPath, "c")), "session_chain_invalid");
  });

  it("lock tuning comes from GAIT_SESSION_LOCK_* and bad values are refused", async () => {
    const ctx = { ...context(dir), env: { GAIT_SESSION_LOCK_PROFILE: "crowd" } };
    assert.equal(
      await codeOfAsync(startSession({ journal: "lock/j.jsonl", sessionId: "s", runId: "run_s" }, ctx)),
      "session_lock_config_invalid",
    );
    const bad = { ...context(dir), env: { GAIT_SESSION_LOCK_TIMEOUT: "soon" } };
    assert.equal(
      await codeOfAsync(startSession({ journal: "lock/j.jsonl", sessionId: "s", runId: "run_s" }, bad)),
      "invalid_duration",
    );
    const swarm = {
      ...context(dir),
      env: { GAIT_SESSION_LOCK_PROFILE: "swarm", GAIT_SESSION_LOCK_RETRY: "2ms" },
    };
    await startSession({ journal: "lock/j.jsonl", sessionId: "s", runId: "run_s" }, swarm);
  });
});
