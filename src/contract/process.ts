/**
 * The one child-process runner (DESIGN "The wire layer"): every child Gait starts (replay's shell
 * executor, the regress command grader, `gait test|enforce|trace -- <cmd>`) goes through
 * `runProcess`, so they all kill, cap and settle the same way.
 *
 * - No shell: `file` is run with `args` (looked up on PATH); pass `sh -c` yourself if you want one.
 * - Process group (POSIX): the child is spawned `detached`, i.e. as the leader of a new session and
 *   process group, so a timeout stops whatever it started too (`kill(-pid)`). Being in its own
 *   session, the child no longer gets the terminal's Ctrl-C; the runner forwards SIGINT, SIGTERM
 *   and SIGHUP to the group instead (see `forwardSignals`), and it has no controlling terminal.
 * - Timeout: SIGTERM to the group, then SIGKILL after `killGraceMs` (or SIGKILL at once when the
 *   grace is 0). The run settles when the pipes close, or at the latest `PIPE_DRAIN_MS` after the
 *   SIGKILL, so a grandchild that left the group and holds the pipes cannot hang it.
 * - Settle: exactly once, never rejects. After settling, anything left in the group is SIGKILLed:
 *   a run leaves no process behind. Node reaps the child itself when it exits.
 * - Windows: no process groups; kills go to the child alone (TerminateProcess, whatever the
 *   signal), so grandchildren can outlive a timeout, and no signals are forwarded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface ProcessOptions {
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Uint8Array;
  /** Wall-clock limit in ms; 0, negative or undefined means none. */
  timeoutMs?: number;
  /** On timeout, ms between SIGTERM and SIGKILL; 0 sends SIGKILL at once. */
  killGraceMs?: number;
  /** Bytes of each stream kept in the result (the first ones); the rest still reaches the callbacks. */
  maxOutputBytes?: number;
  /** Every chunk the child writes, as it arrives, cap or no cap. Must not throw. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * Forward SIGINT, SIGTERM and SIGHUP received by this process to the child's group while it
   * runs (POSIX; default true), as the terminal would have done had the child shared our group.
   * When no one else listens for the signal, this process then dies of it as it would have anyway.
   */
  forwardSignals?: boolean;
}

export interface ProcessResult {
  /** The child's exit code; -1 when it was killed by a signal or never started. */
  exitCode: number;
  /** The signal that ended the child, if one did. */
  signal?: NodeJS.Signals;
  /** Captured output (UTF-8), the first `maxOutputBytes` of each stream. */
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The timeout fired and the run was killed. */
  timedOut: boolean;
  /** Why the child could not be started (Node's message, e.g. "spawn foo ENOENT"); exitCode is -1. */
  spawnError?: string;
  durationMs: number;
}

/** Exit code reported when there is none (killed by a signal, never started). */
const NO_EXIT_CODE = -1;
/** Default time a timed-out child gets between SIGTERM and SIGKILL to clean up. */
const DEFAULT_KILL_GRACE_MS = 2_000;
const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** After SIGKILL, how long the pipes may stay open (held by an escaped grandchild) before we close them. */
const PIPE_DRAIN_MS = 500;

const useGroups = process.platform !== "win32";
const MAX_TIMER_MS = 2 ** 31 - 1;

export function runProcess(
  file: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolvePromise) => new Run(file, args, options, resolvePromise));
}

/** One run's state: the child, its captures, its timers, and the single settle. */
class Run {
  private readonly started = performance.now();
  private readonly stdout: CappedCapture;
  private readonly stderr: CappedCapture;
  private readonly timers: NodeJS.Timeout[] = [];
  private child: ChildProcess | undefined;
  private exitCode = NO_EXIT_CODE;
  private signal: NodeJS.Signals | undefined;
  private timedOut = false;
  private settled = false;

  constructor(
    file: string,
    args: readonly string[],
    private readonly options: ProcessOptions,
    private readonly resolve: (result: ProcessResult) => void,
  ) {
    const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.stdout = new CappedCapture(cap);
    this.stderr = new CappedCapture(cap);
    try {
      this.child = spawn(file, args, {
        cwd: options.cwd,
        env: (options.env ?? process.env) as NodeJS.ProcessEnv,
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        detached: useGroups,
      });
    } catch (error) {
      // Invalid arguments (empty file, NUL bytes) throw instead of emitting 'error'.
      this.settle(error instanceof Error ? error.message : String(error));
      return;
    }
    this.watch(this.child);
  }

  private watch(child: ChildProcess): void {
    const { options } = this;
    child.stdout?.on("data", (chunk: Buffer) => {
      this.stdout.push(chunk);
      options.onStdout?.(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr.push(chunk);
      options.onStderr?.(chunk);
    });
    // 'error' also covers a failed kill; only a child without a pid never started.
    child.on("error", (error) => {
      if (child.pid === undefined) this.settle(error.message);
    });
    child.on("exit", (code, signal) => this.noteExit(code, signal));
    child.on("close", (code, signal) => {
      this.noteExit(code, signal);
      this.settle();
    });
    if (child.pid === undefined) return; // spawn failed; 'error' follows
    if (options.input !== undefined && child.stdin) {
      child.stdin.on("error", () => {}); // EPIPE when the child does not read its input
      child.stdin.end(options.input);
    }
    if ((options.timeoutMs ?? 0) > 0) this.later(options.timeoutMs!, () => this.onTimeout());
    if (options.forwardSignals ?? true) forwardSignalsTo(child);
  }

  private noteExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (code !== null) this.exitCode = code;
    if (signal !== null) this.signal = signal;
  }

  private onTimeout(): void {
    this.timedOut = true;
    const grace = this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    if (grace > 0) {
      signalGroup(this.child!, "SIGTERM");
      this.later(grace, () => this.kill());
    } else {
      this.kill();
    }
  }

  private kill(): void {
    signalGroup(this.child!, "SIGKILL");
    // Normally the pipes close as the group dies; if a process outside the group holds them, stop waiting.
    this.later(PIPE_DRAIN_MS, () => this.settle());
  }

  private later(ms: number, action: () => void): void {
    // Node fires longer delays after 1 ms; 24.8 days is as good as no limit.
    this.timers.push(setTimeout(action, Math.min(ms, MAX_TIMER_MS)));
  }

  private settle(spawnError?: string): void {
    if (this.settled) return;
    this.settled = true;
    for (const timer of this.timers) clearTimeout(timer);
    const child = this.child;
    if (child) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      stopForwarding(child);
      if (child.pid !== undefined) signalGroup(child, "SIGKILL"); // leave nothing behind
      // A child stuck after SIGKILL must not keep this process alive; Node still reaps it.
      if (child.exitCode === null && child.signalCode === null) child.unref();
    }
    this.resolve({
      exitCode: this.exitCode,
      ...(this.signal !== undefined && { signal: this.signal }),
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
      timedOut: this.timedOut,
      ...(spawnError !== undefined && { spawnError }),
      durationMs: Math.round(performance.now() - this.started),
    });
  }
}

/** Signals the child's whole group (POSIX), else the child alone. Never throws. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (useGroups && child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal);
      return;
    } catch {
      // ESRCH: the group is already empty; anything else: try the child itself.
    }
  }
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

/** Keeps the first `cap` bytes of a stream and remembers whether anything was dropped. */
class CappedCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString("utf8");
  }
}

/*
 * Signal forwarding. A detached child is outside the terminal's foreground group, so Ctrl-C (or a
 * supervisor's SIGTERM to our group) would reach only us and orphan it. One shared listener per
 * signal, installed while any forwarded child runs, passes the signal on to every live group.
 */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const forwardedChildren = new Set<ChildProcess>();

function forwardSignalsTo(child: ChildProcess): void {
  if (!useGroups) return;
  if (forwardedChildren.size === 0) for (const signal of FORWARDED_SIGNALS) process.on(signal, onSignal);
  forwardedChildren.add(child);
}

function stopForwarding(child: ChildProcess): void {
  if (!forwardedChildren.delete(child) || forwardedChildren.size > 0) return;
  for (const signal of FORWARDED_SIGNALS) process.off(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const child of forwardedChildren) signalGroup(child, signal);
  // Our listener replaced the default action; with no other listener, die of the signal as before.
  if (process.listenerCount(signal) === 1) {
    for (const each of FORWARDED_SIGNALS) process.off(each, onSignal);
    forwardedChildren.clear();
    process.kill(process.pid, signal);
  }
}

/*
 * Helpers: programs Gait asks for one answer on stdout (credential brokers, key commands). They
 * are killed at once on timeout, their output is capped, signals are not forwarded (they are
 * ours, not the user's), and their stderr is never passed on: helpers may print secrets there.
 */

/** Why a helper gave no answer; `why` completes a sentence that names the helper. */
export interface HelperFailure {
  kind: "spawn" | "timeout" | "too_large" | "exit";
  why: string;
}

export interface HelperOptions {
  cwd?: string;
  env: Readonly<Record<string, string | undefined>>;
  input?: string;
  timeoutMs: number;
  /** The most bytes of stdout accepted; more is a `too_large` failure. */
  maxOutputBytes: number;
}

export async function runHelper(
  file: string,
  args: readonly string[],
  options: HelperOptions,
): Promise<{ stdout: string } | { failure: HelperFailure }> {
  const { timeoutMs, maxOutputBytes } = options;
  const result = await runProcess(file, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env,
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeoutMs,
    killGraceMs: 0,
    // One byte past the cap tells an oversized answer from one that fills it exactly.
    maxOutputBytes: maxOutputBytes + 1,
    forwardSignals: false,
  });
  const failed = (kind: HelperFailure["kind"], why: string) => ({ failure: { kind, why } });
  if (result.spawnError) return failed("spawn", `could not start: ${result.spawnError}`);
  if (result.timedOut) return failed("timeout", `did not answer within ${timeoutMs} ms and was killed`);
  if (result.stdoutTruncated || Buffer.byteLength(result.stdout) > maxOutputBytes) {
    return failed("too_large", `printed more than ${maxOutputBytes} bytes`);
  }
  if (result.exitCode !== 0) return failed("exit", `exited with ${result.exitCode}`);
  return { stdout: result.stdout };
}
