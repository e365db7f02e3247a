/**
 * What a real executor is: the interface every executor implements and the context it runs in.
 * Kept apart from index.ts (the registry and the built-ins) so the built-in executors can import
 * it without importing the index that imports them.
 */
import type { JsonObject } from "../../contract/canonical.ts";

export interface ExecutionContext {
  /** Working directory; the file executor refuses to write outside it. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Wall-clock limit for one execution. */
  timeoutMs: number;
  /** Cap on captured output per stream. */
  maxOutputBytes: number;
}

export interface ExecutionResult {
  status: "ok" | "error";
  result: JsonObject;
}

export interface RealExecutor {
  /** Short name shown in replay steps (`executor`). */
  name: string;
  /** Tool names this executor runs. */
  tools: readonly string[];
  execute(args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult>;
}
