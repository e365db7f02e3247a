/**
 * A trace engine that signs traces and writes them in group commits (trace-worker-commit.ts):
 * the traces of all decisions made while a commit waits for the disk share the next one, so
 * under load the disk syncs per trace fall with the load. It runs on a worker thread (the
 * default: the decision thread only builds the unsigned records and posts them, once per
 * event-loop turn; the thread signs and writes, trace-worker-thread.ts), which keeps signatures
 * and file-system calls off the thread whose latency agents see. With `thread: false` it runs on
 * the event loop of the thread that submits, a few signatures per turn: no second V8 heap (about
 * 25 MB) and no copy of each trace between threads, for a thread that then does all the work. One
 * TraceWorker can serve many Gates that sign with the same key.
 *
 * If the thread dies, the work in flight is reported as failed (never silently dropped) and the
 * next submission starts a new thread.
 */
import { Worker } from "node:worker_threads";
import { asError } from "../contract/errors.ts";
import type { SigningKey } from "../contract/signing.ts";
import { internalFailure, invalidInput } from "./error-codes.ts";
import {
  type SignedTraceWork,
  signTraceWork,
  type TraceDone,
  type TraceEngine,
  type TraceSubmission,
  type TraceWork,
  traceFilesOf,
} from "./trace-work.ts";
import { type EvidenceOutcome, GroupCommitter } from "./trace-worker-commit.ts";
import {
  type BatchItem,
  type BatchResult,
  deserializeError,
  type WorkerInit,
} from "./trace-worker-protocol.ts";

/**
 * Traces signed per event-loop turn without a thread: a backlog is worked off between the
 * requests of the thread, never in one long turn.
 */
const SIGNS_PER_TURN = 16;

/**
 * The thread's young generation (MB). V8's default lets it grow to 48 MB under a sustained load,
 * which buys this thread nothing: what it allocates per trace (records, canonical text, file
 * contents) dies young, in a few kilobytes.
 */
const YOUNG_GENERATION_MB = 8;

/** The worker's bundled source, inlined by scripts/build.mjs; absent when running from source. */
declare const __GAIT_TRACE_WORKER_SOURCE__: string | undefined;

/**
 * The bundled thread code; from source (tests, benchmarks under tsx) a loader that registers tsx
 * in the thread first, since a worker does not inherit the parent's module hooks.
 */
function workerSource(): string {
  if (typeof __GAIT_TRACE_WORKER_SOURCE__ === "string") return __GAIT_TRACE_WORKER_SOURCE__;
  const entry = JSON.stringify(new URL("./trace-worker-thread.ts", import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
}

export interface TraceWorkerOptions {
  signingKey: SigningKey;
  /** fsync each file and its directory (default true). */
  fsync?: boolean | undefined;
  /** Sign and write on a worker thread (default true), or on the calling thread's event loop. */
  thread?: boolean | undefined;
  /**
   * Let a group commit wait this long for more traces (default 0: commit as soon as the disk is
   * free). Worth a few milliseconds when no answer waits for its trace (async durability): fewer,
   * larger commits cost less.
   */
  lingerMs?: number | undefined;
  /**
   * Hand work to the thread at most this often (default 0: once per event-loop turn, which a
   * durable answer waits for). Worth a few milliseconds when no answer waits for its trace (async
   * durability): the thread then wakes once per batch instead of once per decision, and the
   * structured-clone and wake-up costs leave the path of the calls.
   */
  handOffDelayMs?: number | undefined;
}

export class TraceWorker implements TraceEngine {
  readonly keyId: string;
  private readonly init: WorkerInit;
  private thread: Worker | undefined;
  /** Signs and commits on this thread's event loop (`thread: false`). */
  private readonly committer: GroupCommitter | undefined;
  private readonly signingKey: SigningKey;
  private readonly waiting = new Map<number, TraceSubmission["done"]>();
  private batch: Array<{ id: number; submission: TraceSubmission }> = [];
  private readonly idle: Array<() => void> = [];
  private nextId = 1;
  private closed = false;
  private readonly handOffDelayMs: number;
  private handOffTimer: NodeJS.Timeout | undefined;

  constructor(options: TraceWorkerOptions) {
    this.keyId = options.signingKey.keyId;
    this.signingKey = options.signingKey;
    const fsync = options.fsync ?? true;
    const lingerMs = options.lingerMs ?? 0;
    this.handOffDelayMs = options.handOffDelayMs ?? 0;
    this.init = {
      privateKey: options.signingKey.privateKey,
      fsync,
      lingerMs,
    };
    this.committer = options.thread === false ? new GroupCommitter({ fsync, lingerMs }) : undefined;
  }

  submit(submission: TraceSubmission): void {
    if (this.closed) {
      submission.done({
        error: invalidInput("trace_worker_closed", "the trace worker was closed", {
          hint: "create a new TraceWorker, or close the Gates that use it first",
        }),
      });
      return;
    }
    const id = this.nextId++;
    // Only the callback waits for the thread: the decision it came from can be collected.
    this.waiting.set(id, submission.done);
    this.batch.push({ id, submission });
    if (this.batch.length === 1) this.schedule();
  }

  /** Pieces of work submitted and not yet written or failed. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Waits for the work in flight, then stops the thread. Later submissions fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.committer?.flush();
    if (this.handOffTimer) {
      // Nothing waits for the delay any more.
      clearTimeout(this.handOffTimer);
      this.handOffTimer = undefined;
      this.post();
    }
    if (this.waiting.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  private schedule(): void {
    if (this.committer) {
      const committer = this.committer;
      setImmediate(() => this.writeHere(committer));
    } else if (this.handOffDelayMs > 0 && !this.closed) {
      this.handOffTimer = setTimeout(() => {
        this.handOffTimer = undefined;
        this.post();
      }, this.handOffDelayMs);
    } else {
      setImmediate(() => this.post());
    }
  }

  /** Without a thread: signs a few pieces of work and adds them to the open group commit. */
  private writeHere(committer: GroupCommitter): void {
    for (const { id, submission } of this.batch.splice(0, SIGNS_PER_TURN)) {
      let work: TraceWork;
      let signed: SignedTraceWork;
      try {
        work = submission.build();
        signed = signTraceWork(work, this.signingKey);
      } catch (error) {
        this.settle(id, { error: asError(error) });
        continue;
      }
      // Until the commit settles, keep only what the outcome needs (not the records): under load
      // these wait through the disk's syncs and would otherwise survive a garbage collection.
      const kept: Kept = { from: work.from, paths: work.paths };
      if (submission.wantSigned) kept.signed = { trace: signed.trace, approvalAudit: signed.approvalAudit };
      if (signed.files.length === 0) {
        this.settle(id, doneOf(kept, { written: [] }));
        continue;
      }
      committer.write({ trace: signed.files[0]!, audit: signed.files[1] }, (outcome) =>
        this.settle(id, doneOf(kept, outcome)),
      );
    }
    // Once closing, nothing lingers: close() waits for these.
    if (this.closed) committer.flush();
    else committer.kick();
    if (this.batch.length > 0) this.schedule();
  }

  /** Builds the turn's work here (cheap), then hands it all to the thread in one message. */
  private post(): void {
    const items: BatchItem[] = [];
    for (const { id, submission } of this.batch.splice(0)) {
      try {
        items.push({ id, work: submission.build(), wantSigned: submission.wantSigned });
      } catch (error) {
        this.settle(id, { error: asError(error) });
      }
    }
    if (items.length === 0) return;
    try {
      this.ensureThread().postMessage(items);
    } catch (error) {
      const failure = internalFailure(
        "trace_worker_failed",
        `cannot hand traces to the trace worker: ${String(error)}`,
      );
      for (const item of items) this.settle(item.id, { error: failure });
    }
  }

  private ensureThread(): Worker {
    if (this.thread) {
      this.thread.ref();
      return this.thread;
    }
    const thread = new Worker(workerSource(), {
      eval: true,
      workerData: this.init,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    let crash: Error | undefined;
    thread.on("message", (results: BatchResult[]) => this.receive(results));
    thread.on("error", (error) => {
      crash = error;
    });
    thread.on("exit", (code) => this.lost(thread, crash, code));
    this.thread = thread;
    return thread;
  }

  private receive(results: BatchResult[]): void {
    for (const result of results) {
      const done: TraceDone = {};
      if (result.error) done.error = deserializeError(result.error);
      if (result.path) done.path = result.path;
      if (result.written) done.written = result.written;
      if (result.trace) done.trace = result.trace;
      if (result.approvalAudit) done.approvalAudit = result.approvalAudit;
      this.settle(result.id, done);
    }
  }

  /** The thread ended: whatever it still held is reported as failed. */
  private lost(thread: Worker, crash: Error | undefined, code: number): void {
    if (this.thread === thread) this.thread = undefined;
    const posted = [...this.waiting.keys()].filter((id) => !this.batch.some((queued) => queued.id === id));
    if (posted.length === 0) return;
    const failure = internalFailure(
      "trace_worker_failed",
      `the trace worker stopped (${crash ? crash.message : `exit code ${code}`}) before writing ${posted.length} trace(s)`,
    );
    for (const id of posted) this.settle(id, { error: failure });
  }

  private settle(id: number, outcome: TraceDone): void {
    const done = this.waiting.get(id);
    if (!done) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) {
      // An idle thread must not keep the process alive.
      this.thread?.unref();
      for (const resolve of this.idle.splice(0)) resolve();
    }
    done(outcome);
  }
}

/** What a piece of work's outcome is made of, besides where its files went. */
interface Kept {
  from: TraceWork["from"];
  paths: TraceWork["paths"];
  /** The signed records, when the submitter wants them. */
  signed?: Pick<SignedTraceWork, "trace" | "approvalAudit">;
}

/** How a piece of work ended, from where its files went. */
function doneOf(kept: Kept, outcome: EvidenceOutcome): TraceDone {
  if (outcome.error) return { error: outcome.error, ...(outcome.failed ? { path: outcome.failed } : {}) };
  const done: TraceDone = {};
  if (outcome.written.length > 0) {
    // traceFilesOf reads where the names started, never the records.
    const placement = { from: kept.from, paths: kept.paths } as TraceWork;
    done.written = traceFilesOf(placement, outcome.written);
  }
  if (kept.signed) {
    done.trace = kept.signed.trace;
    if (kept.signed.approvalAudit) done.approvalAudit = kept.signed.approvalAudit;
  }
  return done;
}
