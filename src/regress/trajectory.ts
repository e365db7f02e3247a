/**
 * What a run did, as the trajectory grader compares it: the tool sequence (intent tool names in
 * recorded order) and the verdict sequence (one per result), and where two sequences part ways.
 */
import { isJsonObject } from "../contract/canonical.ts";
import { trimLower, trimSpace } from "../contract/text.ts";
import type { ResultRecord, Runpack } from "../runpack/index.ts";

export function toolSequence(runpack: Runpack): string[] {
  return runpack.intents.map((intent) => intent.tool_name);
}

/** A result's verdict: `result.verdict` when the raw payload carries one, else from its status. */
function resultVerdict(result: ResultRecord): string {
  const payload = result.result;
  if (isJsonObject(payload) && typeof payload.verdict === "string" && trimSpace(payload.verdict) !== "") {
    return trimSpace(payload.verdict);
  }
  return verdictFromStatus(result.status);
}

/** Status words map onto gate verdicts; anything unrecognised is an `error`. */
export function verdictFromStatus(status: string): string {
  switch (trimLower(status)) {
    case "ok":
    case "success":
    case "allow":
    case "allowed":
      return "allow";
    case "block":
    case "blocked":
    case "deny":
    case "denied":
      return "block";
    case "require_approval":
    case "approval_required":
      return "require_approval";
    case "dry_run":
      return "dry_run";
    default:
      return "error";
  }
}

export function verdictSequence(runpack: Runpack): string[] {
  return runpack.results.map(resultVerdict);
}

/**
 * The first index at which `expected` and `actual` differ, or -1 when they are equal. When one
 * is a prefix of the other, the index is the shorter one's length (the first missing or extra step).
 */
export function firstMismatchIndex(expected: readonly string[], actual: readonly string[]): number {
  const shared = Math.min(expected.length, actual.length);
  for (let i = 0; i < shared; i++) if (expected[i] !== actual[i]) return i;
  return expected.length === actual.length ? -1 : shared;
}
