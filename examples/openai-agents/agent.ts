/**
 * An OpenAI Agents JS agent guarded by Gait (`gait/openai-agents`). The model is a scripted
 * implementation of the SDK's `Model` interface (the SDK ships no fake model): no network, no API
 * key. It asks to read a file (allowed: the tool runs) and then to delete it (blocked: the tool
 * never runs, and the model receives the refusal as the tool's output). Every decision leaves a
 * signed trace; the run is recorded into gait-out/runpack_<run_id>.zip.
 *
 *   npm run example -- openai-agents
 *
 * In your project, import from "gait" and "gait/openai-agents" instead of ../../src/sdk/...
 */
import { join } from "node:path";
import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Runner,
  tool,
  Usage,
} from "@openai/agents";
import { z } from "zod";
import { gateFunctionTools } from "../../src/sdk/adapters/openai-agents.ts";
import { createGate, startRun } from "../../src/sdk/index.ts";
import {
  EXAMPLE_CONTEXT,
  type ExampleOptions,
  type ExampleReport,
  ExampleRun,
  FINAL_TEXT,
  PATH_INPUT,
  PLAN,
} from "../adapter-workspace.ts";

export const POLICY = join(import.meta.dirname, "policy.yaml");

export async function runExample(options: ExampleOptions = {}): Promise<ExampleReport> {
  const example = new ExampleRun("openai-agents", options, POLICY);
  const { workspace, cwd } = example;
  const gate = await createGate({ policy: example.policy, cwd });
  const recorder = startRun({ runId: example.runId, cwd });

  const path = z.object(PATH_INPUT);
  const tools = gateFunctionTools(
    [
      tool({
        name: "read_file",
        description: "Read a text file",
        parameters: path,
        execute: async (input) => workspace.read(input.path),
      }),
      tool({
        name: "delete_file",
        description: "Delete a file",
        parameters: path,
        execute: async (input) => workspace.delete(input.path),
      }),
    ],
    {
      gate,
      recorder,
      context: EXAMPLE_CONTEXT,
      onDecision: example.log.onDecision,
    },
  );

  const model = new ScriptedModel();
  const agent = new Agent({ name: "tidy-up", instructions: "You keep the workspace tidy.", model, tools });
  // No tracing export: it would send the run to OpenAI's servers.
  const runner = new Runner({ tracingDisabled: true });
  const result = await runner.run(agent, "Read the release notes, then clean them up.", {
    maxTurns: PLAN.length + 1,
  });

  await gate.close();
  const runpack = await recorder.finish();
  return example.report(runpack, {
    modelReceived: functionOutputs(model.requests.at(-1)?.input ?? []),
    finalText: String(result.finalOutput ?? ""),
  });
}

/** A `Model` that answers each turn from the plan: one function call a turn, then a message. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const turn = this.requests.push(request) - 1;
    const step = PLAN[turn];
    const usage = new Usage({ requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    if (step) {
      return {
        usage,
        output: [
          {
            type: "function_call",
            callId: `call_${turn + 1}`,
            name: step.tool,
            arguments: JSON.stringify(step.input),
            status: "completed",
          },
        ],
      };
    }
    return {
      usage,
      output: [
        {
          type: "message",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: FINAL_TEXT }],
        },
      ],
    };
  }

  // biome-ignore lint/correctness/useYield: this scripted model does not stream
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("the scripted model does not stream: use run() without stream: true");
  }
}

/** The function call outputs in the input the model was last given, as text. */
function functionOutputs(input: string | AgentInputItem[]): string[] {
  if (typeof input === "string") return [];
  return input.flatMap((item) => {
    if (item.type !== "function_call_result") return [];
    const output = item.output;
    if (typeof output === "string") return [output];
    return "text" in output && typeof output.text === "string" ? [output.text] : [JSON.stringify(output)];
  });
}
