/**
 * `gait/ai-sdk`: the Vercel AI SDK adapter. gateTools() wraps a `tools` record so that every
 * tool's `execute` is decided by the gate first: an allowed call runs and is recorded; a refused
 * one never runs and throws the ToolRefused, which the AI SDK turns into a `tool-error` part and
 * hands to the model as the tool's result (`error-text`: "gait refused <tool>: block (...)").
 * The application sees the same part, with the refusal and its decision, in the step's content.
 *
 *   const tools = gateTools({ readFile, deleteFile }, { gate, recorder });
 *   await generateText({ model, tools, prompt, stopWhen: stepCountIs(5) });
 *
 * Only types come from `ai`: importing this adapter loads nothing of the AI SDK.
 */
import type { Tool, ToolExecutionOptions, ToolSet } from "ai";
import { type AdapterOptions, runGated } from "./core.ts";

export type { AdapterOptions, AdapterToolCall } from "./core.ts";

/** The same tools, each with a gated `execute` (tools without one are returned unchanged). */
export function gateTools<T extends ToolSet>(tools: T, options: AdapterOptions): T {
  const gated: Record<string, Tool> = {};
  for (const [name, tool] of Object.entries(tools)) gated[name] = gateTool(name, tool, options);
  return gated as T;
}

/** One tool, under the name the model calls it by (the key of the `tools` record). */
export function gateTool<T extends Tool>(name: string, tool: T, options: AdapterOptions): T {
  const execute = tool.execute;
  if (typeof execute !== "function") return tool;
  return {
    ...tool,
    execute: async (input: unknown, execution: ToolExecutionOptions) => {
      const outcome = await runGated(
        { toolName: name, input, callId: execution.toolCallId },
        () => execute(input, execution),
        options,
      );
      if (outcome.allowed) return outcome.result;
      throw outcome.refusal;
    },
  };
}
