/**
 * The strict YAML reader has two parsers (contract/yaml-strict.ts): js-yaml reads good documents
 * fast, yaml (which keeps positions) reads everything else. They must agree: whenever the fast
 * parser reads a document, the positioned parser reads it to the same values, and a document the
 * positioned parser refuses is never accepted by the fast one. Documents come from fast-check
 * (random layout, flow and block styles, quoting, comments, tricky scalar spellings placed in
 * fields of every type); set YAML_DIFF_SEED to replay a failure.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { generatedPolicyYaml } from "../../bench/gate.ts";
import { GaitError } from "../../src/contract/errors.ts";
import {
  readStrictYaml,
  type ShapeSchema,
  type StrictYamlDocument,
  type StrictYamlOptions,
  yamlParsersForTest,
} from "../../src/contract/yaml-strict.ts";
import { parsePolicyYaml } from "../../src/gate/policy.ts";
import { PolicyDocumentSchema } from "../../src/gate/policy-schema.ts";

const seed = Number(process.env.YAML_DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));
const options: StrictYamlOptions = { source: "doc.yaml", codePrefix: "policy", what: "policy" };

const SCHEMA: ShapeSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    enabled: { type: "boolean" },
    count: { type: "integer", minimum: 0 },
    ratio: { type: "number" },
    tags: { type: "array", items: { type: "string" } },
    rules: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, priority: { type: "integer", minimum: 0 } },
      },
    },
    nested: { type: "object", properties: { path: { type: "string" }, on: { type: "boolean" } } },
  },
};

type Outcome = { ok: true; value: unknown } | { ok: false; code: string } | { ok: "bailed" };

function outcome(doc: () => StrictYamlDocument | undefined, schema = SCHEMA): Outcome {
  try {
    const document = doc();
    if (!document) return { ok: "bailed" };
    return { ok: true, value: document.readWithSchema(schema).value };
  } catch (error) {
    if (!(error instanceof GaitError)) throw error;
    return { ok: false, code: error.code };
  }
}

function assertAgree(text: string, schema = SCHEMA): void {
  const fast = outcome(() => yamlParsersForTest.fastDocument(text, options), schema);
  const positioned = outcome(() => yamlParsersForTest.positionedDocument(text, options), schema);
  const context = `document:\n${text}\nfast: ${JSON.stringify(fast)}\npositioned: ${JSON.stringify(positioned)}`;
  if (fast.ok === true) assert.deepEqual(positioned, fast, context);
  if (positioned.ok === false) assert.notEqual(fast.ok, true, context);
}

/** Scalar spellings where YAML 1.1, YAML 1.2 and parsers tend to differ. */
const SCALARS = [
  "true",
  "True",
  "TRUE",
  "false",
  "FALSE",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "~",
  "null",
  "Null",
  "NULL",
  "",
  "0",
  "007",
  "0o17",
  "0x1F",
  "0X1F",
  "0b101",
  "+12",
  "-3",
  "1.5",
  "1.",
  ".5",
  "1e3",
  "1E3",
  "1e+3",
  "+.inf",
  "-.Inf",
  ".INF",
  ".nan",
  ".NaN",
  "1_000",
  "12:30",
  "2024-01-01",
  "1.2.3",
  "9007199254740993",
  "-0",
  "abc",
  "abc def",
  "a#b",
  "'single'",
  "'it''s'",
  '"double"',
  '"true"',
  "'123'",
  '"\\u00e9t\\u00e9"',
  '"tab\\there"',
  '""',
  "''",
  "x: y",
  "- z",
  "*alias",
  "&anchor v",
  "!!str 12",
  "!!int 12",
  "[a, b]",
  "{a: 1}",
  "[]",
  "{}",
  "@at",
  "`tick",
  "%pct",
  "é",
  " lead",
  "trail ",
];

const scalar = fc.constantFrom(...SCALARS);
const comment = fc.constantFrom("", "", "  # note", " #x");
const key = fc.constantFrom(
  "name",
  "enabled",
  "count",
  "ratio",
  "tags",
  "rules",
  "nested",
  "path",
  "on",
  "extra",
  '"name"',
  "'count'",
);

function blockMap(entries: [string, string][], indent: string): string {
  return entries.map(([k, v]) => `${indent}${k}:${v}`).join("\n");
}

/** A value rendered after "key:": a scalar, a block list, a flow list, a nested mapping or a block scalar. */
const value: fc.Arbitrary<(indent: string) => string> = fc.oneof(
  fc.tuple(scalar, comment).map(
    ([s, c]) =>
      () =>
        s === "" ? c : ` ${s}${c}`,
  ),
  fc
    .array(scalar, { maxLength: 3 })
    .map(
      (items) => (indent: string) =>
        items.length === 0 ? " []" : `\n${items.map((item) => `${indent}  - ${item}`).join("\n")}`,
    ),
  fc.array(scalar, { maxLength: 3 }).map((items) => () => ` [${items.join(", ")}]`),
  fc.array(fc.tuple(key, scalar), { maxLength: 3 }).map(
    (pairs) => (indent: string) =>
      pairs.length === 0
        ? " {}"
        : `\n${blockMap(
            pairs.map(([k, s]) => [k, ` ${s}`]),
            `${indent}  `,
          )}`,
  ),
  fc
    .array(fc.tuple(key, scalar), { minLength: 1, maxLength: 3 })
    .map(
      (pairs) => (indent: string) =>
        `\n${pairs.map(([k, s], i) => `${indent}${i === 0 ? "  - " : "    "}${k}: ${s}`).join("\n")}`,
    ),
  fc.tuple(fc.constantFrom("|", ">", "|-", ">+"), fc.constantFrom("one", "two words", "007")).map(
    ([style, body]) =>
      (indent: string) =>
        ` ${style}\n${indent}  ${body}\n${indent}  ${body}`,
  ),
);

const documentText = fc
  .array(fc.tuple(key, value), { maxLength: 7 })
  .chain((entries) =>
    fc.tuple(
      fc.constant(entries),
      fc.constantFrom("", "---\n", "# header\n", "\n\n"),
      fc.constantFrom("", "\n", "\n...\n"),
    ),
  )
  .map(
    ([entries, head, tail]) => head + entries.map(([k, render]) => `${k}:${render("")}`).join("\n") + tail,
  );

describe("strict YAML: the fast and the positioned parser agree", () => {
  it(`random documents read to the same values (seed ${seed})`, () => {
    let fastReads = 0;
    fc.assert(
      fc.property(documentText, (text) => {
        assertAgree(text);
        if (yamlParsersForTest.fastDocument(text, options)) fastReads++;
      }),
      { numRuns: 3000, seed },
    );
    assert.ok(fastReads > 1000, `the fast parser read only ${fastReads} of 3000 documents`);
  });

  it("edge cases: number and boolean spellings keep their text in string fields", () => {
    const text = "name: 007\ntags: [0x1F, 1e3, true, ~x, .inf, 1_000]\nnested:\n  path: 1.50\n";
    assertAgree(text);
    const doc = yamlParsersForTest.fastDocument(text, options);
    assert.ok(doc);
    assert.deepEqual(doc.readWithSchema(SCHEMA).value, {
      name: "007",
      tags: ["0x1F", "1e3", "true", "~x", ".inf", "1_000"],
      nested: { path: "1.50" },
    });
  });

  it("edge cases: YAML 1.1 words stay strings, quoted scalars are strings, integers by the core schema", () => {
    for (const text of [
      "enabled: yes",
      "enabled: 'true'",
      "count: 0o17",
      "count: 0x10",
      "count: 1.0",
      "count: -1",
      "count: 9007199254740993",
      "ratio: .inf",
      "ratio: .nan",
      "ratio: 1e-3",
      "name: !!str 12",
      "count: !!int '12'",
      "tags: [a, [b]]",
      "rules:\n  -\n  - name: x",
      "nested: ~",
      "a: &x 1\nb: *x",
      "? complex\n: key",
      "%YAML 1.1\n---\nenabled: yes",
      "name: x\nname: y",
      "name: [unclosed",
      "\tname: tab",
      "__proto__: x",
      "constructor: x",
    ]) {
      assertAgree(text);
    }
  });

  it("a document the fast parser cannot read alike goes to the positioned parser (positions in errors)", () => {
    const error = (() => {
      try {
        readStrictYaml("name: x\ncount: many\n", options, (doc) => doc.readWithSchema(SCHEMA));
      } catch (caught) {
        return caught as GaitError;
      }
      return undefined;
    })();
    assert.ok(error instanceof GaitError);
    assert.equal(error.code, "policy_invalid");
    assert.match(error.message, /^doc\.yaml:2:8: count: must be an integer/);
  });

  it("a generated 100-rule policy loads the same through either parser", () => {
    const text = generatedPolicyYaml(100);
    const fast = outcome(
      () => yamlParsersForTest.fastDocument(text, options),
      PolicyDocumentSchema as ShapeSchema,
    );
    assert.equal(fast.ok, true);
    assertAgree(text, PolicyDocumentSchema as ShapeSchema);
    const loaded = parsePolicyYaml(text, "generated.yaml");
    assert.equal(loaded.policy.rules.length, 100);
  });
});
