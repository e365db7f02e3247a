/**
 * Export events of runpack and regress operations: the root `gait.run` span of a run, a runpack
 * record, a runpack or pack verification, a regress run. Pure: the live commands (`gait run
 * record`, `gait verify`, `gait pack verify`, `gait regress run`, the SDK recorder) and `gait
 * export --from` (replay.ts) build the same spans from the same functions, in the trace computed
 * from the run_id (events.ts), so live and after-the-fact spans of a run land in one trace.
 */
import { Timestamp } from "../contract/time.ts";
import type { PackVerification } from "../pack/index.ts";
import type { RegressRunOutcome } from "../regress/index.ts";
import type { LoadedRunpack, RunpackVerification } from "../runpack/index.ts";
import {
  type Attributes,
  inRunPlacement,
  type OperationEvent,
  runRootPlacement,
  type SpanPlacement,
} from "./events.ts";

/** When an operation ran (epoch ms). */
export interface Span {
  startedAtMs: number;
  endedAtMs: number;
}

function ms(timestamp: string): number {
  return Timestamp.parse(timestamp).epochMs();
}

/** The root span of a run, from its runpack: from run.created_at to the last recorded moment. */
export function runEvent(loaded: LoadedRunpack): OperationEvent {
  const { run, manifest, intents, results, refs } = loaded.runpack;
  const times = [
    run.created_at,
    ...run.timeline.map((event) => event.ts),
    ...results.map((r) => r.created_at),
  ];
  return {
    kind: "operation",
    operation: "gait.run",
    startedAtMs: ms(run.created_at),
    endedAtMs: Math.max(...times.map(ms)),
    ok: results.every((result) => result.status === "ok"),
    attributes: {
      "gait.run_id": run.run_id,
      "gait.manifest_digest": manifest.manifest_digest,
      "gait.capture_mode": manifest.capture_mode,
      "gait.intent_count": intents.length,
      "gait.result_count": results.length,
      "gait.ref_count": refs.receipts.length,
      "gait.producer_version": run.producer_version,
    },
    placement: runRootPlacement(run.run_id),
  };
}

export interface RecordOutcome {
  runId: string;
  /** Absent when recording failed. */
  recorded?: { manifestDigest: string; bundle: string; signatureStatus: string };
  /** The error code when recording failed. */
  errorCode?: string;
}

/** `gait.runpack.record`: one per run, so its span id is derived (a re-record replaces it). */
export function recordEvent(outcome: RecordOutcome, at: Span): OperationEvent {
  const attributes: Attributes = { "gait.run_id": outcome.runId };
  const { recorded } = outcome;
  if (recorded) {
    attributes["gait.manifest_digest"] = recorded.manifestDigest;
    attributes["gait.runpack_path"] = recorded.bundle;
    attributes["gait.signature_status"] = recorded.signatureStatus;
  }
  return {
    kind: "operation",
    operation: "gait.runpack.record",
    ...at,
    ok: recorded !== undefined,
    ...(recorded ? {} : { errorType: outcome.errorCode ?? "record_failed" }),
    attributes,
    placement: inRunPlacement(outcome.runId, "record"),
  };
}

/** The counts every verification reports, runpack or pack. */
function verificationAttributes(v: Omit<RunpackVerification, "run_id" | "manifest_digest">): Attributes {
  return {
    "gait.verify.ok": v.ok,
    "gait.signature_status": v.signature_status,
    "gait.files_checked": v.files_checked,
    "gait.missing_files": v.missing_files.length,
    "gait.hash_mismatches": v.hash_mismatches.length,
    "gait.undeclared_files": v.undeclared_files.length,
  };
}

/** `gait verify <runpack>`: a span under the run the runpack names (a random id: verified again and again). */
export function runpackVerifyEvent(verification: RunpackVerification, at: Span): OperationEvent {
  return {
    kind: "operation",
    operation: "gait.runpack.verify",
    ...at,
    ok: verification.ok,
    ...(verification.ok ? {} : { errorType: "verification_failed" }),
    attributes: {
      ...verificationAttributes(verification),
      "gait.run_id": verification.run_id,
      "gait.manifest_digest": verification.manifest_digest,
    },
    ...(verification.run_id ? { placement: inRunPlacement(verification.run_id) } : {}),
  };
}

/**
 * A pack's verification (`gait pack verify`, `gait export`). `runId` places it in that run's
 * trace; `placement` overrides (export derives its span ids).
 */
export function packVerifyEvent(
  verification: PackVerification,
  at: Span,
  runId: string | undefined,
  placement: SpanPlacement | undefined = runId ? inRunPlacement(runId) : undefined,
): OperationEvent {
  const attributes: Attributes = {
    ...verificationAttributes(verification),
    "gait.pack_id": verification.pack_id,
    "gait.pack_type": verification.pack_type,
    "gait.source_ref": verification.source_ref,
  };
  if (verification.legacy_type) attributes["gait.legacy_type"] = verification.legacy_type;
  if (runId) attributes["gait.run_id"] = runId;
  return {
    kind: "operation",
    operation: verification.legacy_type === "runpack" ? "gait.runpack.verify" : "gait.pack.verify",
    ...at,
    ok: verification.ok,
    ...(verification.ok ? {} : { errorType: "verification_failed" }),
    attributes,
    ...(placement ? { placement } : {}),
  };
}

/** The run a run pack (or a legacy runpack) names: its source_ref. */
export function packRunId(verification: PackVerification): string | undefined {
  return verification.pack_type === "run" && verification.source_ref ? verification.source_ref : undefined;
}

interface FixtureOutcome {
  runId: string;
  failed: boolean;
  reasonCodes: Set<string>;
}

/** Each fixture's run and whether a grader failed on it, from the graders' details. */
function fixtureOutcomes(outcome: RegressRunOutcome): Map<string, FixtureOutcome> {
  const fixtures = new Map<string, FixtureOutcome>();
  for (const grader of outcome.result.graders) {
    const fixture = grader.details?.fixture;
    const runId = grader.details?.run_id;
    if (typeof fixture !== "string" || typeof runId !== "string" || runId === "") continue;
    const entry = fixtures.get(fixture) ?? { runId, failed: false, reasonCodes: new Set<string>() };
    if (grader.status === "fail") {
      entry.failed = true;
      for (const code of grader.reason_codes) entry.reasonCodes.add(code);
    }
    fixtures.set(fixture, entry);
  }
  return fixtures;
}

/**
 * A regress run: the `gait.regress.run` span (a trace of its own: it spans many runs), which
 * also moves `gait.regress.failures` by the fixtures that failed, and one
 * `gait.regress.fixture` span per fixture in the trace of the fixture's run.
 */
export function regressEvents(outcome: RegressRunOutcome, at: Span): OperationEvent[] {
  const { result } = outcome;
  const fixtures = fixtureOutcomes(outcome);
  const failedFixtures = [...fixtures.values()].filter((fixture) => fixture.failed).length;
  const run: OperationEvent = {
    kind: "operation",
    operation: "gait.regress.run",
    ...at,
    ok: result.status === "pass",
    ...(result.status === "pass" ? {} : { errorType: "regress_failed" }),
    attributes: {
      "gait.regress.fixture_set": result.fixture_set,
      "gait.regress.status": result.status,
      "gait.regress.fixtures": outcome.fixtures,
      "gait.regress.graders": result.graders.length,
      "gait.regress.failed_graders": outcome.failures.length,
      "gait.regress.failed_fixtures": failedFixtures,
      "gait.run_ids": [...new Set([...fixtures.values()].map((fixture) => fixture.runId))].sort(),
      ...(outcome.failures[0]
        ? { "gait.regress.top_failure_reason": outcome.failures[0].reason_codes[0] ?? "" }
        : {}),
    },
    regressFailures: failedFixtures,
  };
  const perFixture = [...fixtures].map(
    ([name, fixture]): OperationEvent => ({
      kind: "operation",
      operation: "gait.regress.fixture",
      ...at,
      ok: !fixture.failed,
      ...(fixture.failed ? { errorType: "regress_failed" } : {}),
      attributes: {
        "gait.run_id": fixture.runId,
        "gait.regress.fixture": name,
        "gait.regress.fixture_set": result.fixture_set,
        "gait.regress.status": fixture.failed ? "fail" : "pass",
        "gait.reason_codes": [...fixture.reasonCodes].sort(),
      },
      placement: inRunPlacement(fixture.runId),
    }),
  );
  return [run, ...perFixture];
}
