/**
 * Signs and writes traces on the caller's event loop, a few at a time on later turns, so a
 * decision never waits for them. The default engine of an SDK Gate: nothing to start, and it
 * works wherever the SDK is bundled. (The sidecar uses trace-worker.ts instead.)
 */
import { asError } from "../contract/errors.ts";
import { firstNewFileName } from "../contract/files.ts";
import type { SigningKey } from "../contract/signing.ts";
import { writeArtifactNew } from "../store/index.ts";
import { signTraceWork, type TraceEngine, type TraceSubmission, traceFilesOf } from "./trace-work.ts";

/** Files written at once: enough for the file system to group their fsyncs into shared commits. */
const MAX_ACTIVE_WRITES = 16;
/** Traces signed per event-loop turn, so a backlog never holds the loop for long. */
const SIGNS_PER_TURN = 16;

export interface InlineEngineOptions {
  signingKey: SigningKey;
  /** fsync each file and its directory (default true). */
  fsync?: boolean | undefined;
}

export class InlineTraceEngine implements TraceEngine {
  readonly keyId: string;
  private readonly options: InlineEngineOptions;
  private readonly queue: TraceSubmission[] = [];
  private active = 0;
  private scheduled = false;

  constructor(options: InlineEngineOptions) {
    this.options = options;
    this.keyId = options.signingKey.keyId;
  }

  submit(submission: TraceSubmission): void {
    this.queue.push(submission);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    let signed = 0;
    while (this.queue.length > 0 && this.active < MAX_ACTIVE_WRITES && signed < SIGNS_PER_TURN) {
      signed++;
      this.active++;
      void this.run(this.queue.shift()!).finally(() => {
        this.active--;
        if (this.queue.length > 0) this.schedule();
      });
    }
    if (this.queue.length > 0 && this.active < MAX_ACTIVE_WRITES) this.schedule();
  }

  private async run({ build, done }: TraceSubmission): Promise<void> {
    let path: string | undefined;
    try {
      const work = build();
      const { files, ...signed } = signTraceWork(work, this.options.signingKey);
      const written = [];
      for (const file of files) {
        path = firstNewFileName(file.names);
        written.push(await writeArtifactNew(file.names, file.data, { fsync: this.options.fsync ?? true }));
      }
      done(written.length > 0 ? { ...signed, written: traceFilesOf(work, written) } : signed);
    } catch (error) {
      done({ error: asError(error), ...(path ? { path } : {}) });
    }
  }
}
