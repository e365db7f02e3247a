/** One-line summaries for policy test output (CONTRACTS.md §6.1). */

export const SUMMARY_MAX_CHARS = 240;

/** `policy test verdict=<v> reasons=<csv|none> violations=<csv|none>`, at most 240 characters. */
export function verdictSummary(verdict: string, reasonCodes: string[], violations: string[]): string {
  return truncateSummary(
    `policy test verdict=${verdict} reasons=${csvOrNone(reasonCodes)} violations=${csvOrNone(violations)}`,
  );
}

function csvOrNone(values: string[]): string {
  return values.length > 0 ? values.join(",") : "none";
}

/**
 * Cuts `text` so the result, suffix included, is at most `max` characters, and appends
 * `...(+N)` where N is the number of characters dropped. Characters are Unicode code points, so a
 * cut never splits a surrogate pair.
 */
export function truncateSummary(text: string, max = SUMMARY_MAX_CHARS): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  let keep = max;
  // The suffix length depends on N, which depends on how much we keep: shrink until it fits.
  while (keep > 0 && keep + suffix(chars.length - keep).length > max) keep--;
  return chars.slice(0, keep).join("") + suffix(chars.length - keep);
}

function suffix(dropped: number): string {
  return `...(+${dropped})`;
}
