/** Messages between TraceWorker and its thread (structured clone: plain data only). */
import { GaitError, isGaitError } from "../contract/errors.ts";
import type { ApprovalAuditRecord, TraceRecord } from "../gate/index.ts";
import type { TraceFiles, TraceWork } from "./trace-work.ts";

export interface WorkerInit {
  /** An Ed25519 private KeyObject (KeyObjects cross threads by structured clone). */
  privateKey: unknown;
  fsync: boolean;
  /** See TraceWorkerOptions.lingerMs. */
  lingerMs: number;
}

export interface BatchItem {
  id: number;
  work: TraceWork;
  wantSigned: boolean;
}

export interface SerializedError {
  message: string;
  category?: GaitError["category"];
  code?: string;
  hint?: string;
}

export interface BatchResult {
  id: number;
  error?: SerializedError;
  /** The file that could not be written. */
  path?: string;
  written?: TraceFiles;
  trace?: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
}

export function serializeError(error: Error): SerializedError {
  if (!isGaitError(error)) return { message: error.message };
  return { message: error.message, category: error.category, code: error.code, hint: error.hint };
}

/** The coded error again, when it was one. */
export function deserializeError(error: SerializedError): Error {
  if (error.category === undefined || error.code === undefined) return new Error(error.message);
  return new GaitError(error.category, error.code, error.message, error.hint ? { hint: error.hint } : {});
}
