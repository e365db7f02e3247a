/**
 * The grader plugin interface. A grader looks at one fixture (its baseline runpack and, when
 * given, a candidate runpack) and returns pass or fail with sorted reason codes and details.
 *
 * Deterministic graders are pure functions of the fixture: same inputs, same result, always.
 * A grader whose verdict can change between runs (it runs a user command, calls a model) must
 * say so with `deterministic: false` and describe its configuration in `pinning()`; the runner
 * refuses it unless `--allow-nondeterministic` is given and records `pinning` and
 * `pinning_digest` (the JCS digest of `pinning()`) in its result details.
 */
import type { JsonObject, JsonValue } from "../contract/canonical.ts";
import type { GaitError } from "../contract/errors.ts";
import type { Runpack, RunpackEntry } from "../runpack/index.ts";
import type { ContextConformanceValue, GraderStatus, RegressFixture } from "./types.ts";

/** A runpack the graders look at: loaded and verified, or the reason it could not be. */
export type RunpackLoad = LoadedRunpackRef | FailedRunpackRef;

interface RunpackRef {
  /** Absolute path. */
  path: string;
  /** The path as results show it: relative to the config directory when below it. */
  display: string;
}

export interface LoadedRunpackRef extends RunpackRef {
  ok: true;
  entries: RunpackEntry[];
  runpack: Runpack;
}

export interface FailedRunpackRef extends RunpackRef {
  ok: false;
  /** True when there is no file at `path` (as opposed to a file that is not a valid runpack). */
  missing: boolean;
  /** The zip entries, when the file opened as a zip (schema validation reports on them). */
  entries?: RunpackEntry[];
  error: GaitError | Error;
}

export interface FixtureUnderTest {
  name: string;
  /** fixture.json as read (schema-validated). */
  fixture: RegressFixture;
  /** Absolute path of the fixture directory. */
  dir: string;
  /** The fixture's own runpack: the recorded behaviour the fixture pins down. */
  baseline: RunpackLoad;
  /** The run under test (`--candidate` or the fixture's `candidate_runpack`), when there is one. */
  candidate?: RunpackLoad;
}

export interface GraderContext {
  /** Directory of the config file; relative paths in fixtures and commands start here. */
  workDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** `--context-conformance`: require context evidence from every fixture. */
  contextConformance: boolean;
  /** `--allow-context-runtime-drift`: runtime-only context drift passes. */
  allowContextRuntimeDrift: boolean;
}

export interface GraderResult {
  status: GraderStatus;
  reason_codes: string[];
  /** Grader specifics; the runner adds `fixture` and `run_id` (and pinning for non-deterministic graders). */
  details?: Record<string, JsonValue>;
  context_conformance?: ContextConformanceValue;
}

export interface Grader {
  /** Result name is `<fixture>/<name>`; must match `^[a-z0-9][a-z0-9._-]*$`. */
  readonly name: string;
  readonly deterministic: boolean;
  /** Required when `deterministic` is false: the configuration to pin (model, version, parameters...). */
  pinning?(): JsonObject;
  grade(fixture: FixtureUnderTest, ctx: GraderContext): GraderResult | Promise<GraderResult>;
}

export function pass(reasonCodes: string[] = [], details: Record<string, JsonValue> = {}): GraderResult {
  return { status: "pass", reason_codes: reasonCodes, details };
}

export function fail(reasonCodes: string[], details: Record<string, JsonValue> = {}): GraderResult {
  return { status: "fail", reason_codes: reasonCodes, details };
}

/** The run being judged: the candidate when there is one, else the fixture's own runpack. */
export function subjectOf(fixture: FixtureUnderTest): RunpackLoad {
  return fixture.candidate ?? fixture.baseline;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
