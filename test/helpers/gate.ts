/** A gate decision with its signed evidence, built from the core pieces the SDK's trace writer uses. */
import type { SigningKey } from "../../src/contract/signing.ts";
import {
  type ApprovalAuditRecord,
  decideGate,
  type GateDecisionRequest,
  type GateOutcome,
  gateRecordsFor,
  signTrace,
  type TraceRecord,
} from "../../src/gate/index.ts";

export interface SignedDecision extends GateOutcome {
  trace: TraceRecord;
  approvalAudit?: ApprovalAuditRecord;
}

export async function signedDecision(
  request: GateDecisionRequest,
  signingKey: SigningKey,
  correlationId?: string,
): Promise<SignedDecision> {
  const outcome = await decideGate(request);
  const records = gateRecordsFor(outcome, { observedAt: request.now, correlationId });
  const signed: SignedDecision = { ...outcome, trace: signTrace(records.trace, signingKey) };
  if (records.approvalAudit) signed.approvalAudit = records.approvalAudit;
  return signed;
}
