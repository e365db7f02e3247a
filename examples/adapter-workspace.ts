/**
 * What the four adapter examples (examples/ai-sdk, openai-agents, langchain, mcp) share: the
 * scripted plan their fake models follow, the files the tools act on (in memory, so nothing on
 * this machine can be deleted), a log of the gate's decisions, and the report they print.
 */
import { relative } from "node:path";
import { z } from "zod";
import type { AdapterToolCall } from "../src/sdk/adapters/core.ts";
import type { FinishedRun, GateDecision, Verdict } from "../src/sdk/index.ts";

/** What each fake model asks for, one tool call per turn, then a closing text. */
export const PLAN = [
  { tool: "read_file", input: { path: "/workspace/notes.txt" } },
  { tool: "delete_file", input: { path: "/workspace/notes.txt" } },
] as const;

export const FINAL_TEXT = "I read the notes; deleting them was refused, so they are still there.";

/** Who the examples' tool calls come from, as the policy's context sees it. */
export const EXAMPLE_CONTEXT = { identity: "agent.example", workspace: "/workspace" };

/** The input both file tools take (a zod shape: MCP servers take it as is, the others in z.object). */
export const PATH_INPUT = { path: z.string().describe("absolute path of the file") };

export interface ExampleOptions {
  /** Where gait-out/ (traces, runpack) goes; default the current directory. */
  cwd?: string;
  /** Policy file; default the example's policy.yaml. */
  policy?: string;
  runId?: string;
}

/** The files the tools read and delete, and how often each tool really ran. */
export class Workspace {
  readonly files = new Map([["/workspace/notes.txt", "release checklist: tag, build, publish\n"]]);
  readonly runs = { read_file: 0, delete_file: 0 };

  read(path: string): string {
    this.runs.read_file++;
    const content = this.files.get(path);
    if (content === undefined) throw new Error(`no such file: ${path}`);
    return content;
  }

  delete(path: string): string {
    this.runs.delete_file++;
    if (!this.files.delete(path)) throw new Error(`no such file: ${path}`);
    return `deleted ${path}`;
  }
}

export interface CallReport {
  tool: string;
  verdict: Verdict;
  reasonCodes: string[];
  traceId: string;
}

/** Collects the gate's decisions (the adapters' onDecision). */
export class DecisionLog {
  readonly calls: CallReport[] = [];
  readonly onDecision = (decision: GateDecision, call: AdapterToolCall): void => {
    this.calls.push({
      tool: call.toolName,
      verdict: decision.verdict,
      reasonCodes: decision.reasonCodes,
      traceId: decision.traceId,
    });
  };
}

export interface ExampleReport {
  framework: string;
  calls: CallReport[];
  /** How often each tool function actually ran. */
  toolRuns: Workspace["runs"];
  /** What the model received as each tool's result, in order (as the framework sent it). */
  modelReceived: string[];
  /** The model's last text ("" where a scripted agent stands for the model). */
  finalText: string;
  /** Files left in the workspace. */
  files: string[];
  runpack: FinishedRun;
}

/**
 * The scaffolding around what each example shows (createGate, startRun, the adapter): where the
 * run goes, the in-memory files, the decision log, and the report once the run is done.
 */
export class ExampleRun {
  readonly workspace = new Workspace();
  readonly log = new DecisionLog();
  readonly cwd: string;
  readonly policy: string;
  readonly runId: string;

  constructor(
    readonly framework: string,
    options: ExampleOptions,
    defaultPolicy: string,
  ) {
    this.cwd = options.cwd ?? process.cwd();
    this.policy = options.policy ?? defaultPolicy;
    this.runId = options.runId ?? `run_${framework.replaceAll("-", "_")}_example`;
  }

  report(runpack: FinishedRun, seen: Pick<ExampleReport, "modelReceived" | "finalText">): ExampleReport {
    return {
      framework: this.framework,
      calls: this.log.calls,
      toolRuns: this.workspace.runs,
      ...seen,
      files: [...this.workspace.files.keys()],
      runpack,
    };
  }
}

export function printReport(report: ExampleReport, cwd: string): void {
  console.log(`${report.framework}: ${report.calls.length} tool calls decided by the gate`);
  report.calls.forEach((call, i) => {
    const outcome =
      call.verdict === "allow"
        ? "allowed, ran"
        : call.verdict === "block"
          ? "blocked, not run"
          : `${call.verdict}, not run`;
    console.log(`  ${call.tool}: ${outcome} (${call.reasonCodes.join(", ")})`);
    console.log(`    the model received: ${report.modelReceived[i]?.trim() ?? "(nothing)"}`);
  });
  console.log(`  files left: ${report.files.join(", ") || "(none)"}`);
  if (report.finalText) console.log(`  model: ${report.finalText}`);
  console.log(`  runpack: ${relative(cwd, report.runpack.path)}`);
}
