/** Text forms of the files regress writes: pretty JSON the way the reference renders it. */

/**
 * 2-space JSON with a trailing newline. `<`, `>`, `&` (and U+2028/2029) are escaped as Go's
 * encoder does; they can only occur inside strings, so escaping the whole text is safe.
 */
export function prettyJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${text}\n`;
}
