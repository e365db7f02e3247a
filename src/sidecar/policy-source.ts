/**
 * The policy the sidecar decides with, kept in step with the file: a directory watch (debounced,
 * so editors that write a temp file and rename it over the policy are seen) plus a periodic stat
 * for file systems where watch events are unreliable (network mounts, Kubernetes ConfigMap
 * symlink swaps). Every change is loaded and compiled.
 *
 * Fail closed: when the file becomes unreadable or invalid, the state becomes `unavailable` and
 * the last good policy is dropped, so every evaluation blocks until the file is fixed. Serving
 * the stale policy would silently decide with rules the operator has already replaced.
 */
import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { fromFsError, type GaitError, isGaitError } from "../contract/errors.ts";
import type { Clock, Timestamp } from "../contract/time.ts";
import { type LoadedPolicy, parsePolicyYaml } from "../gate/index.ts";
import type { Gate, TraceWriterStats } from "../sdk/index.ts";
import { internalFailure } from "./error-codes.ts";

export type PolicyState =
  | { status: "ready"; gate: Gate; loadedAt: Timestamp }
  | { status: "unavailable"; error: GaitError; since: Timestamp };

export interface PolicySourceOptions {
  /** Absolute path of the policy file. */
  path: string;
  /** The path as the operator gave it, for messages. */
  display: string;
  /** Builds the Gate that decides (and writes traces) for one policy version. */
  makeGate: (loaded: LoadedPolicy) => Promise<Gate>;
  clock: Clock;
  log: (message: string) => void;
  /** Stat the file this often (default 1000 ms). */
  pollMs?: number;
  /** Wait this long after a watch event before reloading (default 50 ms). */
  debounceMs?: number;
}

/** Distinct policy versions whose Gates are kept (a policy that comes back reuses its Gate). */
const MAX_GATES = 16;

export class PolicySource {
  private readonly options: PolicySourceOptions;
  private readonly gateByDigest = new Map<string, Gate>();
  /** Evicted Gates still writing their queued traces (shutdown waits for them). */
  private readonly closing = new Set<Gate>();
  /** Trace counts of evicted Gates that finished, so the totals still add up. */
  private readonly retiredCounts: TraceWriterStats = { written: 0, failed: 0, pending: 0 };
  private state: PolicyState;
  private fingerprint = "";
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  private constructor(options: PolicySourceOptions, state: PolicyState) {
    this.options = options;
    this.state = state;
  }

  /** Loads the policy (an invalid one at start is an error, not a blocking server) and starts watching. */
  static async open(options: PolicySourceOptions): Promise<PolicySource> {
    const source = new PolicySource(options, {
      status: "unavailable",
      error: internalFailure("policy_not_loaded", "policy not loaded yet"),
      since: options.clock(),
    });
    await source.load({ initial: true });
    source.startWatching();
    return source;
  }

  current(): PolicyState {
    return this.state;
  }

  /** The Gates that may still write traces: the current versions and evicted ones still closing. */
  gates(): Gate[] {
    return [...this.closing, ...this.gateByDigest.values()];
  }

  /** Trace counts of every Gate that decided since start. */
  traceCounts(): TraceWriterStats {
    const counts = { ...this.retiredCounts };
    for (const gate of this.gates()) {
      const stats = gate.traceStats();
      counts.written += stats.written;
      counts.failed += stats.failed;
      counts.pending += stats.pending;
    }
    return counts;
  }

  /** Reloads now; concurrent calls coalesce into one more load after the running one. */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.load({ initial: false });
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops watching and waits for a reload in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    await this.running;
  }

  private startWatching(): void {
    const { path, pollMs = 1000, debounceMs = 50 } = this.options;
    const name = basename(path);
    try {
      // The directory, not the file: a rename over the file would orphan a file watch.
      this.watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.scheduleReload(debounceMs);
      });
      this.watcher.on("error", () => this.watcher?.close());
    } catch {
      // No watch support here: the poll below still notices changes.
    }
    this.poller = setInterval(() => void this.pollOnce(), pollMs);
    this.poller.unref();
  }

  private scheduleReload(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), delayMs);
    this.debounce.unref();
  }

  private async pollOnce(): Promise<void> {
    if (this.closed || this.running) return;
    if ((await this.statFingerprint()) !== this.fingerprint) await this.reload();
  }

  private async statFingerprint(): Promise<string> {
    try {
      const s = await stat(this.options.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (error) {
      return `error:${(error as NodeJS.ErrnoException).code ?? "unknown"}`;
    }
  }

  /** The first load must succeed (its error is thrown); later ones switch state and log. */
  private async load({ initial }: { initial: boolean }): Promise<void> {
    const { path, display } = this.options;
    // Fingerprint before reading: a change that lands mid-read then shows up in the next poll.
    this.fingerprint = await this.statFingerprint();
    let gate: Gate;
    try {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        throw fromFsError(error, "read policy", display);
      }
      gate = await this.gateFor({ ...parsePolicyYaml(text, display), path });
    } catch (error) {
      if (initial) throw error;
      this.becomeUnavailable(error);
      return;
    }
    const previous = this.state;
    if (previous.status === "ready" && previous.gate === gate) return;
    this.state = { status: "ready", gate, loadedAt: this.options.clock() };
    if (!initial) this.options.log(`policy ${display} loaded: policy_digest=${gate.policyDigest}`);
  }

  private async gateFor(loaded: LoadedPolicy): Promise<Gate> {
    const known = this.gateByDigest.get(loaded.policyDigest);
    if (known) {
      // Most recently used last, so eviction below drops the longest unused version.
      this.gateByDigest.delete(loaded.policyDigest);
      this.gateByDigest.set(loaded.policyDigest, known);
      return known;
    }
    const gate = await this.options.makeGate(loaded);
    this.gateByDigest.set(loaded.policyDigest, gate);
    this.evictOldGates();
    return gate;
  }

  /**
   * Closing an evicted Gate flushes its queued traces; nothing decides with it any more. Once it
   * is flushed only its counts are kept, so a long-running sidecar holds at most MAX_GATES Gates
   * plus those still flushing.
   */
  private evictOldGates(): void {
    while (this.gateByDigest.size > MAX_GATES) {
      const [digest, gate] = this.gateByDigest.entries().next().value as [string, Gate];
      this.gateByDigest.delete(digest);
      this.closing.add(gate);
      void gate.close().then((stats) => {
        this.retiredCounts.written += stats.written;
        this.retiredCounts.failed += stats.failed;
        this.closing.delete(gate);
      });
    }
  }

  private becomeUnavailable(error: unknown): void {
    const gaitError = isGaitError(error)
      ? error
      : internalFailure("policy_load_failed", error instanceof Error ? error.message : String(error));
    const previous = this.state;
    const sameFailure = previous.status === "unavailable" && previous.error.message === gaitError.message;
    if (sameFailure) return;
    this.state = { status: "unavailable", error: gaitError, since: this.options.clock() };
    this.options.log(
      `policy ${this.options.display} unavailable (${gaitError.code}: ${gaitError.message}); every evaluation blocks with policy_unavailable until it is fixed`,
    );
  }
}
