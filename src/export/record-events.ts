/**
 * The spans of a runpack recording (`gait run record`, the SDK's RunRecorder.finish): the run's
 * root `gait.run` span and the `gait.runpack.record` span under it. The root is built from the
 * runpack read back from disk, so it is the very span `gait export --from` sends for the run
 * (same ids, same times, same attributes). Loaded only when export is configured.
 */
import { asError } from "../contract/errors.ts";
import { type RecordedRunpack, readRunpack } from "../runpack/index.ts";
import type { OperationEvent } from "./events.ts";
import { type RecordOutcome, recordEvent, runEvent, type Span } from "./operations.ts";

/** A recording's outcome: the recorded runpack, or the code of the error that stopped it. */
export interface Recording {
  runId: string;
  recorded?: RecordedRunpack;
  errorCode?: string;
}

export async function recordedRunEvents(
  recording: Recording,
  at: Span,
  onWarning: (message: string) => void,
): Promise<OperationEvent[]> {
  const { runId, recorded, errorCode } = recording;
  const outcome: RecordOutcome = recorded
    ? {
        runId,
        recorded: {
          manifestDigest: recorded.manifestDigest,
          bundle: recorded.bundle,
          signatureStatus: recorded.signatureStatus,
        },
      }
    : { runId, ...(errorCode ? { errorCode } : {}) };
  const events = [recordEvent(outcome, at)];
  if (recorded) {
    try {
      events.unshift(runEvent(await readRunpack(recorded.path)));
    } catch (error) {
      // E.g. an encrypted store: the record span still goes, under the run's (derived) root id.
      onWarning(`the run's root span was not exported: ${asError(error).message}`);
    }
  }
  return events;
}
