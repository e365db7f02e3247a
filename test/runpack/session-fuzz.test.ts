/** The session journal parser on corrupt, truncated and arbitrary input: a journal or a coded error (exit 6 or 2), never a crash. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import { parseSessionJournal } from "../../src/runpack/index.ts";
import {
  journalHeader,
  journalLine,
  nextCheckpoint,
  sessionEvent,
} from "../../src/runpack/session-journal.ts";

const META = { createdAt: "2026-02-05T00:00:01Z", producerVersion: "0.0.0-test" };
const HEADER = journalHeader({
  sessionId: "sess_f",
  runId: "run_f",
  createdAt: "2026-02-05T00:00:00Z",
  producerVersion: "0.0.0-test",
});

/** Five events, a checkpoint over them, two more events. */
function validJournal(): string {
  let text = journalLine(HEADER);
  for (let i = 1; i <= 5; i++)
    text += journalLine(
      sessionEvent(HEADER, i, { tool_name: `tool.${i}`, verdict: "allow", reason_codes: ["r"] }, META),
    );
  const checkpoint = nextCheckpoint(parseSessionJournal(text, "j"), {
    ...META,
    runpackPath: "runpack_run_f_cp_0001.zip",
    manifestDigest: "d".repeat(64),
    sequenceStart: 1,
    sequenceEnd: 5,
  });
  text += journalLine(checkpoint);
  for (let i = 6; i <= 7; i++) text += journalLine(sessionEvent(HEADER, i, { tool_name: "tool.x" }, META));
  return text;
}

const VALID = validJournal();
const CODES = new Set([
  "session_journal_invalid",
  "session_journal_truncated",
  "session_journal_broken",
  "invalid_timestamp",
]);

/** Parses, and checks what a parsed journal promises; or demands a coded error with exit 6 or 2. */
function parseOrCodedError(text: string): void {
  try {
    const journal = parseSessionJournal(text, "journal.jsonl");
    journal.events.forEach((event, i) => {
      if (i > 0) assert.ok(event.sequence > journal.events[i - 1]!.sequence);
    });
    journal.checkpoints.forEach((checkpoint, i) => {
      assert.equal(checkpoint.checkpoint_index, i + 1);
      assert.equal(checkpoint.sequence_start, (journal.checkpoints[i - 1]?.sequence_end ?? 0) + 1);
    });
    const ends = [
      ...journal.events.map((e) => e.sequence),
      ...journal.checkpoints.map((c) => c.sequence_end),
    ];
    assert.equal(journal.lastSequence, Math.max(0, ...ends));
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(
      error instanceof GaitError,
      `uncoded failure: ${error instanceof Error ? error.stack : String(error)}`,
    );
    assert.ok(CODES.has(error.code), `unexpected code ${error.code}: ${error.message}`);
    assert.ok(error.exitCode === 6 || error.exitCode === 2, `exit ${error.exitCode}`);
  }
}

describe("session journal parser (fast-check)", () => {
  it("the unmutated journal parses", () => {
    const journal = parseSessionJournal(VALID, "j");
    assert.deepEqual([journal.events.length, journal.checkpoints.length, journal.lastSequence], [7, 1, 7]);
  });

  it("a journal cut anywhere inside a line is truncated (coded), never parsed as complete", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: VALID.length - 1 }), (cut) => {
        const text = VALID.slice(0, cut);
        if (text.endsWith("\n")) return parseOrCodedError(text);
        assert.throws(
          () => parseSessionJournal(text, "j"),
          (e: unknown) => e instanceof GaitError && e.code === "session_journal_truncated",
        );
      }),
      { numRuns: 300 },
    );
  });

  it("byte flips, spliced lines and dropped or repeated lines give a journal or a coded error", () => {
    const lines = VALID.slice(0, -1).split("\n");
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip"), at: fc.nat(), char: fc.string({ minLength: 1, maxLength: 1 }) }),
      fc.record({ kind: fc.constant("insert"), at: fc.nat(), line: fc.oneof(fc.json(), fc.string()) }),
      fc.record({ kind: fc.constant("drop"), at: fc.nat() }),
      fc.record({ kind: fc.constant("repeat"), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let current = [...lines];
        for (const m of mutations) {
          const at = m.at % Math.max(current.length, 1);
          if (m.kind === "flip") {
            const line = current[at] ?? "";
            const pos = m.at % Math.max(line.length, 1);
            current[at] = line.slice(0, pos) + (m as { char: string }).char + line.slice(pos + 1);
          } else if (m.kind === "insert")
            current.splice(at, 0, String((m as { line: string }).line).replace(/\n/g, " "));
          else if (m.kind === "drop") current = current.filter((_, i) => i !== at);
          else current.splice(at, 0, current[at] ?? "");
        }
        parseOrCodedError(current.length === 0 ? "" : `${current.join("\n")}\n`);
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary text gives a coded error", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => parseOrCodedError(text)),
      { numRuns: 300 },
    );
  });
});
