import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import { GaitError } from "../../src/contract/errors.ts";
import {
  generateSigningKey,
  type SigningKey,
  verifyKeyFor,
  withoutSignature,
} from "../../src/contract/signing.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import {
  type GateOutcome,
  gateRecordsFor,
  prettyJson,
  signTrace,
  type TraceRecord,
  traceIdFor,
} from "../../src/gate/index.ts";
import {
  createGate,
  type Gate,
  type GateDecision,
  type GateOptions,
  type IntentRequest,
  mintApprovalToken,
  TraceWorker,
  type TraceWorkerOptions,
  verifyTrace,
} from "../../src/sdk/index.ts";
import type { TraceDone, TraceWork } from "../../src/sdk/trace-work.ts";
import { repoRoot, tempDir } from "../helpers/cli.ts";
import { POLICY_YAML } from "../sidecar/support.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const clock = fixedClock(NOW);

/** The sidecar tests' policy: reads allowed, writes need approval, the rest blocked. */
const policyYaml = POLICY_YAML;

function intent(toolName: string, path = "/work/a.txt"): IntentRequest {
  return {
    tool_name: toolName,
    args: { path },
    targets: [{ kind: "path", value: path, operation: "read" }],
    context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
  };
}

/** A fresh directory removed when the test ends. */
function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir("gait-trace-worker-");
  t.after(cleanup);
  return dir;
}

/** A TraceWorker closed when the test ends, so its thread never outlives the test. */
function startWorker(t: TestContext, options: TraceWorkerOptions): TraceWorker {
  const worker = new TraceWorker(options);
  t.after(() => worker.close());
  return worker;
}

/** A Gate closed when the test ends (in either order with its worker: a worker waits for its work). */
async function openGate(
  t: TestContext,
  options: Partial<GateOptions> & { signingKey: SigningKey },
): Promise<Gate> {
  const gate = await createGate({ policyText: policyYaml, clock, fsync: false, ...options });
  t.after(() => gate.close());
  return gate;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

/** A finished decision's outcome, decided by a Gate that writes nothing. */
async function outcomeOf(
  t: TestContext,
  signingKey: SigningKey,
  request: IntentRequest,
): Promise<GateOutcome> {
  const gate = await openGate(t, { signingKey, traceDir: null });
  const decision = gate.evaluate(request);
  assert.ok(decision.outcome, "the decision has an outcome");
  return decision.outcome;
}

/** Submits one piece of work straight to the worker and resolves with how it ended. */
function submit(worker: TraceWorker, build: () => TraceWork, wantSigned: boolean): Promise<TraceDone> {
  return new Promise((resolve) => worker.submit({ build, done: resolve, wantSigned }));
}

describe("TraceWorker.submit", () => {
  it("signs and writes the trace and audit on its thread; returns the records only when asked", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = startWorker(t, { signingKey, fsync: false });
    const outcome = await outcomeOf(t, signingKey, intent("tool.write"));
    const records = gateRecordsFor(outcome, { observedAt: NOW, latencyMs: 0.5 });
    const id = records.trace.trace_id;
    const signedPaths = {
      tracePath: join(dir, "signed", `trace_${id}.json`),
      auditPath: join(dir, "signed", `approval_audit_${id}.json`),
    };
    const quietPaths = {
      tracePath: join(dir, "quiet", `trace_${id}.json`),
      auditPath: join(dir, "quiet", `approval_audit_${id}.json`),
    };

    const signed = submit(worker, () => ({ records, dir: join(dir, "signed") }), true);
    const quiet = submit(worker, () => ({ records, dir: join(dir, "quiet") }), false);
    assert.equal(worker.pending, 2);
    const [withRecords, withoutRecords] = await Promise.all([signed, quiet]);
    assert.equal(worker.pending, 0);

    assert.equal(withRecords.error, undefined);
    assert.ok(withRecords.trace);
    assert.equal(verifyTrace(withRecords.trace, verifyKeyFor(signingKey)).ok, true);
    assert.deepEqual(withoutSignature(withRecords.trace), records.trace);
    assert.deepEqual(readJson(signedPaths.tracePath), withRecords.trace);
    assert.deepEqual(withRecords.approvalAudit, records.approvalAudit);
    assert.deepEqual(readJson(signedPaths.auditPath), records.approvalAudit);

    assert.deepEqual(withRecords.written, { ...signedPaths, sequence: 1 });
    assert.deepEqual(withoutRecords, { written: { ...quietPaths, sequence: 1 } });
    // Ed25519 is deterministic: the same records signed with the same key give the same bytes.
    assert.equal(readFileSync(quietPaths.tracePath, "utf8"), readFileSync(signedPaths.tracePath, "utf8"));
    assert.equal(readFileSync(quietPaths.auditPath, "utf8"), readFileSync(signedPaths.auditPath, "utf8"));
  });

  it("signs without writing when the work names no paths", async (t) => {
    const signingKey = generateSigningKey();
    const worker = startWorker(t, { signingKey, fsync: false });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const done = await submit(
      worker,
      () => ({ records: gateRecordsFor(outcome, { observedAt: NOW }) }),
      true,
    );
    assert.equal(done.error, undefined);
    assert.ok(done.trace);
    assert.equal(verifyTrace(done.trace, verifyKeyFor(signingKey)).ok, true);
    assert.equal(done.approvalAudit, undefined);
  });

  it("reports a build that throws through done, and keeps serving the rest of the turn", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = startWorker(t, { signingKey, fsync: false });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const failing = submit(
      worker,
      () => {
        throw new Error("cannot build");
      },
      false,
    );
    const fine = submit(
      worker,
      () => ({ records: gateRecordsFor(outcome, { observedAt: NOW }), dir }),
      false,
    );
    const [failed, written] = await Promise.all([failing, fine]);
    assert.match(String(failed.error?.message), /cannot build/);
    assert.equal(written.error, undefined);
    assert.equal(verifyTrace(readJson(written.written!.tracePath), verifyKeyFor(signingKey)).ok, true);
  });
  it("close() waits for the work in flight, then refuses more", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = new TraceWorker({ signingKey, fsync: false });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const inFlight = submit(
      worker,
      () => ({ records: gateRecordsFor(outcome, { observedAt: NOW }), dir }),
      false,
    );
    await worker.close();
    const traceId = traceIdFor(outcome.policyDigest, outcome.prepared.intentDigest, outcome.verdict);
    const tracePath = join(dir, `trace_${traceId}.json`);
    assert.deepEqual(await inFlight, { written: { tracePath, sequence: 1 } });
    assert.equal(verifyTrace(readJson(tracePath), verifyKeyFor(signingKey)).ok, true);
    let built = false;
    const refused = await submit(
      worker,
      () => {
        built = true;
        return { records: gateRecordsFor(outcome, { observedAt: NOW }) };
      },
      true,
    );
    assert.ok(refused.error instanceof GaitError);
    assert.equal(refused.error.code, "trace_worker_closed");
    assert.equal(built, false);
    assert.equal(worker.pending, 0);
    await worker.close();
  });

  it("writes each file under the next free name from the hinted sequence, never over one", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = startWorker(t, { signingKey, fsync: false });
    const outcome = await outcomeOf(t, signingKey, intent("tool.write"));
    const records = gateRecordsFor(outcome, { observedAt: NOW });
    const id = records.trace.trace_id;
    writeFileSync(join(dir, `trace_${id}.json`), "earlier evidence");
    writeFileSync(join(dir, `approval_audit_${id}.json`), "earlier audit");
    const [second, hinted] = await Promise.all([
      submit(worker, () => ({ records, dir }), false),
      submit(worker, () => ({ records, dir, from: 5 }), false),
    ]);
    assert.deepEqual(second.written, {
      tracePath: join(dir, `trace_${id}.2.json`),
      auditPath: join(dir, `approval_audit_${id}.2.json`),
      sequence: 2,
    });
    assert.deepEqual(hinted.written, {
      tracePath: join(dir, `trace_${id}.5.json`),
      auditPath: join(dir, `approval_audit_${id}.5.json`),
      sequence: 5,
    });
    assert.equal(readFileSync(join(dir, `trace_${id}.json`), "utf8"), "earlier evidence");
    assert.equal(readFileSync(join(dir, `approval_audit_${id}.json`), "utf8"), "earlier audit");
    assert.equal(verifyTrace(readJson(second.written!.tracePath), verifyKeyFor(signingKey)).ok, true);
  });

  it("with handOffDelayMs, hands a batch to the thread after the delay, and close() hands it at once", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const worker = new TraceWorker({ signingKey, fsync: false, handOffDelayMs: 60_000 });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const done = [1, 2, 3].map(() =>
      submit(worker, () => ({ records: gateRecordsFor(outcome, { observedAt: NOW }), dir }), false),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(readdirSync(dir), [], "nothing is handed over before the delay");
    assert.equal(worker.pending, 3);
    const started = Date.now();
    await worker.close();
    assert.ok(Date.now() - started < 30_000, "close() does not wait for the delay");
    const written = await Promise.all(done);
    assert.deepEqual(
      written.map((w) => w.written?.sequence),
      [1, 2, 3],
    );
    for (const w of written) {
      assert.equal(verifyTrace(readJson(w.written!.tracePath), verifyKeyFor(signingKey)).ok, true);
    }
  });

  it("close() of a worker that never received work resolves", async () => {
    await new TraceWorker({ signingKey: generateSigningKey() }).close();
  });

  it("work that cannot be handed to the thread fails with trace_worker_failed", async (t) => {
    const signingKey = generateSigningKey();
    const worker = startWorker(t, { signingKey, fsync: false });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const records = gateRecordsFor(outcome, { observedAt: NOW });
    const unclonable = {
      ...records,
      trace: { ...records.trace, extra: () => undefined },
    } as unknown as typeof records;
    const failed = await submit(worker, () => ({ records: unclonable }), false);
    assert.ok(failed.error instanceof GaitError);
    assert.equal(failed.error.code, "trace_worker_failed");
    assert.equal(worker.pending, 0);
    const next = await submit(worker, () => ({ records }), true);
    assert.equal(next.error, undefined);
    assert.equal(verifyTrace(next.trace, verifyKeyFor(signingKey)).ok, true);
  });

  it("a thread that dies reports its work as failed instead of dropping it, and is replaced", async (t) => {
    const signingKey = generateSigningKey();
    // The thread cannot load this key and exits at start-up: a stand-in for any crash.
    const worker = startWorker(t, {
      signingKey: { ...signingKey, privateKey: "not a key" as unknown as SigningKey["privateKey"] },
      fsync: false,
    });
    const outcome = await outcomeOf(t, signingKey, intent("tool.read"));
    const build = () => ({ records: gateRecordsFor(outcome, { observedAt: NOW }) });
    const first = await Promise.all([submit(worker, build, true), submit(worker, build, false)]);
    for (const done of first) {
      assert.ok(done.error instanceof GaitError);
      assert.equal(done.error.code, "trace_worker_failed");
      assert.match(done.error.message, /before writing 2 trace\(s\)/);
    }
    const second = await submit(worker, build, true);
    assert.ok(second.error instanceof GaitError);
    assert.equal(second.error.code, "trace_worker_failed");
    assert.match(second.error.message, /before writing 1 trace\(s\)/);
    assert.equal(worker.pending, 0);
  });
});

describe("Gate with a traceWorker", () => {
  it("writes every trace and approval audit, signed, with the decision's trace id and verdict", async (t) => {
    const dir = scratch(t);
    const traceDir = join(dir, "traces");
    const signingKey = generateSigningKey();
    const approver = generateSigningKey();
    const traceWorker = startWorker(t, { signingKey, fsync: false });
    const gate = await openGate(t, {
      signingKey,
      traceDir,
      traceWorker,
      approvalPublicKey: verifyKeyFor(approver),
    });
    const reads = Array.from({ length: 20 }, (_, i) => gate.evaluate(intent("tool.read", `/work/f${i}.txt`)));
    const refused = gate.evaluate(intent("tool.write"));
    const deleted = gate.evaluate(intent("tool.delete"));
    const request = refused.approvalRequest!;
    const token = mintApprovalToken(
      {
        intentDigest: request.intentDigest,
        policyDigest: request.policyDigest,
        approver: "alice",
        reasonCode: "ticket_1",
        scope: request.scope,
        ttlNanos: 3_600_000_000_000n,
        now: NOW,
      },
      approver,
    );
    const granted = gate.evaluate(intent("tool.write"), { approvalTokens: [token] });
    assert.deepEqual(
      [refused.verdict, deleted.verdict, granted.verdict],
      ["require_approval", "block", "allow"],
    );
    assert.equal(gate.traceStats().pending, 23);
    assert.equal(traceWorker.pending, 23, "the Gate hands its traces to the worker");

    const stats = await gate.flush();
    assert.deepEqual(stats, { written: 23, failed: 0, pending: 0 });
    assert.equal(traceWorker.pending, 0);
    for (const decision of [...reads, refused, deleted, granted]) {
      const trace = readJson(decision.tracePath!);
      assert.equal(verifyTrace(trace, verifyKeyFor(signingKey)).ok, true);
      assert.equal(trace.trace_id, decision.traceId);
      assert.equal(trace.verdict, decision.verdict);
      assert.equal(trace.intent_digest, decision.intentDigest);
      assert.equal(trace.policy_digest, decision.policyDigest);
      assert.equal(trace.observed_at, NOW.toString());
    }
    assert.equal(readJson(granted.tracePath!).approval_ref, token.token_id);

    const refusedAudit = readJson(refused.approvalAuditPath!);
    assert.equal(refusedAudit.trace_id, refused.traceId);
    assert.equal(refusedAudit.approved, false);
    const grantedAudit = readJson(granted.approvalAuditPath!);
    assert.equal(grantedAudit.trace_id, granted.traceId);
    assert.equal(grantedAudit.approved, true);
    assert.equal(reads[0]!.approvalAuditPath, undefined);
    assert.equal(deleted.approvalAuditPath, undefined);
    // 23 traces, 2 audits, and no temp file left behind.
    assert.equal(readdirSync(traceDir).length, 25);
    assert.deepEqual(
      readdirSync(traceDir).filter((name) => name.startsWith(".")),
      [],
    );
  });

  it("hands onTrace the signed trace and approval audit from the thread", async (t) => {
    const signingKey = generateSigningKey();
    const traceWorker = startWorker(t, { signingKey, fsync: false });
    const seen: Array<{ trace: Record<string, unknown>; audit: unknown }> = [];
    const gate = await openGate(t, {
      signingKey,
      traceDir: null,
      traceWorker,
      onTrace: (trace, audit) => {
        seen.push({ trace, audit });
      },
    });
    const read = gate.evaluate(intent("tool.read"));
    const write = gate.evaluate(intent("tool.write"));
    assert.deepEqual(await gate.flush(), { written: 2, failed: 0, pending: 0 });
    assert.deepEqual(
      seen.map(({ trace }) => trace.trace_id),
      [read.traceId, write.traceId],
    );
    for (const { trace } of seen) assert.equal(verifyTrace(trace, gate.verifyKey).ok, true);
    assert.equal(seen[0]!.audit, undefined);
    assert.equal((seen[1]!.audit as { trace_id: string }).trace_id, write.traceId);
  });

  it("serves several Gates at once; after close, submissions fail with trace_worker_closed", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const traceWorker = new TraceWorker({ signingKey, fsync: false });
    t.after(() => traceWorker.close());
    const gates = await Promise.all(
      [0, 1, 2].map((n) =>
        createGate({
          policyText: policyYaml,
          signingKey,
          clock,
          traceDir: join(dir, `gate${n}`),
          traceWorker,
        }),
      ),
    );
    const decisions = gates.map((gate, n) =>
      Array.from({ length: 10 }, (_, i) =>
        gate.evaluate(intent(i % 2 ? "tool.read" : "tool.write", `/g${n}/${i}`)),
      ),
    );
    for (const gate of gates) assert.deepEqual(await gate.close(), { written: 10, failed: 0, pending: 0 });
    await traceWorker.close();
    for (const decision of decisions.flat()) {
      const trace = readJson(decision.tracePath!);
      assert.equal(trace.trace_id, decision.traceId);
      assert.equal(verifyTrace(trace, verifyKeyFor(signingKey)).ok, true);
      if (decision.verdict === "require_approval") assert.ok(existsSync(decision.approvalAuditPath!));
    }

    const errors: Array<{ error: Error; traceId: string; path?: string }> = [];
    const late = await createGate({
      policyText: policyYaml,
      signingKey,
      clock,
      traceDir: join(dir, "late"),
      traceWorker,
      onError: (error, info) => errors.push({ error, ...info }),
    });
    t.after(() => late.close());
    const decision = late.evaluate(intent("tool.read"));
    assert.equal(decision.verdict, "allow");
    assert.equal(decision.allowed, true);
    assert.deepEqual(await late.flush(), { written: 0, failed: 1, pending: 0 });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.traceId, decision.traceId);
    assert.ok(errors[0]!.error instanceof GaitError);
    assert.equal(errors[0]!.error.code, "trace_worker_closed");
    assert.equal(existsSync(join(dir, "late")), false);
  });

  it("refuses a traceWorker that signs with a different key", async (t) => {
    const traceWorker = startWorker(t, { signingKey: generateSigningKey(), fsync: false });
    await assert.rejects(
      createGate({ policyText: policyYaml, signingKey: generateSigningKey(), traceDir: null, traceWorker }),
      (error: unknown) => {
        assert.ok(error instanceof GaitError);
        assert.equal(error.category, "invalid_input");
        assert.equal(error.code, "trace_worker_key_mismatch");
        return true;
      },
    );
  });

  it("reports a write failure with its path and keeps working for later Gates", async (t) => {
    const dir = scratch(t);
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "a file where the trace directory should be");
    const signingKey = generateSigningKey();
    const traceWorker = startWorker(t, { signingKey, fsync: false });
    const errors: Array<{ error: Error; traceId: string; path?: string }> = [];
    const broken = await openGate(t, {
      signingKey,
      traceDir: join(blocker, "traces"),
      traceWorker,
      onError: (error, info) => errors.push({ error, ...info }),
    });
    const lost = broken.evaluate(intent("tool.read"));
    assert.equal(lost.verdict, "allow");
    assert.deepEqual(await broken.flush(), { written: 0, failed: 1, pending: 0 });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.traceId, lost.traceId);
    assert.equal(errors[0]!.path, lost.tracePath);
    const error = errors[0]!.error;
    assert.ok(error instanceof GaitError);
    assert.equal(error.category, "io_failure");
    assert.equal(error.code, "io_error");
    assert.ok(error.message.includes(lost.tracePath!));

    const good = await openGate(t, { signingKey, traceDir: join(dir, "good"), traceWorker });
    const kept = good.evaluate(intent("tool.write"));
    assert.deepEqual(await good.flush(), { written: 1, failed: 0, pending: 0 });
    assert.equal(verifyTrace(readJson(kept.tracePath!), good.verifyKey).ok, true);
    assert.equal(readJson(kept.approvalAuditPath!).trace_id, kept.traceId);
    assert.equal(errors.length, 1);
  });

  it("writes the same files as the inline engine, up to the measured latency", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const traceWorker = startWorker(t, { signingKey, fsync: false });
    const inline = await openGate(t, { signingKey, traceDir: join(dir, "inline") });
    const threaded = await openGate(t, { signingKey, traceDir: join(dir, "worker"), traceWorker });
    for (const toolName of ["tool.read", "tool.write", "tool.delete"]) {
      const request = intent(toolName);
      const a = inline.evaluate(request, { correlationId: "corr-1" });
      const b = threaded.evaluate(request, { correlationId: "corr-1" });
      await Promise.all([inline.flush(), threaded.flush()]);
      assert.equal(a.traceId, b.traceId);
      assert.equal(a.traceId, traceIdFor(a.policyDigest, a.intentDigest, a.verdict));
      const fromInline = readJson(a.tracePath!);
      const fromWorker = readJson(b.tracePath!);
      assert.equal(verifyTrace(fromInline, verifyKeyFor(signingKey)).ok, true, toolName);
      assert.equal(verifyTrace(fromWorker, verifyKeyFor(signingKey)).ok, true, toolName);
      const differing = Object.keys(fromInline).filter(
        (key) => JSON.stringify(fromInline[key]) !== JSON.stringify(fromWorker[key]),
      );
      assert.ok(
        differing.every((key) => key === "latency_ms" || key === "signature"),
        `${toolName}: ${differing}`,
      );
      assert.deepEqual(Object.keys(fromInline), Object.keys(fromWorker), toolName);
      // With the worker's latency, the inline trace re-signed is the worker's file byte for byte.
      const withWorkerLatency: TraceRecord = { ...fromInline, latency_ms: fromWorker.latency_ms };
      const resigned = signTrace(withWorkerLatency, signingKey);
      assert.equal(prettyJson(resigned), readFileSync(b.tracePath!, "utf8"), toolName);
      if (toolName === "tool.write") {
        assert.equal(readFileSync(a.approvalAuditPath!, "utf8"), readFileSync(b.approvalAuditPath!, "utf8"));
      }
    }
  });

  it("an idle worker does not keep the process alive", (t) => {
    const dir = scratch(t);
    const script = join(dir, "idle-worker.mts");
    const sdk = pathToFileURL(join(repoRoot, "src/sdk/index.ts")).href;
    writeFileSync(
      script,
      `import { createGate, generateSigningKey, TraceWorker } from ${JSON.stringify(sdk)};
const signingKey = generateSigningKey();
const traceWorker = new TraceWorker({ signingKey, fsync: false });
const gate = await createGate({
  policyText: ${JSON.stringify(policyYaml)},
  signingKey,
  traceDir: ${JSON.stringify(join(dir, "traces"))},
  traceWorker,
});
const decision = gate.evaluate(${JSON.stringify(intent("tool.read"))});
const stats = await gate.flush();
// Deliberately neither gate.close() nor traceWorker.close(): the process must end on its own.
console.log(JSON.stringify({ stats, tracePath: decision.tracePath }));
`,
    );
    const run = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(run.signal, null, "the process ended by itself (not killed at the timeout)");
    assert.equal(run.status, 0, run.stderr);
    const { stats, tracePath } = JSON.parse(run.stdout);
    assert.deepEqual(stats, { written: 1, failed: 0, pending: 0 });
    assert.ok(existsSync(tracePath));
  });
});

describe("trace files are never overwritten", () => {
  for (const engine of ["inline", "worker"] as const) {
    it(`a repeated decision in a later Gate (a restart) takes the next name on disk (${engine})`, async (t) => {
      const dir = scratch(t);
      const signingKey = generateSigningKey();
      const traceWorker = engine === "worker" ? startWorker(t, { signingKey, fsync: false }) : undefined;
      const run = async (): Promise<GateDecision> => {
        const gate = await createGate({
          policyText: policyYaml,
          signingKey,
          clock,
          fsync: false,
          traceDir: dir,
          ...(traceWorker ? { traceWorker } : {}),
        });
        const decision = gate.evaluate(intent("tool.write"));
        await gate.close();
        return decision;
      };
      const first = await run();
      const firstBytes = readFileSync(first.tracePath!, "utf8");
      const second = await run();
      const third = await run();
      const id = first.traceId;
      assert.equal(second.traceId, id);
      assert.deepEqual(readdirSync(dir).sort(), [
        `approval_audit_${id}.2.json`,
        `approval_audit_${id}.3.json`,
        `approval_audit_${id}.json`,
        `trace_${id}.2.json`,
        `trace_${id}.3.json`,
        `trace_${id}.json`,
      ]);
      assert.equal(readFileSync(first.tracePath!, "utf8"), firstBytes, "the first trace is untouched");
      for (const name of readdirSync(dir).filter((n) => n.startsWith("trace_"))) {
        assert.equal(verifyTrace(readJson(join(dir, name)), verifyKeyFor(signingKey)).ok, true, name);
      }
      assert.equal(third.traceId, id);
    });
  }
});

describe("Gate traceDurability", () => {
  it("durable: evaluateAsync answers once the trace is on disk, with the name it took", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const traceWorker = startWorker(t, { signingKey, fsync: false });
    const gate = await openGate(t, { signingKey, traceDir: dir, traceWorker, traceDurability: "durable" });
    // evaluate() cannot wait for the disk, so it fails closed.
    const refused = gate.evaluate(intent("tool.read"));
    assert.equal(refused.verdict, "block");
    assert.equal(refused.error?.code, "trace_durability_requires_async");

    const first = await gate.evaluateAsync(intent("tool.write"));
    assert.equal(first.verdict, "require_approval");
    assert.ok(existsSync(first.tracePath!), "on disk when the answer arrives");
    assert.ok(existsSync(first.approvalAuditPath!));
    // Taken behind the Gate's back: the next repeat must not overwrite it, and says where it went.
    const taken = join(dir, `trace_${first.traceId}.2.json`);
    writeFileSync(taken, "someone else's file");
    const repeats = await Promise.all([0, 1].map(() => gate.evaluateAsync(intent("tool.write"))));
    assert.deepEqual(
      repeats.map((d) => d.tracePath),
      [join(dir, `trace_${first.traceId}.3.json`), join(dir, `trace_${first.traceId}.4.json`)],
    );
    for (const decision of repeats) assert.equal(readJson(decision.tracePath!).trace_id, first.traceId);
    assert.equal(readFileSync(taken, "utf8"), "someone else's file");
    assert.deepEqual(gate.traceStats(), { written: 3, failed: 0, pending: 0 });
  });

  it("durable: a trace that cannot be written fails the decision closed with trace_write_failed", async (t) => {
    const dir = scratch(t);
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "");
    const signingKey = generateSigningKey();
    const errors: string[] = [];
    const gate = await openGate(t, {
      signingKey,
      traceDir: join(blocker, "traces"),
      traceDurability: "durable",
      onError: (_error, info) => errors.push(info.traceId),
    });
    const decision = await gate.evaluateAsync(intent("tool.read"));
    assert.equal(decision.verdict, "block");
    assert.equal(decision.allowed, false);
    assert.equal(decision.error?.code, "trace_write_failed");
    assert.equal(decision.error?.category, "io_failure");
    assert.equal(errors.length, 1, "still reported through onError");
    assert.deepEqual(gate.traceStats(), { written: 0, failed: 1, pending: 0 });
  });

  it("async (the default): the answer comes first, the trace follows", async (t) => {
    const dir = scratch(t);
    const signingKey = generateSigningKey();
    const gate = await openGate(t, { signingKey, traceDir: dir });
    const decision = await gate.evaluateAsync(intent("tool.read"));
    assert.equal(decision.verdict, "allow");
    assert.equal(gate.traceStats().pending, 1);
    await gate.flush();
    assert.ok(existsSync(decision.tracePath!));
  });
});

describe("both trace engines write an approval audit only once its trace is written", () => {
  for (const engine of ["inline", "worker"] as const) {
    it(`${engine}: a trace that cannot be written leaves no audit behind`, async (t) => {
      const dir = scratch(t);
      const signingKey = generateSigningKey();
      const traceWorker = engine === "worker" ? new TraceWorker({ signingKey }) : undefined;
      t.after(() => traceWorker?.close());
      const gate = await createGate({
        policyText: policyYaml,
        signingKey,
        traceDir: dir,
        clock,
        traceDurability: "durable",
        onError: () => {},
        ...(traceWorker ? { traceWorker } : {}),
      });
      writeFileSync(join(dir, "taken.json"), "{}");
      const decision = await gate.evaluateAsync(intent("tool.write"), {
        approvalTokens: [{ schema_id: "gait.gate.approval_token" }],
        tracePath: join(dir, "taken.json"),
        approvalAuditPath: join(dir, "audit.json"),
      });
      await gate.close();
      assert.equal(decision.error?.code, "file_exists");
      assert.equal(existsSync(join(dir, "audit.json")), false);
    });
  }
});
