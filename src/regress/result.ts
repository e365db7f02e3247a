/**
 * The `gait.regress.result` artifact and what a person needs from it at a glance: which fixture
 * failed first, in which grader, and why. Pure: the same grader entries give the same bytes.
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import { isJsonObject, type JsonValue } from "../contract/canonical.ts";
import { EPOCH_1980, Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { prettyJson } from "./render.ts";
import {
  type GraderEntry,
  type GraderStatus,
  REGRESS_SCHEMA_VERSION,
  type RegressResult,
  RegressSchemaIds,
} from "./types.ts";

/** One grader's outcome for one fixture, before naming and sorting. */
export interface GradedFixture {
  fixture: string;
  grader: string;
  /** Position of the grader in its fixture's run order (the first failing one is reported first). */
  order: number;
  entry: GraderEntry;
}

export interface ResultInput {
  fixtureSet: string;
  /** The first fixture's run.created_at (any RFC 3339 text); 1980-01-01 when there is none. */
  createdAt?: string;
  graded: readonly GradedFixture[];
}

export function buildRegressResult(input: ResultInput): RegressResult {
  const graders = input.graded.map((g) => g.entry).sort((a, b) => compareBytes(a.name, b.name));
  const status: GraderStatus = graders.every((g) => g.status === "pass") ? "pass" : "fail";
  const createdAt = input.createdAt ? Timestamp.parse(input.createdAt).utc() : EPOCH_1980;
  return {
    schema_id: RegressSchemaIds.result,
    schema_version: REGRESS_SCHEMA_VERSION,
    created_at: createdAt.toString(),
    producer_version: PRODUCER_VERSION,
    fixture_set: input.fixtureSet,
    status,
    graders,
  };
}

/** regress_result.json bytes: pretty JSON, 2-space indent, trailing newline. */
export function renderRegressResult(result: RegressResult): string {
  return prettyJson(result);
}

/** A grader entry in its canonical form: reason codes sorted and unique, details keys sorted. */
export function graderEntry(
  name: string,
  status: GraderStatus,
  reasonCodes: readonly string[],
  details: Record<string, JsonValue>,
  contextConformance?: GraderEntry["context_conformance"],
): GraderEntry {
  return {
    name,
    status,
    reason_codes: sortedUnique(reasonCodes),
    ...(contextConformance ? { context_conformance: contextConformance } : {}),
    details: sortKeysDeep(details) as Record<string, unknown>,
  };
}

/** Go marshals maps with sorted keys; details are maps, so they render in byte order at every level. */
function sortKeysDeep(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isJsonObject(value)) return value;
  const sorted: Record<string, JsonValue> = {};
  for (const key of Object.keys(value).sort(compareBytes)) sorted[key] = sortKeysDeep(value[key]!);
  return sorted;
}

export interface FailureSummary {
  /** `<fixture>/<grader>`. */
  name: string;
  fixture: string;
  grader: string;
  reason_codes: string[];
  /** One line a person can act on. */
  summary: string;
}

/**
 * The failing graders, first fixture first (by name) and, within a fixture, in run order: an
 * integrity failure is reported before the trajectory, and the trajectory before the diff.
 */
export function failures(graded: readonly GradedFixture[]): FailureSummary[] {
  return graded
    .filter((g) => g.entry.status === "fail")
    .sort((a, b) => compareBytes(a.fixture, b.fixture) || a.order - b.order)
    .map((g) => ({
      name: g.entry.name,
      fixture: g.fixture,
      grader: g.grader,
      reason_codes: g.entry.reason_codes,
      summary: describeFailure(g),
    }));
}

function describeFailure({ fixture, grader, entry }: GradedFixture): string {
  const reasons = entry.reason_codes.join(",") || "failed";
  const why = explain(entry.details ?? {});
  return `fixture ${fixture} failed grader ${grader}: ${reasons}${why ? ` (${why})` : ""}`;
}

/** A short explanation from the details the built-in graders record. */
function explain(details: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const kind of ["tool", "verdict"]) {
    const index = details[`${kind}_sequence_first_mismatch`];
    if (typeof index !== "number") continue;
    const expected = details[`expected_${kind}`] ?? "(end)";
    const actual = details[`actual_${kind}`] ?? "(end)";
    parts.push(`first ${kind} mismatch at index ${index}: expected ${expected}, got ${actual}`);
  }
  if (typeof details.actual_exit_code === "number") {
    parts.push(`stub replay exit ${details.actual_exit_code}, expected ${details.expected_exit_code}`);
  }
  const unexpected = details.unexpected_changed_files;
  if (Array.isArray(unexpected) && unexpected.length > 0) {
    parts.push(`changed files not allow-listed: ${unexpected.join(", ")}`);
  }
  if (details.timed_out === true) parts.push("command timed out");
  else if (typeof details.exit_code === "number" && details.exit_code !== 0) {
    parts.push(`command exited ${details.exit_code}`);
  }
  if (typeof details.error === "string" && details.error !== "") parts.push(details.error);
  return parts.join("; ");
}
