import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  buildRegressResult,
  escapeXml,
  graderEntry,
  type RegressResult,
  renderJunit,
} from "../../src/regress/index.ts";
import { childrenNamed, parseXml } from "./xml.ts";

function result(
  entries: Array<{ fixture: string; grader: string; codes?: string[] }>,
  fixtureSet = "default",
) {
  return buildRegressResult({
    fixtureSet,
    graded: entries.map((e, order) => ({
      fixture: e.fixture,
      grader: e.grader,
      order,
      entry: graderEntry(`${e.fixture}/${e.grader}`, e.codes ? "fail" : "pass", e.codes ?? [], {
        fixture: e.fixture,
      }),
    })),
  });
}

describe("renderJunit", () => {
  it("renders the contract's layout exactly", () => {
    const xml = renderJunit(
      result([
        {
          fixture: "demo",
          grader: "trajectory",
          codes: ["unexpected_verdict_sequence", "unexpected_tool_sequence"],
        },
        { fixture: "demo", grader: "diff" },
        { fixture: "demo", grader: "judge", codes: [] },
      ]),
    );
    assert.equal(
      xml,
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites tests="3" failures="2" errors="0" skipped="0" time="0">',
        '  <testsuite name="gait.regress.default" tests="3" failures="2" errors="0" skipped="0" time="0">',
        '    <testcase name="demo/diff" classname="demo" time="0"></testcase>',
        '    <testcase name="demo/judge" classname="demo" time="0">',
        '      <failure message="failed" type="regress_failure">failed</failure>',
        "    </testcase>",
        '    <testcase name="demo/trajectory" classname="demo" time="0">',
        '      <failure message="unexpected_tool_sequence,unexpected_verdict_sequence" type="regress_failure">unexpected_tool_sequence,unexpected_verdict_sequence</failure>',
        "    </testcase>",
        "  </testsuite>",
        "</testsuites>",
        "",
      ].join("\n"),
    );
  });

  it("parses as XML with the counts, names and failures a JUnit reader expects", () => {
    const doc = parseXml(
      renderJunit(
        result([
          { fixture: "a", grader: "diff", codes: ["unexpected_diff"] },
          { fixture: "b", grader: "diff" },
        ]),
      ),
    );
    assert.equal(doc.name, "testsuites");
    assert.equal(doc.attributes.tests, "2");
    assert.equal(doc.attributes.failures, "1");
    const [suite] = childrenNamed(doc, "testsuite");
    assert.equal(suite?.attributes.name, "gait.regress.default");
    const cases = childrenNamed(suite!, "testcase");
    assert.deepEqual(
      cases.map((c) => [c.attributes.classname, c.attributes.name, c.attributes.time]),
      [
        ["a", "a/diff", "0"],
        ["b", "b/diff", "0"],
      ],
    );
    const [failure] = childrenNamed(cases[0]!, "failure");
    assert.equal(failure?.attributes.type, "regress_failure");
    assert.equal(failure?.attributes.message, "unexpected_diff");
    assert.equal(failure?.text, "unexpected_diff");
    assert.equal(childrenNamed(cases[1]!, "failure").length, 0);
  });

  it("escapes every special character the way Go's xml.EscapeText does", () => {
    assert.equal(escapeXml(`<a href="x">&'</a>`), "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;");
    assert.equal(escapeXml("tab\tnl\ncr\r"), "tab&#x9;nl&#xA;cr&#xD;");
    assert.equal(escapeXml("nul\u0000 esc\u001b bom\uFFFE"), "nul\uFFFD esc\uFFFD bom\uFFFD");
    assert.equal(
      escapeXml("lone \uD800 surrogate, pair \uD83D\uDE00"),
      "lone \uFFFD surrogate, pair \uD83D\uDE00",
    );
  });

  it("stays well-formed and round-trips hostile fixture sets and reason codes", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 12 });
    const badText = fc.string({ unit: "binary", maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(text, badText), fc.oneof(text, badText), (fixtureSet, code) => {
        const doc = parseXml(renderJunit(result([{ fixture: "f", grader: "g", codes: [code] }], fixtureSet)));
        const suite = childrenNamed(doc, "testsuite")[0]!;
        const failure = childrenNamed(childrenNamed(suite, "testcase")[0]!, "failure")[0]!;
        const expected = (s: string) =>
          [...s].map((c) => (escapeXml(c) === "\uFFFD" ? "\uFFFD" : c)).join("");
        assert.equal(suite.attributes.name, expected(`gait.regress.${fixtureSet}`));
        assert.equal(failure.attributes.message, expected(code === "" ? "failed" : code));
        assert.equal(failure.text, failure.attributes.message);
      }),
    );
  });

  it("is rejected by the XML reader when it is not well-formed (the check has teeth)", () => {
    const good = renderJunit(result([{ fixture: "a", grader: "diff" }]) as RegressResult);
    assert.doesNotThrow(() => parseXml(good));
    for (const broken of [
      good.replace("</testsuite>", ""),
      good.replace('classname="a"', 'classname="a&b"'),
      good.replace('classname="a"', 'classname="a<b"'),
      good.replace('classname="a"', "classname=a"),
      good.replace('time="0">', 'time="0" time="1">'),
      `${good}<extra/>`,
      good.replace("a/diff", "a\u0001diff"),
    ]) {
      assert.throws(() => parseXml(broken), /not well-formed/);
    }
  });
});
