/**
 * The in-process runpack recorder: an agent calls startRun(), adds intents, results and
 * reference receipts as it goes, and finish() writes the runpack. The recorder builds the very
 * document `gait run record` reads (see toInput()) and records it through the same code, so the
 * same input gives the same bytes either way.
 */
import type { JsonObject } from "../contract/canonical.ts";
import { asError, isGaitError } from "../contract/errors.ts";
import type { SigningKeyRequest } from "../contract/keys.ts";
import { type Clock, systemClock, Timestamp } from "../contract/time.ts";
import type { Exporters } from "../export/index.ts";
import {
  assertRunId,
  type CaptureMode,
  type ContextEvidenceMode,
  type RecordedRunpack,
  type RunEnvironment,
  recordRunpack,
} from "../runpack/index.ts";
import { invalidInput } from "./error-codes.ts";

export interface StartRunOptions {
  /** `run_<letters, digits, _ or ->`. */
  runId: string;
  /** RFC 3339; default: the clock's now when startRun() is called. */
  createdAt?: string;
  producerVersion?: string;
  /** `reference` (default: digests only) or `raw` (keeps args and results). */
  captureMode?: CaptureMode;
  /** Fields left out default to this host (runtime `node`). */
  environment?: Partial<RunEnvironment>;
  /** Where runpack_<run_id>.zip goes (default ./gait-out, relative to cwd). */
  outDir?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  /** Key mode and sources; omitted → unsigned. */
  signing?: SigningKeyRequest;
  contextEvidenceMode?: ContextEvidenceMode;
  contextSetDigest?: string;
  unsafeContextRaw?: boolean;
  /**
   * Hand finish()'s spans to these exporters (createExporters): the run's root `gait.run` span
   * and `gait.runpack.record`, in the trace computed from the run_id, as `gait export --from`
   * sends them. The caller owns the exporters (flush or shut them down).
   */
  exporters?: Exporters;
}

export interface IntentInput {
  intent_id: string;
  tool_name: string;
  /** Raw args; their digest is computed. Kept only with raw capture. */
  args?: JsonObject;
  /** Required when args are not given; must match them when both are. */
  args_digest?: string;
  created_at?: string;
}

export interface ResultInput {
  intent_id: string;
  status: "ok" | "error";
  result?: JsonObject;
  result_digest?: string;
  created_at?: string;
}

/** A reference receipt. `gait.trace` receipts named `trace_<intent_id>` derive their digests. */
export interface ReceiptInput {
  ref_id: string;
  source_type: string;
  source_locator: string;
  query_digest?: string;
  content_digest?: string;
  retrieved_at?: string;
  redaction_mode: string;
  immutability?: "unknown" | "mutable" | "immutable";
  freshness_sla_seconds?: number;
  sensitivity_label?: string;
  retrieval_params?: JsonObject;
}

export interface TimelineInput {
  event: string;
  ts: string;
  ref?: string;
}

/** The run record document, exactly as `gait run record --input` takes it. */
export interface RunRecordInput {
  run: {
    run_id: string;
    created_at: string;
    producer_version?: string;
    env?: Partial<RunEnvironment>;
    timeline: TimelineInput[];
  };
  intents: IntentInput[];
  results: ResultInput[];
  refs: {
    receipts: ReceiptInput[];
    context_set_digest?: string;
    context_evidence_mode?: ContextEvidenceMode;
  };
  capture_mode: CaptureMode;
}

export type FinishedRun = RecordedRunpack;

export class RunRecorder {
  private readonly options: StartRunOptions;
  private readonly clock: Clock;
  private readonly createdAt: string;
  private readonly timeline: TimelineInput[] = [];
  private readonly intents: IntentInput[] = [];
  private readonly results: ResultInput[] = [];
  private readonly receipts: ReceiptInput[] = [];
  private finished = false;

  constructor(options: StartRunOptions) {
    assertRunId(options.runId);
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.createdAt = options.createdAt
      ? Timestamp.parse(options.createdAt, "createdAt").toString()
      : this.clock().utc().toString();
  }

  get runId(): string {
    return this.options.runId;
  }

  addIntent(intent: IntentInput): this {
    this.open().intents.push(structuredClone(intent));
    return this;
  }

  addResult(result: ResultInput): this {
    this.open().results.push(structuredClone(result));
    return this;
  }

  addReceipt(receipt: ReceiptInput): this {
    this.open().receipts.push(structuredClone(receipt));
    return this;
  }

  /** Appends a timeline event, stamped now unless `ts` is given. */
  addEvent(event: string, options: { ts?: string; ref?: string } = {}): this {
    const ts = options.ts ?? this.clock().utc().toString();
    this.open().timeline.push({ event, ts, ...(options.ref ? { ref: options.ref } : {}) });
    return this;
  }

  /** The document `gait run record --input` would take for this run. */
  toInput(): RunRecordInput {
    const o = this.options;
    const refs: RunRecordInput["refs"] = { receipts: structuredClone(this.receipts) };
    if (o.contextSetDigest) refs.context_set_digest = o.contextSetDigest;
    if (o.contextEvidenceMode) refs.context_evidence_mode = o.contextEvidenceMode;
    return {
      run: {
        run_id: o.runId,
        created_at: this.createdAt,
        ...(o.producerVersion ? { producer_version: o.producerVersion } : {}),
        ...(o.environment ? { env: { ...o.environment } } : {}),
        timeline: structuredClone(this.timeline),
      },
      intents: structuredClone(this.intents),
      results: structuredClone(this.results),
      refs,
      capture_mode: o.captureMode ?? "reference",
    };
  }

  /** Writes, re-verifies and returns the runpack (path, run_id, manifest digest, ticket footer). */
  async finish(): Promise<FinishedRun> {
    this.open();
    const o = this.options;
    const startedAtMs = Date.now();
    let recorded: FinishedRun;
    try {
      recorded = await recordRunpack(this.toInput(), {
        cwd: o.cwd ?? process.cwd(),
        env: o.env ?? process.env,
        clock: this.clock,
        ...(o.outDir ? { outDir: o.outDir } : {}),
        ...(o.signing ? { signing: o.signing } : {}),
        ...(o.unsafeContextRaw ? { unsafeContextRaw: true } : {}),
      });
    } catch (error) {
      if (o.exporters) await this.exportRecord(o.exporters, { ok: false, error }, startedAtMs);
      throw error;
    }
    this.finished = true;
    if (o.exporters) await this.exportRecord(o.exporters, { ok: true, recorded }, startedAtMs);
    return recorded;
  }

  /** Hands the record's spans over (export/record-events.ts, loaded only here). Never throws. */
  private async exportRecord(
    exporters: Exporters,
    done: { ok: true; recorded: FinishedRun } | { ok: false; error: unknown },
    startedAtMs: number,
  ): Promise<void> {
    const at = { startedAtMs, endedAtMs: Date.now() };
    const warn = (message: string) => process.emitWarning(message, { code: "GAIT_EXPORT" });
    try {
      const { recordedRunEvents } = await import("../export/record-events.ts");
      const runId = this.options.runId;
      const outcome = done.ok
        ? { runId, recorded: done.recorded }
        : { runId, errorCode: isGaitError(done.error) ? done.error.code : "record_failed" };
      for (const event of await recordedRunEvents(outcome, at, warn)) exporters.operation(event);
    } catch (error) {
      warn(`the run's spans were not exported: ${asError(error).message}`);
    }
  }

  private open(): this {
    if (this.finished) {
      throw invalidInput("recorder_finished", `run ${this.options.runId} is already finished`, {
        hint: "start a new run with startRun()",
      });
    }
    return this;
  }
}

/** Starts recording a run. */
export function startRun(options: StartRunOptions): RunRecorder {
  return new RunRecorder(options);
}
