/**
 * The per-call decision of the MCP proxy, independent of any transport: a ToolCall becomes an
 * intent; a tool whose pinned definition changed (or, with the policy's mcp_trust, a server the
 * trust snapshot does not vouch for) is refused before the policy is asked; everything else is
 * decided by the SDK Gate. Each decision leaves a signed `gait.gate.trace`; each call is recorded
 * into the session's runpack (intent, result or refusal, trace receipt).
 *
 * Fail closed: any error while describing or deciding a call refuses it.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../contract/canonical.ts";
import type { SigningKey } from "../contract/signing.ts";
import type { Clock } from "../contract/time.ts";
import {
  type Decision,
  evaluate,
  type GateOutcome,
  gateRecordsFor,
  type PreparedIntent,
  prepareIntent,
  signTrace,
  type TraceRecord,
  type Verdict,
  writeTraceFileNew,
} from "../gate/index.ts";
import {
  decisionToJson,
  failedDecision,
  type Gate,
  type GateDecision,
  type GateDecisionJson,
  type RunRecorder,
} from "../sdk/index.ts";
import { addTraceReceipt } from "../sdk/record-call.ts";
import {
  observeDefinition,
  PIN_CHANGED_REASON,
  PINS_UNAVAILABLE_REASON,
  type PinStatus,
  type PinStore,
  type ToolDefinition,
  toolDefinitionDigest,
} from "./pins.ts";
import { refusalResult, type ToolResult } from "./refusal.ts";
import { type CallDefaults, intentForCall, type ServerIdentity, type ToolCall } from "./tool-call.ts";
import type { TrustCheck } from "./trust.ts";

export interface EnforcerOptions {
  gate: Gate;
  /** The Gate's trace key: refusals decided before the policy are signed with it too. */
  signingKey: SigningKey;
  /** Absolute directory for those traces (the Gate writes its own); undefined writes no files. */
  traceDir: string | undefined;
  server: ServerIdentity;
  defaults: CallDefaults;
  /** Tool definition pins; without it, definitions are not pinned. */
  pins?: PinStore;
  /** The policy's mcp_trust, when enabled. */
  trust?: TrustCheck;
  recorder?: RunRecorder;
  clock: Clock;
  /**
   * Holds a decision back while too many traces wait for the writer (async durability; see
   * sdk/trace-backlog.ts): the call waits, never its evidence.
   */
  traceBackpressure?: () => Promise<void> | undefined;
}

/** What the proxy does with one call. */
export interface CallDecision {
  allowed: boolean;
  verdict: Verdict;
  /** The decision exactly as `gait gate eval --json` gives it. */
  json: GateDecisionJson;
  /** The runpack intent id, when the session is recorded. */
  intentId?: string;
}

export { refusalResult, type ToolResult } from "./refusal.ts";

export class CallEnforcer {
  private readonly options: EnforcerOptions;
  /** tool name → its latest definition digest, as the upstream server lists it. */
  private readonly current = new Map<string, string>();
  /** Tools whose current definition differs from the pin (until approved). */
  private readonly changed = new Set<string>();
  /** The pin file could not be read or written at the last listing: definitions are unchecked. */
  private pinsUnavailable = false;
  private calls = 0;
  private readonly counts: Record<Verdict, number> = { allow: 0, block: 0, require_approval: 0, dry_run: 0 };

  constructor(options: EnforcerOptions) {
    this.options = options;
  }

  get server(): ServerIdentity {
    return this.options.server;
  }

  /** Whether the upstream's definition of `tool` is known (listed at least once). */
  knows(tool: string): boolean {
    return this.current.has(tool);
  }

  /** Records the definitions the upstream server lists: pins new tools, notes changed ones. */
  async observeTools(tools: readonly ToolDefinition[]): Promise<void> {
    const digests = tools.map((tool) => [tool.name, toolDefinitionDigest(tool)] as const);
    for (const [name, digest] of digests) this.current.set(name, digest);
    const pins = this.options.pins;
    if (!pins) return;
    const serverId = this.options.server.id;
    let statuses: Array<readonly [string, PinStatus]>;
    try {
      statuses = await pins.update((file, at) =>
        digests.map(([name, digest]) => [name, observeDefinition(file, serverId, name, digest, at)] as const),
      );
    } catch (error) {
      // Fail closed: a definition that cannot be compared with its pin may be a rug pull.
      this.pinsUnavailable = true;
      throw error;
    }
    this.pinsUnavailable = false;
    for (const [name, status] of statuses) {
      if (status === "changed") this.changed.add(name);
      else this.changed.delete(name);
    }
  }

  /** Decides one call. Never throws: an error refuses the call. */
  async decide(call: ToolCall): Promise<CallDecision> {
    const { gate } = this.options;
    let decision: GateDecision;
    try {
      const intent = intentForCall({ ...call, server: this.options.server }, this.options.defaults);
      const prepared = prepareIntent(intent);
      const preemption = await this.preemption(call.name, prepared);
      decision = preemption ? await this.preempted(prepared, preemption) : await gate.evaluateAsync(prepared);
    } catch (error) {
      decision = failedDecision(gate.policyDigest, gate.profile, error);
    }
    this.counts[decision.verdict] += 1;
    const backlog = this.options.traceBackpressure?.();
    if (backlog) await backlog;
    const json = decisionToJson(decision);
    const result: CallDecision = { allowed: decision.allowed, verdict: decision.verdict, json };
    const intentId = this.recordIntent(call, decision);
    if (intentId) {
      result.intentId = intentId;
      if (!decision.allowed) this.recordResult(result, refusalResult(call.name, json));
    }
    return result;
  }

  /** Records what the upstream server answered to an allowed call. */
  recordResult(decision: CallDecision, result: ToolResult): void {
    const { recorder } = this.options;
    if (!recorder || !decision.intentId) return;
    recorder.addResult({
      intent_id: decision.intentId,
      status: result.isError === true ? "error" : "ok",
      result: asJsonObject(result),
    });
  }

  /** Decisions so far, by verdict. */
  verdictCounts(): Record<Verdict, number> {
    return { ...this.counts };
  }

  /**
   * Why the call is refused before the policy is asked, if it is: a definition that could not be
   * compared with its pin (unusable pin file, or a tool the server never listed), a changed one
   * (re-read from the pin file first, so an approval made meanwhile counts), or the server's trust.
   */
  private async preemption(tool: string, prepared: PreparedIntent): Promise<Preemption | undefined> {
    if (this.options.pins && (this.pinsUnavailable || !this.current.has(tool))) {
      return {
        verdict: "block",
        reasonCodes: [PINS_UNAVAILABLE_REASON],
        violations: ["mcp_tool_definition_unchecked"],
      };
    }
    if (this.changed.has(tool) && !(await this.approvedSince(tool))) {
      return { verdict: "block", reasonCodes: [PIN_CHANGED_REASON], violations: ["mcp_tool_rug_pull"] };
    }
    const trust = this.options.trust?.decide(prepared.intent.context.risk_class, this.options.clock());
    if (trust?.enforced) {
      return {
        verdict: trust.action,
        reasonCodes: trust.record.reason_codes ?? [],
        violations: ["mcp_trust_not_verified"],
        mcpTrust: trust.record,
      };
    }
    return undefined;
  }

  private async approvedSince(tool: string): Promise<boolean> {
    const { pins, server } = this.options;
    const digest = this.current.get(tool);
    if (!pins || !digest) return false;
    const pin = (await pins.read()).servers[server.id]?.[tool];
    if (pin?.digest !== digest) return false;
    this.changed.delete(tool);
    return true;
  }

  /** A refusal decided here: its trace is built by the gate's builder and signed with the Gate's key. */
  private async preempted(prepared: PreparedIntent, preemption: Preemption): Promise<GateDecision> {
    const { gate, clock, traceDir } = this.options;
    const evaluated = evaluate(gate.compiled, prepared.intent, { now: clock() });
    const decision = preemptionDecision(evaluated, preemption);
    const outcome: GateOutcome = {
      prepared,
      decision,
      policyDigest: gate.policyDigest,
      verdict: preemption.verdict,
      reasonCodes: decision.reasonCodes,
      violations: decision.violations,
      limits: [],
    };
    const { trace } = gateRecordsFor(outcome, { observedAt: clock() });
    if (preemption.mcpTrust) trace.mcp_trust = preemption.mcpTrust;
    const signed = signTrace(trace, this.options.signingKey);
    const written = traceDir ? await writeTraceFileNew({ dir: traceDir }, signed) : undefined;
    const answer: GateDecision = {
      verdict: preemption.verdict,
      allowed: false,
      reasonCodes: decision.reasonCodes,
      violations: decision.violations,
      matchedRule: "",
      toolName: prepared.intent.tool_name,
      intentDigest: prepared.intentDigest,
      argsDigest: prepared.argsDigest,
      policyDigest: gate.policyDigest,
      profile: gate.profile,
      traceId: signed.trace_id,
      outcome,
    };
    if (written) answer.tracePath = written.path;
    return answer;
  }

  private recordIntent(call: ToolCall, decision: GateDecision): string | undefined {
    const { recorder } = this.options;
    if (!recorder) return undefined;
    this.calls += 1;
    const intentId = `call_${String(this.calls).padStart(4, "0")}`;
    const prepared = decision.outcome?.prepared;
    recorder.addIntent({
      intent_id: intentId,
      tool_name: prepared?.intent.tool_name ?? (call.name.trim().toLowerCase() || "unknown"),
      args: prepared?.intent.args ?? {},
    });
    addTraceReceipt(recorder, intentId, decision);
    return intentId;
  }
}

interface Preemption {
  verdict: Exclude<Verdict, "allow" | "dry_run">;
  reasonCodes: string[];
  violations: string[];
  mcpTrust?: TraceRecord["mcp_trust"];
}

/**
 * The decision behind a refusal made before the policy: the policy's own evaluation of the
 * intent (its freeze window, sandbox and script facts stay true), with the verdict and reasons of
 * the refusal, no deciding rule and nothing to count.
 */
function preemptionDecision(evaluated: Decision, preemption: Preemption): Decision {
  return {
    ...evaluated,
    verdict: preemption.verdict,
    reasonCodes: [...preemption.reasonCodes].sort(),
    violations: [...preemption.violations].sort(),
    matchedRule: "",
    matchedRules: [],
    rateLimits: [],
    destructiveBudgets: [],
  };
}

function asJsonObject(value: unknown): JsonObject {
  const json = JSON.parse(JSON.stringify(value ?? {})) as JsonValue;
  return isJsonObject(json) ? json : { value: json };
}
