/**
 * The JSONL log exporter: one line per decision (events.ts decisionLogEvent), for shippers that
 * tail a file (Splunk, Datadog, Loki/Promtail, Vector). The file is opened for appending and every
 * write(2) carries whole lines only (the lines queued meanwhile, up to MAX_WRITE_BYTES), so lines
 * from several processes appending to one file never split or interleave, and a busy gate does
 * not pay a system call per decision (one per line kept up with about half of the benchmark's
 * decision rate). Writes are made one after another off the decision path; past the bound, lines
 * are dropped and counted, and a failed write is counted (and reported once) rather than thrown.
 */
import { type FileHandle, open } from "node:fs/promises";
import { resolve } from "node:path";
import { ioFailure } from "./error-codes.ts";
import { decisionLogEvent, type ExportEvent } from "./events.ts";
import type { ExportSink, SinkStats } from "./exporters.ts";

/** Lines waiting to be written before new ones are dropped. */
const MAX_PENDING_LINES = 10_000;
/** The most one write carries (a single longer line goes alone). */
const MAX_WRITE_BYTES = 64 * 1024;

/** Where lines go: an open file, or a stream such as stdout. */
interface LineTarget {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

export interface LogSinkOptions {
  /** A file path (relative to `cwd`), or `-` for stdout. */
  out: string;
  cwd: string;
  /** Told once about the first failed write. */
  onError?: (message: string) => void;
}

export async function openLogSink(options: LogSinkOptions): Promise<ExportSink> {
  const target =
    options.out === "-" ? streamTarget(process.stdout) : await fileTarget(resolve(options.cwd, options.out));
  return new JsonlLogSink(target, options.out, options.onError);
}

async function fileTarget(path: string): Promise<LineTarget> {
  let handle: FileHandle;
  try {
    handle = await open(path, "a", 0o600);
  } catch (error) {
    throw ioFailure(
      "export_log_open_failed",
      `cannot open the export log ${path}: ${(error as Error).message}`,
      {
        hint: "check that the directory exists and is writable",
        cause: error,
      },
    );
  }
  return {
    write: async (line) => {
      await handle.write(line);
    },
    close: () => handle.close(),
  };
}

function streamTarget(stream: NodeJS.WritableStream): LineTarget {
  return {
    write: (line) =>
      new Promise((resolveWrite, reject) => {
        stream.write(line, (error) => (error ? reject(error) : resolveWrite()));
      }),
    close: async () => {},
  };
}

class JsonlLogSink implements ExportSink {
  readonly name = "log";
  private readonly target: LineTarget;
  private readonly display: string;
  private readonly onError: ((message: string) => void) | undefined;
  private pending: string[] = [];
  private writing: Promise<void> | undefined;
  private exported = 0;
  private dropped = 0;
  private reported = false;

  constructor(target: LineTarget, display: string, onError?: (message: string) => void) {
    this.target = target;
    this.display = display;
    this.onError = onError;
  }

  accept(events: readonly ExportEvent[]): void {
    for (const event of events) {
      if (event.kind !== "decision") continue;
      if (this.pending.length >= MAX_PENDING_LINES) {
        this.dropped++;
        continue;
      }
      this.pending.push(`${JSON.stringify(decisionLogEvent(event))}\n`);
    }
    if (this.pending.length > 0) this.writing ??= this.writeAll();
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.target.close().catch(() => {});
  }

  stats(): SinkStats {
    return { exported: this.exported, dropped: this.dropped };
  }

  /** Writes queued lines in order, whole lines per write, until none is left. */
  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const count = this.linesForOneWrite();
      const text = this.pending.splice(0, count).join("");
      try {
        await this.target.write(text);
        this.exported += count;
      } catch (error) {
        this.dropped += count;
        this.report(error);
      }
    }
    this.writing = undefined;
  }

  /** How many of the pending lines fit one write (at least one). */
  private linesForOneWrite(): number {
    let bytes = 0;
    let count = 0;
    for (const line of this.pending) {
      bytes += Buffer.byteLength(line);
      if (count > 0 && bytes > MAX_WRITE_BYTES) break;
      count++;
    }
    return count;
  }

  private report(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    const message = error instanceof Error ? error.message : String(error);
    this.onError?.(
      `export log ${this.display}: a line was not written (${message}); further failures are only counted`,
    );
  }
}
