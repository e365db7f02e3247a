/** The generated guards and field lists (wire.generated.ts), typed for the decision path. */
import * as generated from "./wire.generated.ts";
import type { ApprovalToken, ApprovedScriptEntry, DelegationToken, TracedContextField } from "./wire.ts";

/** True when `value` has the shape of a `gait.gate.approval_token` (signature not verified). */
export const isApprovalToken = generated.isApprovalTokenShape as (value: unknown) => value is ApprovalToken;

/** True when `value` has the shape of a `gait.gate.delegation_token` (signature not verified). */
export const isDelegationToken = generated.isDelegationTokenShape as (
  value: unknown,
) => value is DelegationToken;

/** True when `value` has the shape of a `gait.gate.approved_script_entry` (signature not verified). */
export const isApprovedScriptEntry = generated.isApprovedScriptEntryShape as (
  value: unknown,
) => value is ApprovedScriptEntry;

/** The members of a public IntentRequest (its schema is closed at the top level). */
export const INTENT_REQUEST_FIELDS: ReadonlySet<string> = new Set(
  generated.INTENT_REQUEST_FIELDS as string[],
);

/** The context members a trace copies, in the order it lists them. */
export const TRACED_CONTEXT_FIELDS = generated.TRACED_CONTEXT_FIELDS as readonly TracedContextField[];

/** The members of a v1 trace record, in the order it lists them. */
export const TRACE_RECORD_FIELDS = generated.TRACE_RECORD_FIELDS as readonly string[];

/** The trace members the reference's struct renders even when absent (no `omitempty`). */
export const TRACE_REQUIRED_FIELDS = generated.TRACE_REQUIRED_FIELDS as readonly string[];
