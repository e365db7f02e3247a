/**
 * Writes a Gate's signed traces off the decision path. `enqueue` is synchronous and cheap: it
 * hands the work to an engine, which builds, signs and writes it later, inline on the event loop
 * (the default) or on a TraceWorker thread; `enqueueDurable` does the same and resolves once the
 * files are on disk. Every failure goes to `onError` and is counted; `flush()` waits for
 * everything queued so far (and anything queued meanwhile).
 */
import { join } from "node:path";
import { asError, isGaitError } from "../contract/errors.ts";
import type { SigningKey } from "../contract/signing.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  type ApprovalAuditRecord,
  delegationAuditFor,
  type EvidenceKind,
  evidenceFileName,
  evidenceFileNames,
  type GateOutcome,
  gateRecordsFor,
  prettyJson,
  type TraceRecord,
  traceIdFor,
} from "../gate/index.ts";
import { writeArtifactNew } from "../store/index.ts";
import { ioFailure } from "./error-codes.ts";
import { InlineTraceEngine } from "./inline-engine.ts";
import type { EvidencePaths, TraceDone, TraceEngine } from "./trace-work.ts";

/**
 * Trace ids whose next sequence number is remembered. The memory only spares a repeated
 * decision some probing of names already taken (the disk decides): past this many ids it is
 * dropped, which keeps a long-running process's memory bounded.
 */
const MAX_REMEMBERED_IDS = 10_000;

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
  /** Exact files for this decision's evidence instead of the next free names in the directory. */
  paths?: EvidencePaths | undefined;
}

/** Where a trace (and its approval audit) goes: expected when queued, actual once written. */
export interface TraceTarget {
  traceId: string;
  tracePath?: string;
  auditPath?: string;
  delegationAuditPath?: string;
}

export class TraceWriter {
  private readonly options: TraceWriterOptions;
  private readonly engine: TraceEngine;
  /** The sequence number to try first for a trace id's next file (see MAX_REMEMBERED_IDS). */
  private readonly nextSequence = new Map<string, number>();
  private readonly idle: Array<() => void> = [];
  private pending = 0;
  private written = 0;
  private failed = 0;

  constructor(options: TraceWriterOptions) {
    this.options = options;
    this.engine =
      options.engine ?? new InlineTraceEngine({ signingKey: options.signingKey, fsync: options.fsync });
  }

  /**
   * Queues a trace and returns where it is expected to land; never throws for I/O. The name is
   * settled when the file is written: if the expected one was taken on disk by then (a file left
   * by an earlier process), the trace takes the next free one.
   */
  enqueue(job: TraceJob): TraceTarget {
    return this.submit(job, () => undefined);
  }

  /**
   * Queues a trace and resolves with where it was written once it is on disk (fsynced unless
   * the engine was told not to), or rejects with a coded `trace_write_failed` error.
   */
  enqueueDurable(job: TraceJob): Promise<TraceTarget> {
    return new Promise((resolve, reject) => {
      const expected = this.submit(job, (done) => {
        if (done.error) reject(traceWriteFailed(expected.traceId, done));
        else resolve(actualTarget(expected, done));
      });
    });
  }

  stats(): TraceWriterStats {
    return { written: this.written, failed: this.failed, pending: this.pending };
  }

  /** Resolves once every queued trace is written or reported as failed. */
  flush(): Promise<TraceWriterStats> {
    if (this.pending === 0) return Promise.resolve(this.stats());
    return new Promise((resolve) => this.idle.push(() => resolve(this.stats())));
  }

  private submit(job: TraceJob, settled: (done: TraceDone) => void): TraceTarget {
    const { outcome, paths } = job;
    const traceId = traceIdFor(outcome.policyDigest, outcome.prepared.intentDigest, outcome.verdict);
    const dir = this.options.dir;
    if (!dir && !paths && !this.options.onTrace) {
      // No file and no sink would receive it: signing it would be work for nobody.
      settled({});
      return { traceId };
    }
    const from = dir && !paths?.trace ? this.claimSequence(traceId) : 1;
    const target = this.expectedTarget(traceId, from, outcome.approval !== undefined, paths);
    if (outcome.delegation) {
      const delegationAuditPath =
        paths?.delegationAudit ?? (target.tracePath && this.inDir("delegation_audit", traceId, from));
      if (delegationAuditPath) target.delegationAuditPath = delegationAuditPath;
    }
    this.pending++;
    this.engine.submit({
      build: () => ({ records: gateRecordsFor(outcome, job), dir, from, paths }),
      done: (done) => {
        if (done.written) this.remember(traceId, done.written.sequence + 1);
        const audit = target.delegationAuditPath && delegationAuditFor(outcome, traceId);
        const after = audit
          ? () => this.writeDelegationAudit(audit, paths?.delegationAudit, done)
          : undefined;
        void this.finish(target, done, after).then(() => settled(done));
      },
      wantSigned: this.options.onTrace !== undefined,
    });
    return target;
  }

  /** The sequence this trace tries first, and the next one for a repeat of the same decision. */
  private claimSequence(traceId: string): number {
    const from = this.nextSequence.get(traceId) ?? 1;
    this.remember(traceId, from + 1);
    return from;
  }

  private remember(traceId: string, next: number): void {
    if (next <= (this.nextSequence.get(traceId) ?? 1)) return;
    if (this.nextSequence.size >= MAX_REMEMBERED_IDS && !this.nextSequence.has(traceId))
      this.nextSequence.clear();
    this.nextSequence.set(traceId, next);
  }

  private expectedTarget(
    traceId: string,
    sequence: number,
    withAudit: boolean,
    paths: EvidencePaths | undefined,
  ): TraceTarget {
    const target: TraceTarget = { traceId };
    const dir = this.options.dir;
    const inDir = (kind: EvidenceKind) =>
      dir ? join(dir, evidenceFileName(kind, traceId, sequence)) : undefined;
    const tracePath = paths?.trace ?? inDir("trace");
    if (!tracePath) return target;
    target.tracePath = tracePath;
    const auditPath = paths?.audit ?? inDir("approval_audit");
    if (withAudit && auditPath) target.auditPath = auditPath;
    return target;
  }

  /** `<kind>_<trace_id>[.<n>].json` in the trace directory, or undefined without one. */
  private inDir(kind: EvidenceKind, traceId: string, sequence: number): string | undefined {
    const dir = this.options.dir;
    return dir ? join(dir, evidenceFileName(kind, traceId, sequence)) : undefined;
  }

  /**
   * Writes a delegation audit once its trace is on disk: at the exact path asked for, else next to
   * the trace under the trace's own sequence number (the next free one if that is taken).
   */
  private async writeDelegationAudit(
    audit: NonNullable<ReturnType<typeof delegationAuditFor>>,
    exact: string | undefined,
    done: TraceDone,
  ): Promise<void> {
    const dir = this.options.dir;
    const names =
      exact ??
      (dir && done.written
        ? evidenceFileNames(dir, "delegation_audit", audit.trace_id, done.written.sequence)
        : undefined);
    if (!names || (!exact && !done.written)) return;
    const written = await writeArtifactNew(names, prettyJson(audit), { fsync: this.options.fsync ?? true });
    if (done.written) done.written.delegationAuditPath = written.path;
  }

  private async finish(target: TraceTarget, done: TraceDone, after?: () => Promise<void>): Promise<void> {
    try {
      if (done.error) throw done.error;
      if (after) await after();
      if (this.options.onTrace && done.trace) await this.options.onTrace(done.trace, done.approvalAudit);
      this.written++;
    } catch (error) {
      this.failed++;
      done.error ??= asError(error);
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

function actualTarget(expected: TraceTarget, done: TraceDone): TraceTarget {
  if (!done.written) return expected;
  const target: TraceTarget = { traceId: expected.traceId, tracePath: done.written.tracePath };
  if (done.written.auditPath) target.auditPath = done.written.auditPath;
  if (done.written.delegationAuditPath) target.delegationAuditPath = done.written.delegationAuditPath;
  return target;
}

/** The coded error of a durable write: a refused input (an exact path that exists) stays as it is. */
function traceWriteFailed(traceId: string, done: TraceDone): Error {
  const cause = done.error!;
  if (isGaitError(cause) && cause.category === "invalid_input") return cause;
  const where = done.path ? ` to ${done.path}` : "";
  return ioFailure("trace_write_failed", `the trace ${traceId} was not written${where}: ${cause.message}`, {
    hint: "check the trace directory (space, permissions); the decision was not answered, so do not run the tool",
    cause,
  });
}
