/**
 * Wrapper runs (`gait test|enforce|trace -- <cmd>`, REFERENCE §2.16). Gait does not instrument the
 * child: the child calls the gate itself and reports each decision by printing a line
 * `trace_path=<file>` (and `runpack_path=<file>` for runpacks) on stdout or stderr. The wrapper runs
 * the child with GAIT_WRAPPER_MODE set, collects those references, reads the traces and counts
 * verdicts. This is the `explicit_trace_reference` boundary contract. The child's output is handed
 * to the caller live (for pass-through) and kept, capped, in the result.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";
import { parseJsonStrict } from "../contract/canonical.ts";
import { ExitCode, exitForVerdict } from "../contract/exit.ts";
import { runProcess } from "../contract/process.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { TRACE_SCHEMA_ID, VERDICTS, type Verdict, verifyTrace } from "../gate/index.ts";

export const WRAPPER_MODES = ["test", "enforce", "trace"] as const;
export type WrapperMode = (typeof WRAPPER_MODES)[number];
const WRAPPER_MODE_ENV = "GAIT_WRAPPER_MODE";
/** Reported as `boundary_contract` in every result (docs/wrappers.md); WrapperResult types it. */
export const BOUNDARY_CONTRACT = "explicit_trace_reference";
/** Captured output per stream; references are parsed from the whole stream regardless. */
const DEFAULT_OUTPUT_CAP_BYTES = 1024 * 1024;

export type FailureReason =
  | "child_start_failed"
  | "child_timed_out"
  | "missing_trace_reference"
  | "invalid_trace_artifact";

export interface WrapperRequest {
  mode: WrapperMode;
  /** argv of the child; command[0] is looked up on PATH, no shell is involved. */
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the child after this long (SIGTERM, then SIGKILL 2 s later); 0 means no limit. */
  timeoutMs: number;
  /** When given, every trace signature must verify with it. */
  verifyKey?: VerifyKey | undefined;
  outputCapBytes?: number;
  /**
   * Every chunk the child writes, as it arrives (the whole stream, past the capture cap): for
   * passing its output through live. Must not throw.
   */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export type VerdictCounts = Record<Verdict, number>;

export interface WrapperResult {
  mode: WrapperMode;
  command: string[];
  cwd: string;
  boundary_contract: typeof BOUNDARY_CONTRACT;
  trace_reference_required: true;
  failure_reason?: FailureReason;
  /** Why the run failed, when failure_reason is set. */
  error?: string;
  /** -1 when the child never started or was killed by a signal. */
  child_exit_code: number;
  timed_out: boolean;
  duration_ms: number;
  verdict_counts: VerdictCounts;
  trace_paths: string[];
  runpack_paths: string[];
  stdout: string;
  stderr: string;
  warnings: string[];
  /** The wrapper's exit code under the mode's contract. */
  exit_code: number;
}

interface ChildRun {
  exitCode: number;
  timedOut: boolean;
  startError?: string;
  stdout: string;
  stderr: string;
  truncated: boolean;
  references: { traces: string[]; runpacks: string[] };
}

const EXIT_FOR_FAILURE: Record<FailureReason, number> = {
  child_start_failed: ExitCode.internal,
  child_timed_out: ExitCode.internal,
  missing_trace_reference: ExitCode.invalidInput,
  invalid_trace_artifact: ExitCode.policyBlocked,
};

export async function runWrapper(request: WrapperRequest): Promise<WrapperResult> {
  const started = performance.now();
  const child = await runChild(request);
  const warnings: string[] = [];
  if (child.truncated) warnings.push(`child output exceeded ${capOf(request)} bytes per stream; truncated`);
  const counts = emptyCounts();
  const base: Omit<WrapperResult, "duration_ms" | "exit_code" | "failure_reason" | "error"> = {
    mode: request.mode,
    command: request.command,
    cwd: request.cwd,
    boundary_contract: BOUNDARY_CONTRACT,
    trace_reference_required: true,
    child_exit_code: child.exitCode,
    timed_out: child.timedOut,
    verdict_counts: counts,
    trace_paths: child.references.traces,
    runpack_paths: child.references.runpacks,
    stdout: child.stdout,
    stderr: child.stderr,
    warnings,
  };
  const finish = (exitCode: number, failure?: { reason: FailureReason; message: string }): WrapperResult => ({
    ...base,
    ...(failure && { failure_reason: failure.reason, error: failure.message }),
    duration_ms: Math.round(performance.now() - started),
    exit_code: exitCode,
  });
  const fail = (reason: FailureReason, message: string) =>
    finish(EXIT_FOR_FAILURE[reason], { reason, message });

  if (child.startError !== undefined) return fail("child_start_failed", child.startError);
  if (child.timedOut) {
    return fail("child_timed_out", `child did not finish within ${request.timeoutMs}ms and was killed`);
  }
  if (child.references.traces.length === 0) {
    return fail(
      "missing_trace_reference",
      "the child printed no trace_path=<file> line; print one per gate decision (see docs/wrappers.md)",
    );
  }
  for (const path of child.references.traces) {
    const checked = await readTraceVerdict(resolve(request.cwd, path), request.verifyKey);
    if ("verdict" in checked) {
      counts[checked.verdict] += 1;
      continue;
    }
    const message = `invalid trace artifact ${path}: ${checked.problem}`;
    if (request.mode === "enforce") return fail("invalid_trace_artifact", message);
    warnings.push(message);
  }
  return finish(exitCodeFor(request.mode, child.exitCode, counts));
}

/** enforce: any block → 3, else any require_approval → 4 when the child succeeded; else the child's code. */
export function exitCodeFor(mode: WrapperMode, childExitCode: number, counts: VerdictCounts): number {
  const code = childExitCode < 0 ? ExitCode.internal : childExitCode;
  if (mode !== "enforce") return code;
  if (counts.block > 0) return exitForVerdict("block");
  if (counts.require_approval > 0 && code === ExitCode.ok) return exitForVerdict("require_approval");
  return code;
}

function emptyCounts(): VerdictCounts {
  return Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as VerdictCounts;
}

function capOf(request: WrapperRequest): number {
  return request.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES;
}

/** Reads one `trace_path=<p>` or `runpack_path=<p>` line (surrounding blanks ignored). */
export function parseReferenceLine(line: string): { kind: "trace" | "runpack"; path: string } | undefined {
  const match = /^\s*(trace_path|runpack_path)=(.+?)\s*$/.exec(line);
  if (!match) return undefined;
  return { kind: match[1] === "trace_path" ? "trace" : "runpack", path: match[2]! };
}

async function readTraceVerdict(
  path: string,
  key: VerifyKey | undefined,
): Promise<{ verdict: Verdict } | { problem: string }> {
  let raw: unknown;
  try {
    raw = parseJsonStrict(await readFile(path, "utf8"), path);
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  const record = (raw ?? {}) as Record<string, unknown>;
  if (record.schema_id !== TRACE_SCHEMA_ID) return { problem: `schema_id is not ${TRACE_SCHEMA_ID}` };
  const verdict = record.verdict;
  if (!VERDICTS.includes(verdict as Verdict))
    return { problem: `unknown verdict ${JSON.stringify(verdict)}` };
  if (key) {
    const verified = verifyTrace(raw, key);
    if (!verified.ok) return { problem: `signature ${verified.signatureStatus}: ${verified.reason ?? ""}` };
  }
  return { verdict: verdict as Verdict };
}

/**
 * Runs the child with its own process group (a timeout stops what it started too: SIGTERM, then
 * SIGKILL after the default grace), hands each chunk it prints to the request's live callbacks,
 * and reads references from every line, including lines past the capture cap.
 */
async function runChild(request: WrapperRequest): Promise<ChildRun> {
  const references: ChildRun["references"] = { traces: [], runpacks: [] };
  const onLine = (line: string) => addReference(references, line);
  const lines = { stdout: new LineSplitter(onLine), stderr: new LineSplitter(onLine) };
  const [file, ...args] = request.command;
  const run = await runProcess(file!, args, {
    cwd: request.cwd,
    env: { ...request.env, [WRAPPER_MODE_ENV]: request.mode },
    timeoutMs: request.timeoutMs,
    maxOutputBytes: capOf(request),
    onStdout: (chunk) => {
      request.onStdout?.(chunk);
      lines.stdout.push(chunk);
    },
    onStderr: (chunk) => {
      request.onStderr?.(chunk);
      lines.stderr.push(chunk);
    },
  });
  lines.stdout.end();
  lines.stderr.end();
  return {
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    ...(run.spawnError !== undefined && { startError: `could not start ${file}: ${run.spawnError}` }),
    stdout: run.stdout,
    stderr: run.stderr,
    truncated: run.stdoutTruncated || run.stderrTruncated,
    references,
  };
}

function addReference(references: ChildRun["references"], line: string): void {
  const reference = parseReferenceLine(line);
  if (!reference) return;
  const list = reference.kind === "trace" ? references.traces : references.runpacks;
  if (!list.includes(reference.path)) list.push(reference.path);
}

/** Longest line inspected for a reference; longer lines are output, not references. */
const MAX_LINE_CHARS = 64 * 1024;

/** Hands every complete line of a byte stream to `onLine` (UTF-8, split across chunks). */
class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const lines = (this.partial + this.decoder.write(chunk)).split(/\r?\n/);
    const last = lines.pop() ?? "";
    this.partial = last.length > MAX_LINE_CHARS ? "" : last;
    for (const line of lines) this.onLine(line);
  }

  end(): void {
    this.partial += this.decoder.end();
    if (this.partial !== "") this.onLine(this.partial);
    this.partial = "";
  }
}
