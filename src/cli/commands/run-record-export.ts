/**
 * The spans `gait run record` exports (export-flags.ts runExported): the run's root and the
 * record, or, when recording failed, a failed record span in the trace of the run the input
 * names (when it names one).
 */
import { isGaitError } from "../../contract/errors.ts";
import type { RecordedRunpack } from "../../runpack/index.ts";
import type { CommandContext } from "../command.ts";
import type { OperationEvents } from "./export-flags.ts";

export function recordSpans(
  input: unknown,
  runIdFlag: string | undefined,
  ctx: Pick<CommandContext, "progress">,
): OperationEvents<RecordedRunpack> {
  return async (done, at) => {
    const runId = done.ok ? done.value.runId : (runIdFlag ?? claimedRunId(input));
    if (!runId) return [];
    const { recordedRunEvents } = await import("../../export/record-events.ts");
    const outcome = done.ok
      ? { runId, recorded: done.value }
      : { runId, errorCode: isGaitError(done.error) ? done.error.code : "record_failed" };
    return recordedRunEvents(outcome, at, (message) => ctx.progress(`gait: export: ${message}`));
  };
}

/** The run_id the input document names, if it names one. */
function claimedRunId(input: unknown): string | undefined {
  const run = (input as { run?: { run_id?: unknown } } | null)?.run;
  return typeof run?.run_id === "string" && run.run_id !== "" ? run.run_id : undefined;
}
