/**
 * What each adapter does at its edges, with the real framework packages: the default intent, fail
 * closed, each framework's form of a refusal (AI SDK tool error, LangChain ToolMessage with
 * status error, OpenAI Agents tool output, MCP tool error result), and the built subpath exports
 * sharing the SDK of `gait` itself.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ToolMessage } from "@langchain/core/messages";
import { tool as langchainTool } from "@langchain/core/tools";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { tool as agentsTool, RunContext } from "@openai/agents";
import { tool as aiTool } from "ai";
import { z } from "zod";
import { gateTool as gateAiTool } from "../../src/sdk/adapters/ai-sdk.ts";
import { argsOf, intentForToolCall, runGated } from "../../src/sdk/adapters/core.ts";
import { gateTool as gateLangchainTool } from "../../src/sdk/adapters/langchain.ts";
import { gateMcpClient } from "../../src/sdk/adapters/mcp.ts";
import { gateFunctionTool } from "../../src/sdk/adapters/openai-agents.ts";
import { createGate, type Gate, type GateDecision, isToolRefused } from "../../src/sdk/index.ts";
import { repoRoot } from "../helpers/cli.ts";

const POLICY = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match:
      tool_names: [read_file]
    reason_codes: [read_allowed]
`;

function quietGate(): Promise<Gate> {
  return createGate({ policyText: POLICY, traceDir: null, onWarning: () => {} });
}

const path = z.object({ path: z.string() });

describe("adapter core", () => {
  it("describes a framework call without MCP's discovery tags, with targets from argument names", () => {
    const intent = intentForToolCall(
      { toolName: "delete_file", input: { path: "/workspace/a.txt" } },
      { identity: "agent.test", workspace: "/workspace" },
    );
    assert.equal(intent.tool_name, "delete_file");
    assert.deepEqual(intent.targets, [{ kind: "path", value: "/workspace/a.txt" }]);
    assert.equal(intent.context.identity, "agent.test");
    assert.equal(intent.context.risk_class, "critical"); // scout: a delete destroys data
    assert.deepEqual(intentForToolCall({ toolName: "now", input: {} }).targets, []);
  });

  it("keeps a non-object input under `input`", () => {
    assert.deepEqual(argsOf("text"), { input: "text" });
    assert.deepEqual(argsOf([1, 2]), { input: [1, 2] });
    assert.deepEqual(argsOf(undefined), {});
    assert.deepEqual(argsOf({ a: 1, b: undefined }), { a: 1 });
  });

  it("fails closed: a describer that throws refuses the call and the tool never runs", async () => {
    const gate = await quietGate();
    let ran = false;
    const outcome = await runGated(
      { toolName: "read_file", input: {} },
      () => {
        ran = true;
      },
      {
        gate,
        describeIntent: () => {
          throw new Error("no intent");
        },
      },
    );
    assert.equal(ran, false);
    assert.equal(outcome.allowed, false);
    if (!outcome.allowed) assert.deepEqual(outcome.refusal.reasonCodes, ["gait_evaluation_error"]);
  });

  it("lets the tool's own errors through unchanged", async () => {
    const gate = await quietGate();
    const failure = new Error("disk on fire");
    await assert.rejects(
      runGated(
        { toolName: "read_file", input: {} },
        () => {
          throw failure;
        },
        { gate },
      ),
      (error) => error === failure,
    );
  });
});

describe("AI SDK adapter", () => {
  it("throws the ToolRefused for the SDK to hand to the model as a tool error", async () => {
    const gate = await quietGate();
    let ran = 0;
    const deleteFile = gateAiTool(
      "delete_file",
      aiTool({ inputSchema: path, execute: async () => `ran ${++ran}` }),
      { gate },
    );
    await assert.rejects(
      Promise.resolve(deleteFile.execute?.({ path: "/a" }, { toolCallId: "c1", messages: [] })),
      (error) =>
        isToolRefused(error) && error.verdict === "block" && /gait refused delete_file/.test(error.message),
    );
    assert.equal(ran, 0);
  });

  it("leaves a tool without execute as it is", async () => {
    const gate = await quietGate();
    const clientSide = aiTool({ inputSchema: path });
    assert.equal(gateAiTool("ask_user", clientSide, { gate }), clientSide);
  });
});

describe("LangChain adapter", () => {
  it("answers a model's tool call with a ToolMessage (status error, the decision as artifact)", async () => {
    const gate = await quietGate();
    let ran = 0;
    const deleteFile = gateLangchainTool(
      langchainTool(async () => `ran ${++ran}`, { name: "delete_file", description: "d", schema: path }),
      { gate },
    );
    const message = await deleteFile.invoke({
      id: "call_9",
      name: "delete_file",
      args: { path: "/a" },
      type: "tool_call",
    });
    assert.ok(ToolMessage.isInstance(message));
    assert.equal(message.status, "error");
    assert.equal(message.tool_call_id, "call_9");
    assert.match(String(message.content), /gait refused delete_file: block/);
    assert.equal((message.artifact as { verdict: string }).verdict, "block");
    assert.match(String(await deleteFile.invoke({ path: "/a" })), /gait refused delete_file/);
    assert.equal(ran, 0);
  });

  it("keeps the tool's name, schema and response format, and runs it when allowed", async () => {
    const gate = await quietGate();
    const readFile = langchainTool(async ({ path }) => [`content of ${path}`, { bytes: 10 }], {
      name: "read_file",
      description: "r",
      schema: path,
      responseFormat: "content_and_artifact",
    });
    const gated = gateLangchainTool(readFile, { gate });
    assert.equal(gated.name, "read_file");
    assert.equal(gated.schema, readFile.schema);
    const message = await gated.invoke({
      id: "c1",
      name: "read_file",
      args: { path: "/a" },
      type: "tool_call",
    });
    assert.equal(message.content, "content of /a");
    assert.deepEqual(message.artifact, { bytes: 10 });
  });
});

describe("OpenAI Agents adapter", () => {
  it("returns the refusal as the tool output, and decides even input that is not JSON", async () => {
    const gate = await quietGate();
    const decisions: GateDecision[] = [];
    let ran = 0;
    const deleteFile = gateFunctionTool(
      agentsTool({
        name: "delete_file",
        description: "d",
        parameters: path,
        execute: async () => `ran ${++ran}`,
      }),
      { gate, onDecision: (decision) => decisions.push(decision) },
    );
    const context = new RunContext({});
    assert.match(
      String(await deleteFile.invoke(context, '{"path":"/a"}')),
      /gait refused delete_file: block/,
    );
    assert.match(String(await deleteFile.invoke(context, "not json")), /gait refused delete_file/);
    assert.equal(ran, 0);
    assert.deepEqual(decisions[0]?.outcome?.prepared.intent.args, { path: "/a" });
    assert.deepEqual(decisions[1]?.outcome?.prepared.intent.args, { input: "not json" });
  });

  it("runs the tool's own invoke when allowed", async () => {
    const gate = await quietGate();
    const readFile = gateFunctionTool(
      agentsTool({
        name: "read_file",
        description: "r",
        parameters: path,
        execute: async (i) => `read ${i.path}`,
      }),
      { gate },
    );
    assert.equal(await readFile.invoke(new RunContext({}), '{"path":"/a"}'), "read /a");
  });
});

describe("MCP adapter", () => {
  it("decides with the server's annotations and identity, and refuses with the proxy's tool error result", async () => {
    const gate = await quietGate();
    const server = new McpServer({ name: "files", version: "2.0.0" });
    let ran = 0;
    server.registerTool(
      "delete_file",
      { inputSchema: { path: z.string() }, annotations: { destructiveHint: true } },
      async () => ({ content: [{ type: "text", text: `ran ${++ran}` }] }),
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const connected = new Client({ name: "test", version: "1.0.0" });
    await connected.connect(clientSide);
    const decisions: GateDecision[] = [];
    const client = gateMcpClient(connected, gate, { onDecision: (decision) => decisions.push(decision) });
    const result = await client.callTool({ name: "delete_file", arguments: { path: "/a" } });
    assert.equal(result.isError, true);
    const [sentence, json] = result.content as Array<{ text: string }>;
    assert.match(sentence!.text, /gait block: the tool call delete_file was not run/);
    assert.equal(JSON.parse(json!.text).verdict, "block");
    assert.equal(ran, 0);
    const intent = decisions[0]!.outcome!.prepared.intent;
    assert.equal(intent.targets[0]?.destructive_hint, true);
    assert.equal(intent.targets[0]?.discovery_method, "mcp");
    assert.equal(intent.context.auth_context?.mcp_server_name, "files");
    assert.equal(client.getServerVersion()?.version, "2.0.0");
    await client.close();
    await server.close();
  });
});

describe("built subpath exports", () => {
  it("load the adapters from dist/adapters, sharing the SDK of `gait` itself", async () => {
    const sdk = await import("gait");
    const ai = await import("gait/ai-sdk");
    await import("gait/openai-agents");
    await import("gait/langchain");
    await import("gait/mcp");
    const gate = await sdk.createGate({ policyText: POLICY, traceDir: null, onWarning: () => {} });
    const deleteFile = ai.gateTool("delete_file", aiTool({ inputSchema: path, execute: async () => "ran" }), {
      gate,
    });
    await assert.rejects(
      Promise.resolve(deleteFile.execute?.({ path: "/a" }, { toolCallId: "c1", messages: [] })),
      (error) => sdk.isToolRefused(error),
    );
  });

  it("leave the main entry free of adapters and framework packages", () => {
    const main = readFileSync(join(repoRoot, "dist", "sdk.js"), "utf8");
    for (const name of ["ai", "@openai/agents", "@langchain/core", "./adapters/"]) {
      assert.ok(!main.includes(`from "${name}`), `dist/sdk.js imports ${name}`);
    }
    for (const adapter of ["ai-sdk", "openai-agents", "langchain", "mcp"]) {
      const code = readFileSync(join(repoRoot, "dist", "adapters", `${adapter}.js`), "utf8");
      assert.match(code, /from "\.\.\/sdk\.js"/, `${adapter} imports the SDK from dist/sdk.js`);
      assert.ok(!code.includes("function createGate("), `${adapter} bundles no copy of the SDK`);
    }
  });
});
