/**
 * A LangChain.js agent guarded by Gait (`gait/langchain`). The model is a scripted chat model on
 * LangChain's own BaseChatModel (the fakes in @langchain/core/utils/testing answer with text or
 * one fixed message, not a conversation of tool calls): no network, no API key. It asks to read
 * a file (allowed: the tool runs) and then to delete it (blocked: the tool never runs, and the
 * model receives a ToolMessage with the refusal). Every decision leaves a signed trace; the run
 * is recorded into gait-out/runpack_<run_id>.zip.
 *
 *   npm run example -- langchain
 *
 * In your project, import from "gait" and "gait/langchain" instead of ../../src/sdk/...
 */
import { join } from "node:path";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { z } from "zod";
import { gateTools } from "../../src/sdk/adapters/langchain.ts";
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
  const example = new ExampleRun("langchain", options, POLICY);
  const { workspace, cwd } = example;
  const gate = await createGate({ policy: example.policy, cwd });
  const recorder = startRun({ runId: example.runId, cwd });

  const path = z.object(PATH_INPUT);
  const tools = gateTools(
    [
      tool(async (input) => workspace.read(input.path), {
        name: "read_file",
        description: "Read a text file",
        schema: path,
      }),
      tool(async (input) => workspace.delete(input.path), {
        name: "delete_file",
        description: "Delete a file",
        schema: path,
      }),
    ],
    {
      gate,
      recorder,
      context: EXAMPLE_CONTEXT,
      onDecision: example.log.onDecision,
    },
  );

  const chat = new ScriptedChatModel({});
  const messages = await toolCallingLoop(chat, tools, "Read the release notes, then clean them up.");

  await gate.close();
  const runpack = await recorder.finish();
  const lastSeen = chat.seen.at(-1) ?? [];
  return example.report(runpack, {
    modelReceived: lastSeen.filter((m) => ToolMessage.isInstance(m)).map((m) => String(m.content)),
    finalText: String(messages.at(-1)?.content ?? ""),
  });
}

/** The usual LangChain tool-calling loop: ask the model, run the tools it calls, repeat. */
async function toolCallingLoop(
  chat: ScriptedChatModel,
  tools: StructuredToolInterface[],
  prompt: string,
): Promise<BaseMessage[]> {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const model = chat.bindTools(tools);
  const messages: BaseMessage[] = [new HumanMessage(prompt)];
  for (let turn = 0; turn <= PLAN.length; turn++) {
    const reply = await model.invoke(messages);
    messages.push(reply);
    if (!reply.tool_calls?.length) break;
    for (const call of reply.tool_calls) {
      const called = byName.get(call.name);
      if (!called) throw new Error(`the model called an unknown tool: ${call.name}`);
      messages.push((await called.invoke(call)) as ToolMessage);
    }
  }
  return messages;
}

/** A chat model that answers each turn from the plan: one tool call a turn, then text. */
class ScriptedChatModel extends BaseChatModel {
  /** The messages the model was given, turn by turn. */
  readonly seen: BaseMessage[][] = [];

  _llmType(): string {
    return "scripted";
  }

  override bindTools(_tools: unknown[]) {
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const turn = this.seen.push([...messages]) - 1;
    const step = PLAN[turn];
    const message = step
      ? new AIMessage({
          content: "",
          tool_calls: [
            { id: `call_${turn + 1}`, name: step.tool, args: { ...step.input }, type: "tool_call" },
          ],
        })
      : new AIMessage(FINAL_TEXT);
    return { generations: [{ text: typeof message.content === "string" ? message.content : "", message }] };
  }
}
