/**
 * A Vercel AI SDK agent guarded by Gait (`gait/ai-sdk`), with the AI SDK's own mock model: no
 * network, no API key. The model asks to read a file (allowed: the tool runs) and then to delete
 * it (blocked: the tool never runs, and the model receives the refusal as the tool's result).
 * Every decision leaves a signed trace; the run is recorded into gait-out/runpack_<run_id>.zip.
 *
 *   npm run example -- ai-sdk
 *
 * In your project, import from "gait" and "gait/ai-sdk" instead of ../../src/sdk/...
 */
import { join } from "node:path";
import { generateText, type ModelMessage, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";
import { gateTools } from "../../src/sdk/adapters/ai-sdk.ts";
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
  const example = new ExampleRun("ai-sdk", options, POLICY);
  const { workspace, cwd } = example;
  const gate = await createGate({ policy: example.policy, cwd });
  const recorder = startRun({ runId: example.runId, cwd });

  const path = z.object(PATH_INPUT);
  const tools = gateTools(
    {
      read_file: tool({
        description: "Read a text file",
        inputSchema: path,
        execute: async (input) => workspace.read(input.path),
      }),
      delete_file: tool({
        description: "Delete a file",
        inputSchema: path,
        execute: async (input) => workspace.delete(input.path),
      }),
    },
    {
      gate,
      recorder,
      context: EXAMPLE_CONTEXT,
      onDecision: example.log.onDecision,
    },
  );

  const model = scriptedModel();
  const result = await generateText({
    model,
    tools,
    prompt: "Read the release notes, then clean them up.",
    stopWhen: stepCountIs(PLAN.length + 1),
  });

  await gate.close();
  const runpack = await recorder.finish();
  const lastPrompt = model.doGenerateCalls.at(-1)?.prompt ?? [];
  return example.report(runpack, {
    modelReceived: toolResultTexts(lastPrompt as ModelMessage[]),
    finalText: result.text,
  });
}

/** The AI SDK's mock model, answering each turn from the plan: one tool call a turn, then text. */
function scriptedModel(): MockLanguageModelV3 {
  const usage = {
    inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 5, text: 5, reasoning: undefined },
  };
  const turns = PLAN.map((step, i) => ({
    content: [
      {
        type: "tool-call" as const,
        toolCallId: `call_${i + 1}`,
        toolName: step.tool,
        input: JSON.stringify(step.input),
      },
    ],
    finishReason: { unified: "tool-calls" as const, raw: "tool_calls" },
    usage,
    warnings: [],
  }));
  const closing = {
    content: [{ type: "text" as const, text: FINAL_TEXT }],
    finishReason: { unified: "stop" as const, raw: "stop" },
    usage,
    warnings: [],
  };
  return new MockLanguageModelV3({ doGenerate: [...turns, closing] });
}

/** The tool results in the prompt the model was last given, as text. */
function toolResultTexts(prompt: ModelMessage[]): string[] {
  return prompt.flatMap((message) =>
    message.role === "tool"
      ? message.content.flatMap((part) =>
          part.type === "tool-result" && "value" in part.output ? [String(part.output.value)] : [],
        )
      : [],
  );
}
