/**
 * `gait job` end to end, through the built CLI: a full lifecycle with the files it leaves on disk,
 * refused transitions and their exit codes, resume failing closed on a changed identity, policy or
 * environment, concurrent writers, and a job whose files a crash left behind.
 */
import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const POLICY = "schema_id: gait.gate.policy\nschema_version: 1.0.0\ndefault_verdict: block\n";
const CHANGED_POLICY = "schema_id: gait.gate.policy\nschema_version: 1.0.0\ndefault_verdict: allow\n";

/** The command's own code: the envelope keeps it in detail_code when error_code is the category's. */
function codeOf(result: CliResult): unknown {
  return result.json?.detail_code ?? result.json?.error_code;
}

function expectOk(result: CliResult, what: string): Record<string, unknown> {
  assert.equal(result.code, 0, `${what}: ${result.stdout}${result.stderr}`);
  assert.ok(result.json, `${what}: JSON output`);
  return result.json;
}

function expectError(result: CliResult, exit: number, code: string, what: string): void {
  assert.equal(result.code, exit, `${what}: ${result.stdout}${result.stderr}`);
  assert.equal(codeOf(result), code, what);
  assert.equal(result.json?.ok, false);
  assert.equal(typeof result.json?.hint, "string");
}

function readEvents(dir: string, id: string): Record<string, unknown>[] {
  const text = readFileSync(join(dir, "gait-out/jobs", id, "events.jsonl"), "utf8");
  assert.ok(text.endsWith("\n"));
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function readState(dir: string, id: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, "gait-out/jobs", id, "state.json"), "utf8")) as Record<
    string,
    unknown
  >;
}

/** `gait job checkpoint add --id <id> --type <type> --summary <summary> [more]`. */
function checkpointAdd(
  gait: (...args: string[]) => Promise<CliResult>,
  id: string,
  type: string,
  summary: string,
  ...more: string[]
): Promise<CliResult> {
  return gait("job", "checkpoint", "add", "--id", id, "--type", type, "--summary", summary, ...more);
}

/** A temp dir made before a describe block's tests and removed after them, and `gait … --json` run in it. */
function workspace(
  prefix: string,
  policy?: string,
): { readonly dir: string; gait: (...args: string[]) => Promise<CliResult> } {
  let made: { dir: string; cleanup: () => void } | undefined;
  before(() => {
    made = tempDir(prefix);
    if (policy !== undefined) writeFileSync(join(made.dir, "policy.yaml"), policy);
  });
  after(() => made?.cleanup());
  return {
    get dir() {
      return made!.dir;
    },
    gait: (...args: string[]) => runGait([...args, "--json"], { cwd: made!.dir }),
  };
}

describe("gait job: a full lifecycle", () => {
  const ws = workspace("gait-job-", POLICY);
  const { gait } = ws;

  it("submit, checkpoints, a failed step, approval, resume, completion; the files validate and replay", async () => {
    const submitted = expectOk(
      await gait("job", "submit", "--id", "job_1", "--identity", "agent.export", "--policy", "policy.yaml"),
      "submit",
    );
    assert.equal(submitted.status, "running");
    assert.equal(submitted.stop_reason, "none");
    assert.equal(submitted.status_reason_code, "submitted");
    assert.equal(submitted.policy_ref, "policy.yaml");
    assert.match(String(submitted.policy_digest), /^[0-9a-f]{64}$/);
    assert.match(String(submitted.environment_fingerprint), /^envfp:[0-9a-f]{64}$/);
    assert.equal(submitted.job_dir, "./gait-out/jobs/job_1");

    const progress = expectOk(
      await checkpointAdd(gait, "job_1", "progress", "3 of 5 tables"),
      "checkpoint progress",
    );
    assert.equal(progress.status, "running");
    assert.equal((progress.checkpoint as { checkpoint_id: string }).checkpoint_id, "cp_0001");

    const failed = expectOk(
      await checkpointAdd(
        gait,
        "job_1",
        "decision_needed",
        "table 4 failed: timeout",
        "--required-action",
        "retry with a smaller batch?",
      ),
      "checkpoint decision_needed",
    );
    assert.equal(failed.status, "decision_needed");
    assert.equal(failed.awaiting_approval, true);

    expectError(
      await gait("job", "resume", "--id", "job_1", "--identity", "agent.export"),
      4,
      "job_approval_required",
      "resume before approval",
    );
    const approved = expectOk(
      await gait("job", "approve", "--id", "job_1", "--actor", "alice", "--reason", "retry is safe"),
      "approve",
    );
    assert.equal(approved.status, "decision_needed");
    assert.equal(approved.status_reason_code, "approved");
    assert.deepEqual(
      [
        (approved.approval as { approval_id: string }).approval_id,
        (approved.approval as { actor: string }).actor,
      ],
      ["ap_0001", "alice"],
    );

    const resumed = expectOk(
      await gait("job", "resume", "--id", "job_1", "--identity", "agent.export"),
      "resume",
    );
    assert.equal(resumed.status, "running");
    assert.equal(resumed.status_reason_code, "resumed");

    const done = expectOk(
      await gait("job", "checkpoint", "add", "--id", "job_1", "--type", "completed", "--summary", "5 of 5"),
      "complete",
    );
    assert.equal(done.status, "completed");
    assert.equal(done.stop_reason, "completed");
    assert.equal(done.checkpoint_count, 3);
    assert.equal(done.approval_count, 1);

    // A completed job does not change again.
    expectError(await gait("job", "cancel", "--id", "job_1"), 6, "job_terminal", "cancel a completed job");

    // On disk: one event per change, every line and the state valid against the published schemas.
    const events = readEvents(ws.dir, "job_1");
    assert.deepEqual(
      events.map((e) => e.type),
      ["submitted", "checkpoint_added", "checkpoint_added", "approved", "resumed", "checkpoint_added"],
    );
    for (const event of events) assertPublishedValid(event, "job/event.schema.json");
    const state = readState(ws.dir, "job_1");
    assertPublishedValid(state, "job/state.schema.json");
    for (const file of ["events.jsonl", "state.json"]) {
      assert.equal(statSync(join(ws.dir, "gait-out/jobs/job_1", file)).mode & 0o777, 0o600, file);
    }
    assert.ok(!existsSync(join(ws.dir, "gait-out/jobs/job_1/state.json.lock")), "the lock is released");

    const inspected = expectOk(await gait("job", "inspect", "--id", "job_1"), "inspect");
    assert.equal(inspected.state_file, "consistent");
    assert.deepEqual(inspected.state, state);
    assert.deepEqual(inspected.events, events);

    const status = expectOk(await gait("job", "status", "--id", "job_1"), "status");
    assert.equal(status.status, "completed");
    assert.equal((status.last_checkpoint as { summary: string }).summary, "5 of 5");

    const list = expectOk(await gait("job", "checkpoint", "list", "--id", "job_1"), "checkpoint list");
    assert.deepEqual(
      (list.checkpoints as Array<{ checkpoint_id: string; type: string }>).map((c) => [
        c.checkpoint_id,
        c.type,
      ]),
      [
        ["cp_0001", "progress"],
        ["cp_0002", "decision_needed"],
        ["cp_0003", "completed"],
      ],
    );
    const shown = expectOk(
      await gait("job", "checkpoint", "show", "--id", "job_1", "--checkpoint", "cp_0002"),
      "checkpoint show",
    );
    assert.equal(
      (shown.checkpoint as { required_action: string }).required_action,
      "retry with a smaller batch?",
    );
    expectError(
      await gait("job", "checkpoint", "show", "--id", "job_1", "--checkpoint", "cp_0009"),
      6,
      "job_checkpoint_not_found",
      "unknown checkpoint",
    );
  });

  it("human output names the status and the next command", async () => {
    const submitted = await runGait(["job", "submit", "--id", "job_h", "--identity", "agent.h"], {
      cwd: ws.dir,
    });
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.match(submitted.stdout, /^job job_h: running \(submitted\)$/m);
    assert.match(submitted.stdout, /gait job checkpoint add --id job_h/);
    const paused = await runGait(["job", "pause", "--id", "job_h"], { cwd: ws.dir });
    assert.match(paused.stdout, /^job job_h: paused \(paused\)$/m);
    assert.match(paused.stdout, /gait job resume --id job_h --identity agent\.h/);
    const refused = await runGait(["job", "pause", "--id", "job_h"], { cwd: ws.dir });
    assert.equal(refused.code, 6);
    assert.match(refused.stderr, /cannot pause job job_h: it is paused/);
  });
});

describe("gait job: refused transitions and bad input change nothing", () => {
  const ws = workspace("gait-job-refused-");
  const { gait } = ws;

  it("each refusal has its code and exit, and leaves the events as they were", async () => {
    expectOk(await gait("job", "submit", "--id", "j", "--identity", "agent"), "submit");
    const refusals: Array<[string[], number, string]> = [
      [["job", "submit", "--id", "j", "--identity", "agent"], 6, "job_exists"],
      [["job", "resume", "--id", "j", "--identity", "agent"], 6, "job_invalid_transition"],
      [["job", "approve", "--id", "j", "--actor", "alice"], 6, "job_invalid_transition"],
      [
        ["job", "checkpoint", "add", "--id", "j", "--type", "decision_needed", "--summary", "x"],
        6,
        "job_input_invalid",
      ],
      [["job", "checkpoint", "add", "--id", "j", "--type", "finished", "--summary", "x"], 6, "usage"],
      [["job", "checkpoint", "add", "--id", "j", "--type", "progress"], 6, "usage"],
      [["job", "approve", "--id", "j"], 6, "usage"],
      [["job", "submit", "--id", "k"], 6, "usage"],
      [["job", "submit", "--id", "../escape", "--identity", "a"], 6, "job_id_invalid"],
      [["job", "submit", "--id", "k", "--identity", "agent\u200b"], 6, "job_input_invalid"],
      [["job", "submit", "--id", "k", "--identity", "a", "--policy", "missing.yaml"], 6, "file_not_found"],
      [["job", "status"], 6, "usage"],
    ];
    for (const [args, exit, code] of refusals) expectError(await gait(...args), exit, code, args.join(" "));
    assert.equal(readEvents(ws.dir, "j").length, 1, "no event recorded");
    assert.ok(!existsSync(join(ws.dir, "gait-out/jobs/k")), "no job k");
    assert.ok(!existsSync(join(ws.dir, "gait-out/escape")), "no escape");
  });

  it("a job that does not exist is job_not_found, and no directory is made for it", async () => {
    for (const args of [
      ["job", "status", "--id", "nosuch"],
      ["job", "pause", "--id", "nosuch"],
      ["job", "resume", "--id", "nosuch", "--identity", "a"],
      ["job", "checkpoint", "list", "--id", "nosuch"],
      ["job", "inspect", "--id", "nosuch"],
    ]) {
      expectError(await gait(...args), 6, "job_not_found", args.join(" "));
    }
    assert.ok(!existsSync(join(ws.dir, "gait-out/jobs/nosuch")));
  });

  it("an emergency stop is final", async () => {
    expectOk(await gait("job", "submit", "--id", "s", "--identity", "agent"), "submit");
    const stopped = expectOk(
      await gait("job", "stop", "--id", "s", "--actor", "oncall", "--reason", "runaway"),
      "stop",
    );
    assert.equal(stopped.status, "emergency_stopped");
    assert.equal(stopped.stop_reason, "emergency_stopped");
    for (const args of [
      ["job", "resume", "--id", "s", "--identity", "agent"],
      ["job", "checkpoint", "add", "--id", "s", "--type", "progress", "--summary", "x"],
      ["job", "stop", "--id", "s"],
    ]) {
      expectError(await gait(...args), 6, "job_terminal", args.join(" "));
    }
  });

  it("--job-root puts jobs elsewhere", async () => {
    expectOk(await gait("job", "submit", "--id", "r", "--identity", "agent", "--job-root", "jobs"), "submit");
    assert.ok(existsSync(join(ws.dir, "jobs/r/events.jsonl")));
    expectError(await gait("job", "status", "--id", "r"), 6, "job_not_found", "default root");
    const status = expectOk(await gait("job", "status", "--id", "r", "--job-root", "jobs"), "status");
    assert.equal(status.job_dir, "./jobs/r");
  });
});

describe("gait job resume fails closed", () => {
  const ws = workspace("gait-job-closed-", POLICY);
  const { gait } = ws;

  async function pausedJob(id: string): Promise<void> {
    expectOk(
      await gait("job", "submit", "--id", id, "--identity", "agent.a", "--policy", "policy.yaml"),
      "submit",
    );
    expectOk(await gait("job", "pause", "--id", id), "pause");
  }

  async function expectBlocked(result: CliResult, id: string, reason: string): Promise<void> {
    expectError(result, 3, "job_resume_blocked", reason);
    assert.equal(result.json?.status, "blocked");
    assert.equal(result.json?.status_reason_code, reason);
    const state = readState(ws.dir, id);
    assert.deepEqual(
      [state.status, state.stop_reason, state.status_reason_code],
      ["blocked", "resume_blocked", reason],
    );
    assert.equal(readEvents(ws.dir, id).at(-1)?.type, "resume_blocked", "the refusal is recorded");
  }

  it("another identity", async () => {
    await pausedJob("ident");
    await expectBlocked(
      await gait("job", "resume", "--id", "ident", "--identity", "agent.b"),
      "ident",
      "identity_mismatch",
    );
    // Blocked now: the right identity alone is not enough, a person must approve first.
    expectError(
      await gait("job", "resume", "--id", "ident", "--identity", "agent.a"),
      4,
      "job_approval_required",
      "resume while blocked",
    );
    expectOk(await gait("job", "approve", "--id", "ident", "--actor", "alice"), "approve");
    const resumed = expectOk(await gait("job", "resume", "--id", "ident", "--identity", "agent.a"), "resume");
    assert.equal(resumed.status, "running");
  });

  it("a changed policy, read again from the path bound at submit", async () => {
    await pausedJob("pol");
    writeFileSync(join(ws.dir, "policy.yaml"), CHANGED_POLICY);
    try {
      await expectBlocked(
        await gait("job", "resume", "--id", "pol", "--identity", "agent.a"),
        "pol",
        "policy_digest_mismatch",
      );
    } finally {
      writeFileSync(join(ws.dir, "policy.yaml"), POLICY);
    }
  });

  it("a changed policy given with --policy", async () => {
    await pausedJob("polflag");
    writeFileSync(join(ws.dir, "other.yaml"), CHANGED_POLICY);
    await expectBlocked(
      await gait("job", "resume", "--id", "polflag", "--identity", "agent.a", "--policy", "other.yaml"),
      "polflag",
      "policy_digest_mismatch",
    );
  });

  it("a bound policy that cannot be read any more", async () => {
    writeFileSync(join(ws.dir, "gone.yaml"), POLICY);
    expectOk(
      await gait("job", "submit", "--id", "gone", "--identity", "agent.a", "--policy", "gone.yaml"),
      "submit",
    );
    expectOk(await gait("job", "pause", "--id", "gone"), "pause");
    unlinkSync(join(ws.dir, "gone.yaml"));
    await expectBlocked(
      await gait("job", "resume", "--id", "gone", "--identity", "agent.a"),
      "gone",
      "policy_unavailable",
    );
  });

  it("an explicit --policy that does not load is bad input and changes nothing", async () => {
    await pausedJob("typo");
    expectError(
      await gait("job", "resume", "--id", "typo", "--identity", "agent.a", "--policy", "nope.yaml"),
      6,
      "file_not_found",
      "missing --policy",
    );
    assert.equal(readState(ws.dir, "typo").status, "paused");
  });

  it("--policy for a job submitted without one is refused", async () => {
    expectOk(await gait("job", "submit", "--id", "nopol", "--identity", "agent.a"), "submit");
    expectOk(await gait("job", "pause", "--id", "nopol"), "pause");
    expectError(
      await gait("job", "resume", "--id", "nopol", "--identity", "agent.a", "--policy", "policy.yaml"),
      6,
      "job_policy_not_bound",
      "policy for an unbound job",
    );
  });

  it("another environment (another working directory), unless --allow-env-mismatch", async () => {
    await pausedJob("env");
    const elsewhere = join(ws.dir, "elsewhere");
    mkdirSync(elsewhere);
    const root = join(ws.dir, "gait-out/jobs");
    const fromElsewhere = (...args: string[]) =>
      runGait([...args, "--job-root", root, "--json"], { cwd: elsewhere });
    const policy = join(ws.dir, "policy.yaml");
    await expectBlocked(
      await fromElsewhere("job", "resume", "--id", "env", "--identity", "agent.a", "--policy", policy),
      "env",
      "environment_mismatch",
    );
    expectOk(await fromElsewhere("job", "approve", "--id", "env", "--actor", "alice"), "approve");
    const resumed = expectOk(
      await fromElsewhere(
        "job",
        "resume",
        "--id",
        "env",
        "--identity",
        "agent.a",
        "--policy",
        policy,
        "--allow-env-mismatch",
      ),
      "resume with override",
    );
    assert.equal(resumed.status, "running");
    assert.equal(resumed.status_reason_code, "resumed_with_env_override");
    assert.notEqual(resumed.environment_fingerprint, readEvents(ws.dir, "env")[0]!.environment_fingerprint);
  });
});

describe("gait job: concurrent writers and damaged files", () => {
  const ws = workspace("gait-job-conc-");
  const { gait } = ws;

  it("eight processes adding checkpoints at once each get their own, none lost", async () => {
    expectOk(await gait("job", "submit", "--id", "c", "--identity", "agent"), "submit");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        gait("job", "checkpoint", "add", "--id", "c", "--type", "progress", "--summary", `step ${i}`),
      ),
    );
    const ids = results
      .map(
        (r) => (expectOk(r, "concurrent checkpoint").checkpoint as { checkpoint_id: string }).checkpoint_id,
      )
      .sort();
    assert.deepEqual(ids, [
      "cp_0001",
      "cp_0002",
      "cp_0003",
      "cp_0004",
      "cp_0005",
      "cp_0006",
      "cp_0007",
      "cp_0008",
    ]);
    assert.equal(readEvents(ws.dir, "c").length, 9);
    const inspected = expectOk(await gait("job", "inspect", "--id", "c"), "inspect");
    assert.equal(inspected.state_file, "consistent");
  });

  it("a line cut short by a crash is skipped, then dropped by the next change", async () => {
    expectOk(await gait("job", "submit", "--id", "torn", "--identity", "agent"), "submit");
    const events = join(ws.dir, "gait-out/jobs/torn/events.jsonl");
    appendFileSync(events, '{"schema_id":"gait.job.event","seq":2,"ty');
    expectOk(await gait("job", "status", "--id", "torn"), "status with a torn line");
    expectOk(await gait("job", "pause", "--id", "torn"), "pause after a torn line");
    assert.deepEqual(
      readEvents(ws.dir, "torn").map((e) => e.type),
      ["submitted", "paused"],
    );
  });

  it("a state file a crash left behind is reported stale; the events decide, and the next change rewrites it", async () => {
    expectOk(await gait("job", "submit", "--id", "stale", "--identity", "agent"), "submit");
    const statePath = join(ws.dir, "gait-out/jobs/stale/state.json");
    const before = readFileSync(statePath, "utf8");
    expectOk(await gait("job", "pause", "--id", "stale"), "pause");
    writeFileSync(statePath, before); // as if the writer stopped after appending the pause event
    const status = expectOk(await gait("job", "status", "--id", "stale"), "status");
    assert.equal(status.status, "paused");
    assert.equal(status.state_file, "stale");
    expectOk(await gait("job", "cancel", "--id", "stale"), "cancel");
    assert.equal(readState(ws.dir, "stale").status, "cancelled");
    assert.equal(expectOk(await gait("job", "inspect", "--id", "stale"), "inspect").state_file, "consistent");
  });

  it("an events file that no longer replays is job_state_invalid", async () => {
    expectOk(await gait("job", "submit", "--id", "edited", "--identity", "agent"), "submit");
    expectOk(await gait("job", "pause", "--id", "edited"), "pause");
    const events = join(ws.dir, "gait-out/jobs/edited/events.jsonl");
    // A pause that claims to have completed the job: not what a pause gives.
    writeFileSync(
      events,
      readFileSync(events, "utf8").replace('"to_status":"paused"', '"to_status":"completed"'),
    );
    expectError(await gait("job", "status", "--id", "edited"), 6, "job_state_invalid", "status");
    expectError(
      await gait("job", "resume", "--id", "edited", "--identity", "agent"),
      6,
      "job_state_invalid",
      "resume",
    );
    writeFileSync(events, "not json\n");
    expectError(await gait("job", "inspect", "--id", "edited"), 6, "job_state_invalid", "not JSON");
  });
});

describe("gait job: help and explain", () => {
  const subcommands = [
    ["submit"],
    ["status"],
    ["checkpoint", "add"],
    ["checkpoint", "list"],
    ["checkpoint", "show"],
    ["pause"],
    ["resume"],
    ["stop"],
    ["approve"],
    ["cancel"],
    ["inspect"],
  ];

  it("every subcommand has --help (with --id and --job-root) and a one-line --explain", async () => {
    for (const sub of subcommands) {
      const help = await runGait(["job", ...sub, "--help"]);
      assert.equal(help.code, 0, sub.join(" "));
      assert.match(help.stdout, /--id/, sub.join(" "));
      assert.match(help.stdout, /--job-root/, sub.join(" "));
      const explain = await runGait(["job", ...sub, "--explain", "--json"]);
      assert.equal(explain.code, 0, sub.join(" "));
      assert.match(String(explain.json?.explain), /^.{20,}$/, sub.join(" "));
    }
    const group = await runGait(["job", "--help"]);
    assert.equal(group.code, 0);
    for (const name of [
      "submit",
      "status",
      "checkpoint",
      "pause",
      "resume",
      "stop",
      "approve",
      "cancel",
      "inspect",
    ]) {
      assert.match(group.stdout, new RegExp(`\\b${name}\\b`));
    }
  });
});
