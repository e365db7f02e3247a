import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  firstMismatchIndex,
  toolSequence,
  verdictFromStatus,
  verdictSequence,
} from "../../src/regress/index.ts";
import { built, runInput } from "./helpers.ts";

describe("firstMismatchIndex", () => {
  it("is -1 for equal sequences", () => {
    assert.equal(firstMismatchIndex([], []), -1);
    assert.equal(firstMismatchIndex(["a", "b"], ["a", "b"]), -1);
  });

  it("is the index of the first differing step", () => {
    assert.equal(firstMismatchIndex(["a", "b", "c"], ["b", "a", "c"]), 0);
    assert.equal(firstMismatchIndex(["a", "b", "c"], ["a", "b", "x"]), 2);
  });

  it("is the shorter length when one sequence is a prefix of the other", () => {
    assert.equal(firstMismatchIndex(["a", "b"], ["a", "b", "c"]), 2);
    assert.equal(firstMismatchIndex(["a", "b", "c"], ["a"]), 1);
    assert.equal(firstMismatchIndex([], ["a"]), 0);
  });

  it("points at a step where the sequences differ, with equal prefixes before it", () => {
    const seq = fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 8 });
    fc.assert(
      fc.property(seq, seq, (expected, actual) => {
        const i = firstMismatchIndex(expected, actual);
        if (i === -1) return assert.deepEqual(expected, actual);
        assert.deepEqual(expected.slice(0, i), actual.slice(0, i));
        assert.notEqual(expected[i], actual[i]);
      }),
    );
  });
});

describe("tool and verdict sequences", () => {
  it("lists tools in intent order and verdicts in result order", () => {
    const { runpack } = built(
      runInput("run_seq", [
        { tool: "tool.a" },
        { tool: "tool.b", status: "error" },
        { tool: "tool.c", status: null },
      ]),
    );
    assert.deepEqual(toolSequence(runpack), ["tool.a", "tool.b", "tool.c"]);
    assert.deepEqual(verdictSequence(runpack), ["allow", "error"]);
  });

  it("prefers result.verdict from a raw payload over the status", () => {
    const { runpack } = built({
      ...runInput("run_raw", [{ tool: "tool.a", result: { verdict: "block" } }, { tool: "tool.b" }]),
      capture_mode: "raw",
    });
    assert.deepEqual(verdictSequence(runpack), ["block", "allow"]);
  });

  it("maps status words onto verdicts, unknown ones to error", () => {
    assert.equal(verdictFromStatus("ok"), "allow");
    assert.equal(verdictFromStatus(" Blocked "), "block");
    assert.equal(verdictFromStatus("approval_required"), "require_approval");
    assert.equal(verdictFromStatus("dry_run"), "dry_run");
    assert.equal(verdictFromStatus("error"), "error");
    assert.equal(verdictFromStatus("weird"), "error");
  });
});
