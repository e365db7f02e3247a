/**
 * The unit of trace writing, shared by the two engines that sign and write traces: inline on the
 * event loop (inline-engine.ts) or on a worker thread (trace-worker.ts). A TraceWriter names the
 * files and counts outcomes; an engine turns each piece of work into signed files on disk.
 */
import type { FileToWrite } from "../contract/files.ts";
import type { SigningKey } from "../contract/signing.ts";
import {
  type ApprovalAuditRecord,
  type GateRecords,
  prettyJson,
  signTrace,
  type TraceRecord,
} from "../gate/index.ts";

/** One decision's evidence, unsigned, and where it goes (no paths: sign only). */
export interface TraceWork {
  records: GateRecords;
  tracePath?: string | undefined;
  auditPath?: string | undefined;
}

/** How one piece of work ended. */
export interface TraceDone {
  /** The signed trace (absent on failure, and from a worker unless it was asked for). */
  trace?: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
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
  /** The files to write, trace first. */
  files: FileToWrite[];
}

/** Signs the trace and renders the files to write (the approval audit is not signed). */
export function signTraceWork(work: TraceWork, key: SigningKey): SignedTraceWork {
  const trace = signTrace(work.records.trace, key);
  const { approvalAudit } = work.records;
  const files: FileToWrite[] = [];
  if (work.tracePath) files.push({ path: work.tracePath, data: prettyJson(trace) });
  if (work.auditPath && approvalAudit) files.push({ path: work.auditPath, data: prettyJson(approvalAudit) });
  return approvalAudit ? { trace, approvalAudit, files } : { trace, files };
}
