/**
 * Traces queued for the writer before answers wait for it: it bounds async durability's memory
 * and the evidence a crash can lose (durable answers wait for their traces anyway).
 */
export const MAX_PENDING_TRACES = 256;
/** How often waiting answers look at the backlog again. */
export const BACKLOG_POLL_MS = 2;

/**
 * Holds answers back while too many traces wait for the trace writer. Decisions are made in
 * microseconds, traces take a signature and an fsynced file each: under a load the writer cannot
 * sustain (async durability answers before writing), the backlog, its memory and the evidence a
 * crash would lose would grow without bound. Waiting answers leave in arrival order: while any
 * wait, a new answer queues behind them instead of slipping through when the backlog dips, so no
 * answer waits much longer than the rest.
 */
export class TraceBacklog {
  private readonly pending: () => number;
  private readonly limit: number;
  private readonly pollMs: number;
  private readonly waiting: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  /** `pending` counts the traces queued and not yet written; answers wait while it exceeds `limit`. */
  constructor(pending: () => number, limit = MAX_PENDING_TRACES, pollMs = BACKLOG_POLL_MS) {
    this.pending = pending;
    this.limit = limit;
    this.pollMs = pollMs;
  }

  /** Undefined when an answer may leave now; else resolves when its turn comes. */
  admit(): Promise<void> | undefined {
    if (this.waiting.length === 0 && this.pending() <= this.limit) return undefined;
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.watch();
    });
  }

  /** Answers waiting now. */
  get size(): number {
    return this.waiting.length;
  }

  /** One timer for all waiters; they leave together, first come first served, once the writer caught up. */
  private watch(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.pending() <= this.limit) for (const resolve of this.waiting.splice(0)) resolve();
      if (this.waiting.length > 0) this.watch();
    }, this.pollMs);
  }
}
