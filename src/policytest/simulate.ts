/**
 * `policy simulate`: evaluate the same fixture intents under a baseline and a candidate policy,
 * report which verdicts change ("what would have been blocked") and recommend how to roll the
 * candidate out (REFERENCE.md §2.5). Pure: fixtures and the evaluation time are inputs.
 */
import { GaitError, isGaitError } from "../contract/errors.ts";
import type { CompiledPolicy, Verdict } from "../gate/index.ts";
import { invalidInput } from "./error-codes.ts";
import { countVerdicts } from "./fixtures.ts";
import { evaluateIntent, type IntentEvaluation, type PolicyTestOptions } from "./run.ts";
import type { Fixture, Recommendation, SimulationChange, SimulationReport } from "./types.ts";

export interface SimulateRequest {
  baseline: CompiledPolicy;
  candidate: CompiledPolicy;
  fixtures: readonly Fixture[];
}

/** Throws (exit 6) on a fixture that cannot be read or evaluated: a comparison needs every verdict. */
export function simulatePolicies(request: SimulateRequest, options: PolicyTestOptions): SimulationReport {
  const { baseline, candidate, fixtures } = request;
  if (fixtures.length === 0) {
    throw invalidInput("usage", "policy simulate needs at least one fixture intent", {
      hint: "pass --fixtures with intent JSON files, JSONL files or directories of intent JSON files",
    });
  }
  const baselineVerdicts: Verdict[] = [];
  const candidateVerdicts: Verdict[] = [];
  const changed: SimulationChange[] = [];
  for (const fixture of fixtures) {
    const before = evaluateFixture(baseline, fixture, options, "baseline");
    const after = evaluateFixture(candidate, fixture, options, "candidate");
    baselineVerdicts.push(before.decision.verdict);
    candidateVerdicts.push(after.decision.verdict);
    if (before.decision.verdict !== after.decision.verdict) changed.push(change(fixture.name, before, after));
  }
  const { recommendation, reason } = recommend(changed);
  return {
    baseline_policy_digest: baseline.policyDigest,
    candidate_policy_digest: candidate.policyDigest,
    fixtures_total: fixtures.length,
    changed_fixtures: changed.length,
    baseline_verdicts: countVerdicts(baselineVerdicts),
    candidate_verdicts: countVerdicts(candidateVerdicts),
    changed,
    recommendation,
    recommendation_reason: reason,
    summary: `policy simulate fixtures=${fixtures.length} changed=${changed.length} recommendation=${recommendation}`,
  };
}

function evaluateFixture(
  compiled: CompiledPolicy,
  fixture: Fixture,
  options: PolicyTestOptions,
  which: "baseline" | "candidate",
): IntentEvaluation {
  if (fixture.error) {
    throw new GaitError("invalid_input", fixture.error.code, fixture.error.message, {
      hint: "fix or remove the fixture",
    });
  }
  try {
    return evaluateIntent(compiled, fixture.intent, options);
  } catch (error) {
    if (!isGaitError(error)) throw error;
    throw new GaitError(
      "invalid_input",
      error.code,
      `fixture ${fixture.name} (${which} policy): ${error.message}`,
      {
        hint: error.hint,
        cause: error,
      },
    );
  }
}

function change(name: string, before: IntentEvaluation, after: IntentEvaluation): SimulationChange {
  const entry: SimulationChange = {
    fixture_path: name,
    intent_digest: before.intentDigest,
    baseline_verdict: before.decision.verdict,
    candidate_verdict: after.decision.verdict,
    baseline_reason_codes: before.decision.reasonCodes,
    candidate_reason_codes: after.decision.reasonCodes,
    baseline_violations: before.decision.violations,
    candidate_violations: after.decision.violations,
    changed: true,
  };
  if (before.decision.matchedRule) entry.baseline_matched_rule = before.decision.matchedRule;
  if (after.decision.matchedRule) entry.candidate_matched_rule = after.decision.matchedRule;
  return entry;
}

type VerdictChange = Pick<SimulationChange, "fixture_path" | "baseline_verdict" | "candidate_verdict">;

/**
 * REFERENCE.md §2.5, checked in this order: no changes → enforce; any verdict relaxed to allow →
 * observe (the candidate lets through what the baseline stopped: watch it with
 * `gate eval --simulate` first); any new block → require_approval (route the new blocks through
 * people before they become hard stops); otherwise (changes among dry_run and require_approval)
 * → enforce.
 */
export function recommend(changes: readonly VerdictChange[]): {
  recommendation: Recommendation;
  reason: string;
} {
  if (changes.length === 0) {
    return {
      recommendation: "enforce",
      reason: "no fixture changes verdict between the baseline and the candidate",
    };
  }
  const relaxed = changes.filter((c) => c.candidate_verdict === "allow" && c.baseline_verdict !== "allow");
  if (relaxed.length > 0) {
    return {
      recommendation: "observe",
      reason: `${count(relaxed, "fixture")} newly allowed (${examples(relaxed)}): run the candidate in observe mode (gait gate eval --simulate) before enforcing it`,
    };
  }
  const blocked = changes.filter((c) => c.candidate_verdict === "block" && c.baseline_verdict !== "block");
  if (blocked.length > 0) {
    return {
      recommendation: "require_approval",
      reason: `${count(blocked, "fixture")} newly blocked (${examples(blocked)}): roll out with require_approval first so people review what the candidate would block`,
    };
  }
  return {
    recommendation: "enforce",
    reason: `${count(changes, "fixture")} changed verdict, none to allow and none to block`,
  };
}

function count(items: readonly unknown[], noun: string): string {
  return `${items.length} ${noun}${items.length === 1 ? "" : "s"}`;
}

const EXAMPLES_SHOWN = 3;

function examples(changes: readonly VerdictChange[]): string {
  const shown = changes
    .slice(0, EXAMPLES_SHOWN)
    .map((c) => `${c.fixture_path} from ${c.baseline_verdict} to ${c.candidate_verdict}`);
  const more = changes.length - shown.length;
  return more > 0 ? `${shown.join("; ")}; +${more} more` : shown.join("; ");
}
