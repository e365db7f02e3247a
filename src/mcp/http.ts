/**
 * Serving the proxy over Streamable HTTP (the SDK's StreamableHTTPServerTransport, one per MCP
 * session, each with its own proxy Server) on node:http. The address rules are the sidecar's: a
 * loopback address by default; anything else needs an explicit token (checkBindAllowed). With a
 * token every request must carry `Authorization: Bearer <token>` (constant-time check). On a
 * loopback address the Host header must name a loopback host too, so a web page cannot reach
 * the proxy through DNS rebinding.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { bearerChecker, checkBindAllowed, isLoopbackHost } from "../sidecar/index.ts";

export const MCP_HTTP_PATH = "/mcp";
/** Largest JSON-RPC body accepted (the SDK's own default). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpServeOptions {
  host: string;
  port: number;
  token?: string;
  makeServer: () => Server;
  /** The live proxy Servers (one per session), for notifications. */
  live: Set<Server>;
  log: (message: string) => void;
}

export interface HttpListener {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function serveHttp(options: HttpServeOptions): Promise<HttpListener> {
  const loopback = isLoopbackHost(options.host);
  checkBindAllowed(
    { kind: "tcp", host: options.host, port: options.port },
    !loopback,
    options.token !== undefined,
  );
  const authorized = options.token ? bearerChecker(options.token) : () => true;
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://placeholder").pathname;
    if (path !== MCP_HTTP_PATH) return reply(res, 404, "not found: the MCP endpoint is /mcp");
    if (loopback && !isLoopbackHost(hostName(req.headers.host))) return reply(res, 403, "host not allowed");
    if (!authorized(req.headers.authorization)) return reply(res, 401, "missing or wrong bearer token");
    const sessionId = req.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res);
    if (sessionId !== undefined) return reply(res, 404, "unknown MCP session");
    if (req.method !== "POST") return reply(res, 400, "start a session with an initialize POST");
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      maxRequestBodySize: MAX_BODY_BYTES,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    const server = options.makeServer();
    options.live.add(server);
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      options.live.delete(server);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      options.log(`http: ${error.message}`);
      if (!res.headersSent) reply(res, 500, "internal error");
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    http.once("error", reject);
    http.listen({ host: options.host, port: options.port }, () => resolveListen());
  });
  const bound = http.address() as AddressInfo;
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}${MCP_HTTP_PATH}`,
    host: bound.address,
    port: bound.port,
    close: async () => {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => {})));
      http.closeAllConnections();
      await new Promise<void>((resolveClose) => http.close(() => resolveClose()));
    },
  };
}

/** The host of a Host header, without the port (IPv6 in brackets). */
function hostName(header: string | undefined): string {
  if (!header) return "";
  const bracketed = /^\[([^\]]+)\]/.exec(header);
  return bracketed ? bracketed[1]! : header.split(":")[0]!;
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}
