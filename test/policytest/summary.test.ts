import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SUMMARY_MAX_CHARS, truncateSummary, verdictSummary } from "../../src/policytest/index.ts";

describe("policy test summary", () => {
  it("lists reasons and violations as csv, or none", () => {
    assert.equal(
      verdictSummary("block", ["a_reason", "b_reason"], ["x_violation"]),
      "policy test verdict=block reasons=a_reason,b_reason violations=x_violation",
    );
    assert.equal(verdictSummary("allow", [], []), "policy test verdict=allow reasons=none violations=none");
  });

  it("leaves a summary of exactly 240 characters alone", () => {
    const text = "x".repeat(SUMMARY_MAX_CHARS);
    assert.equal(truncateSummary(text), text);
  });

  it("cuts to 240 characters including a ...(+N) suffix, N = characters dropped", () => {
    const text = "y".repeat(300);
    const cut = truncateSummary(text);
    assert.equal(cut.length, 240);
    // 232 kept + "...(+68)" (8 characters) = 240.
    assert.equal(cut, `${"y".repeat(232)}...(+68)`);
  });

  it("truncates a long verdict summary", () => {
    const reasons = Array.from({ length: 40 }, (_, i) => `reason_code_${String(i).padStart(2, "0")}`);
    const summary = verdictSummary("block", reasons, []);
    assert.ok(summary.length <= 240);
    assert.match(summary, /^policy test verdict=block reasons=reason_code_00,/);
    assert.match(summary, /\.\.\.\(\+\d+\)$/);
  });

  it("never splits a surrogate pair and always accounts for every dropped character", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 400 }),
        fc.integer({ min: 12, max: 300 }),
        (text, max) => {
          const cut = truncateSummary(text, max);
          const chars = Array.from(text);
          if (chars.length <= max) return cut === text;
          const match = /\.\.\.\(\+(\d+)\)$/.exec(cut);
          if (!match) return false;
          const kept = Array.from(cut).length - match[0].length;
          return (
            Array.from(cut).length <= max &&
            kept + Number(match[1]) === chars.length &&
            text.startsWith(Array.from(cut).slice(0, kept).join(""))
          );
        },
      ),
    );
  });
});
