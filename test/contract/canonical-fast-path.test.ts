import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalize } from "../../src/contract/canonical.ts";

/** The plain definition: JSON.stringify everywhere, members sorted by UTF-16 code units. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => reference(v === undefined ? null : v)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("canonicalize fast path (strings without escapes skip JSON.stringify)", () => {
  it("matches the plain definition on arbitrary JSON, including every kind of code unit", () => {
    const anyString = fc.string({ unit: "binary" });
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        anyString,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value")),
        fc.dictionary(anyString, tie("value")),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        assert.equal(canonicalize(value), reference(value));
      }),
      { numRuns: 3000 },
    );
  });

  it("escapes quotes, backslashes, controls and lone surrogates; keeps U+2028, DEL and pairs", () => {
    for (const text of [
      'a"b',
      "a\\b",
      "\u0000\u001f",
      "\ud800",
      "x\udc00",
      "\u2028\u2029",
      "\u007f",
      "😀",
      "plain",
    ]) {
      assert.equal(canonicalize(text), JSON.stringify(text));
      assert.equal(canonicalize({ [text]: text }), `{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
    }
  });
});
