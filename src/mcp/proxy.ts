/**
 * The MCP proxy on the official SDK: a Client connected to the real server (launched as a stdio
 * child, or reached over Streamable HTTP) and, towards the agent, a Server that mirrors the
 * upstream's capabilities and forwards every request and notification — except `tools/call`,
 * which the CallEnforcer decides first (forwarded only on allow; otherwise an MCP tool error
 * result carrying the verdict), and `tools/list`, whose definitions are pinned on the way
 * through (and optionally filtered: tools the policy always blocks are hidden).
 *
 * Server-initiated requests (sampling, elicitation, roots) are not proxied: the upstream sees a
 * client without those capabilities.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ReadResourceRequestSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  type Tool,
  ToolListChangedNotificationSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { isJsonObject } from "../contract/canonical.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { CallDecision, CallEnforcer } from "./enforcer.ts";
import { refusalResult } from "./enforcer.ts";
import { gaitError, invalidInput } from "./error-codes.ts";
import type { ToolCall } from "./tool-call.ts";

/** How to reach the real server. */
export type UpstreamTarget =
  | { kind: "stdio"; command: string; args: string[]; env: Record<string, string>; cwd: string }
  | { kind: "http"; url: URL; headers?: Record<string, string> };

/** Tool calls may run long; the SDK's default of 60 s is for protocol chatter. */
const TOOL_CALL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** The connected upstream: its client, what it declared, and how to close it. */
export interface Upstream {
  client: Client;
  capabilities: ServerCapabilities;
  serverName: string;
  serverVersion: string;
  instructions: string | undefined;
  /** The latest definition of each tool the upstream listed. */
  tools: Map<string, Tool>;
  /** A re-listing after tools/list_changed; calls wait for it, so none slips past a changed definition. */
  refreshing: Promise<unknown> | undefined;
  close(): Promise<void>;
}

/** Starts (or reaches) the real server and completes the MCP handshake with it. */
export async function connectUpstream(target: UpstreamTarget): Promise<Upstream> {
  const client = new Client({ name: "gait-mcp-proxy", version: PRODUCER_VERSION }, { capabilities: {} });
  const transport: Transport =
    target.kind === "stdio"
      ? new StdioClientTransport({
          command: target.command,
          args: target.args,
          env: target.env,
          cwd: target.cwd,
          stderr: "inherit",
        })
      : new StreamableHTTPClientTransport(
          target.url,
          target.headers ? { requestInit: { headers: target.headers } } : undefined,
        );
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => {});
    const where = target.kind === "stdio" ? [target.command, ...target.args].join(" ") : target.url.href;
    throw gaitError(
      "dependency_missing",
      "mcp_upstream_unavailable",
      `cannot reach the MCP server ${where}: ${(error as Error).message}`,
      {
        hint:
          target.kind === "stdio"
            ? "check the command after -- runs on its own and speaks MCP on stdio"
            : "check the URL serves MCP over Streamable HTTP",
      },
    );
  }
  return upstreamOf(client);
}

/** A connected Client as the proxy's upstream (any transport, e.g. in-memory in tests and benchmarks). */
export function upstreamOf(client: Client): Upstream {
  const version = client.getServerVersion();
  return {
    client,
    capabilities: client.getServerCapabilities() ?? {},
    serverName: version?.name ?? "",
    serverVersion: version?.version ?? "",
    instructions: client.getInstructions(),
    tools: new Map(),
    refreshing: undefined,
    close: () => client.close(),
  };
}

export interface ProxyServerOptions {
  upstream: Upstream;
  enforcer: CallEnforcer;
  /** Hide tools the policy blocks whatever their arguments (see hiddenTools). */
  filterTools?: <T extends { name: string }>(tools: T[]) => T[];
  /** Sees every decision (e.g. to log it). */
  onDecision?: (tool: string, decision: CallDecision) => void;
}

/**
 * A Server speaking for the upstream to one downstream client (connect it to a transport).
 * Forwarding handlers are registered only for what the upstream declared.
 */
export function createProxyServer(options: ProxyServerOptions): Server {
  const { upstream, enforcer } = options;
  const caps = upstream.capabilities;
  const capabilities: ServerCapabilities = {};
  if (caps.tools) capabilities.tools = { listChanged: true };
  if (caps.resources) capabilities.resources = { ...caps.resources, listChanged: true };
  if (caps.prompts) capabilities.prompts = { listChanged: true };
  if (caps.completions) capabilities.completions = {};
  if (caps.logging) capabilities.logging = {};
  const server = new Server(
    { name: upstream.serverName || "gait-mcp-proxy", version: upstream.serverVersion || PRODUCER_VERSION },
    { capabilities, ...(upstream.instructions ? { instructions: upstream.instructions } : {}) },
  );
  const client = upstream.client;
  const pass = { timeout: TOOL_CALL_TIMEOUT_MS };

  if (caps.tools) {
    server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
      const listed = await client.listTools(request.params, { signal: extra.signal });
      await catalogue(listed.tools, upstream, enforcer);
      return options.filterTools ? { ...listed, tools: options.filterTools(listed.tools) } : listed;
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const { name } = request.params;
      await upstream.refreshing;
      // A failed listing or pin update leaves the enforcer refusing calls (fail closed): decide anyway.
      const definition = await definitionOf(name, upstream, enforcer).catch(() => upstream.tools.get(name));
      const call: ToolCall = {
        name,
        args: isJsonObject(request.params.arguments) ? request.params.arguments : {},
        ...(definition?.annotations ? { annotations: definition.annotations } : {}),
        ...(definition ? { parameters: Object.keys(definition.inputSchema.properties ?? {}) } : {}),
      };
      const decision = await enforcer.decide(call);
      options.onDecision?.(name, decision);
      if (!decision.allowed) return refusalResult(name, decision.json);
      const progressToken = request.params._meta?.progressToken;
      try {
        const result = await client.request(
          { method: "tools/call", params: request.params },
          CallToolResultSchema,
          {
            ...pass,
            signal: extra.signal,
            ...(progressToken !== undefined
              ? {
                  resetTimeoutOnProgress: true,
                  onprogress: (progress) =>
                    void extra.sendNotification({
                      method: "notifications/progress",
                      params: { ...progress, progressToken },
                    }),
                }
              : {}),
          },
        );
        enforcer.recordResult(decision, result);
        return result;
      } catch (error) {
        enforcer.recordResult(decision, { isError: true, error: (error as Error).message });
        throw error;
      }
    });
  }
  if (caps.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, (r, x) =>
      client.listResources(r.params, { signal: x.signal }),
    );
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (r, x) =>
      client.listResourceTemplates(r.params, { signal: x.signal }),
    );
    server.setRequestHandler(ReadResourceRequestSchema, (r, x) =>
      client.readResource(r.params, { ...pass, signal: x.signal }),
    );
    if (caps.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, (r, x) =>
        client.subscribeResource(r.params, { signal: x.signal }),
      );
      server.setRequestHandler(UnsubscribeRequestSchema, (r, x) =>
        client.unsubscribeResource(r.params, { signal: x.signal }),
      );
    }
  }
  if (caps.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, (r, x) =>
      client.listPrompts(r.params, { signal: x.signal }),
    );
    server.setRequestHandler(GetPromptRequestSchema, (r, x) =>
      client.getPrompt(r.params, { signal: x.signal }),
    );
  }
  if (caps.completions) {
    server.setRequestHandler(CompleteRequestSchema, (r, x) =>
      client.complete(r.params, { signal: x.signal }),
    );
  }
  if (caps.logging) {
    server.setRequestHandler(SetLevelRequestSchema, (r, x) =>
      client.setLoggingLevel(r.params.level, { signal: x.signal }),
    );
  }
  return server;
}

/** The upstream's definition of a tool; listed (and pinned) first when the proxy has not seen it yet. */
async function definitionOf(
  name: string,
  upstream: Upstream,
  enforcer: CallEnforcer,
): Promise<Tool | undefined> {
  if (!enforcer.knows(name)) await refreshTools(upstream, enforcer);
  return upstream.tools.get(name);
}

/** Lists every tool (all pages) from the upstream and pins the definitions. */
export async function refreshTools(upstream: Upstream, enforcer: CallEnforcer): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await upstream.client.listTools(cursor ? { cursor } : undefined);
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  await catalogue(tools, upstream, enforcer);
  return tools;
}

/** Keeps the listed definitions and pins them. */
async function catalogue(tools: readonly Tool[], upstream: Upstream, enforcer: CallEnforcer): Promise<void> {
  for (const tool of tools) upstream.tools.set(tool.name, tool);
  await enforcer.observeTools(tools);
}

/**
 * Forwards the upstream's notifications to every live downstream server: list changes (after
 * re-reading and pinning the tools, so a changed definition is caught even if the agent never
 * lists again), resource updates and log messages.
 */
export function forwardNotifications(
  upstream: Upstream,
  enforcer: CallEnforcer,
  servers: () => Iterable<Server>,
  onError: (error: Error) => void,
): void {
  const client = upstream.client;
  const each = (send: (server: Server) => Promise<void>) => {
    for (const server of servers()) send(server).catch(onError);
  };
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
    const refresh = refreshTools(upstream, enforcer).catch(onError);
    upstream.refreshing = refresh;
    await refresh;
    if (upstream.refreshing === refresh) upstream.refreshing = undefined;
    each((server) => server.sendToolListChanged());
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
    each((server) => server.sendResourceListChanged()),
  );
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
    each((server) => server.sendResourceUpdated(n.params)),
  );
  client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
    each((server) => server.sendPromptListChanged()),
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) =>
    each((server) => server.sendLoggingMessage(n.params)),
  );
}

export function checkUpstreamUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput("usage", `--upstream ${JSON.stringify(text)} is not a URL`, {
      hint: "e.g. --upstream https://mcp.example.com/mcp",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw invalidInput("usage", `--upstream must be an http(s) URL, not ${url.protocol}`, {
      hint: "Streamable HTTP servers are reached over https:// (or http:// on loopback)",
    });
  }
  return url;
}
