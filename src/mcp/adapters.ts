/**
 * The reference's adapter decoders (REFERENCE.md §3 v1.3-2) for one-shot evaluation (`gait mcp
 * proxy --call <file> --adapter …`): each framework's tool-call payload becomes a ToolCall.
 *
 * - mcp: the native ToolCall `{name, args|arguments, targets?, context?, annotations?, server?}`
 * - openai: `{function: {name, arguments}}` (arguments a JSON string or an object), also bare `{name, arguments}`
 * - anthropic: a `tool_use` block `{name, input}`
 * - langchain: `{tool, tool_input}` (a string input becomes `{input: <string>}`)
 * - claude_code: a PreToolUse hook payload `{tool_name, tool_input, session_id?, cwd?}`; Read, Grep,
 *   Glob, WebFetch, WebSearch → tool.read; Write, Edit, MultiEdit, NotebookEdit → tool.write;
 *   Bash → tool.exec; Task → tool.delegate; others → tool.<snake_case>; targets from file_path,
 *   path, notebook_path, url and command.
 *
 * Every payload may carry `context` (identity, workspace, risk_class, session_id, ...) as the
 * intent's context. Pure; bad payloads are `mcp_call_invalid` (exit 6).
 */
import { isJsonObject, type JsonObject, type JsonValue, parseJsonStrict } from "../contract/canonical.ts";
import type { IntentContextInput, IntentTargetInput } from "../sdk/index.ts";
import { invalidInput } from "./error-codes.ts";
import type { ServerIdentity, ToolAnnotationHints, ToolCall } from "./tool-call.ts";

export const ADAPTERS = ["mcp", "openai", "anthropic", "langchain", "claude_code"] as const;
export type Adapter = (typeof ADAPTERS)[number];

export function decodeToolCall(adapter: Adapter, payload: unknown): ToolCall {
  if (!isJsonObject(payload)) throw bad(adapter, "the payload must be a JSON object");
  const call = decoders[adapter](payload);
  const context = payload.context;
  if (context !== undefined) {
    if (!isJsonObject(context)) throw bad(adapter, "context must be an object");
    call.context = { ...(context as Partial<IntentContextInput>), ...(call.context ?? {}) };
  }
  return call;
}

const decoders: Record<Adapter, (payload: JsonObject) => ToolCall> = {
  mcp: (p) => {
    const call: ToolCall = {
      name: text(p.name ?? p.tool_name, "mcp", "name"),
      args: object(p.args ?? p.arguments ?? {}, "mcp", "args"),
    };
    if (p.targets !== undefined) {
      if (!Array.isArray(p.targets)) throw bad("mcp", "targets must be an array");
      call.targets = p.targets as unknown as IntentTargetInput[];
    }
    if (p.annotations !== undefined)
      call.annotations = object(p.annotations, "mcp", "annotations") as ToolAnnotationHints;
    if (p.server !== undefined) call.server = serverOf(p.server);
    return call;
  },
  openai: (p) => {
    const fn = isJsonObject(p.function) ? p.function : p;
    return { name: text(fn.name, "openai", "function.name"), args: openAiArguments(fn.arguments) };
  },
  anthropic: (p) => {
    if (p.type !== undefined && p.type !== "tool_use") throw bad("anthropic", 'type must be "tool_use"');
    return { name: text(p.name, "anthropic", "name"), args: object(p.input ?? {}, "anthropic", "input") };
  },
  langchain: (p) => {
    const input = p.tool_input ?? {};
    const args = typeof input === "string" ? { input } : object(input, "langchain", "tool_input");
    return { name: text(p.tool, "langchain", "tool"), args };
  },
  claude_code: (p) => {
    const tool = text(p.tool_name, "claude_code", "tool_name");
    const args = object(p.tool_input ?? {}, "claude_code", "tool_input");
    const call: ToolCall = { name: claudeCodeToolName(tool), args };
    const targets = claudeCodeTargets(args);
    if (targets.length > 0) call.targets = targets;
    const context: Partial<IntentContextInput> = {};
    if (typeof p.session_id === "string" && p.session_id.trim() !== "") context.session_id = p.session_id;
    if (typeof p.cwd === "string" && p.cwd.trim() !== "") context.workspace = p.cwd;
    call.context = context;
    return call;
  },
};

const CLAUDE_CODE_TOOLS: Record<string, string> = {
  Read: "tool.read",
  Grep: "tool.read",
  Glob: "tool.read",
  WebFetch: "tool.read",
  WebSearch: "tool.read",
  Write: "tool.write",
  Edit: "tool.write",
  MultiEdit: "tool.write",
  NotebookEdit: "tool.write",
  Bash: "tool.exec",
  Task: "tool.delegate",
};

export function claudeCodeToolName(tool: string): string {
  const known = CLAUDE_CODE_TOOLS[tool];
  if (known) return known;
  const snake = tool
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
  return `tool.${snake || "unknown"}`;
}

function claudeCodeTargets(args: JsonObject): IntentTargetInput[] {
  const targets: IntentTargetInput[] = [];
  for (const key of ["file_path", "path", "notebook_path"]) {
    const value = args[key];
    if (typeof value === "string" && value.trim() !== "") targets.push({ kind: "path", value });
  }
  if (typeof args.url === "string" && args.url.trim() !== "") targets.push({ kind: "url", value: args.url });
  if (typeof args.command === "string" && args.command.trim() !== "") {
    targets.push({ kind: "other", value: args.command, operation: "exec", endpoint_class: "proc.exec" });
  }
  return targets;
}

function openAiArguments(value: JsonValue | undefined): JsonObject {
  if (value === undefined || value === null || value === "") return {};
  if (typeof value !== "string") return object(value, "openai", "function.arguments");
  let parsed: JsonValue;
  try {
    parsed = parseJsonStrict(value, "function.arguments");
  } catch {
    throw bad("openai", "function.arguments is a string but not JSON");
  }
  return object(parsed, "openai", "function.arguments");
}

function serverOf(value: JsonValue): ServerIdentity {
  const server = object(value, "mcp", "server");
  const id = server.id ?? server.server_id ?? server.name;
  const identity: ServerIdentity = { id: text(id, "mcp", "server.id"), transport: "none" };
  if (typeof server.name === "string") identity.name = server.name;
  if (typeof server.version === "string") identity.version = server.version;
  return identity;
}

function text(value: JsonValue | undefined, adapter: Adapter, field: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw bad(adapter, `${field} must be a non-empty string`);
  return value;
}

function object(value: JsonValue | undefined, adapter: Adapter, field: string): JsonObject {
  if (!isJsonObject(value)) throw bad(adapter, `${field} must be an object`);
  return value;
}

function bad(adapter: Adapter, why: string): Error {
  return invalidInput("mcp_call_invalid", `${adapter} tool call: ${why}`, {
    hint: `see docs/mcp.md, "One-shot evaluation", for the ${adapter} payload shape`,
  });
}
