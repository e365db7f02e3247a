/**
 * An MCP client guarded by Gait in-process (`gait/mcp`): the official MCP SDK's Client, connected
 * to an MCP server in this process (InMemoryTransport), with gateMcpClient() deciding every
 * tools/call. A scripted agent (MCP has no model of its own) asks to read a file (allowed: the
 * server runs the tool) and then to delete it (blocked: the call never reaches the server, and
 * the agent receives the proxy's tool error result). Every decision leaves a signed trace; the run
 * is recorded into gait-out/runpack_<run_id>.zip. (`gait mcp proxy` puts the same gate in front
 * of any MCP server, for clients you do not control: docs/scout-mcp.md.)
 *
 *   npm run example -- mcp
 *
 * In your project, import from "gait" and "gait/mcp" instead of ../../src/sdk/...
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { gateMcpClient } from "../../src/sdk/adapters/mcp.ts";
import { createGate, startRun } from "../../src/sdk/index.ts";
import {
  EXAMPLE_CONTEXT,
  type ExampleOptions,
  type ExampleReport,
  ExampleRun,
  PATH_INPUT,
  PLAN,
  type Workspace,
} from "../adapter-workspace.ts";

export const POLICY = join(import.meta.dirname, "policy.yaml");

export async function runExample(options: ExampleOptions = {}): Promise<ExampleReport> {
  const example = new ExampleRun("mcp", options, POLICY);
  const { workspace, cwd } = example;
  const gate = await createGate({ policy: example.policy, cwd });
  const recorder = startRun({ runId: example.runId, cwd });

  const server = filesServer(workspace);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const connected = new Client({ name: "example-agent", version: "1.0.0" });
  await connected.connect(clientSide);
  const client = gateMcpClient(connected, gate, {
    recorder,
    context: EXAMPLE_CONTEXT,
    onDecision: example.log.onDecision,
  });

  // The scripted agent: each planned call, and what it reads back.
  const modelReceived: string[] = [];
  for (const step of PLAN) {
    const result = await client.callTool({ name: step.tool, arguments: { ...step.input } });
    const content = Array.isArray(result.content) ? result.content : [];
    const first = content[0] as { type: string; text?: string } | undefined;
    modelReceived.push(first?.type === "text" ? (first.text ?? "") : JSON.stringify(result));
  }

  await client.close();
  await server.close();
  await gate.close();
  const runpack = await recorder.finish();
  return example.report(runpack, { modelReceived, finalText: "" });
}

/** An MCP server with the two file tools, annotated as MCP servers declare them. */
function filesServer(workspace: Workspace): McpServer {
  const server = new McpServer({ name: "example-files", version: "1.0.0" });
  server.registerTool(
    "read_file",
    { description: "Read a text file", inputSchema: PATH_INPUT, annotations: { readOnlyHint: true } },
    async (input) => ({ content: [{ type: "text", text: workspace.read(input.path) }] }),
  );
  server.registerTool(
    "delete_file",
    { description: "Delete a file", inputSchema: PATH_INPUT, annotations: { destructiveHint: true } },
    async (input) => ({ content: [{ type: "text", text: workspace.delete(input.path) }] }),
  );
  return server;
}
