/**
 * Fixtures mode of `policy test`: many intents, each with an optional expected verdict, checked
 * against one policy. Convention: a fixture is an intent request that may carry one extra
 * top-level member, `expected_verdict` (allow | block | dry_run | require_approval). The member
 * is removed before evaluation, so it never reaches normalization or the intent digest.
 *
 * Parsing is pure (text in, fixtures out); reading files is done by load.ts.
 */
import { compareBytes } from "../contract/bytes.ts";
import { isJsonObject, type JsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { isGaitError } from "../contract/errors.ts";
import { type CompiledPolicy, VERDICTS, type Verdict } from "../gate/index.ts";
import type { PolicyTestErrorCode } from "./error-codes.ts";
import { evaluateIntent, type PolicyTestOptions } from "./run.ts";
import type { Fixture, FixtureOutcome, FixturesReport, VerdictCount } from "./types.ts";

const EXPECTED_VERDICT_FIELD = "expected_verdict";

/** Splits a parsed fixture document into the intent and its expectation. */
export function fixtureFromDocument(name: string, document: unknown): Fixture {
  if (!isJsonObject(document) || !(EXPECTED_VERDICT_FIELD in document)) return { name, intent: document };
  const { [EXPECTED_VERDICT_FIELD]: expected, ...intent } = document;
  if (typeof expected !== "string" || !(VERDICTS as readonly string[]).includes(expected)) {
    return {
      name,
      error: {
        code: "fixture_invalid" satisfies PolicyTestErrorCode,
        message: `${name}: ${EXPECTED_VERDICT_FIELD} must be one of ${VERDICTS.join(", ")}, got ${JSON.stringify(expected)}`,
      },
    };
  }
  return { name, intent, expectedVerdict: expected as Verdict };
}

/** The intent request a fixture document holds, without its expectation (for single-intent mode). */
export function withoutExpectation(document: unknown): unknown {
  if (!isJsonObject(document)) return document;
  const { [EXPECTED_VERDICT_FIELD]: _expected, ...intent } = document as JsonObject;
  return intent;
}

/** One JSON document = one fixture; a syntax error becomes the fixture's error. */
export function parseJsonFixture(name: string, text: string): Fixture {
  try {
    return fixtureFromDocument(name, parseJsonStrict(text, name));
  } catch (error) {
    return { name, error: describeError(error) };
  }
}

/** One fixture per non-blank line, named `<name>:<line>` (1-based). */
export function parseJsonlFixtures(name: string, text: string): Fixture[] {
  const fixtures: Fixture[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    fixtures.push(parseJsonFixture(`${name}:${index + 1}`, line));
  });
  return fixtures;
}

/** Evaluates every fixture; a fixture that cannot be read or evaluated fails, the run goes on. */
export function runFixtures(
  compiled: CompiledPolicy,
  fixtures: readonly Fixture[],
  options: PolicyTestOptions,
): FixturesReport {
  const outcomes = fixtures.map((fixture) => runFixture(compiled, fixture, options));
  const count = (status: FixtureOutcome["status"]) => outcomes.filter((o) => o.status === status).length;
  const passed = count("pass");
  const errors = count("error");
  const failed = count("fail") + errors;
  const unchecked = count("unchecked");
  return {
    policy_digest: compiled.policyDigest,
    fixtures: outcomes,
    total: outcomes.length,
    passed,
    failed,
    errors,
    unchecked,
    verdicts: countVerdicts(outcomes.flatMap((o) => (o.verdict ? [o.verdict] : []))),
    summary: `policy test fixtures=${outcomes.length} passed=${passed} failed=${failed} unchecked=${unchecked}`,
  };
}

function runFixture(compiled: CompiledPolicy, fixture: Fixture, options: PolicyTestOptions): FixtureOutcome {
  const expectation = fixture.expectedVerdict ? { expected_verdict: fixture.expectedVerdict } : {};
  if (fixture.error) return errorOutcome(fixture.name, expectation, fixture.error);
  let evaluation: ReturnType<typeof evaluateIntent>;
  try {
    evaluation = evaluateIntent(compiled, fixture.intent, options);
  } catch (error) {
    return errorOutcome(fixture.name, expectation, describeError(error));
  }
  const { decision } = evaluation;
  const outcome: FixtureOutcome = {
    fixture: fixture.name,
    status: "unchecked",
    ...expectation,
    intent_digest: evaluation.intentDigest,
    verdict: decision.verdict,
    reason_codes: decision.reasonCodes,
    violations: decision.violations,
  };
  if (decision.matchedRule) outcome.matched_rule = decision.matchedRule;
  if (fixture.expectedVerdict) {
    outcome.pass = decision.verdict === fixture.expectedVerdict;
    outcome.status = outcome.pass ? "pass" : "fail";
  }
  return outcome;
}

function errorOutcome(
  name: string,
  expectation: { expected_verdict?: Verdict },
  error: { code: string; message: string },
): FixtureOutcome {
  return {
    fixture: name,
    status: "error",
    pass: false,
    ...expectation,
    error: error.message,
    error_code: error.code,
  };
}

function describeError(error: unknown): { code: string; message: string } {
  if (isGaitError(error)) return { code: error.code, message: error.message };
  throw error;
}

/** Verdicts with how often they occur, in byte order of the verdict; absent verdicts are left out. */
export function countVerdicts(verdicts: readonly Verdict[]): VerdictCount[] {
  const counts = new Map<Verdict, number>();
  for (const verdict of verdicts) counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
  return [...counts.keys()].sort(compareBytes).map((verdict) => ({ verdict, count: counts.get(verdict)! }));
}
