/**
 * `gait mcp proxy|bridge|wrap-config|pins|verify`: the CLI shell over src/mcp. The MCP module (and
 * with it the MCP SDK) is imported only when one of these commands runs, so no other command pays
 * for it at start-up.
 *
 * In stdio mode stdout is the MCP channel: progress goes to stderr, and so does the final summary.
 */
import { resolve } from "node:path";
import { ExitCode, exitForVerdict } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import { chooseSigningKey, type GateProfile, loadPolicyFile } from "../../gate/index.ts";
import type { CommandContext, CommandOutcome, Options } from "../command.ts";
import { command, group, listOption, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readJsonInput } from "../io.ts";
import {
  profileOption,
  readOptionalSigningRequest,
  readProjectSigningKeyRequest,
  signingKeyOptions,
} from "../keyflags.ts";
import { projectConfigOptions, withGateDefaults } from "../project-defaults.ts";
import { exportDestinations, liveExportOptions } from "./export-flags.ts";

const loadMcp = () => import("../../mcp/index.ts");

const ADAPTER_NAMES = ["mcp", "openai", "anthropic", "langchain", "claude_code"] as const;
const DEFAULT_HTTP_LISTEN = "127.0.0.1:8788";

const contextOptions = [
  { name: "identity", value: "id", description: "context.identity of every call (default: mcp-client)" },
  {
    name: "workspace",
    value: "path",
    description: "context.workspace of every call (default: the current directory)",
  },
  {
    name: "risk-class",
    value: "class",
    description:
      "context.risk_class of every call (default: scout's assessment of the tool: low, medium, high or critical)",
  },
  { name: "session-id", value: "id", description: "context.session_id of every call" },
];

const proxyCommand = command({
  name: "proxy",
  aliases: ["bridge"],
  explain:
    "Put the gate in front of an MCP server: every tools/call is decided by the policy and forwarded only on allow (otherwise the agent gets a tool error with the verdict), each decision is a signed trace, tool definitions are pinned, and the session is recorded as a runpack.",
  usage: "--policy <p.yaml> [options] -- <server command> [args...] | --upstream <url> | --call <file>",
  args: [{ name: "server", description: "the stdio MCP server's command line, after --", variadic: true }],
  options: [
    { name: "policy", value: "path", description: "policy YAML file (default: gate.policy from the config)" },
    {
      name: "upstream",
      value: "url",
      description: "a remote MCP server over Streamable HTTP instead of a command",
    },
    {
      name: "listen",
      value: "host:port",
      description: `serve Streamable HTTP at http://host:port/mcp (default with --upstream: ${DEFAULT_HTTP_LISTEN}); a non-loopback address needs --token-env`,
    },
    {
      name: "upstream-header",
      value: "'Name: value'",
      description:
        "send this header on every request to --upstream (repeatable; secrets: --upstream-header-env)",
      repeatable: true,
    },
    {
      name: "upstream-header-env",
      value: "Name=VAR",
      description:
        "send header Name with the value of environment variable VAR on every request to --upstream (repeatable), e.g. Authorization=MCP_AUTHORIZATION",
      repeatable: true,
    },
    { name: "stdio", description: "serve on stdin/stdout even with --upstream" },
    {
      name: "token-env",
      value: "var",
      description: "NAME of the environment variable holding the bearer token HTTP clients must send",
    },
    {
      name: "trace-dir",
      value: "dir",
      description:
        "directory for trace_<trace_id>.json (default: gate.trace_dir, else the current directory)",
    },
    {
      name: "trace-durability",
      value: "mode",
      choices: ["durable", "async"],
      description: "durable (default): forward a call only once its trace is on disk; async: write behind",
    },
    {
      name: "pins",
      value: "path",
      description: "tool definition pin file (default .gait-out/mcp_tool_pins.json)",
    },
    { name: "no-pins", description: "do not pin tool definitions" },
    {
      name: "filter-tools",
      description: "hide from tools/list the tools the policy blocks whatever the call",
    },
    {
      name: "runpack-out",
      value: "dir",
      description: "record the session as runpack_<run_id>.zip in this directory when it ends",
    },
    { name: "run-id", value: "id", description: "the session's run id (default run_mcp_<12 hex>)" },
    ...liveExportOptions,
    ...contextOptions,
    {
      name: "call",
      value: "path",
      description: "one-shot: decide this tool-call payload (file or -) and exit 0/3/4",
    },
    {
      name: "adapter",
      value: "name",
      choices: ADAPTER_NAMES,
      description: "the --call payload's shape: mcp (default), openai, anthropic, langchain, claude_code",
    },
    profileOption,
    ...signingKeyOptions,
    ...projectConfigOptions,
  ],
  examples: [
    "gait mcp proxy --policy gait.policy.yaml -- npx -y @modelcontextprotocol/server-memory",
    "gait mcp proxy --policy p.yaml --runpack-out gait-out --trace-dir gait-out/traces -- node server.js",
    "gait mcp proxy --policy p.yaml --upstream https://mcp.example.com/mcp --listen 127.0.0.1:8788",
    "MCP_AUTHORIZATION='Bearer …' gait mcp proxy --policy p.yaml --stdio --upstream https://mcp.example.com/mcp --upstream-header-env Authorization=MCP_AUTHORIZATION",
    "gait mcp proxy --policy p.yaml --call tool_use.json --adapter anthropic --json",
  ],
  run: runProxy,
});

async function runProxy(args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const { options, config } = await withGateDefaults(flags, ctx);
  const policyPath = stringOption(options, "policy");
  if (!policyPath) {
    throw invalidInput("usage", "--policy is required (or gate.policy in .gait/config.yaml)", {
      hint: "e.g. gait mcp proxy --policy gait.policy.yaml -- npx -y @modelcontextprotocol/server-memory",
    });
  }
  const callPath = stringOption(options, "call");
  const upstreamUrl = stringOption(options, "upstream");
  const hasCommand = ctx.argv.includes("--") && args.length > 0;
  const modes = [callPath !== undefined, upstreamUrl !== undefined, hasCommand].filter(Boolean).length;
  if (modes !== 1) {
    throw invalidInput(
      "usage",
      "give exactly one of: a server command after --, --upstream URL, --call FILE",
      {
        hint: "e.g. gait mcp proxy --policy p.yaml -- npx -y @modelcontextprotocol/server-memory",
      },
    );
  }
  const headerFlags = listOption(options, "upstream-header");
  const headerEnvFlags = listOption(options, "upstream-header-env");
  if (!upstreamUrl && headerFlags.length + headerEnvFlags.length > 0) {
    throw invalidInput("usage", "--upstream-header and --upstream-header-env need --upstream", {
      hint: "a stdio server gets its environment instead (the proxy passes its own on)",
    });
  }
  const mcp = await loadMcp();
  const upstreamHeaders = mcp.upstreamHeaders(headerFlags, headerEnvFlags, ctx.env);
  const policy = await loadPolicyFile(resolve(ctx.cwd, policyPath));
  const io = { env: ctx.env, cwd: ctx.cwd, warn: ctx.warn };
  const keys = await readProjectSigningKeyRequest(options, ctx.cwd);
  const signing = await chooseSigningKey({ ...keys, keyMode: keys.mode }, io);
  for (const warning of signing.warnings) ctx.warn(warning);
  const traceDirFlag = stringOption(options, "trace-dir") ?? "";
  const traceDir = resolve(ctx.cwd, traceDirFlag);
  const profile = (stringOption(options, "profile") ?? "standard") as GateProfile;
  const defaults = {
    identity: stringOption(options, "identity") ?? "mcp-client",
    workspace: stringOption(options, "workspace") ?? ctx.cwd,
    ...(stringOption(options, "risk-class") ? { riskClass: stringOption(options, "risk-class")! } : {}),
    ...(stringOption(options, "session-id") ? { sessionId: stringOption(options, "session-id")! } : {}),
  };

  if (callPath !== undefined) {
    const adapter = (stringOption(options, "adapter") ?? "mcp") as (typeof ADAPTER_NAMES)[number];
    const runId = stringOption(options, "run-id");
    const result = await mcp.evaluateOneShot({
      policy,
      adapter,
      payload: await readJsonInput(callPath, ctx.cwd, "tool call"),
      signingKey: signing.key,
      keyMode: signing.mode,
      profile,
      traceDir,
      defaults: { ...defaults, ...(runId ? { runId: mcp.sanitizeRunId(runId) } : {}) },
      cwd: ctx.cwd,
      env: ctx.env,
      clock: ctx.clock,
      warn: ctx.warn,
    });
    const { decision } = result;
    const output = {
      executed: false,
      adapter,
      ...decision,
      ...(decision.trace_path ? { trace_path: showPath(ctx.cwd, decision.trace_path) } : {}),
    };
    return {
      exitCode: decision.evaluation_error ? ExitCode.invalidInput : exitForVerdict(decision.verdict),
      output,
      human: [
        `${result.tool_name}: verdict=${decision.verdict} (not executed)`,
        `reason_codes=${decision.reason_codes.join(",")}`,
        `trace_id=${decision.trace_id}`,
      ],
    };
  }

  const serveStdio = options.stdio === true || (!upstreamUrl && !stringOption(options, "listen"));
  const tokenEnv = stringOption(options, "token-env");
  const token = tokenEnv
    ? (await import("../../sidecar/index.ts")).tokenFromEnv(tokenEnv, ctx.env)
    : undefined;
  const serve = serveStdio
    ? ({ kind: "stdio" } as const)
    : {
        kind: "http" as const,
        ...(await listenAddress(stringOption(options, "listen"))),
        ...(token ? { token } : {}),
      };
  const runpackOut = stringOption(options, "runpack-out");
  const runpackSigning = runpackOut ? await readOptionalSigningRequest(options, ctx.cwd) : undefined;
  const childEnv = Object.fromEntries(
    Object.entries(ctx.env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  const destinations = exportDestinations(options, config?.export, "export-log-out");
  if (serveStdio && destinations.logOut === "-") {
    throw invalidInput("usage", "--export-log-out - would write into the MCP channel (stdout)", {
      hint: "give the decision log a file path, or serve over HTTP (--listen)",
    });
  }
  // Configured (flags, config, else the OTEL environment) or undefined; the proxy shuts them down.
  const exporters = await (await import("../../export/index.ts")).createExporters({
    ...destinations,
    cwd: ctx.cwd,
    env: ctx.env,
    onWarning: (message) => ctx.progress(`gait mcp proxy: ${message}`),
  });
  const proxy = await mcp.startProxy({
    policy,
    ...(exporters ? { exporters } : {}),
    upstream: upstreamUrl
      ? {
          kind: "http",
          url: mcp.checkUpstreamUrl(upstreamUrl),
          ...(Object.keys(upstreamHeaders).length > 0 ? { headers: upstreamHeaders } : {}),
        }
      : { kind: "stdio", command: args[0]!, args: args.slice(1), env: childEnv, cwd: ctx.cwd },
    serve,
    signingKey: signing.key,
    keyMode: signing.mode,
    profile,
    traceDir,
    traceDurability: (stringOption(options, "trace-durability") ?? "durable") as "durable" | "async",
    pinsPath:
      options["no-pins"] === true
        ? undefined
        : resolve(ctx.cwd, stringOption(options, "pins") ?? mcp.DEFAULT_PINS_PATH),
    filterTools: options["filter-tools"] === true,
    runpackDir: runpackOut ? resolve(ctx.cwd, runpackOut) : undefined,
    ...(runpackSigning ? { runpackSigning } : {}),
    ...(stringOption(options, "run-id") ? { runId: stringOption(options, "run-id")! } : {}),
    defaults,
    cwd: ctx.cwd,
    env: ctx.env,
    clock: ctx.clock,
    log: (message) => ctx.progress(`gait mcp proxy: ${message}`),
  });
  if (proxy.http) ctx.progress(`gait mcp proxy: serving MCP at ${proxy.http.url}`);
  stopOnSignals(proxy.stop, ctx);
  const summary = await proxy.finished;
  const output: Record<string, unknown> = {
    server_id: summary.server_id,
    run_id: summary.run_id,
    policy_digest: policy.policyDigest,
    verdicts: summary.verdicts,
    traces_written: summary.traces_written,
    trace_write_failures: summary.trace_write_failures,
    trace_dir: showPath(ctx.cwd, traceDir),
  };
  if (summary.runpack) output.runpack_path = summary.runpack.bundle;
  if (exporters) output.export_destinations = exporters.destinations;
  const counts = Object.entries(summary.verdicts).map(([verdict, n]) => `${verdict}=${n}`);
  return {
    exitCode: summary.trace_write_failures > 0 ? ExitCode.internal : ExitCode.ok,
    output,
    human: [
      `gait mcp proxy: session ${summary.run_id} with ${summary.server_id} ended: ${counts.join(" ")}`,
      ...(summary.runpack ? [`runpack=${summary.runpack.bundle}`] : []),
    ],
    // stdout was the MCP channel: the summary must not look like a JSON-RPC message to the client.
    ...(serveStdio ? { stream: "stderr" as const } : {}),
  };
}

async function listenAddress(text: string | undefined): Promise<{ host: string; port: number }> {
  const { parseListenTarget } = await import("../../sidecar/index.ts");
  const target = parseListenTarget(text ?? DEFAULT_HTTP_LISTEN);
  if (target.kind !== "tcp") throw invalidInput("usage", "--listen must be host:port");
  return { host: target.host, port: target.port };
}

/** SIGINT/SIGTERM end the session the same way the agent leaving does: traces, then the runpack. */
function stopOnSignals(stop: () => Promise<unknown>, ctx: CommandContext): void {
  const onSignal = (signal: NodeJS.Signals) => {
    ctx.progress(`gait mcp proxy: ${signal}: ending the session`);
    void stop();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

const wrapConfigCommand = command({
  name: "wrap-config",
  explain:
    "Rewrite an MCP client config (Claude Desktop, Claude Code, Cursor, VS Code, ...) so every server runs behind `gait mcp proxy`, keeping a backup of the original.",
  args: [{ name: "config", description: "the client's JSON config file", required: true }],
  options: [
    {
      name: "policy",
      value: "path",
      description: "policy every proxy enforces (written as an absolute path)",
    },
    { name: "trace-dir", value: "dir", description: "trace directory for every proxy (absolute path)" },
    { name: "runpack-out", value: "dir", description: "runpack directory for every proxy (absolute path)" },
    { name: "gait-command", value: "cmd", description: 'the command that runs gait (default "gait")' },
    { name: "dry-run", description: "report what would change without writing" },
  ],
  examples: [
    'gait mcp wrap-config "$HOME/Library/Application Support/Claude/claude_desktop_config.json" --policy gait.policy.yaml',
    "gait mcp wrap-config .mcp.json --policy gait.policy.yaml --trace-dir gait-out/traces --dry-run --json",
  ],
  run: async (args, options, ctx) => {
    const policy = stringOption(options, "policy");
    if (!policy)
      throw invalidInput("usage", "--policy is required", { hint: "e.g. --policy gait.policy.yaml" });
    const flags = ["--policy", resolve(ctx.cwd, policy)];
    for (const name of ["trace-dir", "runpack-out"]) {
      const value = stringOption(options, name);
      if (value) flags.push(`--${name}`, resolve(ctx.cwd, value));
    }
    const mcp = await loadMcp();
    const result = await mcp.wrapClientConfig({
      path: resolve(ctx.cwd, args[0]!),
      proxyFlags: flags,
      ...(stringOption(options, "gait-command")
        ? { gaitCommand: stringOption(options, "gait-command")! }
        : {}),
      dryRun: options["dry-run"] === true,
    });
    const output = {
      ...result,
      path: showPath(ctx.cwd, result.path),
      ...(result.backup_path ? { backup_path: showPath(ctx.cwd, result.backup_path) } : {}),
    };
    return {
      output,
      human: [
        `${result.dry_run ? "would wrap" : "wrapped"}: ${result.wrapped.join(", ") || "none"}`,
        ...result.skipped.map((s) => `skipped ${s.name}: ${s.reason}`),
        ...(output.backup_path ? [`backup=${output.backup_path}`] : []),
      ],
    };
  },
});

const pinsOption = {
  name: "pins",
  value: "path",
  description: "tool definition pin file (default .gait-out/mcp_tool_pins.json)",
};

const pinsListCommand = command({
  name: "list",
  explain: "List pinned MCP tool definitions and those changed since they were pinned.",
  options: [pinsOption],
  examples: ["gait mcp pins list --json"],
  run: async (_args, options, ctx) => {
    const mcp = await loadMcp();
    const store = new mcp.PinStore(
      resolve(ctx.cwd, stringOption(options, "pins") ?? mcp.DEFAULT_PINS_PATH),
      ctx.clock,
    );
    const file = await store.read();
    const pins = Object.entries(file.servers).flatMap(([server, tools]) =>
      Object.entries(tools).map(([tool, pin]) => ({
        server_id: server,
        tool,
        digest: pin.digest,
        pinned_at: pin.pinned_at,
        status: pin.changed ? "changed" : "pinned",
        ...(pin.changed ? { changed_digest: pin.changed.digest, changed_at: pin.changed.seen_at } : {}),
      })),
    );
    return {
      output: { path: showPath(ctx.cwd, store.path), pins },
      human: pins.length === 0 ? ["no pins"] : pins.map((p) => `${p.server_id} ${p.tool}: ${p.status}`),
    };
  },
});

const pinsApproveCommand = command({
  name: "approve",
  explain:
    "Accept the changed definitions of an MCP server's tools (all, or those named with --tool), so the proxy stops blocking them.",
  options: [
    { name: "server", value: "id", description: "the server id (as `gait mcp pins list` shows it)" },
    {
      name: "tool",
      value: "name",
      description: "a tool to approve (repeatable; default: every changed tool)",
      repeatable: true,
    },
    pinsOption,
  ],
  examples: ["gait mcp pins approve --server memory-server --tool create_entities"],
  run: async (_args, options, ctx) => {
    const server = stringOption(options, "server");
    if (!server) throw invalidInput("usage", "--server is required", { hint: "see `gait mcp pins list`" });
    const mcp = await loadMcp();
    const store = new mcp.PinStore(
      resolve(ctx.cwd, stringOption(options, "pins") ?? mcp.DEFAULT_PINS_PATH),
      ctx.clock,
    );
    const approved = await store.update((file, at) =>
      mcp.approveChanges(file, server, listOption(options, "tool"), at),
    );
    return {
      output: { path: showPath(ctx.cwd, store.path), server_id: server, approved },
      human: [approved.length > 0 ? `approved: ${approved.join(", ")}` : "nothing to approve"],
    };
  },
});

const verifyCommand = command({
  name: "verify",
  explain:
    "Check an MCP server against the policy's mcp_trust and its local trust snapshot: exit 0 when trusted (or not required), else 3 (block) or 4 (require_approval).",
  options: [
    { name: "policy", value: "path", description: "policy YAML with an mcp_trust block" },
    { name: "server", value: "path", description: "JSON naming the server: {server_id} (or id, name)" },
    {
      name: "risk-class",
      value: "class",
      description: "risk class of the calls to check for (default high)",
    },
  ],
  examples: ["gait mcp verify --policy gait.policy.yaml --server server.json --json"],
  run: async (_args, options, ctx) => {
    const policyPath = stringOption(options, "policy");
    const serverPath = stringOption(options, "server");
    if (!policyPath || !serverPath) {
      throw invalidInput("usage", "--policy and --server are required", {
        hint: "e.g. gait mcp verify --policy p.yaml --server server.json",
      });
    }
    const mcp = await loadMcp();
    const policy = (await loadPolicyFile(resolve(ctx.cwd, policyPath))).policy;
    if (!policy.mcpTrust.enabled) {
      throw invalidInput("usage", `${policyPath} has no mcp_trust block`, {
        hint: "add mcp_trust: {snapshot: trust_snapshot.json} to the policy",
      });
    }
    const server = await readJsonInput(serverPath, ctx.cwd, "server");
    const serverId = serverIdOf(server);
    const state = await mcp.loadTrustSnapshot(resolve(ctx.cwd, policy.mcpTrust.snapshotPath));
    const outcome = mcp.evaluateTrust(
      policy.mcpTrust,
      state,
      serverId,
      stringOption(options, "risk-class") ?? "high",
      ctx.clock(),
    );
    const exitCode = outcome.enforced ? exitForVerdict(outcome.action) : ExitCode.ok;
    return {
      exitCode,
      output: {
        server_id: serverId,
        trust_model: "local_snapshot",
        verified: outcome.verified,
        enforced: outcome.enforced,
        ...(outcome.enforced ? { verdict: outcome.action } : {}),
        mcp_trust: outcome.record,
      },
      human: [
        `${serverId || "(no id)"}: ${outcome.verified ? "trusted" : (outcome.record.status ?? "untrusted")} (${(outcome.record.reason_codes ?? []).join(",")})`,
      ],
    };
  },
});

function serverIdOf(value: unknown): string {
  if (typeof value !== "object" || value === null) return "";
  const record = value as Record<string, unknown>;
  const id = record.server_id ?? record.id ?? record.name;
  return typeof id === "string" ? id.trim() : "";
}

export const mcpGroup = group({
  name: "mcp",
  explain:
    "MCP proxy mode: enforce the gate on Model Context Protocol tool calls with signed traces, tool definition pins and session runpacks.",
  commands: [
    proxyCommand,
    wrapConfigCommand,
    group({
      name: "pins",
      explain: "Tool definition pins (rug-pull protection).",
      commands: [pinsListCommand, pinsApproveCommand],
    }),
    verifyCommand,
  ],
});
