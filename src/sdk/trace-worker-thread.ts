/**
 * The worker thread behind TraceWorker (trace-worker.ts): signs each piece of trace work as it
 * arrives and writes the files of everything that arrived meanwhile as one group commit
 * (trace-worker-commit.ts): a group commits as soon as the disk is free, so the slower the disk,
 * the larger the groups. Runs on its own thread, so neither the signatures nor the file-system
 * calls ever hold up the thread that answers decisions. Built into the bundles as a string (see
 * scripts/build.mjs); under tsx it is loaded from this file.
 */
import type { KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { asError } from "../contract/errors.ts";
import { signingKeyFromKeyObject } from "../contract/signing.ts";
import { type SignedTraceWork, signTraceWork, traceFilesOf } from "./trace-work.ts";
import { type EvidenceOutcome, GroupCommitter } from "./trace-worker-commit.ts";
import {
  type BatchItem,
  type BatchResult,
  serializeError,
  type WorkerInit,
} from "./trace-worker-protocol.ts";

const init = workerData as WorkerInit;
const key = signingKeyFromKeyObject(init.privateKey as KeyObject);
const committer = new GroupCommitter({ fsync: init.fsync, lingerMs: init.lingerMs });
/** Results that settled in the same turn, sent back in one message. */
let settled: BatchResult[] = [];

parentPort!.on("message", (items: BatchItem[]) => {
  for (const item of items) write(item);
  committer.kick();
});

function write(item: BatchItem): void {
  let signed: SignedTraceWork;
  try {
    signed = signTraceWork(item.work, key);
  } catch (error) {
    send({ id: item.id, error: serializeError(asError(error)) });
    return;
  }
  if (signed.files.length === 0) send(resultOf(item, signed, { written: [] }));
  else
    committer.write({ trace: signed.files[0]!, audit: signed.files[1] }, (outcome) =>
      send(resultOf(item, signed, outcome)),
    );
}

function send(result: BatchResult): void {
  if (settled.length === 0) {
    queueMicrotask(() => {
      parentPort!.postMessage(settled);
      settled = [];
    });
  }
  settled.push(result);
}

function resultOf(item: BatchItem, signed: SignedTraceWork, outcome: EvidenceOutcome): BatchResult {
  const result: BatchResult = { id: item.id };
  if (outcome.error) {
    result.error = serializeError(outcome.error);
    if (outcome.failed) result.path = outcome.failed;
    return result;
  }
  if (outcome.written.length > 0) result.written = traceFilesOf(item.work, outcome.written);
  if (item.wantSigned) {
    result.trace = signed.trace;
    if (signed.approvalAudit) result.approvalAudit = signed.approvalAudit;
  }
  return result;
}
