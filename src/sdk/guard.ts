/**
 * guardTool: the boundary contract around one tool function — describe the call as an intent,
 * ask the gate, run the tool only on `allow`, and otherwise throw a ToolRefused carrying the
 * structured refusal. Refusal is an exception rather than a return value so that a caller who
 * forgets to check can never mistake a refusal for the tool's result, and the wrapped function
 * keeps the tool's own return type.
 */

import type { BrokeredCredential } from "../broker/types.ts";
import { toolExecutionEvent } from "../export/index.ts";
import { type PreparedIntent, prepareIntent, type Verdict } from "../gate/index.ts";
import type { ApprovalRequest } from "./approval-request.ts";
import { decisionToJson, failedDecision, type GateDecision, type ToolRefusal } from "./decision.ts";
import type { Gate } from "./gate.ts";
import type { IntentRequest } from "./intent-request.ts";
import { type CallRecorder, recordCall } from "./record-call.ts";

export interface ApprovalLookup<A extends unknown[]> {
  toolName: string;
  intentDigest: string;
  policyDigest: string;
  args: A;
}

/**
 * Approval tokens for a call. A token is bound to one intent digest, so a function that looks
 * tokens up by `intentDigest` (e.g. tokens a human minted after a refusal) is the usual form.
 */
export type ApprovalTokenSource<A extends unknown[]> =
  | unknown[]
  | ((lookup: ApprovalLookup<A>) => unknown[] | undefined | Promise<unknown[] | undefined>);

/** Builds the intent request for a call from the tool's arguments. */
export type IntentDescriber<A extends unknown[]> = (...args: A) => IntentRequest | Promise<IntentRequest>;

export interface GuardOptions<A extends unknown[]> {
  gate: Gate;
  approvalToken?: unknown;
  approvalTokens?: ApprovalTokenSource<A>;
  /** Records every call (intent, result or refusal, trace receipt) into this runpack session. */
  recorder?: CallRecorder;
  /** Sees every decision, allowed or not (e.g. to log trace ids). */
  onDecision?: (decision: GateDecision) => void;
  correlationId?: string;
}

/** Thrown by a guarded tool instead of running it: the verdict was not `allow`. */
export class ToolRefused extends Error {
  override readonly name = "ToolRefused";
  readonly code = "gait_tool_refused";
  readonly verdict: Verdict;
  readonly reasonCodes: string[];
  readonly violations: string[];
  readonly toolName: string;
  readonly intentDigest: string;
  readonly policyDigest: string;
  readonly traceId: string;
  /** For require_approval: what to mint (scope, digests) and the `gait approve` command. */
  readonly approval: ApprovalRequest | undefined;
  readonly decision: GateDecision;

  constructor(decision: GateDecision, toolName = decision.toolName) {
    super(refusalMessage(decision, toolName), decision.error ? { cause: decision.error } : undefined);
    this.decision = decision;
    this.verdict = decision.verdict;
    this.reasonCodes = decision.reasonCodes;
    this.violations = decision.violations;
    this.toolName = toolName;
    this.intentDigest = decision.intentDigest;
    this.policyDigest = decision.policyDigest;
    this.traceId = decision.traceId;
    this.approval = decision.approvalRequest;
  }

  toJSON(): ToolRefusal {
    return { ...decisionToJson(this.decision), tool_name: this.toolName };
  }
}

export function isToolRefused(value: unknown): value is ToolRefused {
  return value instanceof ToolRefused;
}

function refusalMessage(decision: GateDecision, toolName: string): string {
  const tool = toolName || "tool call";
  const reasons = decision.reasonCodes.join(", ") || "no reason codes";
  const base = `gait refused ${tool}: ${decision.verdict} (${reasons})`;
  if (decision.error) return `${base}: ${decision.error.message}`;
  if (decision.approvalRequest) {
    return `${base}; an approver can mint a token with: ${decision.approvalRequest.command}`;
  }
  return base;
}

/**
 * Wraps `fn` so it runs only when the gate allows the intent `describeIntent(...args)` builds.
 * Anything else — block, require_approval, dry_run, or any error while describing or evaluating
 * the intent (fail closed, `gait_evaluation_error`) — throws ToolRefused without calling `fn`.
 */
export function guardTool<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  describeIntent: IntentDescriber<A>,
  options: GuardOptions<A>,
): (...args: A) => Promise<Awaited<R>> {
  return guardToolWithCredential((_credential, ...args: A) => fn(...args), describeIntent, options);
}

/**
 * guardTool for a tool that needs a broker credential (a Gate created with `broker`, a rule with
 * `require_broker_credential`): on allow, `fn` gets the credential the broker issued for this call
 * (its secret in memory, never written by Gait) before the call's arguments. It is undefined when
 * the allow needed no credential.
 */
export function guardToolWithCredential<A extends unknown[], R>(
  fn: (credential: BrokeredCredential | undefined, ...args: A) => R | Promise<R>,
  describeIntent: IntentDescriber<A>,
  options: GuardOptions<A>,
): (...args: A) => Promise<Awaited<R>> {
  const { recorder } = options;
  return async (...args: A): Promise<Awaited<R>> => {
    const decision = await decide(args, describeIntent, options);
    options.onDecision?.(decision);
    const prepared = decision.outcome?.prepared;
    if (!decision.allowed) {
      const refusal = new ToolRefused(decision, decision.toolName || fn.name);
      if (recorder && prepared) recordCall(recorder, prepared, decision, { refusal: refusal.toJSON() });
      throw refusal;
    }
    const startedAtMs = Date.now();
    try {
      const result = await fn(decision.credential, ...args);
      if (recorder && prepared) recordCall(recorder, prepared, decision, { result });
      exportToolRun(options.gate, decision, startedAtMs);
      return result;
    } catch (error) {
      if (recorder && prepared) recordCall(recorder, prepared, decision, { error });
      exportToolRun(options.gate, decision, startedAtMs, { error });
      throw error;
    }
  };
}

/** Reports the tool's run to the gate's exporters, if any (an `execute_tool` span). */
function exportToolRun(
  gate: Gate,
  decision: GateDecision,
  startedAtMs: number,
  failed?: { error: unknown },
): void {
  if (!gate.exporters) return;
  const context = decision.outcome?.prepared.intent.context;
  const errorType = failed && (failed.error instanceof Error ? failed.error.name : typeof failed.error);
  gate.exporters.operation(
    toolExecutionEvent({
      toolName: decision.toolName,
      startedAtMs,
      endedAtMs: Date.now(),
      ok: failed === undefined,
      ...(errorType ? { errorType } : {}),
      ...(context?.request_id ? { callId: context.request_id } : {}),
      ...(context?.run_id ? { runId: context.run_id } : {}),
      traceId: decision.traceId,
    }),
  );
}

async function decide<A extends unknown[]>(
  args: A,
  describeIntent: IntentDescriber<A>,
  options: GuardOptions<A>,
): Promise<GateDecision> {
  const { gate } = options;
  let prepared: PreparedIntent;
  let tokens: unknown[];
  try {
    prepared = prepareIntent(await describeIntent(...args));
    tokens = await approvalTokensFor(prepared, gate.policyDigest, args, options);
  } catch (error) {
    return failedDecision(gate.policyDigest, gate.profile, error);
  }
  return gate.evaluateAsync(prepared, {
    ...(tokens.length > 0 ? { approvalTokens: tokens } : {}),
    ...(options.correlationId ? { correlationId: options.correlationId } : {}),
  });
}

async function approvalTokensFor<A extends unknown[]>(
  prepared: PreparedIntent,
  policyDigest: string,
  args: A,
  options: GuardOptions<A>,
): Promise<unknown[]> {
  const tokens: unknown[] = options.approvalToken === undefined ? [] : [options.approvalToken];
  const source = options.approvalTokens;
  if (Array.isArray(source)) tokens.push(...source);
  else if (source) {
    const found = await source({
      toolName: prepared.intent.tool_name,
      intentDigest: prepared.intentDigest,
      policyDigest,
      args,
    });
    if (found) tokens.push(...found);
  }
  return tokens;
}
