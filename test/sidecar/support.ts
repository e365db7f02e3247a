/** Shared pieces of the sidecar tests: a policy, intents, a JSON HTTP call, and the CLI server as a child. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { gaitBin } from "../helpers/cli.ts";

export const POLICY_YAML = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match:
      tool_names: [tool.read]
    reason_codes: [read_allowed]
  - name: approve-write
    priority: 20
    effect: require_approval
    match:
      tool_names: [tool.write]
    reason_codes: [write_requires_approval]
`;

/** The same policy plus tool.search, allowed `requests` times an hour (counted per tool). */
export function limitedPolicy(requests: number): string {
  return `${POLICY_YAML}  - name: limited-search
    priority: 30
    effect: allow
    match:
      tool_names: [tool.search]
    rate_limit:
      requests: ${requests}
      window: hour
      scope: tool
`;
}

/** The counts in a rate-limit state file, in key order. */
export function savedCounts(statePath: string): number[] {
  const state = JSON.parse(readFileSync(statePath, "utf8")) as {
    schema_id: string;
    counters: Array<{ count: number }>;
  };
  if (state.schema_id !== "gait.gate.rate_limit_state")
    throw new Error(`${statePath} is not a rate-limit state`);
  return state.counters.map((c) => c.count);
}

/** The pid of a process that has exited (and was reaped), so nothing answers to it. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("no pid");
  return child.pid;
}

/** The same policy with reads blocked: a different digest and a different verdict for tool.read. */
export const POLICY_YAML_READS_BLOCKED = POLICY_YAML.replace("effect: allow", "effect: block");

export function intent(toolName: string, path = "/work/a.txt"): Record<string, unknown> {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-03-01T12:00:00Z",
    producer_version: "test/1.0.0",
    tool_name: toolName,
    args: { path },
    targets: [{ kind: "path", value: path, operation: toolName === "tool.read" ? "read" : "write" }],
    context: { identity: "agent.test", workspace: "/work", risk_class: "low" },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

export interface CallOptions {
  method?: string;
  token?: string | undefined;
  body?: unknown;
  /** Raw body text (sent as is). */
  text?: string;
  contentType?: string | null;
  /** Send the body with chunked encoding (no Content-Length). */
  chunked?: boolean;
  socketPath?: string;
}

/** One HTTP request to the sidecar; the body is parsed as JSON. */
export function call(base: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const text = options.text ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string | number> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (text !== undefined && options.contentType !== null) {
    headers["content-type"] = options.contentType ?? "application/json";
  }
  if (text !== undefined && !options.chunked) headers["content-length"] = Buffer.byteLength(text);
  const method = options.method ?? (text === undefined ? "GET" : "POST");
  return new Promise((resolve, reject) => {
    const target = options.socketPath
      ? { socketPath: options.socketPath, path, method, headers }
      : { ...urlParts(base, path), method, headers };
    const req = request(target, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        data += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(data || "{}") }),
      );
    });
    req.on("error", reject);
    if (text !== undefined && options.chunked) {
      // Several writes: the server sees the size grow past its limit mid-stream.
      for (let i = 0; i < text.length; i += 16_384) req.write(text.slice(i, i + 16_384));
      req.end();
    } else req.end(text);
  });
}

function urlParts(base: string, path: string) {
  const url = new URL(path, base);
  return { hostname: url.hostname, port: url.port, path: url.pathname + url.search };
}

export interface ServeProcess {
  child: ChildProcess;
  startup: Record<string, unknown>;
  url: string;
  token: string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/**
 * Starts `gait gate serve ... --json` and waits for its startup line (rejects if it exits first).
 * The project config is ignored unless `useConfig`.
 */
export function startServe(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; useConfig?: boolean },
): Promise<ServeProcess> {
  const configFlag = options.useConfig ? [] : ["--no-config"];
  const child = spawn(process.execPath, [gaitBin, "gate", "serve", "--json", ...configFlag, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      if (!stdout.includes("\n")) return;
      const startup = JSON.parse(stdout.split("\n", 1)[0]!) as Record<string, unknown>;
      if (startup.ok !== true) {
        reject(new Error(`gate serve failed: ${stdout}`));
        return;
      }
      resolve({
        child,
        startup,
        url: String(startup.url ?? ""),
        token: String(startup.token ?? ""),
        stderr: () => stderr,
        stop: (signal = "SIGTERM") => {
          child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`gate serve exited ${code}: ${stdout}${stderr}`)));
  });
}

/** Polls `check` until it returns true (or fails after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("condition not met in time");
}
