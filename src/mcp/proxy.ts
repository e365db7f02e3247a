/**
 * The MCP proxy on the official SDK: a Client connected to the real server (launched as a stdio
 * child, or reached over Streamable HTTP) and, towards the agent, a Server that mirrors the
 * upstream's capabilities and forwards every request and notification — except `tools/call`,
 * which the CallEnforcer decides first (forwarded only on allow; otherwise an MCP tool error
 * result carrying the verdict), and `tools/list`, whose definitions are pinned on the way
 * through (and optionally filtered: tools the policy always blocks are hidden).
 *
 * The upstream is connected when the agent initializes, its client declaring the agent's
 * sampling, elicitation and roots capabilities; the upstream's requests for those are relayed to
 * the agent and the answers back.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { AnySchema } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  type ClientCapabilities,
  CompleteRequestSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  GetPromptRequestSchema,
  InitializeRequestSchema,
  type InitializeResult,
  LATEST_PROTOCOL_VERSION,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ReadResourceRequestSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  RootsListChangedNotificationSchema,
  type ServerCapabilities,
  type ServerRequest,
  SetLevelRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
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
import { riskClassOf, type ToolCall } from "./tool-call.ts";

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
export async function connectUpstream(
  target: UpstreamTarget,
  capabilities: ClientCapabilities = {},
): Promise<Upstream> {
  const client = new Client({ name: "gait-mcp-proxy", version: PRODUCER_VERSION }, { capabilities });
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

/** An agent's upstream, connected once the agent has initialized, and the enforcer for its calls. */
export interface UpstreamSession {
  upstream: Upstream;
  enforcer: CallEnforcer;
}

export interface ProxyServerOptions {
  /**
   * Connects the upstream for this agent, its client declaring `capabilities` (those of the
   * agent's that the proxy relays: sampling, elicitation, roots).
   */
  connect: (capabilities: ClientCapabilities) => Promise<UpstreamSession>;
  /** Hide tools the policy blocks whatever their arguments (see hiddenTools). */
  filterTools?: <T extends { name: string }>(tools: T[]) => T[];
  /** Sees every decision (e.g. to log it). */
  onDecision?: (tool: string, decision: CallDecision) => void;
  /** Sees every request the upstream made of the agent once answered (`error` when it failed). */
  onServerRequest?: (method: string, error?: Error) => void;
}

/**
 * What the proxy Server is built able to serve; once the upstream is known it answers only for
 * what the upstream declared (the SDK checks a handler against the capabilities given at
 * construction, and they cannot change once a transport is connected).
 */
const SERVABLE: ServerCapabilities = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  completions: {},
  logging: {},
};

/**
 * A Server speaking for the upstream to one agent (connect it to a transport). The upstream is
 * connected when the agent initializes, not before: only then is it known what the agent can do
 * for a server (sampling, elicitation, roots), and the upstream's client must declare just that.
 * MCP has no re-negotiation, so the initialize answer waits for the upstream's own handshake and
 * mirrors its capabilities, name, version and instructions.
 */
export function createProxyServer(options: ProxyServerOptions): Server {
  const server = new Server(
    { name: "gait-mcp-proxy", version: PRODUCER_VERSION },
    { capabilities: structuredClone(SERVABLE) },
  );
  server.setRequestHandler(InitializeRequestSchema, async (request) => {
    const agent = request.params.capabilities;
    const { upstream, enforcer } = await options.connect(relayedClientCapabilities(agent));
    forwardAgentRequests(server, upstream, enforcer, options);
    relayServerRequests(upstream.client, server, agent, options.onServerRequest);
    return initializeAnswer(request.params.protocolVersion, upstream);
  });
  return server;
}

/** The capabilities of the agent's client the proxy declares upstream (it relays these requests). */
export function relayedClientCapabilities(agent: ClientCapabilities): ClientCapabilities {
  const relayed: ClientCapabilities = {};
  if (agent.sampling) relayed.sampling = agent.sampling;
  if (agent.elicitation) relayed.elicitation = agent.elicitation;
  if (agent.roots) relayed.roots = agent.roots;
  return relayed;
}

/** The upstream's capabilities as the proxy declares them (list changes are always announced). */
function mirroredCapabilities(caps: ServerCapabilities): ServerCapabilities {
  const mirrored: ServerCapabilities = {};
  if (caps.tools) mirrored.tools = { listChanged: true };
  if (caps.resources) mirrored.resources = { ...caps.resources, listChanged: true };
  if (caps.prompts) mirrored.prompts = { listChanged: true };
  if (caps.completions) mirrored.completions = {};
  if (caps.logging) mirrored.logging = {};
  return mirrored;
}

function initializeAnswer(requestedVersion: string, upstream: Upstream): InitializeResult {
  return {
    protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requestedVersion)
      ? requestedVersion
      : LATEST_PROTOCOL_VERSION,
    capabilities: mirroredCapabilities(upstream.capabilities),
    serverInfo: {
      name: upstream.serverName || "gait-mcp-proxy",
      version: upstream.serverVersion || PRODUCER_VERSION,
    },
    ...(upstream.instructions ? { instructions: upstream.instructions } : {}),
  };
}

/**
 * Forwards the agent's requests for what the upstream declared: `tools/call` decided by the
 * enforcer first, `tools/list` pinned (and filtered) on the way through, the rest as they are.
 */
function forwardAgentRequests(
  server: Server,
  upstream: Upstream,
  enforcer: CallEnforcer,
  options: ProxyServerOptions,
): void {
  const caps = upstream.capabilities;
  const client = upstream.client;
  const pass = { timeout: TOOL_CALL_TIMEOUT_MS };
  // The SDK answers logging/setLevel itself when logging is declared; only the upstream may.
  if (!caps.logging) server.removeRequestHandler("logging/setLevel");

  if (caps.tools) {
    server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
      const listed = await client.listTools(request.params, { signal: extra.signal });
      await catalogue(listed.tools, upstream, enforcer);
      return options.filterTools ? { ...listed, tools: options.filterTools(listed.tools) } : listed;
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const { name } = request.params;
      // Awaited only when pending: each await is a turn of the microtask queue on every call.
      if (upstream.refreshing) await upstream.refreshing;
      // A failed listing or pin update leaves the enforcer refusing calls (fail closed): decide anyway.
      const definition = enforcer.knows(name)
        ? upstream.tools.get(name)
        : await definitionOf(name, upstream, enforcer).catch(() => upstream.tools.get(name));
      const call: ToolCall = {
        name,
        args: isJsonObject(request.params.arguments) ? request.params.arguments : {},
        ...(definition ? describedBy(definition) : {}),
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
}

/**
 * Relays the upstream's requests to the agent — sampling, elicitation, roots, for what the agent
 * declared (the upstream's client declares the same) — and the agent's roots/list_changed back.
 * They are not tool calls: nothing is decided, but each is reported. The agent may take long (a
 * person answers an elicitation), so these get the tool calls' timeout.
 */
function relayServerRequests(
  client: Client,
  server: Server,
  agent: ClientCapabilities,
  onServerRequest: ProxyServerOptions["onServerRequest"],
): void {
  const relay = async <T extends AnySchema>(request: ServerRequest, schema: T, signal: AbortSignal) => {
    try {
      const answer = await server.request(request, schema, { timeout: TOOL_CALL_TIMEOUT_MS, signal });
      onServerRequest?.(request.method);
      return answer;
    } catch (error) {
      onServerRequest?.(request.method, error as Error);
      throw error;
    }
  };
  if (agent.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (r, x) =>
      relay(r, r.params.tools ? CreateMessageResultWithToolsSchema : CreateMessageResultSchema, x.signal),
    );
  }
  if (agent.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (r, x) => relay(r, ElicitResultSchema, x.signal));
  }
  if (agent.roots) {
    client.setRequestHandler(ListRootsRequestSchema, (r, x) => relay(r, ListRootsResultSchema, x.signal));
    if (agent.roots.listChanged) {
      server.setNotificationHandler(RootsListChangedNotificationSchema, () => client.sendRootsListChanged());
    }
  }
}

/** What a call learns from its tool's definition, worked out once per definition (not per call). */
const descriptions = new WeakMap<Tool, Pick<ToolCall, "annotations" | "parameters" | "assessedRisk">>();

function describedBy(definition: Tool): Pick<ToolCall, "annotations" | "parameters" | "assessedRisk"> {
  let described = descriptions.get(definition);
  if (!described) {
    const parameters = Object.keys(definition.inputSchema.properties ?? {});
    const annotations = definition.annotations;
    described = {
      parameters,
      ...(annotations ? { annotations } : {}),
      assessedRisk: riskClassOf({
        name: definition.name,
        args: {},
        parameters,
        ...(annotations ? { annotations } : {}),
      }),
    };
    descriptions.set(definition, described);
  }
  return described;
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
 * Forwards the upstream's notifications to the agent's proxy Server: list changes (after
 * re-reading and pinning the tools, so a changed definition is caught even if the agent never
 * lists again), resource updates and log messages.
 */
export function forwardNotifications(
  { upstream, enforcer }: UpstreamSession,
  server: Server,
  onError: (error: Error) => void,
): void {
  const client = upstream.client;
  const send = (sending: Promise<void>) => void sending.catch(onError);
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
    const refresh = refreshTools(upstream, enforcer).catch(onError);
    upstream.refreshing = refresh;
    await refresh;
    if (upstream.refreshing === refresh) upstream.refreshing = undefined;
    send(server.sendToolListChanged());
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
    send(server.sendResourceListChanged()),
  );
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
    send(server.sendResourceUpdated(n.params)),
  );
  client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
    send(server.sendPromptListChanged()),
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) =>
    send(server.sendLoggingMessage(n.params)),
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
