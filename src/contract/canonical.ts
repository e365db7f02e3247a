/**
 * RFC 8785 (JCS) canonical JSON, SHA-256 digests and a strict JSON parser.
 *
 * JCS: object members sorted by the UTF-16 code units of their names (JavaScript's default
 * string order), no whitespace, and leaves serialized exactly as ECMAScript `JSON.stringify`
 * does (which is what RFC 8785 specifies for strings and numbers).
 */
import { invalidInput } from "./errors.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Returns the canonical (JCS) text of a JSON value. `undefined` members are skipped, as JSON does. */
export function canonicalize(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return jsonString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw invalidInput("non_finite_number", "JSON numbers must be finite");
      return JSON.stringify(value);
    case "object":
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default:
      throw invalidInput("unsupported_json_value", `cannot canonicalize a value of type ${typeof value}`);
  }
}

// Digests sit on the gate's hot path, so the text is built by concatenation (no parts array)
// and strings that need no escaping skip JSON.stringify.
function canonicalArray(value: unknown[]): string {
  let out = "[";
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ",";
    const item = value[i];
    out += canonicalize(item === undefined ? null : item);
  }
  return `${out}]`;
}

function canonicalObject(value: Record<string, unknown>, known?: KnownMember): string {
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return canonicalize((value as { toJSON: () => unknown }).toJSON());
  }
  const keys = Object.keys(value).sort();
  let out = "{";
  for (const key of keys) {
    const member = value[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${jsonString(key)}:${key === known?.key ? known.text : canonicalize(member)}`;
  }
  return `${out}}`;
}

/** A member whose canonical text is already known: the object's own is built around it. */
interface KnownMember {
  key: string;
  text: string;
}

/**
 * The canonical text of `value`, a plain object whose member `key` is already known to
 * canonicalize as `memberText` (an intent and its arguments are both digested: the arguments,
 * often most of the intent, are then serialized once).
 */
export function canonicalizeKnowingMember(value: object, key: string, memberText: string): string {
  return canonicalObject(value as Record<string, unknown>, { key, text: memberText });
}

/** Strings JSON.stringify would leave as they are: no quote, backslash, control or surrogate code units. */
const NO_ESCAPES = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

function jsonString(text: string): string {
  return NO_ESCAPES.test(text) ? `"${text}"` : JSON.stringify(text);
}

// One-shot crypto.hash (Node 20.12+): no Hash object per digest, about twice as fast for the
// short texts the gate hashes on every decision. node:crypto is loaded on the first digest, not
// with this module, which every CLI command loads for its JSON output: loading it costs about
// 5 ms, a tenth of `gait --version`.
let cryptoHash: typeof import("node:crypto").hash | undefined;

export function sha256Hex(data: string | Uint8Array): string {
  cryptoHash ??= process.getBuiltinModule("node:crypto").hash;
  return cryptoHash("sha256", data, "hex");
}

export function sha256Bytes(data: string | Uint8Array): Buffer {
  cryptoHash ??= process.getBuiltinModule("node:crypto").hash;
  return cryptoHash("sha256", data, "buffer");
}

/** Gait's DigestJCS: sha256 of the canonical JSON, 64 lowercase hex characters, no prefix. */
export function digestJcs(value: unknown): string {
  return sha256Hex(canonicalize(value));
}

/** Canonical JSON of each value followed by "\n" (the JSONL form used inside runpacks). */
export function canonicalJsonLines(values: readonly unknown[]): string {
  let text = "";
  for (const value of values) text += `${canonicalize(value)}\n`;
  return text;
}

/**
 * Deepest nesting of arrays and objects accepted anywhere. Canonicalization, normalization and
 * verification walk values recursively; a cap far below the stack limit turns a hostile document
 * nested thousands of levels deep into a coded error instead of a stack overflow.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Parses JSON text strictly: duplicate member names are rejected (as Go's JCS library does),
 * nesting is capped at MAX_JSON_DEPTH, and every failure is a coded `invalid_json` error naming
 * the source and position.
 */
export function parseJsonStrict(text: string, source = "input"): JsonValue {
  const fail = (message: string, at: number): never => {
    throw invalidInput("invalid_json", `${source}: ${message} at offset ${at}`, {
      hint: "fix the JSON syntax and retry",
    });
  };
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw invalidInput("invalid_json", `${source}: ${message}`, { hint: "fix the JSON syntax and retry" });
  }
  if (typeof value === "object" && value !== null && !isPlainlyStructured(text, value)) {
    const problem = findStructureProblem(text);
    if (problem?.key !== undefined) fail(`duplicate key ${JSON.stringify(problem.key)}`, problem.at);
    if (problem) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`, problem.at);
  }
  return value;
}

/**
 * The fast check, on every request the sidecar parses: nesting within MAX_JSON_DEPTH, and as
 * many members in the parsed value as member names in the text (each member of valid JSON text
 * has exactly one colon outside strings). JSON.parse keeps one member per repeated name, so a
 * shortfall means a duplicate; only then does findStructureProblem look for which one.
 */
function isPlainlyStructured(text: string, value: JsonValue): boolean {
  let members = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) i = endOfString(text, i);
    else if (c === 0x3a /* : */) members++;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) return false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return members === countMembers(value);
}

/** Object members in a parsed value, nested ones included (its depth is already bounded). */
function countMembers(value: JsonValue): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  for (const key in value) count += 1 + countMembers(value[key]!);
  return count;
}

/**
 * Scans already-valid JSON text for an object that repeats a member name (`key` set) or for
 * nesting deeper than MAX_JSON_DEPTH (no `key`). Works on the raw text, iteratively, so it also
 * sees duplicates that JSON.parse silently collapsed.
 */
function findStructureProblem(text: string): { key?: string; at: number } | undefined {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      if (stack.length >= MAX_JSON_DEPTH) return { at: i };
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH) return { at: i };
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === 0x22 /* " */) {
      const start = i;
      i = endOfString(text, i);
      if (expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return { key, at: start };
        keys.add(key);
        expectKey = false;
      }
    }
  }
  return undefined;
}

function endOfString(text: string, openQuote: number): number {
  for (let i = openQuote + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

/**
 * True when `value` nests arrays/objects deeper than `max` levels. Iterative, so it is safe on
 * values built in memory (which never went through parseJsonStrict) before any recursive walk.
 */
export function exceedsJsonDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth >= max) return true;
    for (const member of Object.values(item)) {
      if (typeof member === "object" && member !== null) pending.push([member, depth + 1]);
    }
  }
  return false;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses strict JSON that must be an object; `what` names the document in errors. */
export function parseJsonObject(text: string, what: string): JsonObject {
  const value = parseJsonStrict(text, what);
  if (!isJsonObject(value)) {
    throw invalidInput("invalid_json", `${what}: expected a JSON object`, { hint: "check the input schema" });
  }
  return value;
}
