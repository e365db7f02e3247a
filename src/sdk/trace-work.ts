/**
 * The unit of trace writing, shared by the two engines that sign and write traces: inline on the
 * event loop (inline-engine.ts) or on a worker thread (trace-worker.ts). A TraceWriter says where
 * the files go; an engine turns each piece of work into signed files on disk, each under the next
 * free name (gate/trace-file.ts), never replacing one.
 */
import type { NewFileToWrite } from "../contract/files.ts";
import type { SigningKey } from "../contract/signing.ts";
// Not from gate/index.ts: this module runs on the trace worker thread too, whose bundle should
// hold only what signing and naming files need (no policy parser, schemas or store).
import type { GateRecords } from "../gate/gate-eval.ts";
import { prettyJson, signTrace } from "../gate/trace.ts";
import { type EvidenceKind, evidenceFileNames } from "../gate/trace-file.ts";
import type { ApprovalAuditRecord, TraceRecord } from "../gate/wire.ts";

/** One decision's evidence, unsigned, and where it goes (no dir and no paths: sign only). */
export interface TraceWork {
  records: GateRecords;
  /** Directory for `trace_<trace_id>[.<n>].json` and its approval audit. */
  dir?: string | undefined;
  /** The sequence number to try first (default 1); the disk decides which name is free. */
  from?: number | undefined;
  /** Exact files instead of names in `dir`; each must not exist yet. */
  paths?: EvidencePaths | undefined;
}

/**
 * Exact evidence files, chosen by the caller (`gate eval --trace-out`, `--approval-audit-out`);
 * a file not named here takes its usual name in `dir`.
 */
export interface EvidencePaths {
  trace?: string | undefined;
  audit?: string | undefined;
  /** The delegation audit (written by the TraceWriter once the trace is on disk). */
  delegationAudit?: string | undefined;
}

/** Where a piece of work's files went. */
export interface TraceFiles {
  tracePath: string;
  /** 1 for `trace_<id>.json`, n for `trace_<id>.<n>.json`. */
  sequence: number;
  auditPath?: string;
  /** Set by the TraceWriter once it wrote the delegation audit. */
  delegationAuditPath?: string;
}

/** How one piece of work ended. */
export interface TraceDone {
  /** The signed trace (absent on failure, and from a worker unless it was asked for). */
  trace?: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
  /** Where the files went, when the work named a directory and they were written. */
  written?: TraceFiles;
  error?: Error;
  /** The file that could not be written, when the failure was a write. */
  path?: string;
}

export interface TraceSubmission {
  /** Builds the work; called later, off the decision path. May throw (reported through `done`). */
  build: () => TraceWork;
  /** Calls back exactly once, when the work is written or has failed. */
  done: (outcome: TraceDone) => void;
  /** Whether `done` needs the signed records (a worker sends them back only then). */
  wantSigned: boolean;
}

export interface TraceEngine {
  /** The id of the key this engine signs with. */
  readonly keyId: string;
  /** Queues work; never throws and never blocks on I/O. */
  submit(submission: TraceSubmission): void;
}

export interface SignedTraceWork {
  trace: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
  /** The files to write as new files, trace first. */
  files: NewFileToWrite[];
}

/** Signs the trace and renders the files to write (the approval audit is not signed). */
export function signTraceWork(work: TraceWork, key: SigningKey): SignedTraceWork {
  const trace = signTrace(work.records.trace, key);
  const { approvalAudit } = work.records;
  const files: NewFileToWrite[] = [];
  const { dir, from = 1, paths } = work;
  const named = (exact: string | undefined, kind: EvidenceKind): NewFileToWrite["names"] | undefined => {
    if (exact !== undefined) return exact;
    return dir === undefined ? undefined : evidenceFileNames(dir, kind, trace.trace_id, from);
  };
  const traceNames = named(paths?.trace, "trace");
  if (traceNames) files.push({ names: traceNames, data: prettyJson(trace) });
  const auditNames = approvalAudit && traceNames ? named(paths?.audit, "approval_audit") : undefined;
  if (approvalAudit && auditNames) files.push({ names: auditNames, data: prettyJson(approvalAudit) });
  return approvalAudit ? { trace, approvalAudit, files } : { trace, files };
}

/** Where the files of `work` went, from the paths the engine wrote them to (trace first). */
export function traceFilesOf(work: TraceWork, paths: Array<{ path: string; attempt: number }>): TraceFiles {
  const [trace, audit] = paths;
  const sequence = work.paths?.trace ? 1 : (work.from ?? 1) + trace!.attempt;
  const files: TraceFiles = { tracePath: trace!.path, sequence };
  if (audit) files.auditPath = audit.path;
  return files;
}
