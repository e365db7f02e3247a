/**
 * Policy test artifacts and reports. The result object (`gait.policytest.result`, CONTRACTS.md
 * §6.1) is defined once with TypeBox: the schema we publish under schemas/v1/policytest/ and the
 * TypeScript type come from the same definition. Fixture and simulation reports are CLI output
 * shapes, not published artifacts, so they are plain types.
 */
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";
import { VERDICTS, type Verdict } from "../gate/index.ts";

export const POLICY_TEST_RESULT_SCHEMA_ID = "gait.policytest.result";
export const POLICY_TEST_RESULT_SCHEMA_VERSION = "1.0.0";

const Digest = (description: string) => Type.String({ pattern: "^[a-fA-F0-9]{64}$", description });

export const PolicyTestResultSchema = Type.Object(
  {
    schema_id: Type.Literal(POLICY_TEST_RESULT_SCHEMA_ID),
    schema_version: Type.String({ pattern: "^1\\.0\\.0$" }),
    created_at: Type.String({
      format: "date-time",
      description: "the intent's created_at in UTC (1980-01-01T00:00:00Z when absent or zero)",
    }),
    producer_version: Type.String(),
    policy_digest: Digest("digest of the normalized policy (CONTRACTS.md §5.5)"),
    intent_digest: Digest("digest of the normalized intent (CONTRACTS.md §5.3)"),
    verdict: StringEnum(VERDICTS),
    reason_codes: Type.Array(Type.String(), { description: "sorted, unique" }),
    violations: Type.Array(Type.String(), { description: "sorted, unique" }),
    matched_rule: Type.Optional(
      Type.String({ description: "sorted names of the deciding tier's matched rules, joined by ','" }),
    ),
    delegation_matched: Type.Optional(Type.Boolean()),
    delegation_depth: Type.Optional(Type.Integer({ minimum: 0 })),
    delegation_scope: Type.Optional(Type.String()),
  },
  {
    additionalProperties: false,
    title: "Policy Test Result",
    description:
      "The verdict a policy gives one intent, without approvals, rate limits or a trace (`gait policy test`).",
  },
);
export type PolicyTestResult = Static<typeof PolicyTestResultSchema>;

/** One intent of a fixtures run, before evaluation. */
export interface Fixture {
  /** Where it came from: `<file>` for a JSON file, `<file>:<line>` for a JSONL line. */
  name: string;
  /** The intent request with the `expected_verdict` member removed (absent when `error` is set). */
  intent?: unknown;
  expectedVerdict?: Verdict;
  /** Why the fixture could not be read (bad JSON, bad expected_verdict). */
  error?: { code: string; message: string };
}

export type FixtureStatus = "pass" | "fail" | "error" | "unchecked";

export interface FixtureOutcome {
  fixture: string;
  status: FixtureStatus;
  /** Present when the fixture had an expectation, or could not be evaluated (then false). */
  pass?: boolean;
  expected_verdict?: Verdict;
  intent_digest?: string;
  verdict?: Verdict;
  reason_codes?: string[];
  violations?: string[];
  matched_rule?: string;
  error?: string;
  error_code?: string;
}

export interface VerdictCount {
  verdict: Verdict;
  count: number;
}

export interface FixturesReport {
  policy_digest: string;
  fixtures: FixtureOutcome[];
  total: number;
  passed: number;
  /** Fixtures whose expectation failed, plus fixtures that could not be evaluated. */
  failed: number;
  errors: number;
  /** Evaluated fixtures without an expected verdict. */
  unchecked: number;
  verdicts: VerdictCount[];
  summary: string;
}

export type Recommendation = "enforce" | "observe" | "require_approval";

export interface SimulationChange {
  fixture_path: string;
  intent_digest: string;
  baseline_verdict: Verdict;
  candidate_verdict: Verdict;
  baseline_reason_codes: string[];
  candidate_reason_codes: string[];
  baseline_violations: string[];
  candidate_violations: string[];
  baseline_matched_rule?: string;
  candidate_matched_rule?: string;
  changed: true;
}

export interface SimulationReport {
  baseline_policy_digest: string;
  candidate_policy_digest: string;
  fixtures_total: number;
  changed_fixtures: number;
  baseline_verdicts: VerdictCount[];
  candidate_verdicts: VerdictCount[];
  changed: SimulationChange[];
  recommendation: Recommendation;
  recommendation_reason: string;
  summary: string;
}
