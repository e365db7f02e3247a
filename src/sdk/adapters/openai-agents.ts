/**
 * `gait/openai-agents`: the OpenAI Agents JS adapter. gateFunctionTool() wraps a function tool's
 * `invoke` (the one door every call of the tool goes through, whichever runner calls it): the
 * gate decides first; an allowed call runs and is recorded; a refused one never runs, and the
 * refusal's text ("gait refused <tool>: block (...)") is the tool output the model receives.
 * (The SDK's tool input guardrails could refuse too, but they cannot see the tool's result, which
 * the run's record needs; wrapping invoke sees both.)
 *
 *   const agent = new Agent({ name, model, tools: gateFunctionTools([readFile, deleteFile], { gate, recorder }) });
 *
 * Only types come from `@openai/agents`: importing this adapter loads nothing of the SDK.
 */
import type { FunctionTool, Tool } from "@openai/agents";
import { type AdapterOptions, runGated } from "./core.ts";

export type { AdapterOptions, AdapterToolCall } from "./core.ts";

// biome-ignore lint/suspicious/noExplicitAny: any context, parameters and result, as the SDK's own Tool type does
type AnyFunctionTool = FunctionTool<any, any, any>;

/** The same function tool with a gated invoke. */
export function gateFunctionTool<T extends AnyFunctionTool>(tool: T, options: AdapterOptions): T {
  const invoke: AnyFunctionTool["invoke"] = tool.invoke;
  return {
    ...tool,
    invoke: async (...args: Parameters<AnyFunctionTool["invoke"]>) => {
      const [, input, details] = args;
      const outcome = await runGated(
        { toolName: tool.name, input: parsedArguments(input), callId: details?.toolCall?.callId },
        () => invoke(...args),
        options,
      );
      return outcome.allowed ? outcome.result : outcome.refusal.message;
    },
  };
}

/**
 * Gates every function tool of a list. Hosted tools (web search, file search, code interpreter,
 * ...) run on the model provider's side, where no wrapper can stand: they are returned unchanged.
 */
// biome-ignore lint/suspicious/noExplicitAny: any context, as the SDK's own Agent does
export function gateFunctionTools<T extends Tool<any>>(tools: readonly T[], options: AdapterOptions): T[] {
  return tools.map(
    (tool) => (tool.type === "function" ? gateFunctionTool(tool as AnyFunctionTool, options) : tool) as T,
  );
}

/**
 * The model's arguments (a JSON string) as the gate sees them. Text that is not JSON is kept as
 * it is: the gate still decides on the call, and the tool's own parser refuses the input.
 */
function parsedArguments(input: string): unknown {
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
