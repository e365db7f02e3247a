/**
 * The gate sidecar (`gait gate serve`): the in-process gate (src/sdk) behind a loopback HTTP JSON
 * API for agents written in any language. Pieces: address.ts (where it may listen), auth.ts
 * (bearer token), policy-source.ts (hot reload, fail closed), handler.ts (the API as pure request
 * handling), server.ts (node:http). Decisions and their signed traces are the SDK Gate's.
 */
import { resolve } from "node:path";
import type { BrokerConfig } from "../broker/config.ts";
import type { KeyMode } from "../contract/keys.ts";
import type { SigningKey, VerifyKey } from "../contract/signing.ts";
import { type Clock, systemClock } from "../contract/time.ts";
import type { Exporters } from "../export/index.ts";
import { type ApproverKey, type GateProfile, OwnedApprovalLedger, RateLimitLedger } from "../gate/index.ts";
import { createGate, type Gate, type LoadedPolicy, type TraceDurability, TraceWorker } from "../sdk/index.ts";
import { TraceBacklog } from "../sdk/trace-backlog.ts";
import { checkBindAllowed, DEFAULT_LISTEN, type ListenTarget, parseListenTarget } from "./address.ts";
import { bearerChecker, generateToken, type TokenSource } from "./auth.ts";
import { SidecarHandler, type TraceCounts } from "./handler.ts";
import { PolicySource } from "./policy-source.ts";
import { type BoundAddress, type RunningServer, startServer } from "./server.ts";

export {
  checkBindAllowed,
  DEFAULT_LISTEN,
  describeTarget,
  isLoopbackHost,
  type ListenTarget,
  parseListenTarget,
} from "./address.ts";
export { bearerChecker, type TokenSource, tokenFromEnv } from "./auth.ts";
export {
  type Admission,
  type HandlerDeps,
  type RequestHead,
  SidecarHandler,
  type SidecarResponse,
  type TraceCounts,
} from "./handler.ts";
export { PolicySource, type PolicySourceOptions, type PolicyState } from "./policy-source.ts";
export type { BoundAddress } from "./server.ts";

export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
/**
 * With async durability no answer waits for the disk, so a group commit may wait this long for
 * more traces: fewer, larger commits (fewer syncs and wake-ups per trace) leave more of the
 * machine to the answers. It is also the longest an answered decision's trace waits to start
 * its way to disk.
 */
const ASYNC_COMMIT_LINGER_MS = 10;
export const DEFAULT_SIDECAR_TRACE_DIR = "gait-out/traces";

export interface SidecarOptions {
  /** Absolute path of the policy file (watched and reloaded on change). */
  policyPath: string;
  /** The policy path as the operator gave it, for messages (default: policyPath). */
  policyDisplay?: string;
  /** Default 127.0.0.1:8787. */
  listen?: ListenTarget;
  /** The bearer token; generated (and reported back) when absent. */
  token?: string;
  /** Permit a non-loopback TCP address (needs `token`). */
  allowRemote?: boolean;
  maxRequestBytes?: number;
  /** Absolute directory for signed traces. */
  traceDir: string;
  signingKey: SigningKey;
  /** How the signing key was chosen: dev (ephemeral) or prod (default: prod, a key the caller chose). */
  keyMode?: KeyMode;
  /** standard (default) or oss-prod: the same rules as `gait gate eval --profile` (gate/setup.ts). */
  profile?: GateProfile;
  /** Verifies approval tokens; default: the signing key's public half (as `gait gate eval`). */
  approvalKey?: VerifyKey;
  /** Verifies delegation tokens; default: the signing key's public half (as `gait gate eval`). */
  delegationKey?: VerifyKey;
  /** An approver key list instead of approvalKey: each approver signs with their own key. */
  approvers?: ApproverKey[];
  /**
   * Spend approval tokens once, recording them in this ledger file, which the sidecar owns while
   * it runs (as the rate-limit state); durable answers wait until the spend is on disk.
   */
  approvalLedgerPath?: string;
  /**
   * Keep rate-limit counters in this state file (as `gait gate eval`) instead of in memory. The
   * sidecar owns it while it runs: it holds the file's lock, counts in memory and saves each
   * change (see RateLimitLedger).
   */
  rateLimitStatePath?: string;
  /**
   * Check this kill-switch state file (`gait kill-switch add`) on every decision, re-read when
   * it changes: an active entry blocks; an unreadable state blocks high and critical risk (and
   * everything under oss-prod) and fails other decisions closed.
   */
  killSwitchStatePath?: string;
  /**
   * The credential broker for rules with `require_broker_credential` (as `gate eval
   * --credential-broker`); without one those rules block with `broker_credential_required`.
   */
  broker?: BrokerConfig;
  /**
   * `durable` (default): answer a decision only once its trace (and its rate-limit count) is on
   * disk. `async`: answer at once and write behind; a crash loses the evidence of answered decisions.
   */
  traceDurability?: TraceDurability;
  /** fsync each trace and saved rate-limit state (default true). */
  fsync?: boolean;
  /**
   * Hand every decision to these exporters (createExporters: OTLP, JSONL log); the hand-off only
   * queues. The sidecar owns them from then on: close() shuts them down after the last decision.
   */
  exporters?: Exporters;
  /** Operational messages (reloads, trace write failures); default stderr. */
  log?: (message: string) => void;
  clock?: Clock;
  /** Policy file poll interval (default 1000 ms); watch events usually come first. */
  pollMs?: number;
}

export interface SidecarStats extends TraceCounts {
  policyDigest: string;
}

export interface Sidecar {
  readonly address: BoundAddress;
  readonly token: string;
  readonly tokenSource: TokenSource;
  readonly traceKeyId: string;
  /** The digest of the policy deciding now ("" while the policy is unavailable). */
  policyDigest(): string;
  stats(): SidecarStats;
  /** Re-reads the policy file now (the watcher does this on its own). */
  reloadPolicy(): Promise<void>;
  /** Stops accepting, finishes requests in flight, then writes every queued trace. */
  close(): Promise<SidecarStats>;
}

/** Loads the policy (it must be valid at start), binds, and serves until close(). */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const listen = options.listen ?? parseListenTarget(DEFAULT_LISTEN);
  checkBindAllowed(listen, options.allowRemote === true, options.token !== undefined);
  const token = options.token ?? generateToken();
  const log = options.log ?? ((message: string) => process.stderr.write(`gait gate serve: ${message}\n`));
  const clock = options.clock ?? systemClock;
  const policyDisplay = options.policyDisplay ?? options.policyPath;
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;

  const ledger = options.rateLimitStatePath
    ? await RateLimitLedger.open(options.rateLimitStatePath, {
        fsync: options.fsync ?? true,
        onError: (error) => log(`rate-limit state not saved: ${error.message}`),
      })
    : undefined;
  let approvalLedger: OwnedApprovalLedger | undefined;
  try {
    approvalLedger = options.approvalLedgerPath
      ? await OwnedApprovalLedger.open(options.approvalLedgerPath, clock, {
          fsync: options.fsync ?? true,
          onError: (error) => log(`approval ledger not saved: ${error.message}`),
        })
      : undefined;
  } catch (error) {
    await ledger?.close();
    throw error;
  }
  const closeLedgers = async () => {
    // Shutdown goes on: what answered decisions changed was saved when they were answered
    // (durable), and a save failure was logged then.
    await ledger?.close().catch((error: Error) => log(`rate-limit state not saved: ${error.message}`));
    await approvalLedger?.close().catch((error: Error) => log(`approval ledger not saved: ${error.message}`));
  };
  // One trace writer signs and writes the traces of every policy version, in group commits, on
  // this event loop (`thread: false`): a worker thread would cost a second V8 heap (about 20 MB,
  // a fifth of the sidecar's memory) and the structured clone of every trace, and measured no
  // faster on two shared vCPUs (docs/sidecar.md, Performance).
  const async = (options.traceDurability ?? "durable") === "async";
  const traceWorker = new TraceWorker({
    thread: false,
    signingKey: options.signingKey,
    fsync: options.fsync ?? true,
    lingerMs: async ? ASYNC_COMMIT_LINGER_MS : 0,
  });
  let policy: PolicySource;
  try {
    policy = await PolicySource.open({
      path: options.policyPath,
      display: policyDisplay,
      makeGate: gateFactory(options, { traceWorker, ledger, approvalLedger, clock, log }),
      clock,
      log,
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    });
  } catch (error) {
    await traceWorker.close();
    await closeLedgers();
    throw error;
  }
  const traceCounts = () => policy.traceCounts();
  // All policy versions' traces together: answers wait, in arrival order, while too many are queued.
  const backlog = new TraceBacklog(() => traceWorker.pending);
  const startedAt = performance.now();
  const handler = new SidecarHandler({
    policy,
    profile: options.profile ?? "standard",
    authorize: bearerChecker(token),
    clock,
    maxRequestBytes,
    policyPath: policyDisplay,
    uptimeSeconds: () => (performance.now() - startedAt) / 1000,
    traceCounts,
    traceBackpressure: () => backlog.admit(),
  });

  let server: RunningServer;
  try {
    server = await startServer(handler, listen, maxRequestBytes);
  } catch (error) {
    await policy.close();
    await traceWorker.close();
    await closeLedgers();
    throw error;
  }

  const policyDigest = () => {
    const state = policy.current();
    return state.status === "ready" ? state.gate.policyDigest : "";
  };
  const stats = (): SidecarStats => ({ ...traceCounts(), policyDigest: policyDigest() });
  let closing: Promise<SidecarStats> | undefined;
  return {
    address: server.address,
    token,
    tokenSource: options.token === undefined ? "generated" : "given",
    traceKeyId: options.signingKey.keyId,
    policyDigest,
    stats,
    reloadPolicy: () => policy.reload(),
    close: () => {
      closing ??= (async () => {
        await server.close();
        await policy.close();
        await Promise.all(policy.gates().map((gate) => gate.close()));
        await options.exporters?.shutdown();
        await traceWorker.close();
        await closeLedgers();
        return stats();
      })();
      return closing;
    },
  };
}

interface SharedParts {
  traceWorker: TraceWorker;
  ledger: RateLimitLedger | undefined;
  approvalLedger: OwnedApprovalLedger | undefined;
  clock: Clock;
  log: (message: string) => void;
}

/**
 * One SDK Gate per policy version: same keys, trace dir, durability, error reporting, rate-limit
 * ledger and approval ledger for all (without a state file, each version counts in its own memory).
 */
function gateFactory(
  options: SidecarOptions,
  { traceWorker, ledger, approvalLedger, clock, log }: SharedParts,
): (loaded: LoadedPolicy) => Promise<Gate> {
  return (loaded) =>
    createGate({
      policy: loaded,
      profile: options.profile ?? "standard",
      signingKey: options.signingKey,
      keyMode: options.keyMode ?? "prod",
      ...(options.approvers ? { approvers: options.approvers } : {}),
      ...(options.approvalKey ? { approvalPublicKey: options.approvalKey } : {}),
      ...(options.delegationKey ? { delegationPublicKey: options.delegationKey } : {}),
      ...(approvalLedger ? { approvalLedger } : {}),
      traceDir: resolve(options.traceDir),
      clock,
      traceWorker,
      traceDurability: options.traceDurability ?? "durable",
      ...(ledger ? { rateLimitLedger: ledger } : {}),
      ...(options.exporters ? { exporters: options.exporters } : {}),
      ...(options.killSwitchStatePath ? { killSwitchState: options.killSwitchStatePath } : {}),
      ...(options.broker ? { broker: options.broker } : {}),
      onWarning: log,
      onError: (error, info) =>
        log(`trace ${info.traceId} was not written${info.path ? ` to ${info.path}` : ""}: ${error.message}`),
    });
}
