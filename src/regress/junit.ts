/**
 * JUnit XML for a regress result (CONTRACTS.md §6.2), laid out as Go's `xml.MarshalIndent`
 * renders the reference's structs: the XML header, `<testsuites>` holding one
 * `<testsuite name="gait.regress.<fixture_set>">`, one `<testcase>` per grader (name = grader
 * name, classname = fixture, time 0) and a `<failure type="regress_failure">` for failures,
 * 2-space indentation, trailing newline.
 */
import type { GraderEntry, RegressResult } from "./types.ts";

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>';

export function renderJunit(result: RegressResult): string {
  const failures = result.graders.filter((g) => g.status === "fail").length;
  const counts = `tests="${result.graders.length}" failures="${failures}" errors="0" skipped="0" time="0"`;
  const lines = [
    XML_HEADER,
    `<testsuites ${counts}>`,
    `  <testsuite name="${escapeXml(`gait.regress.${result.fixture_set}`)}" ${counts}>`,
    ...result.graders.flatMap(testcase),
    "  </testsuite>",
    "</testsuites>",
  ];
  return `${lines.join("\n")}\n`;
}

function testcase(grader: GraderEntry): string[] {
  const open = `    <testcase name="${escapeXml(grader.name)}" classname="${escapeXml(fixtureOf(grader))}" time="0">`;
  if (grader.status === "pass") return [`${open}</testcase>`];
  const message = escapeXml(grader.reason_codes.join(",") || "failed");
  return [
    open,
    `      <failure message="${message}" type="regress_failure">${message}</failure>`,
    "    </testcase>",
  ];
}

/** The fixture a grader entry belongs to: `details.fixture`, else the part of its name before `/`. */
function fixtureOf(grader: GraderEntry): string {
  const fixture = grader.details?.fixture;
  if (typeof fixture === "string") return fixture;
  const slash = grader.name.indexOf("/");
  return slash === -1 ? grader.name : grader.name.slice(0, slash);
}

/**
 * Escapes text for both attribute values and character data, as Go's `xml.EscapeText` does:
 * the five specials, tab/newline/CR as character references (so attribute values survive
 * normalisation), and characters XML 1.0 forbids replaced by U+FFFD.
 */
export function escapeXml(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    switch (char) {
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case "'":
        out += "&#39;";
        break;
      case "\t":
        out += "&#x9;";
        break;
      case "\n":
        out += "&#xA;";
        break;
      case "\r":
        out += "&#xD;";
        break;
      default:
        out += isXmlChar(code) ? char : "\uFFFD";
    }
  }
  return out;
}

/** XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
