/**
 * Signs and writes gate traces off the decision path. `enqueue` is synchronous and cheap (it only
 * names the files); signing and the atomic writes happen on later turns of the event loop, a few
 * at a time. Every failure goes to `onError` and is counted; `flush()` waits for everything
 * queued so far (and anything queued meanwhile).
 */
import { join } from "node:path";
import { writeFileAtomic } from "../contract/files.ts";
import type { SigningKey } from "../contract/signing.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  type ApprovalAuditRecord,
  type GateOutcome,
  prettyJson,
  signGateOutcome,
  type TraceRecord,
  traceIdFor,
} from "../gate/index.ts";

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
  onTrace?: TraceSink | undefined;
  onError: TraceErrorHandler;
  /** fsync each file and its directory (default true). */
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

interface QueuedJob extends TraceJob {
  target: TraceTarget;
}

/** Files written at once: enough for the file system to group their fsyncs into shared commits. */
const MAX_ACTIVE_WRITES = 16;
/** Traces signed per event-loop turn, so a backlog never holds the loop for long. */
const SIGNS_PER_TURN = 16;

export class TraceWriter {
  private readonly options: TraceWriterOptions;
  private readonly queue: QueuedJob[] = [];
  private readonly fileCounts = new Map<string, number>();
  private readonly idle: Array<() => void> = [];
  private active = 0;
  private scheduled = false;
  private written = 0;
  private failed = 0;

  constructor(options: TraceWriterOptions) {
    this.options = options;
  }

  /** Queues a trace and returns where it will land; never throws for I/O. */
  enqueue(job: TraceJob): TraceTarget {
    const { outcome } = job;
    const traceId = traceIdFor(outcome.policyDigest, outcome.prepared.intentDigest, outcome.verdict);
    const target = this.targetFor(traceId, outcome.approval !== undefined);
    this.queue.push({ ...job, target });
    this.schedule();
    return target;
  }

  stats(): TraceWriterStats {
    return { written: this.written, failed: this.failed, pending: this.queue.length + this.active };
  }

  /** Resolves once every queued trace is written or reported as failed. */
  flush(): Promise<TraceWriterStats> {
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve(this.stats());
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

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    let signed = 0;
    while (this.queue.length > 0 && this.active < MAX_ACTIVE_WRITES && signed < SIGNS_PER_TURN) {
      const job = this.queue.shift()!;
      signed++;
      this.active++;
      this.deliver(job).finally(() => {
        this.active--;
        this.afterJob();
      });
    }
    if (this.queue.length > 0 && this.active < MAX_ACTIVE_WRITES) this.schedule();
  }

  private afterJob(): void {
    if (this.queue.length > 0) {
      this.schedule();
      return;
    }
    if (this.active > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async deliver(job: QueuedJob): Promise<void> {
    const { target } = job;
    let path: string | undefined;
    try {
      const result = signGateOutcome(job.outcome, {
        signingKey: this.options.signingKey,
        observedAt: job.observedAt,
        correlationId: job.correlationId,
        latencyMs: job.latencyMs,
      });
      const fsync = this.options.fsync ?? true;
      if (target.tracePath) {
        path = target.tracePath;
        await writeFileAtomic(path, prettyJson(result.trace), { fsync });
      }
      if (target.auditPath && result.approvalAudit) {
        path = target.auditPath;
        await writeFileAtomic(path, prettyJson(result.approvalAudit), { fsync });
      }
      path = undefined;
      await this.options.onTrace?.(result.trace, result.approvalAudit);
      this.written++;
    } catch (error) {
      this.failed++;
      this.report(error, { traceId: target.traceId, ...(path ? { path } : {}) });
    }
  }

  private report(error: unknown, info: TraceErrorInfo): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    try {
      this.options.onError(asError, info);
    } catch (handlerError) {
      // A throwing handler must not take the queue down; the failure still reaches stderr.
      process.emitWarning(
        `gait: onError handler threw while reporting trace ${info.traceId}: ${String(handlerError)}`,
        { code: "GAIT_TRACE_ERROR" },
      );
    }
  }
}
