/**
 * Real executors for guarded replay (`gait run replay --real-tools`). An executor runs one
 * recorded intent for real from its raw args. They are pluggable: build an ExecutorRegistry
 * with your own, or extend the defaults (echo, file write, shell command).
 */
import { echoExecutor } from "./echo.ts";
import type { RealExecutor } from "./executor.ts";
import { fileWriteExecutor } from "./file-write.ts";
import { shellExecutor } from "./shell.ts";

export type { ExecutionContext, ExecutionResult, RealExecutor } from "./executor.ts";

export const DEFAULT_EXECUTION_LIMITS = { timeoutMs: 5_000, maxOutputBytes: 64 * 1024 } as const;

/** Maps tool names to executors; the first executor registered for a name wins. */
export class ExecutorRegistry {
  private readonly byTool = new Map<string, RealExecutor>();

  constructor(executors: readonly RealExecutor[] = []) {
    for (const executor of executors) this.register(executor);
  }

  register(executor: RealExecutor): this {
    for (const tool of executor.tools) if (!this.byTool.has(tool)) this.byTool.set(tool, executor);
    return this;
  }

  find(toolName: string): RealExecutor | undefined {
    return this.byTool.get(toolName);
  }

  tools(): string[] {
    return [...this.byTool.keys()].sort();
  }
}

export function defaultExecutors(): ExecutorRegistry {
  return new ExecutorRegistry([echoExecutor, fileWriteExecutor, shellExecutor]);
}

export { fileWriteExecutor, shellExecutor };
