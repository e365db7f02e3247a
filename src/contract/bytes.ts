/** Byte-order helpers: Go sorts strings by their UTF-8 bytes, not by locale or UTF-16 units. */

const encoder = new TextEncoder();

/** Compares two strings by the bytes of their UTF-8 encoding (Go `sort.Strings` order). */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order equals UTF-8 byte order unless a surrogate pair meets a code unit >= U+E000.
  if (isBmpBelowSurrogates(a) && isBmpBelowSurrogates(b)) return a < b ? -1 : 1;
  const ab = encoder.encode(a);
  const bb = encoder.encode(b);
  const n = Math.min(ab.length, bb.length);
  for (let i = 0; i < n; i++) {
    const d = ab[i]! - bb[i]!;
    if (d !== 0) return d;
  }
  return ab.length - bb.length;
}

function isBmpBelowSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return false;
  return true;
}

/** Returns a new array of unique strings in byte order. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareBytes);
}

const hex64 = /^[0-9a-f]{64}$/;
export function isSha256Hex(value: unknown): value is string {
  return typeof value === "string" && hex64.test(value);
}
