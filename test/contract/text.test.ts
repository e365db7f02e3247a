import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { findInvisibleCharacter } from "../../src/contract/text.ts";

/** The definition, without the printable-ASCII shortcut findInvisibleCharacter takes first. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;

describe("findInvisibleCharacter", () => {
  it("finds what the Unicode classes find, at the same index, ASCII shortcut or not", () => {
    const unit = fc.oneof(
      fc.constantFrom("a", " ", "~", "\u0000", "\u001f", "\u007f", "\u0085", "\u00a0", "\u200b", "\u202e"),
      fc.constantFrom("\ud800", "\ue000", "\u2028", "\u3000", "\ufeff", "é", "日"),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit }), fc.string(), fc.string({ unit: "binary" })), (text) => {
        const expected = INVISIBLE.exec(text);
        assert.equal(findInvisibleCharacter(text)?.index, expected?.index);
      }),
      { numRuns: 2000 },
    );
  });

  it("passes printable ASCII names and stops a zero-width space", () => {
    assert.equal(findInvisibleCharacter("tool.write"), undefined);
    assert.deepEqual(findInvisibleCharacter("delete\u200b_user"), { index: 6, codePoint: "U+200B" });
  });
});
