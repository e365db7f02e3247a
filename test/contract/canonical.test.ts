import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  canonicalize,
  canonicalizeKnowingMember,
  digestJcs,
  parseJsonStrict,
  sha256Hex,
} from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";

describe("canonicalize (RFC 8785)", () => {
  it("serializes the RFC's number examples (Appendix B)", () => {
    const cases: Array<[number, string]> = [
      [0, "0"],
      [-0, "0"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [9007199254740992, "9007199254740992"],
      [-9007199254740992, "-9007199254740992"],
      [295147905179352830000, "295147905179352830000"],
      [1e21, "1e+21"],
      [1e-7, "1e-7"],
      [0.000001, "0.000001"],
      [333333333.3333333, "333333333.3333333"],
      [1e23, "1e+23"],
      [9.999999999999997e22, "9.999999999999997e+22"],
      [1.0, "1"],
    ];
    for (const [value, text] of cases) assert.equal(canonicalize(value), text, `for ${value}`);
  });

  it("reproduces the RFC 8785 §3.2.2 example byte for byte", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    assert.equal(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts member names by UTF-16 code units (RFC 8785 §3.2.3 example)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // Read the order off the text: JS objects list integer-like keys ("1") first when parsed.
    const keys = [...canonicalize(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) =>
      JSON.parse(`"${m[1]}"`),
    );
    assert.deepEqual(keys, ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  });

  it("escapes only what JCS escapes, lowercase hex for control characters", () => {
    assert.equal(canonicalize("<>&\u2028/é\u001f\b\t"), '"<>&\u2028/é\\u001f\\b\\t"');
  });

  it("rejects non-finite numbers with a coded error", () => {
    assert.throws(
      () => canonicalize({ a: Number.NaN }),
      (e: unknown) => e instanceof GaitError && e.code === "non_finite_number",
    );
  });

  it("drops undefined members and is independent of key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        return canonicalize(obj) === canonicalize(reversed);
      }),
    );
    assert.equal(canonicalize({ a: undefined, b: 1 }), '{"b":1}');
  });

  it("with a member's text already known, gives the same text as canonicalizing it all", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        fc.jsonValue(),
        (obj, key, member) => {
          const value = { ...obj };
          Object.defineProperty(value, key, {
            value: member,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          return canonicalizeKnowingMember(value, key, canonicalize(member)) === canonicalize(value);
        },
      ),
    );
    // The known text is used as given: it is the caller's promise, not checked again.
    assert.equal(canonicalizeKnowingMember({ a: 1, b: 2 }, "a", "7"), '{"a":7,"b":2}');
  });

  it("round-trips: canonical text parses back to an equal value and re-canonicalizes identically", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        return canonicalize(JSON.parse(text)) === text;
      }),
    );
  });
});

describe("digestJcs", () => {
  it("is sha256 hex of the canonical bytes", () => {
    assert.equal(digestJcs({ b: 1, a: "x" }), sha256Hex('{"a":"x","b":1}'));
    assert.match(digestJcs({}), /^[0-9a-f]{64}$/);
  });

  it("reproduces the reference policy digest input (CONTRACTS §12)", () => {
    const input = {
      DefaultVerdict: "require_approval",
      FailClosed: { Enabled: false, RequiredFields: [], RiskClasses: [] },
      Rules: [],
      SchemaID: "gait.gate.policy",
      SchemaVersion: "1.0.0",
    };
    assert.equal(digestJcs(input), "07a528a879e4f0e0cd5a0e2ca801924746b47dac624862207ef21d4ec266f8f9");
  });
});

describe("parseJsonStrict", () => {
  it("rejects duplicate member names, even nested", () => {
    for (const text of ['{"a":1,"a":2}', '{"x":{"b":1,"c":{"d":1},"b":2}}', '[{"k":1},{"k":2,"k":3}]']) {
      assert.throws(
        () => parseJsonStrict(text),
        (e: unknown) => e instanceof GaitError && e.code === "invalid_json",
      );
    }
  });

  it("accepts the same name in sibling objects and inside strings", () => {
    assert.deepEqual(parseJsonStrict('[{"k":1},{"k":2}]'), [{ k: 1 }, { k: 2 }]);
    assert.deepEqual(parseJsonStrict('{"a":"\\"a\\":","b":{"a":1}}'), { a: '"a":', b: { a: 1 } });
  });

  it("treats escaped and literal spellings of a name as duplicates", () => {
    assert.throws(() => parseJsonStrict('{"a":1,"\\u0061":2}'));
  });

  it("accepts any JSON without repeated names, and refuses it once a name is repeated anywhere", () => {
    // The member count check (colons outside strings vs members parsed) against random documents
    // whose strings hold colons, quotes and braces; a repeat goes into a random object.
    const anyText = fc.string({ unit: fc.constantFrom("a", ":", '"', "\\", "{", "}", "[", "]", ",", "é") });
    const document = fc.jsonValue({ maxDepth: 4 }).chain((value) => fc.tuple(fc.constant(value), anyText));
    fc.assert(
      fc.property(document, fc.nat(), ([value, name], pick) => {
        const text = JSON.stringify(value);
        assert.deepEqual(parseJsonStrict(text), JSON.parse(text));
        const objects = [...text.matchAll(/\{/g)].filter((match) => isObjectStart(text, match.index));
        if (objects.length === 0) return;
        const at = objects[pick % objects.length]!.index + 1;
        const member = `${JSON.stringify(name)}:1,${JSON.stringify(name)}:2`;
        const repeated = `${text.slice(0, at)}${member}${text[at] === "}" ? "" : ","}${text.slice(at)}`;
        assert.throws(() => parseJsonStrict(repeated), /duplicate key/);
      }),
    );
  });

  it("gives coded errors, never crashes, on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseJsonStrict(text);
        } catch (error) {
          return error instanceof GaitError && error.exitCode === 6;
        }
        return true;
      }),
    );
  });
});

/** Whether the "{" at `index` of JSON text opens an object (is not inside a string). */
function isObjectStart(text: string, index: number): boolean {
  let inString = false;
  for (let i = 0; i < index; i++) {
    if (text[i] === "\\" && inString) i++;
    else if (text[i] === '"') inString = !inString;
  }
  return !inString;
}
