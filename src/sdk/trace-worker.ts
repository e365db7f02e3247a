/**
 * A trace engine on a worker thread: the decision thread only builds the unsigned records and
 * posts them, once per event-loop turn for everything decided in it; the thread signs them and
 * writes each batch as one group commit (trace-worker-thread.ts). For a process that answers
 * decisions under load (the sidecar), this keeps signatures, file-system calls and the garbage
 * they make off the thread whose latency agents see. One TraceWorker can serve many Gates that
 * sign with the same key.
 *
 * If the thread dies, the work in flight is reported as failed (never silently dropped) and the
 * next submission starts a new thread.
 */
import { Worker } from "node:worker_threads";
import { asError } from "../contract/errors.ts";
import type { SigningKey } from "../contract/signing.ts";
import { internalFailure, invalidInput } from "./error-codes.ts";
import type { TraceDone, TraceEngine, TraceSubmission } from "./trace-work.ts";
import {
  type BatchItem,
  type BatchResult,
  deserializeError,
  type WorkerInit,
} from "./trace-worker-protocol.ts";

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
}

export class TraceWorker implements TraceEngine {
  readonly keyId: string;
  private readonly init: WorkerInit;
  private thread: Worker | undefined;
  private readonly waiting = new Map<number, TraceSubmission["done"]>();
  private batch: Array<{ id: number; submission: TraceSubmission }> = [];
  private readonly idle: Array<() => void> = [];
  private nextId = 1;
  private closed = false;

  constructor(options: TraceWorkerOptions) {
    this.keyId = options.signingKey.keyId;
    this.init = { privateKey: options.signingKey.privateKey, fsync: options.fsync ?? true };
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
    if (this.batch.length === 1) setImmediate(() => this.post());
  }

  /** Pieces of work submitted and not yet written or failed. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Waits for the work in flight, then stops the thread. Later submissions fail. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.waiting.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
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
    const thread = new Worker(workerSource(), { eval: true, workerData: this.init });
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
