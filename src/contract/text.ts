/**
 * Names that must look like what they are. A tool name, identity or risk class that carries an
 * invisible character (NUL, zero-width space, a bidi override, a lone surrogate…) reads the same
 * as the visible name to a person but is a different string to a matcher, so a block rule on
 * `delete_user` would not see `delete\u200b_user`. Such names are refused, never matched.
 */

/**
 * Control (Cc), format (Cf: zero-width, bidi controls, BOM, soft hyphen), surrogate (Cs: only
 * unpaired ones survive in a JS string), private-use (Co), line and paragraph separators, and any
 * space other than U+0020 (the rest of Zs, listed: NBSP and friends look like a plain space).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;
/** The same, global; built on first use (the constructor expands the Unicode classes at once: ~0.4 ms of start-up). */
let invisibleAll: RegExp | undefined;

export interface InvisibleCharacter {
  /** UTF-16 index of the first offending character. */
  index: number;
  /** Its code point as `U+XXXX`. */
  codePoint: string;
}

/** Printable ASCII holds none of them; checked first, so names need not run the Unicode-class expression. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The first invisible or look-alike character of `text` (a plain space is allowed), if any. */
export function findInvisibleCharacter(text: string): InvisibleCharacter | undefined {
  // Every decision checks several names: the Unicode-class expression costs 0.1-0.3 ms a call
  // until V8 has compiled it, a visible share of a one-shot `gait gate eval`.
  if (PRINTABLE_ASCII.test(text)) return undefined;
  const match = INVISIBLE.exec(text);
  if (!match) return undefined;
  const code = match[0].codePointAt(0) ?? 0;
  return { index: match.index, codePoint: `U+${code.toString(16).toUpperCase().padStart(4, "0")}` };
}

/**
 * `text` with every invisible character removed. Only for deciding how to fail closed on a name
 * that was refused (which risk class `high\u200b` was meant to be), never for accepting one.
 */
export function withoutInvisibleCharacters(text: string): string {
  invisibleAll ??= new RegExp(INVISIBLE.source, "gu");
  return text.replace(invisibleAll, "");
}

/**
 * Go's `unicode.IsSpace` set, which the reference's `strings.TrimSpace` strips. It differs from
 * JavaScript's `trim()`: Go strips NEL (U+0085) and keeps the BOM (U+FEFF); JS does the reverse.
 * Every contract field is trimmed with this, so both tools normalize (and digest) alike.
 */
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");

/** `text` without leading and trailing white space, exactly as Go's `strings.TrimSpace`. */
export function trimSpace(text: string): string {
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  // Fast path: printable ASCII at both ends cannot be trimmed.
  if (first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) return text;
  return text.replace(GO_TRIM, "");
}

/**
 * `text` lower-cased one code point at a time, as Go's `strings.ToLower`: no final-sigma rule
 * (Σ → σ everywhere) and İ (U+0130) → i, where JavaScript's `toLowerCase` gives ς and "i̇".
 */
export function lowerCase(text: string): string {
  if (/^[\u0000-\u007f]*$/.test(text)) return text.toLowerCase();
  let out = "";
  for (const char of text) out += char === "\u0130" ? "i" : char.toLowerCase();
  return out;
}

/** `lowerCase(trimSpace(text))`: how the reference normalizes enums, digests and names. */
export function trimLower(text: string): string {
  return lowerCase(trimSpace(text));
}
