/**
 * `gait/mcp`: the in-process MCP adapter. gateMcpClient() returns the SDK Client with `callTool`
 * decided by the gate, as `gait mcp proxy` decides it (the same intent mapping, mcp/tool-call.ts:
 * the tool's annotations, targets inferred from its arguments, the server's identity): an allowed
 * call goes to the server and is recorded; a refused one never leaves the process and answers with
 * the proxy's tool error result (a sentence, then the decision JSON; `isError: true`).
 *
 *   const client = gateMcpClient(connectedClient, gate, { recorder });
 *   await client.callTool({ name: "read_graph", arguments: {} });
 *
 * Only types come from the MCP SDK: importing this adapter loads nothing of it.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { refusalResult } from "../../mcp/refusal.ts";
import { intentForCall, type ServerIdentity, type ToolAnnotationHints } from "../../mcp/tool-call.ts";
import { decisionToJson, type Gate } from "../index.ts";
import { type AdapterOptions, type AdapterToolCall, argsOf, runGated } from "./core.ts";

export type { AdapterOptions, AdapterToolCall } from "./core.ts";

export type McpAdapterOptions = Omit<AdapterOptions, "gate">;

/** The client, with every tools/call it makes decided by `gate` first. */
export function gateMcpClient<C extends Client>(client: C, gate: Gate, options: McpAdapterOptions = {}): C {
  const annotations = new AnnotationCache(client);
  const adapter: AdapterOptions = {
    ...options,
    gate,
    describeIntent: options.describeIntent ?? (async (call) => intentForMcpCall(client, call, options)),
  };
  const callTool: Client["callTool"] = async (params, ...rest) => {
    const call: AdapterToolCall = { toolName: params.name, input: params.arguments ?? {} };
    const hints = await annotations.of(params.name);
    if (hints) call.annotations = hints;
    const outcome = await runGated(call, () => client.callTool(params, ...rest), adapter);
    if (outcome.allowed) return outcome.result;
    const refusal = refusalResult(params.name, decisionToJson(outcome.refusal.decision));
    return refusal as Awaited<ReturnType<Client["callTool"]>>;
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "callTool") return callTool;
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The proxy's intent for the call, with this client's server as the tool's server. */
function intentForMcpCall(client: Client, call: AdapterToolCall, options: McpAdapterOptions) {
  const context = options.context ?? {};
  return intentForCall(
    {
      name: call.toolName,
      args: argsOf(call.input),
      ...(call.annotations ? { annotations: call.annotations } : {}),
      context,
      server: serverIdentity(client),
    },
    { identity: context.identity ?? "agent", workspace: context.workspace ?? process.cwd() },
  );
}

/**
 * The server as the handshake named it. The transport is told by the client transport's class
 * name, so that this adapter does not load the SDK's transports to compare against.
 */
function serverIdentity(client: Client): ServerIdentity {
  const version = client.getServerVersion();
  const transportName = client.transport?.constructor.name;
  const transport =
    transportName === "StdioClientTransport"
      ? "stdio"
      : transportName === "StreamableHTTPClientTransport"
        ? "streamable_http"
        : "none";
  return {
    id: version?.name || "mcp-server",
    ...(version?.name ? { name: version.name } : {}),
    ...(version?.version ? { version: version.version } : {}),
    transport,
  };
}

/**
 * The annotations the server declares for its tools (read-only, destructive, ...), listed once on
 * the first call and again when a tool is not in the list (the server's tools changed). A listing
 * that fails leaves the call without annotations: the gate still decides it.
 */
class AnnotationCache {
  private known: Map<string, ToolAnnotationHints | undefined> | undefined;

  constructor(private readonly client: Client) {}

  async of(tool: string): Promise<ToolAnnotationHints | undefined> {
    if (!this.known?.has(tool)) this.known = await this.list();
    return this.known.get(tool);
  }

  private async list(): Promise<Map<string, ToolAnnotationHints | undefined>> {
    const known = new Map<string, ToolAnnotationHints | undefined>();
    try {
      let cursor: string | undefined;
      do {
        const page = await this.client.listTools(cursor ? { cursor } : undefined);
        for (const tool of page.tools) known.set(tool.name, tool.annotations);
        cursor = page.nextCursor;
      } while (cursor);
    } catch {
      // no listing: calls go without annotations
    }
    return known;
  }
}
