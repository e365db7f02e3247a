/**
 * The job state machine, pure (src/job/transition.ts): every status × every command is either the
 * listed change or the listed coded error (the table below is written out by hand, not derived
 * from the code's own rules); fail-closed resume; input checks; replay of events, and every state
 * and event validating against the published schemas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize } from "../../src/contract/canonical.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  applyJobCommand,
  CHECKPOINT_TYPES,
  environmentFingerprint,
  JOB_STATUSES,
  type JobCommand,
  type JobEvent,
  type JobState,
  type JobTransition,
  replayJobEvents,
} from "../../src/job/index.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const JOB = "job_1";
const T0 = Timestamp.parse("2026-02-05T00:00:00Z");
const at = (n: number) => Timestamp.of(T0.seconds + n);
const ENV = environmentFingerprint({ platform: "linux", arch: "x64", node_major: 20, cwd: "/work" });
const OTHER_ENV = environmentFingerprint({ platform: "darwin", arch: "arm64", node_major: 22, cwd: "/work" });
const POLICY = "a".repeat(64);
const OTHER_POLICY = "b".repeat(64);

const submit = (over: Partial<Extract<JobCommand, { kind: "submit" }>> = {}): JobCommand => ({
  kind: "submit",
  actor: "",
  identity: "agent.one",
  policy_digest: "",
  policy_ref: "",
  environment_fingerprint: ENV,
  ...over,
});
const checkpoint = (type: (typeof CHECKPOINT_TYPES)[number], summary = `a ${type} step`): JobCommand => ({
  kind: "checkpoint",
  actor: "agent.one",
  checkpoint_type: type,
  summary,
  required_action: type === "decision_needed" ? "retry the upload?" : "",
});
const note = (kind: "pause" | "approve" | "cancel" | "stop", actor = "alice"): JobCommand => ({
  kind,
  actor,
  reason: `${kind} for the test`,
});
const resume = (over: Partial<Extract<JobCommand, { kind: "resume" }>> = {}): JobCommand => ({
  kind: "resume",
  actor: "",
  identity: "agent.one",
  policy_digest: "",
  environment_fingerprint: ENV,
  allow_environment_mismatch: false,
  ...over,
});

/** A job built by applying `commands` in order (each must apply), with its events. */
function jobAfter(commands: JobCommand[]): { state: JobState; events: JobEvent[] } {
  let state: JobState | undefined;
  const events: JobEvent[] = [];
  for (const [i, command] of commands.entries()) {
    const t = applyJobCommand(JOB, state, command, at(i));
    assert.equal(t.outcome, "applied", `setup step ${i} (${command.kind}) was ${t.outcome}`);
    if (t.outcome !== "applied") throw new Error("unreachable");
    state = t.state;
    events.push(t.event);
  }
  return { state: state!, events };
}

/** The rows of the table: every status, and decision statuses both before and after an approval. */
const rows: Record<string, JobCommand[]> = {
  none: [],
  running: [submit()],
  paused: [submit(), note("pause")],
  decision_needed: [submit(), checkpoint("decision_needed")],
  "decision_needed (approved)": [submit(), checkpoint("decision_needed"), note("approve")],
  blocked: [submit(), checkpoint("blocked")],
  "blocked (approved)": [submit(), checkpoint("blocked"), note("approve")],
  completed: [submit(), checkpoint("completed")],
  cancelled: [submit(), note("cancel")],
  emergency_stopped: [submit(), note("stop")],
};

const columns: Record<string, JobCommand> = {
  submit: submit(),
  "checkpoint plan": checkpoint("plan"),
  "checkpoint progress": checkpoint("progress"),
  "checkpoint decision_needed": checkpoint("decision_needed"),
  "checkpoint blocked": checkpoint("blocked"),
  "checkpoint completed": checkpoint("completed"),
  pause: note("pause"),
  resume: resume(),
  approve: note("approve"),
  cancel: note("cancel"),
  stop: note("stop"),
};

/** Expected: a status (`-> running`) or an error code. Written out in full on purpose. */
const X = "job_invalid_transition";
const T = "job_terminal";
const A = "job_approval_required";
const N = "job_not_found";
const E = "job_exists";
// biome-ignore format: the table reads best as a table
const expected: Record<string, string[]> = {
  //                          submit        plan          progress      decision_needed       blocked       completed       pause        resume        approve                 cancel          stop
  none:                         ["running", N,            N,            N,                    N,            N,              N,           N,            N,                      N,              N],
  running:                      [E,         "running",    "running",    "decision_needed",    "blocked",    "completed",    "paused",    X,            X,                      "cancelled",    "emergency_stopped"],
  paused:                       [E,         X,            X,            X,                    X,            X,              X,           "running",    X,                      "cancelled",    "emergency_stopped"],
  decision_needed:              [E,         X,            X,            X,                    X,            X,              X,           A,            "decision_needed",      "cancelled",    "emergency_stopped"],
  "decision_needed (approved)": [E,         X,            X,            X,                    X,            X,              X,           "running",    "decision_needed",      "cancelled",    "emergency_stopped"],
  blocked:                      [E,         X,            X,            X,                    X,            X,              X,           A,            "blocked",              "cancelled",    "emergency_stopped"],
  "blocked (approved)":         [E,         X,            X,            X,                    X,            X,              X,           "running",    "blocked",              "cancelled",    "emergency_stopped"],
  completed:                    [E,         T,            T,            T,                    T,            T,              T,           T,            T,                      T,              T],
  cancelled:                    [E,         T,            T,            T,                    T,            T,              T,           T,            T,                      T,              T],
  emergency_stopped:            [E,         T,            T,            T,                    T,            T,              T,           T,            T,                      T,              T],
};

const EXIT_BY_CODE: Record<string, number> = { [X]: 6, [T]: 6, [A]: 4, [N]: 6, [E]: 6 };

function outcomeOf(t: JobTransition): string {
  if (t.outcome === "refused") return t.error.code;
  assert.equal(t.outcome, "applied");
  return t.outcome === "applied" ? t.state.status : "";
}

describe("job transitions: every status × every command", () => {
  const columnNames = Object.keys(columns);
  for (const [row, setup] of Object.entries(rows)) {
    for (const [index, column] of columnNames.entries()) {
      const want = expected[row]![index]!;
      it(`${row} × ${column} -> ${want}`, () => {
        const before = setup.length === 0 ? undefined : jobAfter(setup);
        const snapshot = canonicalize(before?.state ?? null);
        const t = applyJobCommand(JOB, before?.state, columns[column]!, at(100));
        assert.equal(outcomeOf(t), want);
        assert.equal(canonicalize(before?.state ?? null), snapshot, "the input state is not mutated");
        if (t.outcome === "refused") {
          assert.equal(t.error.exitCode, EXIT_BY_CODE[want], "exit code");
          assert.ok(t.error.hint.length > 0, "a refusal carries a hint");
          return;
        }
        if (t.outcome !== "applied") return;
        // The event says what happened, and the events replay to the state.
        const events = [...(before?.events ?? []), t.event];
        assert.equal(t.event.seq, events.length);
        assert.equal(t.state.revision, events.length);
        assert.equal(t.event.to_status, t.state.status);
        assert.equal(t.event.from_status, before?.state.status ?? "");
        assert.equal(t.event.stop_reason, t.state.stop_reason);
        assert.equal(t.event.status_reason_code, t.state.status_reason_code);
        assert.equal(t.state.updated_at, "2026-02-05T00:01:40Z");
        assert.equal(canonicalize(replayJobEvents(JOB, events)), canonicalize(t.state));
        assertPublishedValid(t.state, "job/state.schema.json");
        assertPublishedValid(t.event, "job/event.schema.json");
      });
    }
  }

  it("the table covers every checkpoint type and every status", () => {
    for (const type of CHECKPOINT_TYPES) assert.ok(`checkpoint ${type}` in columns);
    for (const status of JOB_STATUSES) assert.ok(status in rows, status);
  });
});

describe("job transitions: what each change records", () => {
  it("stop reasons and status reason codes", () => {
    const cases: Array<[JobCommand[], string, string, string]> = [
      [[submit()], "running", "none", "submitted"],
      [[submit(), checkpoint("progress")], "running", "none", "submitted"],
      [[submit(), note("pause")], "paused", "paused_by_user", "paused"],
      [[submit(), note("pause"), resume()], "running", "none", "resumed"],
      [[submit(), checkpoint("decision_needed")], "decision_needed", "decision_needed", "decision_needed"],
      [
        [submit(), checkpoint("decision_needed"), note("approve")],
        "decision_needed",
        "decision_needed",
        "approved",
      ],
      [[submit(), checkpoint("blocked")], "blocked", "blocked", "checkpoint_blocked"],
      [[submit(), checkpoint("completed")], "completed", "completed", "completed"],
      [[submit(), note("cancel")], "cancelled", "cancelled_by_user", "cancelled"],
      [[submit(), note("stop")], "emergency_stopped", "emergency_stopped", "emergency_stop"],
    ];
    for (const [commands, status, stopReason, code] of cases) {
      const { state } = jobAfter(commands);
      const what = commands.map((c) => c.kind).join(" > ");
      assert.deepEqual(
        [state.status, state.stop_reason, state.status_reason_code],
        [status, stopReason, code],
        what,
      );
    }
  });

  it("checkpoints and approvals are numbered and kept in order", () => {
    const { state, events } = jobAfter([
      submit(),
      checkpoint("plan", "plan the export"),
      checkpoint("progress", "exported 3 of 5 tables"),
      checkpoint("decision_needed", "table 4 failed: permission denied"),
      note("approve", "alice"),
      resume(),
      checkpoint("completed", "exported 5 of 5"),
    ]);
    assert.deepEqual(
      state.checkpoints.map((c) => [c.checkpoint_id, c.type, c.seq]),
      [
        ["cp_0001", "plan", 2],
        ["cp_0002", "progress", 3],
        ["cp_0003", "decision_needed", 4],
        ["cp_0004", "completed", 7],
      ],
    );
    assert.equal(state.checkpoints[2]!.required_action, "retry the upload?");
    assert.deepEqual(state.approvals, [
      {
        approval_id: "ap_0001",
        seq: 5,
        created_at: "2026-02-05T00:00:04Z",
        actor: "alice",
        reason: "approve for the test",
        status: "decision_needed",
        checkpoint_id: "cp_0003",
      },
    ]);
    assert.equal(state.status, "completed");
    assert.deepEqual(
      events.map((e) => e.type),
      [
        "submitted",
        "checkpoint_added",
        "checkpoint_added",
        "checkpoint_added",
        "approved",
        "resumed",
        "checkpoint_added",
      ],
    );
  });

  it("an approval is needed again after every new decision", () => {
    const { state } = jobAfter([
      submit(),
      checkpoint("decision_needed"),
      note("approve"),
      resume(),
      checkpoint("blocked"),
    ]);
    assert.equal(state.awaiting_approval, true);
    const t = applyJobCommand(JOB, state, resume(), at(50));
    assert.equal(t.outcome, "refused");
    assert.equal(t.outcome === "refused" && t.error.code, "job_approval_required");
  });
});

describe("job transitions: resume fails closed", () => {
  const pausedWithPolicy = () =>
    jobAfter([submit({ policy_digest: POLICY, policy_ref: "policy.yaml" }), note("pause")]).state;

  const blockedBy = (state: JobState, command: JobCommand, reason: string) => {
    const t = applyJobCommand(JOB, state, command, at(60));
    assert.equal(t.outcome, "blocked", reason);
    if (t.outcome !== "blocked") return;
    assert.equal(t.state.status, "blocked");
    assert.equal(t.state.stop_reason, "resume_blocked");
    assert.equal(t.state.status_reason_code, reason);
    assert.equal(t.state.awaiting_approval, true);
    assert.equal(t.event.type, "resume_blocked");
    assert.equal(t.error.code, "job_resume_blocked");
    assert.equal(t.error.exitCode, 3);
    assert.equal(t.error.details?.status_reason_code, reason);
    assert.equal(t.state.environment_fingerprint, state.environment_fingerprint, "binding kept");
    assertPublishedValid(t.event, "job/event.schema.json");
  };

  it("another identity blocks the job", () =>
    blockedBy(
      pausedWithPolicy(),
      resume({ identity: "agent.two", policy_digest: POLICY }),
      "identity_mismatch",
    ));
  it("a changed policy blocks the job", () =>
    blockedBy(pausedWithPolicy(), resume({ policy_digest: OTHER_POLICY }), "policy_digest_mismatch"));
  it("an unreadable bound policy blocks the job", () =>
    blockedBy(pausedWithPolicy(), resume({ policy_digest: "" }), "policy_unavailable"));
  it("another environment blocks the job", () =>
    blockedBy(
      pausedWithPolicy(),
      resume({ policy_digest: POLICY, environment_fingerprint: OTHER_ENV }),
      "environment_mismatch",
    ));
  it("identity is checked before the policy, the policy before the environment", () => {
    blockedBy(
      pausedWithPolicy(),
      resume({ identity: "x", policy_digest: OTHER_POLICY, environment_fingerprint: OTHER_ENV }),
      "identity_mismatch",
    );
    blockedBy(
      pausedWithPolicy(),
      resume({ policy_digest: OTHER_POLICY, environment_fingerprint: OTHER_ENV }),
      "policy_digest_mismatch",
    );
  });

  it("without a bound policy, any observed digest is not compared", () => {
    const { state } = jobAfter([submit(), note("pause")]);
    const t = applyJobCommand(JOB, state, resume({ policy_digest: OTHER_POLICY }), at(60));
    assert.equal(t.outcome, "applied");
  });

  it("--allow-env-mismatch resumes in the new environment and rebinds it", () => {
    const t = applyJobCommand(
      JOB,
      pausedWithPolicy(),
      resume({ policy_digest: POLICY, environment_fingerprint: OTHER_ENV, allow_environment_mismatch: true }),
      at(60),
    );
    assert.equal(t.outcome, "applied");
    if (t.outcome !== "applied") return;
    assert.equal(t.state.status, "running");
    assert.equal(t.state.status_reason_code, "resumed_with_env_override");
    assert.equal(t.state.environment_fingerprint, OTHER_ENV);
    assert.equal(t.event.type, "resumed");
  });

  it("a blocked resume needs an approval and a matching resume to run again", () => {
    const state = pausedWithPolicy();
    const blocked = applyJobCommand(
      JOB,
      state,
      resume({ identity: "agent.two", policy_digest: POLICY }),
      at(10),
    );
    assert.equal(blocked.outcome, "blocked");
    if (blocked.outcome !== "blocked") return;
    const again = applyJobCommand(JOB, blocked.state, resume({ policy_digest: POLICY }), at(11));
    assert.equal(again.outcome === "refused" && again.error.code, "job_approval_required");
    const approved = applyJobCommand(JOB, blocked.state, note("approve"), at(12));
    assert.equal(approved.outcome, "applied");
    if (approved.outcome !== "applied") return;
    assert.equal(approved.state.approvals[0]!.status, "blocked");
    const resumed = applyJobCommand(JOB, approved.state, resume({ policy_digest: POLICY }), at(13));
    assert.equal(resumed.outcome === "applied" && resumed.state.status, "running");
  });
});

describe("job transitions: inputs", () => {
  const refusedWith = (state: JobState | undefined, command: JobCommand, code: string, jobId = JOB) => {
    const t = applyJobCommand(jobId, state, command, at(1));
    assert.equal(t.outcome, "refused", `${command.kind} should be refused`);
    assert.equal(t.outcome === "refused" && t.error.code, code);
    assert.equal(t.outcome === "refused" && t.error.exitCode, 6);
  };
  const running = () => jobAfter([submit()]).state;

  it("job ids name a directory", () => {
    for (const id of ["", ".", "..", "../x", "a/b", "-x", "a b", "x".repeat(129), "j\u200b"]) {
      refusedWith(undefined, submit(), "job_id_invalid", id);
    }
    for (const id of ["a", "job_demo_durable", "A.b-c_9", "x".repeat(128)]) {
      assert.equal(applyJobCommand(id, undefined, submit(), T0).outcome, "applied", id);
    }
  });

  it("identities and actors must read as what they are", () => {
    refusedWith(undefined, submit({ identity: "" }), "job_input_invalid");
    refusedWith(undefined, submit({ identity: " agent" }), "job_input_invalid");
    refusedWith(undefined, submit({ identity: "agent\u200b" }), "job_input_invalid");
    refusedWith(undefined, submit({ actor: "al\u202eice" }), "job_input_invalid");
    refusedWith(jobAfter([submit(), checkpoint("blocked")]).state, note("approve", ""), "job_input_invalid");
  });

  it("checkpoints need a known type and a summary; a decision needs its question", () => {
    refusedWith(running(), { ...checkpoint("progress"), summary: "  " } as JobCommand, "job_input_invalid");
    refusedWith(
      running(),
      { ...checkpoint("progress"), checkpoint_type: "done" } as unknown as JobCommand,
      "job_input_invalid",
    );
    refusedWith(
      running(),
      { ...checkpoint("decision_needed"), required_action: "" } as JobCommand,
      "job_input_invalid",
    );
    refusedWith(
      running(),
      { ...checkpoint("progress"), summary: "x".repeat(4097) } as JobCommand,
      "job_input_invalid",
    );
  });

  it("digests, fingerprints and a bound policy's path are checked", () => {
    refusedWith(undefined, submit({ policy_digest: "ABC", policy_ref: "p.yaml" }), "job_input_invalid");
    refusedWith(undefined, submit({ policy_digest: POLICY }), "job_input_invalid");
    refusedWith(undefined, submit({ policy_ref: "p.yaml" }), "job_input_invalid");
    refusedWith(undefined, submit({ environment_fingerprint: "envfp:demo" }), "job_input_invalid");
    const paused = jobAfter([submit(), note("pause")]).state;
    refusedWith(paused, resume({ environment_fingerprint: "x" }), "job_input_invalid");
  });
});

describe("job replay", () => {
  const lifecycle = () =>
    jobAfter([
      submit({ policy_digest: POLICY, policy_ref: "p.yaml" }),
      checkpoint("progress"),
      checkpoint("decision_needed"),
      note("approve"),
      resume({ policy_digest: POLICY }),
      checkpoint("completed"),
    ]);

  const invalid = (events: unknown[], pattern: RegExp) =>
    assert.throws(
      () => replayJobEvents(JOB, events as JobEvent[]),
      (error: Error & { code?: string }) => error.code === "job_state_invalid" && pattern.test(error.message),
    );

  it("rebuilds the state from the events", () => {
    const { state, events } = lifecycle();
    assert.deepEqual(replayJobEvents(JOB, events), state);
  });

  it("refuses an edited, dropped, reordered, foreign or unknown event", () => {
    const { events } = lifecycle();
    invalid([], /no event/);
    invalid([{ ...events[0], identity: "agent.two" }, ...events.slice(1)], /line 5 .* not the event/);
    invalid([events[0], ...events.slice(2)], /line 2 .* not the event/);
    invalid([events[0], events[2], events[1], ...events.slice(3)], /line 2/);
    invalid([{ ...events[0], job_id: "other" }], /line 1/);
    invalid([events[0], { ...events[1], type: "teleported" }], /unknown event type/);
    invalid([events[0], { ...events[1], created_at: "yesterday" }], /RFC 3339/);
    invalid([events[0], { ...events[1], to_status: "completed" }], /line 2/);
    invalid([events[0], events[0]], /line 2 .* cannot happen/);
    invalid([...events, events[1]], /line 7 .* cannot happen/);
    invalid(
      [events[0], events[1], events[2], events[3], { ...events[4], allow_environment_mismatch: "yes" }],
      /line 5 .* cannot happen/,
    );
  });
});
