/**
 * `gait run record --redact <json-path,…>` (docs/encryption.md, "Redaction"): before a runpack is
 * built, the values at the given paths of the record input are replaced by `sha256:<hex>` of
 * their canonical JSON (RFC 8785), so the runpack can be shared without them, still proves what
 * they were to anyone who has them, and verifies like any other (its digests are of what it holds).
 *
 * Paths: `$` (optional) then `.key`, `[index]`, `.*` or `[*]` (every member or item), e.g.
 * `intents[*].args.password` or `$.results.*.result.token`. Keys are identifier-like
 * (letters, digits, `_`, `-`).
 */
import { digestJcs, type JsonValue } from "../contract/canonical.ts";
import { invalidInput } from "./error-codes.ts";

type Segment = { key: string } | { index: number } | { any: true };
export type RedactPath = { text: string; segments: Segment[] };

const SEGMENT = /\.([A-Za-z0-9_-]+)|\.\*|\[(\d+)\]|\[\*\]/y;

export function parseRedactPath(text: string): RedactPath {
  const trimmed = text.trim();
  const body = trimmed.startsWith("$") ? trimmed.slice(1) : `.${trimmed}`;
  const segments: Segment[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < body.length) {
    const start = SEGMENT.lastIndex;
    const m = SEGMENT.exec(body);
    if (!m || m.index !== start) throw badPath(text);
    if (m[1] !== undefined) segments.push({ key: m[1] });
    else if (m[2] !== undefined) segments.push({ index: Number(m[2]) });
    else segments.push({ any: true });
  }
  if (segments.length === 0) throw badPath(text);
  return { text: trimmed, segments };
}

function badPath(text: string) {
  return invalidInput(
    "runpack_redact_path_invalid",
    `--redact path ${JSON.stringify(text)} is not a JSON path`,
    {
      hint: "use $.key.key, [n] and * segments, e.g. intents[*].args.password",
      details: { path: text },
    },
  );
}

export const REDACTED_PREFIX = "sha256:";

/** Pure: a copy of `doc` with every value the paths reach replaced by its digest; counts them. */
export function redactDocument(
  doc: JsonValue,
  paths: readonly RedactPath[],
): { document: JsonValue; redacted: number } {
  let redacted = 0;
  const replace = (value: JsonValue, segments: readonly Segment[]): JsonValue => {
    if (segments.length === 0) {
      redacted++;
      return `${REDACTED_PREFIX}${digestJcs(value)}`;
    }
    const [head, ...rest] = segments as [Segment, ...Segment[]];
    if (Array.isArray(value)) {
      if ("any" in head) return value.map((item) => replace(item, rest));
      if (!("index" in head) || head.index >= value.length) return value;
      return value.map((item, i) => (i === head.index ? replace(item, rest) : item));
    }
    if (value === null || typeof value !== "object") return value;
    if ("any" in head)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v, rest)]));
    if (!("key" in head) || !Object.hasOwn(value, head.key)) return value;
    return { ...value, [head.key]: replace(value[head.key]!, rest) };
  };
  let document = doc;
  for (const path of paths) document = replace(document, path.segments);
  return { document, redacted };
}
