/**
 * Requests the upstream server makes of the client (sampling, elicitation, roots), relayed by
 * `gait mcp proxy` (built CLI): the SDK Client, with handlers for them, calls tools of a fixture
 * server that asks for each while the tool runs. The upstream sees the agent's capabilities and
 * nothing more; the relayed requests are logged and land on the session runpack's timeline.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { readRunpack } from "../../src/runpack/read.ts";
import { gaitBin, repoRoot, tempDir } from "../helpers/cli.ts";

const askingServer = join(repoRoot, "test/mcp/fixtures/asking-server.mjs");

type ToolText = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const textOf = (result: unknown) => ((result as ToolText).content ?? []).map((c) => c.text ?? "").join("\n");

/** Closed after each test, so a failed assertion does not leave a proxy running. */
const opened: Client[] = [];

function proxied(dir: string, capabilities: ClientCapabilities, extraArgs: string[] = []) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      gaitBin,
      "mcp",
      "proxy",
      "--policy",
      "policy.yaml",
      ...extraArgs,
      "--",
      process.execPath,
      askingServer,
    ],
    cwd: dir,
    env: { ...(process.env as Record<string, string>), NO_COLOR: "1" },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const client = new Client({ name: "asking-e2e", version: "1.0.0" }, { capabilities });
  opened.push(client);
  return { client, transport, stderr: () => stderr };
}

describe("gait mcp proxy relays the server's requests of the client (built CLI)", () => {
  let dir: string;
  let cleanup: () => void;
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((client) => client.close().catch(() => {})));
  });
  before(() => {
    ({ dir, cleanup } = tempDir("gait-e2e-mcp-asking-"));
    writeFileSync(join(dir, "policy.yaml"), "default_verdict: allow\nrules: []\n");
  });
  after(() => cleanup());

  it("sampling, elicitation and roots reach the agent's handlers and their answers the server", async () => {
    const { client, transport, stderr } = proxied(
      dir,
      { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
      ["--runpack-out", "out", "--run-id", "run_asking"],
    );
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      asked.push(`sampling:${content && "text" in content ? content.text : ""}`);
      return { role: "assistant", model: "test-model", content: { type: "text", text: "forty-two" } };
    });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(`elicitation:${request.params.message}`);
      return { action: "accept", content: { colour: "teal" } };
    });
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      asked.push("roots");
      return { roots: [{ uri: "file:///work/project", name: "project" }] };
    });
    await client.connect(transport);

    // The upstream's client declared what the agent's did.
    const declared = JSON.parse(textOf(await client.callTool({ name: "capabilities", arguments: {} })));
    assert.deepEqual(Object.keys(declared).sort(), ["elicitation", "roots", "sampling"]);
    assert.deepEqual(declared.roots, { listChanged: true });

    const sampled = await client.callTool({ name: "ask_model", arguments: { question: "the answer?" } });
    assert.notEqual(sampled.isError, true, textOf(sampled));
    assert.equal(textOf(sampled), "model said: forty-two");

    const elicited = await client.callTool({ name: "ask_user", arguments: {} });
    assert.notEqual(elicited.isError, true, textOf(elicited));
    assert.deepEqual(JSON.parse(textOf(elicited)), { action: "accept", content: { colour: "teal" } });

    const roots = await client.callTool({ name: "list_roots", arguments: {} });
    assert.equal(textOf(roots), "file:///work/project");

    await client.sendRootsListChanged();
    let changed = "0";
    for (let i = 0; i < 50 && changed === "0"; i++) {
      changed = textOf(await client.callTool({ name: "roots_changed", arguments: {} }));
    }
    assert.equal(changed, "1");

    assert.deepEqual(asked, ["sampling:the answer?", "elicitation:Favourite colour?", "roots"]);
    await client.close();
    for (const method of ["sampling/createMessage", "elicitation/create", "roots/list"]) {
      assert.match(stderr(), new RegExp(`the server asked the agent: ${method}\\n`));
    }

    const { runpack } = await readRunpack(join(dir, "out", "runpack_run_asking.zip"));
    assert.deepEqual(
      runpack.run.timeline.map((e) => e.event).filter((e) => e.startsWith("mcp.server_request:")),
      [
        "mcp.server_request:sampling/createMessage",
        "mcp.server_request:elicitation/create",
        "mcp.server_request:roots/list",
      ],
    );
  });

  it("an agent without those capabilities is not offered to the server: its requests fail", async () => {
    const { client, transport } = proxied(dir, {});
    await client.connect(transport);
    const declared = JSON.parse(textOf(await client.callTool({ name: "capabilities", arguments: {} })));
    assert.deepEqual(declared, {});
    const sampled = await client.callTool({ name: "ask_model", arguments: { question: "?" } });
    assert.equal(sampled.isError, true);
    await client.close();
  });
});
