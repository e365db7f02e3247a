/**
 * The built-in deterministic graders, in the order they run for each fixture (CONTRACTS.md §6.2):
 * schema_validation, expected_exit_code, trajectory, diff, and context_conformance when asked for.
 * Each is a pure function of the loaded runpacks.
 */
import { sortedUnique } from "../contract/bytes.ts";
import { type JsonValue, parseJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { isGaitError } from "../contract/errors.ts";
import { exitForCheck } from "../contract/exit.ts";
import type { SchemaValidator } from "../contract/schema.ts";
import {
  diffRunpacks,
  type Runpack,
  type RunpackEntry,
  RunpackFiles,
  replayStub,
  verifyRunpackEntries,
} from "../runpack/index.ts";
import {
  errorMessage,
  type FixtureUnderTest,
  fail,
  type Grader,
  type GraderContext,
  type GraderResult,
  pass,
  type RunpackLoad,
  subjectOf,
} from "./grader.ts";
import { firstMismatchIndex, toolSequence, verdictSequence } from "./trajectory.ts";

const BuiltinGraderNames = {
  schemaValidation: "schema_validation",
  expectedExitCode: "expected_exit_code",
  trajectory: "trajectory",
  diff: "diff",
  contextConformance: "context_conformance",
} as const;

/** A grader that could not run at all (its input is unusable) fails with this code. */
export const GRADER_ERROR = "grader_error";

// ---------------------------------------------------------------------------------------------
// schema_validation: integrity and the runpack documents against their schemas.

/** Each runpack document, the schema key it must satisfy (see validate.ts) and its reason code. */
const documentSchemas = [
  { path: RunpackFiles.manifest, key: "runpack/manifest", code: "manifest_schema_invalid", lines: false },
  { path: RunpackFiles.run, key: "runpack/run", code: "run_schema_invalid", lines: false },
  { path: RunpackFiles.refs, key: "runpack/refs", code: "refs_schema_invalid", lines: false },
  { path: RunpackFiles.intents, key: "runpack/intent", code: "intent_schema_invalid", lines: true },
  { path: RunpackFiles.results, key: "runpack/result", code: "result_schema_invalid", lines: true },
] as const;

const MAX_SCHEMA_ERRORS = 10;

export function schemaValidationGrader(validator: SchemaValidator): Grader {
  return {
    name: BuiltinGraderNames.schemaValidation,
    deterministic: true,
    grade: (fixture) => {
      try {
        return validateRunpack(fixture.baseline, validator);
      } catch (error) {
        return fail(["schema_validation_error"], {
          runpack: fixture.baseline.display,
          error: errorMessage(error),
        });
      }
    },
  };
}

function validateRunpack(load: RunpackLoad, validator: SchemaValidator): GraderResult {
  const details: Record<string, JsonValue> = { runpack: load.display };
  // Only a load that failed before the zip opened lacks entries.
  if (!load.ok && !load.entries) {
    return load.missing
      ? fail(["missing_files"], { ...details, missing_files: [load.display] })
      : fail(["runpack_parse_error"], { ...details, error: errorMessage(load.error) });
  }
  const entries = load.entries!;
  const codes = new Set<string>();
  const problems: string[] = [];
  try {
    const verification = verifyRunpackEntries(entries);
    if (verification.missing_files.length > 0) {
      codes.add("missing_files");
      details.missing_files = verification.missing_files;
    }
    if (verification.hash_mismatches.length > 0) {
      codes.add("hash_mismatch");
      details.hash_mismatches = verification.hash_mismatches.map((m) => m.path);
    }
  } catch (error) {
    codes.add(integrityErrorCode(error));
    problems.push(errorMessage(error));
  }
  for (const doc of documentSchemas) {
    const entry = entries.find((e) => e.path === doc.path);
    if (!entry) continue;
    for (const problem of checkDocument(entry, doc, validator)) {
      codes.add(problem.code);
      problems.push(problem.message);
    }
  }
  if (problems.length > 0) details.schema_errors = problems.slice(0, MAX_SCHEMA_ERRORS);
  return codes.size === 0 ? pass([], details) : fail([...codes], details);
}

function integrityErrorCode(error: unknown): string {
  if (!isGaitError(error)) return "schema_validation_error";
  if (error.code === "runpack_manifest_missing") return "missing_files";
  if (error.code === "runpack_manifest_invalid") return "manifest_schema_invalid";
  // manifest.json bytes that are not what its digest was computed from.
  if (error.code === "runpack_manifest_not_canonical") return "hash_mismatch";
  return "runpack_parse_error";
}

interface DocumentProblem {
  code: string;
  message: string;
}

function checkDocument(
  entry: RunpackEntry,
  doc: (typeof documentSchemas)[number],
  validator: SchemaValidator,
): DocumentProblem[] {
  const text = entry.data.toString("utf8");
  let values: { where: string; value: JsonValue }[];
  try {
    values = doc.lines
      ? text
          .split("\n")
          .map((line, i) => ({ line, where: `${doc.path} line ${i + 1}` }))
          .filter(({ line }) => line.trim() !== "")
          .map(({ line, where }) => ({ where, value: parseJsonStrict(line, where) }))
      : [{ where: doc.path, value: parseJsonObject(text, doc.path) }];
  } catch (error) {
    return [{ code: "runpack_parse_error", message: errorMessage(error) }];
  }
  return values.flatMap(({ where, value }) => {
    const result = validator.validate(doc.key, value);
    if (result.ok) return [];
    return [{ code: doc.code, message: `${where}: ${result.errors.join("; ")}` }];
  });
}

// ---------------------------------------------------------------------------------------------
// The expected_exit_code grader: stub replay must exit as recorded (verification failed when an intent has no result, else ok).

export function stubReplayExitCode(runpack: Runpack): { exitCode: number; missing: string[] } {
  const report = replayStub(runpack);
  return { exitCode: exitForCheck(report.missing_results.length === 0), missing: report.missing_results };
}

export const expectedExitCodeGrader: Grader = {
  name: BuiltinGraderNames.expectedExitCode,
  deterministic: true,
  grade: (fixture) => {
    const subject = subjectOf(fixture);
    if (!subject.ok) {
      return fail(["replay_error"], { runpack: subject.display, error: errorMessage(subject.error) });
    }
    const { exitCode, missing } = stubReplayExitCode(subject.runpack);
    const expected = fixture.fixture.expected_replay_exit_code;
    const details = {
      runpack: subject.display,
      expected_exit_code: expected,
      actual_exit_code: exitCode,
      missing_results: missing,
    };
    return exitCode === expected ? pass([], details) : fail(["unexpected_exit_code"], details);
  },
};

// ---------------------------------------------------------------------------------------------
// trajectory: the tool and verdict sequences must equal the recorded ones.

export const trajectoryGrader: Grader = {
  name: BuiltinGraderNames.trajectory,
  deterministic: true,
  grade: (fixture) => {
    const { expected_tool_sequence: tools, expected_verdict_sequence: verdicts } = fixture.fixture;
    if (tools === undefined && verdicts === undefined) return pass(["trajectory_not_required"]);
    const subject = subjectOf(fixture);
    if (!subject.ok) return unusableSubject(fixture, subject);
    const details: Record<string, JsonValue> = { runpack: subject.display };
    const codes: string[] = [];
    if (tools !== undefined) {
      const mismatch = compareSequence("tool", tools, toolSequence(subject.runpack));
      if (mismatch) {
        codes.push("unexpected_tool_sequence");
        Object.assign(details, mismatch);
      }
    }
    if (verdicts !== undefined) {
      const mismatch = compareSequence("verdict", verdicts, verdictSequence(subject.runpack));
      if (mismatch) {
        codes.push("unexpected_verdict_sequence");
        Object.assign(details, mismatch);
      }
    }
    return codes.length === 0 ? pass(["trajectory_match"], details) : fail(codes, details);
  },
};

/** Where the sequences part ways, compactly: the index and the steps on each side there. */
function compareSequence(
  kind: "tool" | "verdict",
  expected: readonly string[],
  actual: readonly string[],
): Record<string, JsonValue> | undefined {
  const index = firstMismatchIndex(expected, actual);
  if (index === -1) return undefined;
  return {
    [`${kind}_sequence_first_mismatch`]: index,
    [`expected_${kind}`]: expected[index] ?? null,
    [`actual_${kind}`]: actual[index] ?? null,
    [`expected_${kind}_count`]: expected.length,
    [`actual_${kind}_count`]: actual.length,
  };
}

function unusableSubject(fixture: FixtureUnderTest, subject: RunpackLoad & { ok: false }): GraderResult {
  const details = { runpack: subject.display, error: errorMessage(subject.error) };
  if (subject !== fixture.candidate) return fail([GRADER_ERROR], details);
  return fail([subject.missing ? "candidate_path_invalid" : "candidate_runpack_invalid"], details);
}

// ---------------------------------------------------------------------------------------------
// diff: candidate vs fixture runpack; changed files must be allow-listed.

export const diffGrader: Grader = {
  name: BuiltinGraderNames.diff,
  deterministic: true,
  grade: ({ baseline, candidate, fixture }) => {
    if (!candidate) return pass([], { changed_files: [] });
    const details: Record<string, JsonValue> = { candidate_runpack: candidate.display };
    if (!candidate.ok || !baseline.ok) {
      const broken = candidate.ok ? baseline : candidate;
      return fail(["diff_error"], { ...details, error: errorMessage(broken.ok ? "" : broken.error) });
    }
    const { summary } = diffRunpacks(baseline.runpack, candidate.runpack, "full");
    const changed = sortedUnique([
      ...summary.files_changed,
      ...(summary.manifest_changed ? ["manifest.json"] : []),
    ]);
    const allowed = new Set(fixture.diff_allow_changed_files ?? []);
    const unexpected = changed.filter((file) => !allowed.has(file));
    Object.assign(details, {
      changed_files: changed,
      unexpected_changed_files: unexpected,
      allowed_changed_files: sortedUnique(allowed),
      changed_intents: summary.changed_intents,
      changed_results: summary.changed_results,
      left_only_intents: summary.left_only_intents,
      right_only_intents: summary.right_only_intents,
      left_only_results: summary.left_only_results,
      right_only_results: summary.right_only_results,
    });
    return unexpected.length === 0 ? pass([], details) : fail(["unexpected_diff"], details);
  },
};

// ---------------------------------------------------------------------------------------------
// context_conformance: the run's context evidence must match the recorded context set.

/** Whether a fixture asks for context grading by itself (the runner then adds the grader). */
export function fixtureWantsContext(fixture: FixtureUnderTest["fixture"]): boolean {
  return (
    fixture.context_conformance !== undefined ||
    fixture.expected_context_set_digest !== undefined ||
    fixture.allow_context_runtime_drift !== undefined
  );
}

export const contextConformanceGrader: Grader = {
  name: BuiltinGraderNames.contextConformance,
  deterministic: true,
  grade: (fixture, ctx) => gradeContext(fixture, ctx),
};

function gradeContext(fixture: FixtureUnderTest, ctx: GraderContext): GraderResult {
  const spec = fixture.fixture;
  const required = ctx.contextConformance || spec.context_conformance === "required";
  if (!required) return pass(["context_conformance_not_required"]);
  const subject = subjectOf(fixture);
  if (!subject.ok) return unusableSubject(fixture, subject);
  if (!fixture.baseline.ok) return fail([GRADER_ERROR], { error: errorMessage(fixture.baseline.error) });
  const digest = subject.runpack.refs.context_set_digest;
  const details: Record<string, JsonValue> = { runpack: subject.display, context_set_digest: digest ?? "" };
  if (!digest) return { ...fail(["context_evidence_missing"], details), context_conformance: "missing" };
  const expected = (
    spec.expected_context_set_digest ??
    fixture.baseline.runpack.refs.context_set_digest ??
    ""
  ).toLowerCase();
  details.expected_context_set_digest = expected;
  const { summary } = diffRunpacks(fixture.baseline.runpack, subject.runpack, "full");
  const drift = summary.context_drift_classification ?? "none";
  details.context_runtime_only_changes = summary.context_runtime_only_changes ?? [];
  const codes: string[] = [];
  if (expected !== "" && digest !== expected) codes.push("context_set_digest_mismatch");
  if (drift === "semantic") codes.push("context_semantic_drift");
  const allowRuntime = ctx.allowContextRuntimeDrift || spec.allow_context_runtime_drift === true;
  if (drift === "runtime_only" && !allowRuntime) codes.push("context_runtime_drift_blocked");
  const result = codes.length === 0 ? pass(["context_conformance_pass"], details) : fail(codes, details);
  return { ...result, context_conformance: drift };
}

/** The built-in graders for a run, in execution order. */
export function builtinGraders(validator: SchemaValidator, withContext: boolean): Grader[] {
  return [
    schemaValidationGrader(validator),
    expectedExitCodeGrader,
    trajectoryGrader,
    diffGrader,
    ...(withContext ? [contextConformanceGrader] : []),
  ];
}
