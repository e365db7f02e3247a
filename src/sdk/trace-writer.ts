/**
 * Writes a Gate's signed traces off the decision path. `enqueue` is synchronous and cheap: it
 * names the files and hands the work to an engine, which builds, signs and writes it later,
 * inline on the event loop (the default) or on a TraceWorker thread. Every failure goes to
 * `onError` and is counted; `flush()` waits for everything queued so far (and anything queued
 * meanwhile).
 */
import { join } from "node:path";
import { asError } from "../contract/errors.ts";
import type { SigningKey } from "../contract/signing.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  type ApprovalAuditRecord,
  type GateOutcome,
  gateRecordsFor,
  type TraceRecord,
  traceIdFor,
} from "../gate/index.ts";
import { InlineTraceEngine } from "./inline-engine.ts";
import type { TraceDone, TraceEngine } from "./trace-work.ts";

/** Receives every signed trace (and approval audit), whether or not it is also written to disk. */
export type TraceSink = (trace: TraceRecord, audit: ApprovalAuditRecord | undefined) => void | Promise<void>;

export interface TraceErrorInfo {
  traceId: string;
  /** The file that could not be written, when the failure was a write. */
  path?: string;
}

export type TraceErrorHandler = (error: Error, info: TraceErrorInfo) => void;

export interface TraceWriterOptions {
  /** Absolute directory for `trace_<trace_id>.json` files; undefined writes no files. */
  dir?: string | undefined;
  signingKey: SigningKey;
  /** Signs and writes; default an inline engine with `signingKey` and `fsync`. */
  engine?: TraceEngine | undefined;
  onTrace?: TraceSink | undefined;
  onError: TraceErrorHandler;
  /** fsync each file and its directory (default true; a given engine has its own setting). */
  fsync?: boolean | undefined;
}

export interface TraceWriterStats {
  /** Traces signed and delivered (written and/or handed to onTrace). */
  written: number;
  failed: number;
  pending: number;
}

export interface TraceJob {
  outcome: GateOutcome;
  observedAt: Timestamp;
  correlationId?: string | undefined;
  latencyMs: number;
}

/** Where a queued trace (and its approval audit) will be written. */
export interface TraceTarget {
  traceId: string;
  tracePath?: string;
  auditPath?: string;
}

export class TraceWriter {
  private readonly options: TraceWriterOptions;
  private readonly engine: TraceEngine;
  private readonly fileCounts = new Map<string, number>();
  private readonly idle: Array<() => void> = [];
  private pending = 0;
  private written = 0;
  private failed = 0;

  constructor(options: TraceWriterOptions) {
    this.options = options;
    this.engine =
      options.engine ?? new InlineTraceEngine({ signingKey: options.signingKey, fsync: options.fsync });
  }

  /** Queues a trace and returns where it will land; never throws for I/O. */
  enqueue(job: TraceJob): TraceTarget {
    const { outcome } = job;
    const traceId = traceIdFor(outcome.policyDigest, outcome.prepared.intentDigest, outcome.verdict);
    const target = this.targetFor(traceId, outcome.approval !== undefined);
    this.pending++;
    this.engine.submit({
      build: () => ({
        records: gateRecordsFor(outcome, job),
        tracePath: target.tracePath,
        auditPath: target.auditPath,
      }),
      done: (done) => void this.finish(target, done),
      wantSigned: this.options.onTrace !== undefined,
    });
    return target;
  }

  stats(): TraceWriterStats {
    return { written: this.written, failed: this.failed, pending: this.pending };
  }

  /** Resolves once every queued trace is written or reported as failed. */
  flush(): Promise<TraceWriterStats> {
    if (this.pending === 0) return Promise.resolve(this.stats());
    return new Promise((resolve) => this.idle.push(() => resolve(this.stats())));
  }

  /**
   * `trace_<trace_id>.json`, as the CLI names it. The same decision (same policy, intent and
   * verdict) has the same trace id, so a repeat in this writer's lifetime gets `.2`, `.3`, ...
   * rather than overwriting the earlier evidence.
   */
  private targetFor(traceId: string, withAudit: boolean): TraceTarget {
    const target: TraceTarget = { traceId };
    if (!this.options.dir) return target;
    const count = (this.fileCounts.get(traceId) ?? 0) + 1;
    this.fileCounts.set(traceId, count);
    const suffix = count === 1 ? "" : `.${count}`;
    target.tracePath = join(this.options.dir, `trace_${traceId}${suffix}.json`);
    if (withAudit) target.auditPath = join(this.options.dir, `approval_audit_${traceId}${suffix}.json`);
    return target;
  }

  private async finish(target: TraceTarget, done: TraceDone): Promise<void> {
    try {
      if (done.error) throw done.error;
      if (this.options.onTrace && done.trace) await this.options.onTrace(done.trace, done.approvalAudit);
      this.written++;
    } catch (error) {
      this.failed++;
      this.report(error, { traceId: target.traceId, ...(done.path ? { path: done.path } : {}) });
    } finally {
      this.pending--;
      if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private report(error: unknown, info: TraceErrorInfo): void {
    try {
      this.options.onError(asError(error), info);
    } catch (handlerError) {
      // A throwing handler must not take the queue down; the failure still reaches stderr.
      process.emitWarning(
        `gait: onError handler threw while reporting trace ${info.traceId}: ${String(handlerError)}`,
        { code: "GAIT_TRACE_ERROR" },
      );
    }
  }
}
