/**
 * `gait/langchain`: the LangChain.js adapter. gateTool() returns the tool with its `_call` (what
 * StructuredTool.call runs once the input has passed the tool's schema) decided by the gate: an
 * allowed call runs and is recorded; a refused one never runs and answers with the refusal's
 * text. Invoked with a ToolCall (as a model's tool calls are), the answer is a ToolMessage with
 * `status: "error"` and the decision JSON as its artifact; invoked with plain arguments, the text.
 * Everything else (name, schema, callbacks, response format) is the original tool's.
 *
 *   const tools = gateTools([readFile, deleteFile], { gate, recorder });
 *   const model = chatModel.bindTools(tools);
 */
import { ToolMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { ToolRefused } from "../index.ts";
import { type AdapterOptions, runGated } from "./core.ts";

export type { AdapterOptions, AdapterToolCall } from "./core.ts";

type ToolCallFn = (
  arg: unknown,
  runManager?: unknown,
  config?: { toolCall?: { id?: string } },
) => Promise<unknown>;

/** The same tool (its prototype is the original), with every call decided by the gate. */
export function gateTool<T extends StructuredToolInterface>(tool: T, options: AdapterOptions): T {
  const original = (tool as unknown as { _call: ToolCallFn })._call;
  const gated = Object.create(tool) as T & { _call: ToolCallFn };
  gated._call = async function (this: unknown, arg, runManager, config) {
    const callId = config?.toolCall?.id;
    const outcome = await runGated(
      { toolName: tool.name, input: arg, ...(callId ? { callId } : {}) },
      () => original.call(this, arg, runManager, config),
      options,
    );
    return outcome.allowed ? outcome.result : refusalOutput(tool, outcome.refusal, callId);
  };
  return gated;
}

export function gateTools<T extends StructuredToolInterface>(
  tools: readonly T[],
  options: AdapterOptions,
): T[] {
  return tools.map((tool) => gateTool(tool, options));
}

/** What the tool answers instead of running, in the form its response format allows. */
function refusalOutput(
  tool: StructuredToolInterface,
  refusal: ToolRefused,
  callId: string | undefined,
): unknown {
  if ((tool as { responseFormat?: string }).responseFormat === "content_and_artifact")
    return [refusal.message, refusal.toJSON()];
  if (!callId) return refusal.message;
  return new ToolMessage({
    status: "error",
    content: refusal.message,
    tool_call_id: callId,
    name: tool.name,
    artifact: refusal.toJSON(),
  });
}
