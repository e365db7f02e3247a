/**
 * Trace and approval-audit files on disk (CONTRACTS.md §5.9, §5.11), written so that evidence is
 * never replaced. The trace id is a function of policy, intent and verdict, so a repeated
 * decision has the same id; its trace takes the next free name: `trace_<trace_id>.json`, then
 * `trace_<trace_id>.2.json`, `.3`, ..., whichever is free on disk when the file is written.
 * An approval audit is named the same way, `approval_audit_<trace_id>[.<n>].json`.
 */
import { join } from "node:path";
import type { NewFileNames } from "../contract/files.ts";
import { writeArtifactNew } from "../store/index.ts";
import { prettyJson } from "./trace.ts";
import type { ApprovalAuditRecord, TraceRecord } from "./wire.ts";

export type EvidenceKind = "trace" | "approval_audit" | "delegation_audit" | "credential_evidence";

/** `trace_<id>.json` for the first (sequence 1), `trace_<id>.<n>.json` for the nth. */
export function evidenceFileName(kind: EvidenceKind, traceId: string, sequence = 1): string {
  return sequence <= 1 ? `${kind}_${traceId}.json` : `${kind}_${traceId}.${sequence}.json`;
}

/** The names to try in `dir`, from sequence `from` upwards. */
export function evidenceFileNames(dir: string, kind: EvidenceKind, traceId: string, from = 1): NewFileNames {
  return (attempt) => join(dir, evidenceFileName(kind, traceId, from + attempt));
}

/** A directory (the file takes the next free name there) or an exact path (which must not exist). */
export type EvidenceTarget = { dir: string } | { path: string };

export interface EvidenceWritten {
  path: string;
  /** The name's sequence number: 1 for `trace_<id>.json`, n for `trace_<id>.<n>.json` (1 for an exact path). */
  sequence: number;
}

export interface EvidenceWriteOptions {
  /** fsync the file and its directory (default true). */
  fsync?: boolean;
  /** The first sequence number to try in a directory (default 1). */
  from?: number;
}

/**
 * Writes a signed trace as a new file (atomic, 0600, fsynced). In a directory it takes the next
 * free name; an exact path that exists fails with `file_exists` (invalid input, exit 6).
 */
export function writeTraceFileNew(
  target: EvidenceTarget,
  trace: TraceRecord,
  options: EvidenceWriteOptions = {},
): Promise<EvidenceWritten> {
  return writeEvidence(target, "trace", trace.trace_id, prettyJson(trace), options);
}

/** writeTraceFileNew for an approval audit record; pass the trace's sequence as `from` to pair the names. */
export function writeApprovalAuditFileNew(
  target: EvidenceTarget,
  audit: ApprovalAuditRecord,
  options: EvidenceWriteOptions = {},
): Promise<EvidenceWritten> {
  return writeEvidence(target, "approval_audit", audit.trace_id, prettyJson(audit), options);
}

async function writeEvidence(
  target: EvidenceTarget,
  kind: EvidenceKind,
  traceId: string,
  text: string,
  options: EvidenceWriteOptions,
): Promise<EvidenceWritten> {
  const fsync = options.fsync ?? true;
  if ("path" in target) {
    const written = await writeArtifactNew(target.path, text, { fsync });
    return { path: written.path, sequence: 1 };
  }
  const from = options.from ?? 1;
  const written = await writeArtifactNew(evidenceFileNames(target.dir, kind, traceId, from), text, { fsync });
  return { path: written.path, sequence: from + written.attempt };
}
