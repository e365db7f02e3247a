/**
 * The sidecar's trace path: group commits of evidence files (sdk/trace-worker-commit.ts) and the
 * TraceWorker that signs and commits on the event loop (`thread: false`), as `gait gate serve`
 * runs it. The thread variant is covered by test/sdk/trace-worker.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, type SigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import { evidenceFileNames, type GateOutcome, gateRecordsFor } from "../../src/gate/index.ts";
import { createGate, type IntentRequest, TraceWorker, verifyTrace } from "../../src/sdk/index.ts";
import type { TraceDone, TraceWork } from "../../src/sdk/trace-work.ts";
import {
  type EvidenceFiles,
  type EvidenceOutcome,
  GroupCommitter,
} from "../../src/sdk/trace-worker-commit.ts";
import { tempDir } from "../helpers/cli.ts";
import { POLICY_YAML } from "./support.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir("gait-group-commit-");
  t.after(cleanup);
  return dir;
}

/** Writes each decision's files through `committer`, kicks it, and resolves with every outcome. */
function commitAll(committer: GroupCommitter, decisions: EvidenceFiles[]): Promise<EvidenceOutcome[]> {
  const settled = decisions.map(
    (files) => new Promise<EvidenceOutcome>((resolve) => committer.write(files, resolve)),
  );
  committer.kick();
  return Promise.all(settled);
}

const tempFiles = (dir: string) => readdirSync(dir).filter((name) => name.startsWith("."));

describe("GroupCommitter", () => {
  it("writes each trace and its audit under the first free names, mode 0600, leaving no temp file", async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, "trace_b.json"), "earlier evidence");
    const committer = new GroupCommitter({ fsync: true });
    const outcomes = await commitAll(committer, [
      { trace: { names: evidenceFileNames(dir, "trace", "a"), data: "trace a\n" } },
      {
        trace: { names: evidenceFileNames(dir, "trace", "b"), data: "trace b\n" },
        audit: { names: evidenceFileNames(dir, "approval_audit", "b"), data: "audit b\n" },
      },
      { trace: { names: join(dir, "nested", "exact.json"), data: "exact\n" } },
    ]);
    assert.deepEqual(outcomes, [
      { written: [{ path: join(dir, "trace_a.json"), attempt: 0 }] },
      {
        written: [
          { path: join(dir, "trace_b.2.json"), attempt: 1 },
          { path: join(dir, "approval_audit_b.json"), attempt: 0 },
        ],
      },
      { written: [{ path: join(dir, "nested", "exact.json"), attempt: 0 }] },
    ]);
    assert.equal(readFileSync(join(dir, "trace_b.json"), "utf8"), "earlier evidence");
    assert.equal(readFileSync(join(dir, "trace_b.2.json"), "utf8"), "trace b\n");
    assert.equal(readFileSync(join(dir, "approval_audit_b.json"), "utf8"), "audit b\n");
    assert.equal(readFileSync(join(dir, "nested", "exact.json"), "utf8"), "exact\n");
    assert.equal(statSync(join(dir, "trace_a.json")).mode & 0o777, 0o600);
    assert.deepEqual(tempFiles(dir), []);
    assert.deepEqual(tempFiles(join(dir, "nested")), []);
  });

  it("never writes the audit of a trace that failed, and fails only that decision", async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, "taken.json"), "someone else's");
    const committer = new GroupCommitter({ fsync: false });
    const [failed, fine] = await commitAll(committer, [
      {
        trace: { names: join(dir, "taken.json"), data: "trace\n" },
        audit: { names: join(dir, "audit.json"), data: "audit\n" },
      },
      { trace: { names: join(dir, "fine.json"), data: "fine\n" } },
    ]);
    assert.ok(failed!.error instanceof GaitError);
    assert.equal(failed!.error.code, "file_exists");
    assert.equal(failed!.failed, join(dir, "taken.json"));
    assert.deepEqual(failed!.written, []);
    assert.equal(existsSync(join(dir, "audit.json")), false);
    assert.equal(readFileSync(join(dir, "taken.json"), "utf8"), "someone else's");
    assert.deepEqual(fine, { written: [{ path: join(dir, "fine.json"), attempt: 0 }] });
    assert.deepEqual(tempFiles(dir), []);
  });

  it("reports a directory that cannot be created for every file in it, with a coded error", async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, "not-a-dir"), "");
    const committer = new GroupCommitter();
    const outcomes = await commitAll(committer, [
      { trace: { names: join(dir, "not-a-dir", "one.json"), data: "1" } },
      { trace: { names: join(dir, "not-a-dir", "two.json"), data: "2" } },
    ]);
    for (const [i, outcome] of outcomes.entries()) {
      assert.ok(outcome.error instanceof GaitError);
      assert.equal(outcome.failed, join(dir, "not-a-dir", i === 0 ? "one.json" : "two.json"));
    }
  });

  it("settles a decision without an audit before the audits of its group are placed", async (t) => {
    const dir = scratch(t);
    const order: string[] = [];
    const committer = new GroupCommitter({ fsync: false });
    committer.write(
      {
        trace: { names: join(dir, "t1.json"), data: "t1" },
        audit: { names: join(dir, "a1.json"), data: "a1" },
      },
      () => order.push(`with audit (audit on disk: ${existsSync(join(dir, "a1.json"))})`),
    );
    committer.write({ trace: { names: join(dir, "t2.json"), data: "t2" } }, () =>
      order.push(`trace only (audit on disk: ${existsSync(join(dir, "a1.json"))})`),
    );
    committer.kick();
    await committer.idle();
    assert.deepEqual(order, ["trace only (audit on disk: false)", "with audit (audit on disk: true)"]);
  });

  it("a commit that throws settles the rest of its group as failed (fail closed), never leaves one waiting", async (t) => {
    const dir = scratch(t);
    const committer = new GroupCommitter({ fsync: false });
    committer.write({ trace: { names: join(dir, "one.json"), data: "1" } }, () => {
      throw new Error("a bug in a callback");
    });
    const second = new Promise<EvidenceOutcome>((resolve) =>
      committer.write({ trace: { names: join(dir, "two.json"), data: "2" } }, resolve),
    );
    committer.kick();
    const outcome = await second;
    assert.ok(outcome.error instanceof GaitError);
    assert.match(outcome.error.message, /a bug in a callback/);
    assert.equal(outcome.failed, join(dir, "two.json"));
    await committer.idle();
  });

  it("lingers: what arrives within lingerMs shares one commit; flush() commits at once", async (t) => {
    const dir = scratch(t);
    const committer = new GroupCommitter({ fsync: false, lingerMs: 60_000 });
    let settled = 0;
    committer.write({ trace: { names: join(dir, "one.json"), data: "1" } }, () => settled++);
    committer.kick();
    await new Promise((resolve) => setTimeout(resolve, 20));
    committer.write({ trace: { names: join(dir, "two.json"), data: "2" } }, () => settled++);
    committer.kick();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, 0, "nothing commits before the linger ends");
    assert.equal(existsSync(join(dir, "one.json")), false);
    committer.flush();
    await committer.idle();
    assert.equal(settled, 2);
    assert.equal(readFileSync(join(dir, "two.json"), "utf8"), "2");
  });

  it("under load, the decisions that arrive while a commit is under way share the next one", async (t) => {
    const dir = scratch(t);
    const committer = new GroupCommitter({ fsync: true, maxInFlight: 1 });
    // The decisions of one commit settle in one synchronous run: count the runs.
    let commits = 0;
    let inRun = false;
    const settled = () => {
      if (inRun) return;
      commits++;
      inRun = true;
      queueMicrotask(() => {
        inRun = false;
      });
    };
    const all: Array<Promise<void>> = [];
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 20; i++) {
        const names = evidenceFileNames(dir, "trace", `id${turn * 20 + i}`);
        all.push(
          new Promise((resolve) =>
            committer.write({ trace: { names, data: "{}" } }, () => {
              settled();
              resolve();
            }),
          ),
        );
      }
      committer.kick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    assert.equal(readdirSync(dir).length, 100);
    assert.ok(commits >= 1 && commits <= 5, `100 decisions in ${commits} commits`);
  });
});

describe("TraceWorker without a thread", () => {
  const clock = fixedClock(NOW);

  function intent(toolName: string, path = "/work/a.txt"): IntentRequest {
    return {
      tool_name: toolName,
      args: { path },
      targets: [{ kind: "path", value: path, operation: "read" }],
      context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
    };
  }

  async function outcomeOf(
    t: TestContext,
    signingKey: SigningKey,
    request: IntentRequest,
  ): Promise<GateOutcome> {
    const gate = await createGate({ policyText: POLICY_YAML, clock, signingKey, traceDir: null });
    t.after(() => gate.close());
    return gate.evaluate(request).outcome!;
  }

  function submit(worker: TraceWorker, build: () => TraceWork, wantSigned: boolean): Promise<TraceDone> {
    return new Promise((resolve) => worker.submit({ build, done: resolve, wantSigned }));
  }

  it("signs and writes trace and audit on the event loop, as the thread does", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = new TraceWorker({ signingKey, fsync: true, thread: false });
    t.after(() => worker.close());
    const outcome = await outcomeOf(t, signingKey, intent("tool.write"));
    const records = gateRecordsFor(outcome, { observedAt: NOW, latencyMs: 0.5 });
    const id = records.trace.trace_id;
    const [signed, quiet, failing] = await Promise.all([
      submit(worker, () => ({ records, dir: join(dir, "signed") }), true),
      submit(worker, () => ({ records, dir: join(dir, "quiet") }), false),
      submit(
        worker,
        () => {
          throw new Error("cannot build");
        },
        false,
      ),
    ]);
    assert.equal(worker.pending, 0);
    assert.match(String(failing.error?.message), /cannot build/);
    assert.ok(signed.trace);
    assert.equal(verifyTrace(signed.trace, verifyKeyFor(signingKey)).ok, true);
    assert.deepEqual(signed.approvalAudit, records.approvalAudit);
    assert.deepEqual(signed.written, {
      tracePath: join(dir, "signed", `trace_${id}.json`),
      auditPath: join(dir, "signed", `approval_audit_${id}.json`),
      sequence: 1,
    });
    assert.deepEqual(JSON.parse(readFileSync(signed.written!.tracePath, "utf8")), signed.trace);
    assert.deepEqual(quiet, {
      written: {
        tracePath: join(dir, "quiet", `trace_${id}.json`),
        auditPath: join(dir, "quiet", `approval_audit_${id}.json`),
        sequence: 1,
      },
    });
    // The same bytes as the thread would write: Ed25519 is deterministic.
    assert.equal(
      readFileSync(join(dir, "quiet", `trace_${id}.json`), "utf8"),
      readFileSync(signed.written!.tracePath, "utf8"),
    );
  });

  it("reports a write failure with the file's path; close() waits for lingering work, then refuses more", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = new TraceWorker({ signingKey, fsync: false, thread: false, lingerMs: 60_000 });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const records = gateRecordsFor(outcome, { observedAt: NOW });
    writeFileSync(join(dir, "taken.json"), "");
    const taken = submit(worker, () => ({ records, paths: { trace: join(dir, "taken.json") } }), false);
    const lingering = submit(worker, () => ({ records, dir }), false);
    await worker.close();
    const failed = await taken;
    assert.ok(failed.error instanceof GaitError);
    assert.equal(failed.error.code, "file_exists");
    assert.equal(failed.path, join(dir, "taken.json"));
    assert.equal((await lingering).error, undefined);
    const refused = await submit(worker, () => ({ records }), true);
    assert.equal((refused.error as GaitError | undefined)?.code, "trace_worker_closed");
  });
});
