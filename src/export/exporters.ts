/**
 * The exporters a gate (or `gait export`) hands its events to. The hand-off is the only part on
 * the decision path, and it does almost nothing: it appends a reference to the finished decision
 * to a bounded queue (when full, the event is dropped and counted) and schedules one drain on the
 * next turn of the event loop. The drain gives the batch to each sink (OTLP, JSONL log), which
 * batch, send and count on their own. Nothing here throws into a decision or waits for a network.
 */
import type { DecisionEvent, ExportableDecision, ExportEvent, OperationEvent } from "./events.ts";
import { livePlacement } from "./events.ts";

/** What a sink has done with the events it was given. */
export interface SinkStats {
  /** Delivered (spans and metric exports accepted by the endpoint, lines written). */
  exported: number;
  /** Lost: the sink's own queue was full, or delivery failed. */
  dropped: number;
}

/** One destination. `accept` is synchronous and must not throw or wait (it queues). */
export interface ExportSink {
  readonly name: string;
  accept(events: readonly ExportEvent[]): void;
  /** Delivers everything accepted so far. Never rejects. */
  flush(): Promise<void>;
  /** Flushes, then releases its resources (timers, files, connections). Never rejects. */
  shutdown(): Promise<void>;
  stats(): SinkStats;
}

export interface ExportStats {
  /** Events handed over and not yet given to the sinks. */
  queued: number;
  /** Events dropped because the hand-off queue was full. */
  queueDropped: number;
  /** Events a sink refused by throwing (a bug in that sink), counted per event. */
  handoffFailed: number;
  /** Queue drops, hand-off failures and every sink's drops. */
  dropped: number;
  sinks: Record<string, SinkStats>;
}

/** Events waiting for a drain, at most; one event-loop turn rarely sees more. */
export const DEFAULT_MAX_QUEUE = 4096;

export class Exporters {
  private readonly sinks: readonly ExportSink[];
  private readonly maxQueue: number;
  private queue: ExportEvent[] = [];
  private queueDropped = 0;
  private handoffFailed = 0;
  private scheduled = false;
  private closed = false;

  constructor(sinks: readonly ExportSink[], options: { maxQueue?: number } = {}) {
    this.sinks = sinks;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  }

  /** The sinks' names (e.g. ["otlp", "log"]). */
  get destinations(): string[] {
    return this.sinks.map((sink) => sink.name);
  }

  /** Hands a finished decision over (the hot path: one allocation and a push). Never throws. */
  decision(decision: ExportableDecision, latencyMs: number): void {
    this.enqueue({ kind: "decision", decision, latencyMs, endedAtMs: Date.now() });
  }

  /** Hands a decision replayed from an artifact, placed in its run's trace. */
  replayedDecision(event: DecisionEvent): void {
    this.enqueue(event);
  }

  /** Hands any other finished operation over (a tool execution, runpack verify, regress run). */
  operation(event: OperationEvent): void {
    this.enqueue(event);
  }

  /** Drains the queue into the sinks and waits until each has delivered what it holds. */
  async flush(): Promise<ExportStats> {
    this.drain();
    await Promise.all(this.sinks.map((sink) => sink.flush()));
    return this.stats();
  }

  /** Flushes and releases the sinks; later events are dropped (and counted). */
  async shutdown(): Promise<ExportStats> {
    this.drain();
    this.closed = true;
    await Promise.all(this.sinks.map((sink) => sink.shutdown()));
    return this.stats();
  }

  stats(): ExportStats {
    const sinks: Record<string, SinkStats> = {};
    let dropped = this.queueDropped + this.handoffFailed;
    for (const sink of this.sinks) {
      const stats = sink.stats();
      sinks[sink.name] = stats;
      dropped += stats.dropped;
    }
    return {
      queued: this.queue.length,
      queueDropped: this.queueDropped,
      handoffFailed: this.handoffFailed,
      dropped,
      sinks,
    };
  }

  private enqueue(event: ExportEvent): void {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.queueDropped++;
      return;
    }
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    for (const event of batch) {
      if (event.placement) continue;
      const placement = livePlacement(event);
      if (placement) event.placement = placement;
    }
    for (const sink of this.sinks) {
      try {
        sink.accept(batch);
      } catch {
        // A sink that throws loses this batch: counted, never the decision's problem.
        this.handoffFailed += batch.length;
      }
    }
  };
}

/** Hands every event to the exporters and shuts them down once all is delivered (or dropped). */
export async function deliver(exporters: Exporters, events: readonly ExportEvent[]): Promise<ExportStats> {
  for (const event of events) {
    if (event.kind === "decision") exporters.replayedDecision(event);
    else exporters.operation(event);
  }
  return exporters.shutdown();
}
