/**
 * What every framework adapter shares. A framework's tool call (its tool's name, the input the
 * model gave, the framework's call id) is described as an intent with the MCP proxy's mapping
 * (mcp/tool-call.ts: targets inferred from argument names, risk assessed from the tool's name),
 * decided by guardTool (the tool runs only on `allow`, every call is recorded into the run), and a
 * refusal comes back as a ToolRefused whose message is what the model reads.
 *
 * Adapters import the SDK through its public face (../index.ts), which the build keeps external:
 * an adapter shares the Gate, the recorder and the ToolRefused class of `gait` itself.
 */
import type { JsonObject, JsonValue } from "../../contract/canonical.ts";
import { intentForCall, type ToolAnnotationHints } from "../../mcp/tool-call.ts";
import {
  type ApprovalTokenSource,
  type CallRecorder,
  type Gate,
  type GateDecision,
  type GuardOptions,
  guardTool,
  type IntentContextInput,
  type IntentRequest,
  isToolRefused,
  type ToolRefused,
} from "../index.ts";

/** One tool call as an adapter hands it over. */
export interface AdapterToolCall {
  /** The tool's name as the framework declares it (the gate lower-cases it). */
  toolName: string;
  /** The input the model gave, as the framework parsed it. */
  input: unknown;
  /** The framework's id of this call (tool call id), for onDecision; not part of the intent. */
  callId?: string;
  /** MCP tool annotations, when the tool has them. */
  annotations?: ToolAnnotationHints;
}

export interface AdapterOptions {
  gate: Gate;
  /** Records every call (intent, result or refusal, trace receipt): a startRun() recorder. */
  recorder?: CallRecorder;
  /**
   * Context of every intent. identity defaults to "agent", workspace to the current directory,
   * risk_class to the risk assessed from the tool's name, annotations and argument names.
   */
  context?: Partial<IntentContextInput>;
  /** Builds the intent of a call yourself (explicit targets, provenance) instead of the default. */
  describeIntent?: (call: AdapterToolCall) => IntentRequest | Promise<IntentRequest>;
  /** Approval tokens for require_approval calls (a list, or looked up by intent digest). */
  approvalTokens?: ApprovalTokenSource<[AdapterToolCall]>;
  /** Sees every decision, allowed or not. */
  onDecision?: (decision: GateDecision, call: AdapterToolCall) => void;
}

export type GatedOutcome<R> = { allowed: true; result: R } | { allowed: false; refusal: ToolRefused };

/**
 * Decides `call` and runs `run` only on allow. A refusal is returned, not thrown, so each adapter
 * can hand it to its framework the way that framework shows a tool result to the model; errors
 * of the tool itself propagate unchanged (the framework reports them as it always does).
 */
export async function runGated<R>(
  call: AdapterToolCall,
  run: () => R | Promise<R>,
  options: AdapterOptions,
): Promise<GatedOutcome<Awaited<R>>> {
  const guardOptions: GuardOptions<[AdapterToolCall]> = {
    gate: options.gate,
    ...(options.recorder ? { recorder: options.recorder } : {}),
    ...(options.approvalTokens ? { approvalTokens: options.approvalTokens } : {}),
    ...(options.onDecision ? { onDecision: (decision) => options.onDecision?.(decision, call) } : {}),
  };
  const guarded = guardTool((_call: AdapterToolCall) => run(), describer(options), guardOptions);
  try {
    return { allowed: true, result: await guarded(call) };
  } catch (error) {
    if (isToolRefused(error)) return { allowed: false, refusal: error };
    throw error;
  }
}

function describer(
  options: AdapterOptions,
): (call: AdapterToolCall) => IntentRequest | Promise<IntentRequest> {
  return options.describeIntent ?? ((call) => intentForToolCall(call, options.context));
}

/**
 * The default intent of a framework tool call: the MCP proxy's mapping of a named call with JSON
 * arguments, without MCP's discovery tags (the tool is declared in the agent's own code).
 */
export function intentForToolCall(
  call: AdapterToolCall,
  context: Partial<IntentContextInput> = {},
): IntentRequest {
  return intentForCall(
    {
      name: call.toolName,
      args: argsOf(call.input),
      ...(call.annotations ? { annotations: call.annotations } : {}),
      context,
      source: "framework",
    },
    { identity: context.identity ?? "agent", workspace: context.workspace ?? process.cwd() },
  );
}

/**
 * A tool input as intent arguments: an object as it serializes to JSON, anything else under
 * `input`. Values JSON cannot carry (a BigInt, a cycle) throw, and the call fails closed.
 */
export function argsOf(input: unknown): JsonObject {
  const text = JSON.stringify(input);
  if (text === undefined) return {};
  const json = JSON.parse(text) as JsonValue;
  return json !== null && typeof json === "object" && !Array.isArray(json) ? json : { input: json };
}
