/**
 * An MCP tool call as the gate sees it: a ToolCall (what any adapter decodes to) becomes a
 * `gait.gate.intent_request`. Pure: no I/O, no clock (the gate stamps the time).
 *
 * - `tool_name` is the tool's name as the server declares it (the gate lower-cases it, as it does
 *   every policy's tool_names, so a policy matches the name as written).
 * - targets: explicit ones when the caller gave them, else inferred from the argument names
 *   (scout's declared-target tokens: a path, a URL or host, a command, a table) and from
 *   URL-looking values; each carries
 *   the tool's annotations (read_only_hint, destructive_hint, ...) and `discovery_method: mcp`.
 *   A call with nothing to infer gets one target naming the tool itself, so annotation and
 *   discovery selectors still see it.
 * - context: the caller's identity and workspace; the risk class given, else scout's assessment
 *   of the tool (name, annotations, parameters); the server's identity in `auth_context`.
 */
import type { JsonObject, JsonValue } from "../contract/canonical.ts";
// scout's risk words alone: its index also brings snapshots and policy loading, which the SDK's
// framework adapters (src/sdk/adapters, built apart from the CLI) would otherwise load with this.
import { assessToolRisk, nameTokens, TARGET_TOKENS, type TargetKind } from "../scout/risk.ts";
import type { IntentContextInput, IntentRequest, IntentTargetInput } from "../sdk/index.ts";

/** MCP's tool annotations (the spec's camelCase names). */
export interface ToolAnnotationHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** Who serves the tool: recorded in the intent's context and in pins. */
export interface ServerIdentity {
  /** Stable id: the server's declared name, else the command or URL that reaches it. */
  id: string;
  name?: string;
  version?: string;
  transport: "stdio" | "streamable_http" | "none";
}

export interface ToolCall {
  /** The tool's name exactly as the server declares it. */
  name: string;
  args: JsonObject;
  annotations?: ToolAnnotationHints;
  /** Parameter names from the tool's input schema (for the risk assessment). */
  parameters?: string[];
  /** scout's assessment of the tool when already known (it depends on the definition alone). */
  assessedRisk?: string;
  /** Explicit targets replace inference. */
  targets?: IntentTargetInput[];
  /** Context fields the caller supplied (identity, workspace, risk_class, session_id, ...). */
  context?: Partial<IntentContextInput>;
  server?: ServerIdentity;
  /**
   * Where the tool is declared: `mcp` (the default) tags inferred targets `discovery_method: mcp`
   * and gives a call with nothing to infer a target naming the tool on its server; `framework` (a
   * tool an agent framework defines in code, src/sdk/adapters) does neither.
   */
  source?: "mcp" | "framework";
}

/** Context used when the call and the proxy's flags say nothing. */
export interface CallDefaults {
  identity: string;
  workspace: string;
  riskClass?: string;
  sessionId?: string;
  runId?: string;
}

/** The IntentRequest for a tool call. */
export function intentForCall(call: ToolCall, defaults: CallDefaults): IntentRequest {
  const hints = call.annotations ?? {};
  const given = call.context ?? {};
  const context: IntentContextInput = {
    ...given,
    identity: given.identity ?? defaults.identity,
    workspace: given.workspace ?? defaults.workspace,
    risk_class: given.risk_class ?? defaults.riskClass ?? riskClassOf(call),
  };
  if (defaults.sessionId && context.session_id === undefined) context.session_id = defaults.sessionId;
  if (defaults.runId && context.run_id === undefined) context.run_id = defaults.runId;
  if (call.server?.id)
    context.auth_context = { ...serverContext(call.server), ...(given.auth_context ?? {}) };
  return {
    tool_name: call.name,
    args: call.args,
    targets: call.targets ?? inferTargets(call.name, call.args, hints, call.server, call.source),
    context,
  };
}

/** scout's risk level of the tool, which doubles as the intent's risk class. */
export function riskClassOf(call: ToolCall): string {
  if (call.assessedRisk) return call.assessedRisk;
  const parameters = call.parameters ?? Object.keys(call.args);
  return assessToolRisk(call.name, call.annotations ?? {}, parameters).level;
}

function serverContext(server: ServerIdentity): JsonObject {
  const context: JsonObject = { mcp_server_id: server.id, mcp_transport: server.transport };
  if (server.name) context.mcp_server_name = server.name;
  if (server.version) context.mcp_server_version = server.version;
  return context;
}

const MAX_INFERRED_TARGETS = 64;

/** Targets from argument names and URL values, else (MCP tools) one naming the tool. */
export function inferTargets(
  toolName: string,
  args: JsonObject,
  hints: ToolAnnotationHints,
  server?: ServerIdentity,
  source: ToolCall["source"] = "mcp",
): IntentTargetInput[] {
  const found = new Map<string, IntentTargetInput>();
  const add = (target: IntentTargetInput) => {
    const key = `${target.kind}\u0000${target.value}`;
    if (!found.has(key) && found.size < MAX_INFERRED_TARGETS)
      found.set(key, withHints(target, hints, source));
  };
  for (const [key, value] of Object.entries(args)) {
    const kind = argKind(key);
    for (const text of stringsIn(value)) {
      const target = kind ? targetFor(kind, text, hints) : urlTarget(text);
      if (target) add(target);
    }
  }
  if (found.size === 0 && source === "mcp") {
    add({ kind: "other", value: `mcp://${server?.id ?? "server"}/${toolName}` });
  }
  return [...found.values()];
}

/** The kind of target an argument's name declares (scout's declared-target tokens), if any. */
function argKind(key: string): TargetKind | undefined {
  const tokens = nameTokens(key);
  return TARGET_TOKENS.find((entry) => tokens.some((t) => entry.tokens.has(t)))?.kind;
}

/** The non-empty strings of a value: itself, or the strings of an array (one level). */
function stringsIn(value: JsonValue): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
}

function targetFor(kind: TargetKind, value: string, hints: ToolAnnotationHints): IntentTargetInput {
  switch (kind) {
    case "filesystem": {
      const operation = hints.destructiveHint ? "delete" : hints.readOnlyHint ? "read" : undefined;
      return operation ? { kind: "path", value, operation } : { kind: "path", value };
    }
    case "network":
      return urlTarget(value) ?? { kind: "host", value };
    case "exec":
      return { kind: "other", value, operation: "exec" };
    case "database":
      return { kind: "table", value };
  }
}

function urlTarget(value: string): IntentTargetInput | undefined {
  if (!/^https?:\/\//i.test(value)) return undefined;
  try {
    new URL(value);
  } catch {
    return undefined;
  }
  return { kind: "url", value };
}

function withHints(
  target: IntentTargetInput,
  hints: ToolAnnotationHints,
  source: ToolCall["source"],
): IntentTargetInput {
  const out: IntentTargetInput = source === "mcp" ? { ...target, discovery_method: "mcp" } : { ...target };
  if (hints.readOnlyHint !== undefined) out.read_only_hint = hints.readOnlyHint;
  if (hints.destructiveHint !== undefined) out.destructive_hint = hints.destructiveHint;
  if (hints.idempotentHint !== undefined) out.idempotent_hint = hints.idempotentHint;
  if (hints.openWorldHint !== undefined) out.open_world_hint = hints.openWorldHint;
  return out;
}
