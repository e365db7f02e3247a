/**
 * The worker thread behind TraceWorker (trace-worker.ts): signs each piece of trace work and
 * writes the files of everything that arrived meanwhile as one group commit. Runs on its own
 * thread, so neither the signatures nor the file-system calls (costly on some virtual disks)
 * ever hold up the thread that answers decisions. Built into the bundles as a string (see
 * scripts/build.mjs); under tsx it is loaded from this file.
 */
import type { KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { asError } from "../contract/errors.ts";
import { firstNewFileName, type NewFileWritten, writeFilesNew } from "../contract/files.ts";
import { signingKeyFromKeyObject } from "../contract/signing.ts";
import { type SignedTraceWork, signTraceWork, traceFilesOf } from "./trace-work.ts";
import {
  type BatchItem,
  type BatchResult,
  serializeError,
  type WorkerInit,
} from "./trace-worker-protocol.ts";

/** Pieces of work per group commit: bounds how long one batch keeps results from flowing back. */
const MAX_BATCH = 64;

const init = workerData as WorkerInit;
const key = signingKeyFromKeyObject(init.privateKey as KeyObject);
const queue: BatchItem[] = [];
let scheduled = false;

parentPort!.on("message", (items: BatchItem[]) => {
  queue.push(...items);
  schedule();
});

/**
 * One batch at a time, on a later turn, so everything posted meanwhile joins the next batch: the
 * slower the disk, the larger the group commit.
 */
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(async () => {
    parentPort!.postMessage(await writeBatch(queue.splice(0, MAX_BATCH)));
    scheduled = false;
    if (queue.length > 0) schedule();
  });
}

/**
 * Signs every item, then writes the batch in two group commits: all traces first, then the
 * approval audits of the items whose trace was written, so an audit never exists without its
 * trace (the inline engine writes in the same order).
 */
async function writeBatch(items: BatchItem[]): Promise<BatchResult[]> {
  const signed = items.map((item): SignedTraceWork | Error => {
    try {
      return signTraceWork(item.work, key);
    } catch (error) {
      return asError(error);
    }
  });
  const works = signed.flatMap((s, index) => (s instanceof Error || s.files.length === 0 ? [] : [index]));
  const traces = await writeFilesNew(
    works.map((index) => (signed[index] as SignedTraceWork).files[0]!),
    { fsync: init.fsync },
  );
  const withAudit = works.filter(
    (index, i) => !(traces[i] instanceof Error) && (signed[index] as SignedTraceWork).files[1],
  );
  const audits = await writeFilesNew(
    withAudit.map((index) => (signed[index] as SignedTraceWork).files[1]!),
    { fsync: init.fsync },
  );
  const written = new Map<number, Array<NewFileWritten | Error>>();
  for (const [i, index] of works.entries()) written.set(index, [traces[i]!]);
  for (const [i, index] of withAudit.entries()) written.get(index)!.push(audits[i]!);
  return items.map((item, index) => resultOf(item, signed[index]!, written.get(index) ?? []));
}

function resultOf(
  item: BatchItem,
  outcome: SignedTraceWork | Error,
  files: Array<NewFileWritten | Error>,
): BatchResult {
  if (outcome instanceof Error) return { id: item.id, error: serializeError(outcome) };
  const result: BatchResult = { id: item.id };
  const failedAt = files.findIndex((file) => file instanceof Error);
  if (failedAt >= 0) {
    result.error = serializeError(files[failedAt] as Error);
    result.path = firstNewFileName(outcome.files[failedAt]!.names);
    return result;
  }
  if (files.length > 0) result.written = traceFilesOf(item.work, files as NewFileWritten[]);
  if (item.wantSigned) {
    result.trace = outcome.trace;
    if (outcome.approvalAudit) result.approvalAudit = outcome.approvalAudit;
  }
  return result;
}
