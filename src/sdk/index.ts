/** Gait's in-process TypeScript API. */
export {
  type FinishedRun,
  type IntentInput,
  type ReceiptInput,
  type ResultInput,
  RunRecorder,
  type RunRecordInput,
  type StartRunOptions,
  startRun,
  type TimelineInput,
} from "./recorder.ts";
