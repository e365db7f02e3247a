/**
 * One proxy session from start to finish: load the gate, connect the upstream server, serve the
 * agent (stdio, or Streamable HTTP on a loopback address), and on the way out write every queued
 * trace and the session's runpack. The CLI (`gait mcp proxy`) is a shell over startProxy.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { sha256Hex } from "../contract/canonical.ts";
import type { KeyMode, SigningKeyRequest } from "../contract/keys.ts";
import type { SigningKey } from "../contract/signing.ts";
import type { Clock } from "../contract/time.ts";
import type { Exporters } from "../export/index.ts";
import type { ApproverKey, GateProfile, LoadedPolicy } from "../gate/index.ts";
import {
  createGate,
  type FinishedRun,
  type Gate,
  type RunRecorder,
  startRun,
  type TraceDurability,
  TraceWorker,
  type VerifyKey,
} from "../sdk/index.ts";
import { TraceBacklog } from "../sdk/trace-backlog.ts";
import { type CallDecision, CallEnforcer } from "./enforcer.ts";
import { alwaysBlockedTools } from "./filter.ts";
import { type HttpListener, serveHttp } from "./http.ts";
import { PinStore } from "./pins.ts";
import {
  connectUpstream,
  createProxyServer,
  forwardNotifications,
  type Upstream,
  type UpstreamTarget,
} from "./proxy.ts";
import type { CallDefaults, ServerIdentity } from "./tool-call.ts";
import { trustCheckFor } from "./trust.ts";

export interface ProxyOptions {
  policy: LoadedPolicy;
  upstream: UpstreamTarget;
  /** `stdio` answers on this process's stdin/stdout; `http` serves Streamable HTTP. */
  serve: { kind: "stdio" } | { kind: "http"; host: string; port: number; token?: string };
  signingKey: SigningKey;
  keyMode: KeyMode;
  profile: GateProfile;
  approvalKey?: VerifyKey;
  approvers?: ApproverKey[];
  /** Absolute; undefined writes no trace files. */
  traceDir: string | undefined;
  traceDurability: TraceDurability;
  /** Absolute path of the pin file; undefined turns pinning off. */
  pinsPath: string | undefined;
  /** Hide tools the policy always blocks from tools/list. */
  filterTools: boolean;
  /** Directory for the session's runpack_<run_id>.zip; undefined records none. */
  runpackDir: string | undefined;
  /** Signs the runpack (prod keys); unsigned without. */
  runpackSigning?: SigningKeyRequest;
  runId?: string;
  /** Hand every decision to these exporters (OTLP, JSONL log); stop() shuts them down. */
  exporters?: Exporters;
  defaults: Omit<CallDefaults, "runId">;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  log: (message: string) => void;
}

export interface ProxySummary {
  server_id: string;
  run_id: string;
  verdicts: Record<string, number>;
  traces_written: number;
  trace_write_failures: number;
  runpack?: FinishedRun;
}

export interface RunningProxy {
  runId: string;
  /** The bound address, when serving HTTP. */
  http?: HttpListener;
  /** Resolves when the agent disconnects (stdio) or stop() is called. */
  finished: Promise<ProxySummary>;
  /** Stops serving, then writes traces and the runpack. */
  stop(): Promise<ProxySummary>;
}

/**
 * With async durability no answer waits for its trace, so trace work is batched: decisions are
 * handed to the trace thread at most this often and a group commit may wait this long for more
 * traces (fewer wake-ups and fsyncs per trace); the sidecar's commit figure.
 */
const ASYNC_BATCH_MS = 10;

/**
 * Serves until the agent leaves or stop() is called. Each agent (the one on stdio, or each HTTP
 * session) gets its own upstream connection, made when it initializes (see createProxyServer):
 * the upstream's requests of a client (sampling, elicitation, roots) then reach the agent whose
 * call caused them, which a connection shared by several agents could not tell apart. The
 * enforcer, pins, trust and runpack are the session's, shared by all of them.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  // Traces are signed and written in group commits. With async durability that happens on a
  // worker thread, handed over in 10 ms batches: no call waits for it, and the thread wakes once
  // per batch, not per call. (Not at a lower CPU priority: on a host whose CPUs are busy it then
  // wrote 90 traces/s instead of 1,800, and calls waited on the backlog.) With durable traces each
  // call waits for its trace anyway, so it is signed on the event loop and only the syncs leave
  // it: two thread hops fewer per call (0.05–0.1 ms) and no second V8 heap (docs/mcp.md).
  const async = options.traceDurability === "async";
  const traceWorker = new TraceWorker({
    signingKey: options.signingKey,
    thread: async,
    lingerMs: async ? ASYNC_BATCH_MS : 0,
    handOffDelayMs: async ? ASYNC_BATCH_MS : 0,
  });
  // The thread could fall behind the calls: should it, calls wait (never their evidence).
  const backlog = async ? new TraceBacklog(() => traceWorker.pending) : undefined;
  const gate = await createGate({
    traceWorker,
    policy: options.policy,
    profile: options.profile,
    signingKey: options.signingKey,
    keyMode: options.keyMode,
    ...(options.approvers ? { approvers: options.approvers } : {}),
    ...(options.approvalKey ? { approvalPublicKey: options.approvalKey } : {}),
    traceDir: options.traceDir ?? null,
    traceDurability: options.traceDurability,
    ...(options.exporters ? { exporters: options.exporters } : {}),
    clock: options.clock,
    cwd: options.cwd,
    env: options.env,
    onWarning: options.log,
    onError: (error, info) => options.log(`trace ${info.traceId} was not written: ${error.message}`),
  });
  try {
    return await serve(options, gate, traceWorker, backlog);
  } catch (error) {
    await gate.close();
    await traceWorker.close();
    await options.exporters?.shutdown();
    throw error;
  }
}

async function serve(
  options: ProxyOptions,
  gate: Gate,
  traceWorker: TraceWorker,
  backlog: TraceBacklog | undefined,
): Promise<RunningProxy> {
  const runId = options.runId ? sanitizeRunId(options.runId) : sessionRunId(options.upstream, options.clock);
  const recorder = options.runpackDir ? recorderFor(options, runId) : undefined;
  // Built from the first upstream to answer (its declared name is the server's identity).
  let enforcing: Promise<CallEnforcer> | undefined;
  const enforcerFor = (upstream: Upstream) => {
    enforcing ??= (async () => {
      const server = serverIdentity(options.upstream, upstream);
      const trust = await trustCheckFor(options.policy, options.cwd, server.id);
      return new CallEnforcer({
        gate,
        signingKey: options.signingKey,
        traceDir: options.traceDir,
        server,
        defaults: { ...options.defaults, runId },
        ...(options.pinsPath ? { pins: new PinStore(options.pinsPath, options.clock) } : {}),
        ...(trust ? { trust } : {}),
        ...(recorder ? { recorder } : {}),
        ...(backlog ? { traceBackpressure: () => backlog.admit() } : {}),
        clock: options.clock,
      });
    })();
    return enforcing;
  };
  const filterTools = options.filterTools
    ? <T extends { name: string }>(tools: T[]): T[] => {
        const hidden = alwaysBlockedTools(
          options.policy.policy,
          tools.map((t) => t.name),
        );
        return tools.filter((tool) => !hidden.has(tool.name));
      }
    : undefined;

  let finish!: () => void;
  const done = new Promise<void>((resolveDone) => {
    finish = resolveDone;
  });
  let closing: Promise<ProxySummary> | undefined;
  const upstreams = new Set<Upstream>();
  /** Set when the stdio agent's upstream could not be reached: the session ends with it. */
  let unreachable: Error | undefined;
  const stdio = options.serve.kind === "stdio";

  const makeServer = () => {
    let mine: Upstream | undefined;
    const server = createProxyServer({
      connect: async (capabilities) => {
        let upstream: Upstream;
        try {
          upstream = await connectUpstream(options.upstream, capabilities);
        } catch (error) {
          if (stdio) {
            unreachable = error as Error;
            // Once the SDK has answered the agent's initialize with the error.
            setImmediate(finish);
          }
          throw error;
        }
        if (closing) {
          await upstream.close().catch(() => {});
          throw new Error("the proxy is shutting down");
        }
        mine = upstream;
        upstreams.add(upstream);
        upstream.client.onclose = () => {
          upstreams.delete(upstream);
          if (closing) return;
          options.log("the upstream MCP server closed the connection");
          // The agent's session cannot go on without it.
          if (stdio) finish();
          else void server.close().catch(() => {});
        };
        const session = { upstream, enforcer: await enforcerFor(upstream) };
        forwardNotifications(session, server, (error) => options.log(`notification: ${error.message}`));
        return session;
      },
      ...(filterTools ? { filterTools } : {}),
      onDecision: (tool, decision) => logDecision(options.log, tool, decision),
      onServerRequest: (method, error) => {
        options.log(`the server asked the agent: ${method}${error ? ` (failed: ${error.message})` : ""}`);
        if (recorder && !closing) recorder.addEvent(`mcp.server_request:${method}${error ? ":error" : ""}`);
      },
    });
    // An HTTP session that ends takes its upstream connection with it.
    if (!stdio) server.onclose = () => void mine?.close().catch(() => {});
    return server;
  };

  const live = new Set<Server>();
  let http: HttpListener | undefined;
  if (options.serve.kind === "stdio") {
    const proxyServer = makeServer();
    live.add(proxyServer);
    proxyServer.onclose = () => finish();
    await proxyServer.connect(new StdioServerTransport());
    // The SDK's stdio transport does not notice the agent closing stdin: that ends the session.
    process.stdin.once("end", () => finish());
  } else {
    http = await serveHttp({ ...options.serve, makeServer, live, log: options.log });
  }

  const close = (): Promise<ProxySummary> => {
    closing ??= (async () => {
      await http?.close();
      await Promise.all([...live].map((s) => s.close().catch(() => {})));
      await Promise.all([...upstreams].map((u) => u.close().catch(() => {})));
      const enforcer = await enforcing?.catch(() => undefined);
      const stats = await gate.close();
      await traceWorker.close();
      await options.exporters?.shutdown();
      if (unreachable) throw unreachable;
      const summary: ProxySummary = {
        server_id: enforcer?.server.id ?? reachedAs(options.upstream),
        run_id: runId,
        verdicts: enforcer?.verdictCounts() ?? { allow: 0, block: 0, require_approval: 0, dry_run: 0 },
        traces_written: stats.written,
        trace_write_failures: stats.failed,
      };
      if (recorder) summary.runpack = await recorder.finish();
      return summary;
    })();
    return closing;
  };
  const finished = done.then(close);
  return {
    runId,
    ...(http ? { http } : {}),
    finished,
    stop: () => {
      finish();
      return finished;
    },
  };
}

function recorderFor(options: ProxyOptions, runId: string): RunRecorder {
  return startRun({
    runId,
    outDir: options.runpackDir!,
    cwd: options.cwd,
    env: options.env,
    clock: options.clock,
    ...(options.runpackSigning ? { signing: options.runpackSigning } : {}),
  });
}

/** The server as policies and pins know it: its declared name, else how it is reached. */
export function serverIdentity(
  target: UpstreamTarget,
  upstream: Pick<Upstream, "serverName" | "serverVersion">,
): ServerIdentity {
  const identity: ServerIdentity = {
    id: upstream.serverName || reachedAs(target),
    transport: target.kind === "stdio" ? "stdio" : "streamable_http",
  };
  if (upstream.serverName) identity.name = upstream.serverName;
  if (upstream.serverVersion) identity.version = upstream.serverVersion;
  return identity;
}

/** The reference's rule for a given run id: runs of other characters become `_`, trimmed, `run_` prefixed. */
export function sanitizeRunId(given: string): string {
  const cleaned = given.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
  return cleaned.startsWith("run_") ? cleaned : `run_${cleaned || "mcp"}`;
}

/** How the server is reached: its command line, or its URL. */
export function reachedAs(target: UpstreamTarget): string {
  return target.kind === "stdio" ? [target.command, ...target.args].join(" ") : target.url.href;
}

/** `run_mcp_` and 12 hex of how the server is reached and the session's start. */
function sessionRunId(target: UpstreamTarget, clock: Clock): string {
  return `run_mcp_${sha256Hex(`${reachedAs(target)}\u0000${clock().utc().toString()}`).slice(0, 12)}`;
}

/** Refusals are logged (stderr); allowed calls are not (their traces say it, and a line costs a write per call). */
function logDecision(log: (message: string) => void, tool: string, decision: CallDecision): void {
  if (decision.allowed) return;
  const reasons = decision.json.reason_codes.join(",");
  log(
    `${tool}: verdict=${decision.verdict}${reasons ? ` reasons=${reasons}` : ""} trace_id=${decision.json.trace_id}`,
  );
}
