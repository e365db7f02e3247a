/**
 * What an approver must sign for a require_approval decision: the digests and scope a token must
 * carry (CONTRACTS.md §5.10–5.11), and the exact `gait approve` command that mints one.
 */
import { digestJcs } from "../contract/canonical.ts";
import { type GateOutcome, requiredApprovalScope } from "../gate/index.ts";

export interface ApprovalRequest {
  intentDigest: string;
  policyDigest: string;
  /** The scope a token must grant, e.g. ["tool:tool.write"]. */
  scope: string[];
  /** Valid tokens needed (from distinct approvers when `requireDistinctApprovers`). */
  minApprovals: number;
  requireDistinctApprovers: boolean;
  /** Set when the intent carries a delegation: tokens must be bound to it. */
  delegationBindingDigest?: string;
  /** A `gait approve` command line; replace the <placeholders>. */
  command: string;
}

export function approvalRequestFor(outcome: GateOutcome): ApprovalRequest {
  const { prepared, decision, policyDigest } = outcome;
  const request: ApprovalRequest = {
    intentDigest: prepared.intentDigest,
    policyDigest,
    scope: requiredApprovalScope(prepared.intent),
    minApprovals: Math.max(1, decision.minApprovals),
    requireDistinctApprovers: decision.requireDistinctApprovers,
    command: "",
  };
  if (prepared.intent.delegation) request.delegationBindingDigest = digestJcs(prepared.intent.delegation);
  request.command = approveCommand(request);
  return request;
}

function approveCommand(request: ApprovalRequest): string {
  const parts = [
    "gait approve",
    `--intent-digest ${request.intentDigest}`,
    `--policy-digest ${request.policyDigest}`,
    `--scope ${request.scope.join(",")}`,
    "--ttl 1h",
    "--approver <approver_identity>",
    "--reason-code <reason_code>",
  ];
  if (request.delegationBindingDigest) {
    parts.push(`--delegation-binding-digest ${request.delegationBindingDigest}`);
  }
  parts.push("--key-mode prod --private-key <approver_private.key>");
  return parts.join(" ");
}
