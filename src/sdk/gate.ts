/**
 * The in-process gate: load and compile a policy once, then decide tool calls synchronously in
 * microseconds with the very pipeline `gait gate eval` runs (approvals, rate limits, fail closed,
 * simulate). The signed trace of each decision is written in the background (trace-writer.ts).
 *
 * Fail closed: evaluate() never throws; any error yields `block` with `gait_evaluation_error`.
 */
import { resolve } from "node:path";
import type { CredentialBroker } from "../broker/types.ts";
import type { ContextEvidence } from "../context/index.ts";
import { asError } from "../contract/errors.ts";
import { DEV_KEY_WARNING, type KeyMode, type KeySource, loadPublicKey } from "../contract/keys.ts";
import { type SigningKey, type VerifyKey, verifyKeyFor } from "../contract/signing.ts";
import { type Clock, monotonicMs, systemClock, type Timestamp } from "../contract/time.ts";
import type { Exporters } from "../export/index.ts";
import {
  type ApprovalLedger,
  type ApprovalVerifier,
  type ApprovedScriptMatcher,
  type ApproverKey,
  approverKeyVerifier,
  type CompiledPolicy,
  checkDecisionSetup,
  checkGateSetup,
  chooseSigningKey,
  compilePolicy,
  type DelegationChecker,
  decideGate,
  decideGateSync,
  enforceLimits,
  fileApprovalLedger,
  type GateDecisionRequest,
  type GateOutcome,
  type GateProfile,
  type IntentInputs,
  type KillSwitchCheck,
  type LimitEnforcer,
  type LoadedPolicy,
  loadApproverKeys,
  loadPolicyFile,
  memoryApprovalLedger,
  memoryLimitEnforcer,
  type PreparedIntent,
  parsePolicyYaml,
  previewLimits,
  type RateLimitLedger,
  type SyncApprovalLedger,
  type SyncLimitEnforcer,
  singleKeyVerifier,
} from "../gate/index.ts";
import type { KillSwitchFired } from "../gate/kill-switch-store.ts";
import { storeRecipients } from "../store/index.ts";
import { approvalRequestFor } from "./approval-request.ts";
import { failedDecision, type GateDecision } from "./decision.ts";
import { invalidInput } from "./error-codes.ts";
import {
  type GateBrokerOption,
  gateBrokerFor,
  refuseCredentialSync,
  type SettledCredential,
  settleCredential,
  writeCredentialEvidence,
} from "./gate-broker.ts";
import type { IntentRequest } from "./intent-request.ts";
import type { TraceWorker } from "./trace-worker.ts";
import {
  type TraceErrorHandler,
  type TraceJob,
  type TraceSink,
  type TraceTarget,
  TraceWriter,
  type TraceWriterStats,
} from "./trace-writer.ts";

export const DEFAULT_TRACE_DIR = "gait-out/traces";

/**
 * When a decision may be answered. `async`: at once, the trace is written in the background (a
 * crash can lose the evidence of decisions already answered). `durable`: only once its trace,
 * and any rate-limit count it made in a rateLimitLedger, is on disk.
 */
export type TraceDurability = "async" | "durable";

export interface GateOptions {
  /** Policy YAML file path (relative to `cwd`), or a policy already loaded with loadPolicyFile/parsePolicyYaml. */
  policy?: string | LoadedPolicy;
  /** Policy YAML text, instead of `policy`. */
  policyText?: string;
  /** Names `policyText` in error messages (default "<policyText>"). */
  policySource?: string;
  /**
   * `standard` (default) or `oss-prod`, which refuses dev keys, simulation, default-allow
   * policies, replays at another evaluation time and approval tokens without explicit approval
   * keys — the same rules as `gait gate eval --profile oss-prod` and `gait gate serve`.
   */
  profile?: GateProfile;
  /**
   * The trace signing key. Without it, `keyMode` and `privateKey` decide (as the CLI's key
   * flags); with it, `keyMode` says what it is (default `prod`: a key the caller chose).
   */
  signingKey?: SigningKey;
  /** `prod` needs `privateKey`; `dev` (the default without one) signs with an ephemeral key and warns. */
  keyMode?: KeyMode;
  /** A persistent dev key (a project's: config's projectDevKey) signing in dev mode instead of an ephemeral one. */
  devKey?: { key: SigningKey; origin: string };
  privateKey?: KeySource;
  /** When given with `privateKey`, must be its public half. */
  publicKey?: KeySource;
  /** Verifies approval tokens; default: the signing key's public half (as `gait gate eval`). */
  approvalPublicKey?: VerifyKey | KeySource;
  /** Verifies delegation tokens; default: the signing key's public half (as `gait gate eval`). */
  delegationPublicKey?: VerifyKey | KeySource;
  /**
   * An approver key list (a gait.gate.approver_keys file path, or its entries): a token counts
   * only when signed by the key of the approver it names, and multi-party approval needs
   * distinct keys. Replaces approvalPublicKey.
   */
  approvers?: string | ApproverKey[];
  /** Spend approval tokens once: a token that granted a decision is refused after (in memory). */
  singleUseApprovals?: boolean;
  /**
   * Share spent single-use approvals with other processes (and `gait gate eval
   * --approval-single-use`) through this ledger file; needs evaluateAsync, like rateLimitStatePath.
   */
  approvalLedgerPath?: string;
  /**
   * Spend single-use approvals in this ledger (e.g. an OwnedApprovalLedger that a long-running
   * process owns, shared by several Gates). Implies single use; excludes approvalLedgerPath.
   */
  approvalLedger?: ApprovalLedger;
  /**
   * Where signed traces go (relative to `cwd`; default gait-out/traces); null writes no files (and
   * without onTrace or an exact path no trace is signed at all: nothing would receive it).
   */
  traceDir?: string | null;
  /** Receives every signed trace and approval audit (e.g. to ship them elsewhere). */
  onTrace?: TraceSink;
  /** Trace signing/writing failures; default: a process warning on stderr. */
  onError?: TraceErrorHandler;
  /** Non-fatal findings such as the dev-key warning; default: a process warning. */
  onWarning?: (message: string) => void;
  clock?: Clock;
  /**
   * Share rate-limit counters with other processes (and `gait gate eval`) through this state file.
   * Counting then needs file I/O: use evaluateAsync (guardTool does). Without it, counters live
   * in this Gate's memory and evaluate() enforces them synchronously.
   */
  rateLimitStatePath?: string;
  /**
   * Count rate limits with this ledger, the single owner of a state file (see RateLimitLedger):
   * in memory, synchronously, persisted after each change. Excludes rateLimitStatePath.
   */
  rateLimitLedger?: RateLimitLedger;
  /**
   * `async` (the default): evaluate() answers at once and the trace follows. `durable`: answer
   * only after the trace is on disk; only evaluateAsync can wait, so evaluate() fails closed.
   */
  traceDurability?: TraceDurability;
  /** Report what would have been blocked without enforcing (as `--simulate`). */
  simulate?: boolean;
  /**
   * A credential broker (a CredentialBroker, or a configuration such as `{ kind: "oauth2",
   * oauth2Issuer, ... }`, see docs/broker.md): a rule with `require_broker_credential` allows only
   * once it issued a credential for exactly the rule's scopes (evaluateAsync; guardTool hands the
   * credential to the tool). Without one, such rules block with `broker_credential_required`.
   */
  broker?: GateBrokerOption;
  /** How long evaluateAsync waits for the broker before blocking (default 15 s). */
  brokerTimeoutMs?: number;
  /**
   * A kill-switch state file (`gait kill-switch add`, relative to `cwd`), checked on every
   * decision (re-read when it changes): an active entry blocks whatever the policy says. A
   * missing file has no entries; an unreadable one blocks high and critical risk (and everything
   * under oss-prod) with `kill_switch_state_unavailable`, and fails other decisions closed.
   */
  killSwitchState?: string;
  /** fsync each trace file (default true; a `traceWorker` has its own setting). */
  fsync?: boolean;
  /**
   * Hand every finished decision to these exporters (createExporters: OTLP, JSONL log). The
   * hand-off only queues; export never delays or changes a decision. The caller owns them
   * (several Gates may share them): shut them down after closing the Gates.
   */
  exporters?: Exporters;
  /**
   * Sign and write traces on this worker thread instead of the event loop (see TraceWorker). It
   * must sign with this Gate's key; several Gates may share one. Closing the Gate does not close it.
   */
  traceWorker?: TraceWorker;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface EvaluateOptions {
  /** Approval tokens (parsed `gait.gate.approval_token` objects) for a require_approval intent. */
  approvalTokens?: unknown[];
  /**
   * Replay or simulate as of this time (freeze windows, limit buckets). Approvals must also be
   * valid now, and nothing is counted or spent. Default: a live decision at the Gate's clock.
   */
  evaluationTime?: Timestamp;
  correlationId?: string;
  /** Write this decision's trace to exactly this file (relative to `cwd`), which must not exist. */
  tracePath?: string;
  /** The same for its approval audit (default: its usual name in the trace dir). */
  approvalAuditPath?: string;
  /** The same for its broker credential record (default: credential_evidence_<trace_id>.json in the trace dir). */
  credentialEvidencePath?: string;
  /**
   * Context evidence of a verified context envelope (parseContextEnvelope + contextEvidenceFor):
   * what the intent says about its context evidence counts only with it (else it is stripped).
   */
  contextEvidence?: ContextEvidence;
  /** Wrkr inventory context (wrkrContextLookup) for the policy's `context_*` match keys. */
  wrkrContext?: IntentInputs["wrkrContext"];
  /**
   * Delegation tokens (parsed `gait.gate.delegation_token` objects) for rules with
   * `require_delegation`. evaluate() checks them only when the Gate has a delegationPublicKey (its
   * checker is loaded with the Gate); evaluateAsync loads the checker on first use.
   */
  delegationTokens?: unknown[];
  /** Write this decision's delegation audit to exactly this file (default: next to its trace). */
  delegationAuditPath?: string;
  /** A verified approved-script registry (loadApprovedScripts): a matching entry pre-approves a script. */
  approvedScripts?: ApprovedScriptMatcher;
}

export interface Gate {
  readonly policyDigest: string;
  readonly profile: GateProfile;
  readonly policy: LoadedPolicy;
  readonly compiled: CompiledPolicy;
  /** Verifies the traces this Gate signs (with dev keys, the only way to). */
  readonly verifyKey: VerifyKey;
  /** Who may sign the approval tokens this Gate accepts. */
  readonly approvalVerifier: ApprovalVerifier;
  /** The exporters given to createGate (guardTool reports tool executions to them too). */
  readonly exporters: Exporters | undefined;
  /** Decides synchronously; the signed trace is written in the background. Never throws. */
  evaluate(intent: IntentRequest | PreparedIntent, options?: EvaluateOptions): GateDecision;
  /**
   * Same decision; counts rate limits in the shared state file when `rateLimitStatePath` is set,
   * and with `traceDurability: "durable"` resolves only once the trace is on disk.
   */
  evaluateAsync(intent: IntentRequest | PreparedIntent, options?: EvaluateOptions): Promise<GateDecision>;
  /** Waits until every queued trace is written (or reported through onError). */
  flush(): Promise<TraceWriterStats>;
  /** Flushes, then refuses further decisions (they fail closed). */
  close(): Promise<TraceWriterStats>;
  traceStats(): TraceWriterStats;
}

/** Loads keys and the policy, compiles it once, and returns a ready Gate. */
export async function createGate(options: GateOptions): Promise<Gate> {
  const cwd = options.cwd ?? process.cwd();
  const warn = options.onWarning ?? defaultWarning;
  const loaded = await loadPolicy(options, cwd);
  const chosen = await chooseSigningKey(options, { env: options.env ?? process.env, cwd, warn });
  for (const warning of chosen.warnings) warn(warning);
  const { key: signingKey, mode: keyMode } = chosen;
  const profile = options.profile ?? "standard";
  checkGateSetup({
    profile,
    keyMode,
    simulate: options.simulate === true,
    defaultVerdict: loaded.policy.defaultVerdict,
  });
  const approvalVerifier = await approvalVerifierFor(options, cwd, signingKey, warn);
  const delegationKey = await delegationKeyFor(options, cwd, signingKey, warn);
  const traceDir =
    options.traceDir === null ? undefined : resolve(cwd, options.traceDir ?? DEFAULT_TRACE_DIR);
  if (options.traceWorker && options.traceWorker.keyId !== signingKey.keyId) {
    throw invalidInput(
      "trace_worker_key_mismatch",
      "the traceWorker signs with a different key than this Gate",
      {
        hint: "create the TraceWorker with the same signingKey as the Gate",
      },
    );
  }
  if (options.rateLimitLedger && options.rateLimitStatePath) {
    throw invalidInput("usage", "createGate takes rateLimitLedger or rateLimitStatePath, not both", {
      hint: "the ledger already owns a state file; drop rateLimitStatePath",
    });
  }
  const clock = options.clock ?? systemClock;
  const writer = new TraceWriter({
    dir: traceDir,
    signingKey,
    // The worker thread writes files as they are; under an encrypted store (docs/encryption.md)
    // traces are sealed on this event loop instead.
    engine: options.traceWorker && !(await storeRecipients()) ? options.traceWorker : undefined,
    onTrace: options.onTrace,
    onError: options.onError ?? defaultTraceError,
    fsync: options.fsync,
  });
  return new InProcessGate({
    profile,
    explicitApprovalKeys: options.approvers !== undefined || options.approvalPublicKey !== undefined,
    explicitDelegationKey: options.delegationPublicKey !== undefined,
    delegationKey,
    ...(options.delegationPublicKey !== undefined
      ? { delegationChecker: await loadDelegationChecker(delegationKey) }
      : {}),
    cwd,
    loaded,
    compiled: compilePolicy(loaded),
    approvalVerifier,
    verifyKey: verifyKeyFor(signingKey),
    writer,
    clock,
    simulate: options.simulate === true,
    statePath: options.rateLimitStatePath ? resolve(cwd, options.rateLimitStatePath) : undefined,
    limitLedger: options.rateLimitLedger,
    durable: options.traceDurability === "durable",
    approvalLedger: approvalLedgerFor(options, cwd, clock),
    exporters: options.exporters,
    broker: await gateBrokerFor(options.broker, { env: options.env ?? process.env, cwd }),
    brokerTimeoutMs: options.brokerTimeoutMs,
    traceDir,
    fsync: options.fsync ?? true,
    onEvidenceError: options.onError ?? defaultTraceError,
    ...(options.killSwitchState !== undefined
      ? { killSwitch: await loadKillSwitch(resolve(cwd, options.killSwitchState), profile, warn) }
      : {}),
  });
}

/** The kill-switch check and its journal, loaded only by Gates given a state file. */
async function loadKillSwitch(
  statePath: string,
  profile: GateProfile,
  warn: (message: string) => void,
): Promise<KillSwitchParts> {
  const store = await import("../gate/kill-switch-store.ts");
  return {
    check: store.killSwitchCheckFor(statePath, profile),
    journalFired: (fired) => {
      try {
        store.journalKillSwitchFired(statePath, fired);
      } catch (error) {
        warn(`kill switch fired but was not journalled: ${(error as Error).message}`);
      }
    },
  };
}

interface KillSwitchParts {
  check: KillSwitchCheck;
  /** Journals a decision the kill switch blocked; a failure is a warning (the block stands). */
  journalFired: (fired: KillSwitchFired) => void;
}

/** The given ledger, a shared file for approvalLedgerPath, in memory for singleUseApprovals, else none. */
function approvalLedgerFor(
  options: GateOptions,
  cwd: string,
  clock: Clock,
): ApprovalLedger | SyncApprovalLedger | undefined {
  if (options.approvalLedger && options.approvalLedgerPath) {
    throw invalidInput("usage", "createGate takes approvalLedger or approvalLedgerPath, not both", {
      hint: "the ledger already owns its file; drop approvalLedgerPath",
    });
  }
  if (options.approvalLedger) return options.approvalLedger;
  if (options.approvalLedgerPath) return fileApprovalLedger(resolve(cwd, options.approvalLedgerPath), clock);
  return options.singleUseApprovals ? memoryApprovalLedger(clock) : undefined;
}

interface GateParts {
  profile: GateProfile;
  /** Approvals are verified with keys given for that purpose, not the trace key's public half. */
  explicitApprovalKeys: boolean;
  /** Delegation tokens are verified with a key given for that purpose. */
  explicitDelegationKey: boolean;
  delegationKey: VerifyKey;
  /** Loaded at creation when a delegation key is given, else by evaluateAsync on first use. */
  delegationChecker?: DelegationChecker;
  cwd: string;
  loaded: LoadedPolicy;
  compiled: CompiledPolicy;
  approvalVerifier: ApprovalVerifier;
  verifyKey: VerifyKey;
  writer: TraceWriter;
  clock: Clock;
  simulate: boolean;
  statePath: string | undefined;
  limitLedger: RateLimitLedger | undefined;
  durable: boolean;
  /** Spent single-use approvals (none unless single use is on). */
  approvalLedger: ApprovalLedger | SyncApprovalLedger | undefined;
  exporters: Exporters | undefined;
  broker: CredentialBroker | undefined;
  brokerTimeoutMs: number | undefined;
  /** Where evidence files go (credential records beside the traces); undefined writes none. */
  traceDir: string | undefined;
  fsync: boolean;
  /** Evidence written in the background that failed (as trace failures are reported). */
  onEvidenceError: TraceErrorHandler;
  killSwitch?: KillSwitchParts;
}

class InProcessGate implements Gate {
  readonly policy: LoadedPolicy;
  readonly compiled: CompiledPolicy;
  readonly verifyKey: VerifyKey;
  readonly approvalVerifier: ApprovalVerifier;
  readonly exporters: Exporters | undefined;
  private readonly parts: GateParts;
  private readonly syncLimits: SyncLimitEnforcer;
  private closed = false;

  constructor(parts: GateParts) {
    this.parts = parts;
    this.policy = parts.loaded;
    this.compiled = parts.compiled;
    this.verifyKey = parts.verifyKey;
    this.approvalVerifier = parts.approvalVerifier;
    this.exporters = parts.exporters;
    const limitLedger = parts.limitLedger;
    this.syncLimits = limitLedger
      ? (requirements, intent, now, ...access) => limitLedger.count(requirements, intent, now, ...access)
      : parts.statePath
        ? refuseSyncStateFile
        : memoryLimitEnforcer();
  }

  get policyDigest(): string {
    return this.compiled.policyDigest;
  }

  get profile(): GateProfile {
    return this.parts.profile;
  }

  evaluate(intent: IntentRequest | PreparedIntent, options: EvaluateOptions = {}): GateDecision {
    const started = monotonicMs();
    try {
      if (this.parts.durable) throw durableNeedsAsync();
      const request = this.decisionRequest(intent, options);
      const outcome = decideGateSync(request, this.syncLimits, this.syncLedger());
      return this.exported(this.decided(refuseCredentialSync(outcome), started, options), started);
    } catch (error) {
      return this.exported(this.failClosed(error), started);
    }
  }

  async evaluateAsync(
    intent: IntentRequest | PreparedIntent,
    options: EvaluateOptions = {},
  ): Promise<GateDecision> {
    const started = monotonicMs();
    try {
      if ((options.delegationTokens?.length ?? 0) > 0) {
        this.parts.delegationChecker ??= await loadDelegationChecker(this.parts.delegationKey);
      }
      const decided = await this.decide(this.decisionRequest(intent, options));
      const { broker, brokerTimeoutMs, clock } = this.parts;
      const settled = await settleCredential(broker, decided, clock(), brokerTimeoutMs);
      const { outcome } = settled;
      const decision = this.parts.durable
        ? await this.decidedDurably(outcome, started, options)
        : this.decided(outcome, started, options);
      return this.exported(await this.withCredential(decision, settled, options), started);
    } catch (error) {
      return this.exported(this.failClosed(error), started);
    }
  }

  /** Hands the answer to the exporters (a queue push) on its way out. */
  private exported(decision: GateDecision, started: number): GateDecision {
    this.exporters?.decision(decision, Math.round((monotonicMs() - started) * 1000) / 1000);
    return decision;
  }

  flush(): Promise<TraceWriterStats> {
    return this.parts.writer.flush();
  }

  async close(): Promise<TraceWriterStats> {
    this.closed = true;
    return this.parts.writer.flush();
  }

  traceStats(): TraceWriterStats {
    return this.parts.writer.stats();
  }

  private decisionRequest(intent: unknown, options: EvaluateOptions): GateDecisionRequest {
    if (this.closed) {
      throw invalidInput("gate_closed", "this Gate was closed", {
        hint: "create a new Gate with createGate()",
      });
    }
    checkDecisionSetup({
      profile: this.parts.profile,
      replay: options.evaluationTime !== undefined,
      hasTokens: (options.approvalTokens?.length ?? 0) > 0,
      explicitApprovalKeys: this.parts.explicitApprovalKeys,
      hasDelegationTokens: (options.delegationTokens?.length ?? 0) > 0,
      explicitDelegationKey: this.parts.explicitDelegationKey,
    });
    return {
      compiled: this.compiled,
      intent,
      now: this.parts.clock(),
      evaluationTime: options.evaluationTime,
      approvalVerifier: this.parts.approvalVerifier,
      approvalTokens: options.approvalTokens,
      delegationTokens: options.delegationTokens,
      delegationChecker: this.parts.delegationChecker,
      approvedScripts: options.approvedScripts,
      simulate: this.parts.simulate,
      brokerConfigured: this.parts.broker !== undefined,
      killSwitch: this.parts.killSwitch?.check,
      intentInputs: { contextEvidence: options.contextEvidence, wrkrContext: options.wrkrContext },
    };
  }

  /** The ledger for a synchronous decision; a shared ledger file needs evaluateAsync. */
  private syncLedger(): SyncApprovalLedger | undefined {
    const ledger = this.parts.approvalLedger;
    if (!ledger || isSync(ledger)) return ledger;
    throw invalidInput(
      "approval_ledger_requires_async",
      "this Gate records single-use approvals in a ledger file",
      { hint: "use gate.evaluateAsync() (guardTool does), or use singleUseApprovals to keep them in memory" },
    );
  }

  /**
   * Counts limits and settles single-use approvals synchronously, unless the counters or the
   * ledger live in a shared file.
   */
  private async decide(request: GateDecisionRequest): Promise<GateOutcome> {
    const { statePath, approvalLedger } = this.parts;
    const sharedLedger = approvalLedger && !isSync(approvalLedger);
    if (!statePath && !sharedLedger) return decideGateSync(request, this.syncLimits, this.syncLedger());
    return decideGate(request, this.limitEnforcer, approvalLedger);
  }

  /** Counts in the shared state file when there is one (only previewing for replays), else as evaluate() does. */
  private readonly limitEnforcer: LimitEnforcer = (requirements, intent, at, access) => {
    const statePath = this.parts.statePath;
    if (!statePath) return this.syncLimits(requirements, intent, at, access);
    return access.persist
      ? enforceLimits(statePath, requirements, intent, at)
      : previewLimits(statePath, requirements, intent, at);
  };

  /** Queues the signed trace and answers at once. */
  private decided(outcome: GateOutcome, started: number, options: EvaluateOptions): GateDecision {
    return this.answer(outcome, this.parts.writer.enqueue(this.traceJob(outcome, started, options)));
  }

  /** Answers once the trace, and the rate-limit counts the decision made, are on disk. */
  private async decidedDurably(
    outcome: GateOutcome,
    started: number,
    options: EvaluateOptions,
  ): Promise<GateDecision> {
    const { limitLedger, approvalLedger } = this.parts;
    const [target] = await Promise.all([
      this.parts.writer.enqueueDurable(this.traceJob(outcome, started, options)),
      limitLedger && outcome.limits.length > 0 ? limitLedger.persisted() : undefined,
      outcome.approval?.granted ? approvalLedger?.persisted?.() : undefined,
    ]);
    return this.answer(outcome, target);
  }

  /**
   * Hands the issued credential to the caller and writes its evidence record: before answering
   * when durable (a failure fails the decision closed), else in the background.
   */
  private async withCredential(
    decision: GateDecision,
    settled: SettledCredential,
    options: EvaluateOptions,
  ): Promise<GateDecision> {
    if (!settled.outcome.credential) return decision;
    if (settled.credential) decision.credential = settled.credential;
    const where = {
      dir: this.parts.traceDir,
      exactPath: options.credentialEvidencePath,
      cwd: this.parts.cwd,
      fsync: this.parts.fsync,
    };
    const writing = writeCredentialEvidence(settled.outcome, where);
    if (this.parts.durable) {
      const path = await writing;
      if (path) decision.credentialEvidencePath = path;
      return decision;
    }
    writing.catch((error: unknown) =>
      this.parts.onEvidenceError(asError(error), { traceId: decision.traceId }),
    );
    return decision;
  }

  private traceJob(outcome: GateOutcome, started: number, options: EvaluateOptions): TraceJob {
    const job: TraceJob = {
      outcome,
      observedAt: this.parts.clock(),
      correlationId: options.correlationId,
      latencyMs: Math.round((monotonicMs() - started) * 1000) / 1000,
    };
    const at = (path: string | undefined) => path && resolve(this.parts.cwd, path);
    if (options.tracePath || options.approvalAuditPath || options.delegationAuditPath) {
      job.paths = {
        trace: at(options.tracePath),
        audit: at(options.approvalAuditPath),
        delegationAudit: at(options.delegationAuditPath),
      };
    }
    return job;
  }

  private answer(outcome: GateOutcome, target: TraceTarget): GateDecision {
    const { prepared, decision } = outcome;
    const answer: GateDecision = {
      verdict: outcome.verdict,
      allowed: outcome.verdict === "allow",
      reasonCodes: outcome.reasonCodes,
      violations: outcome.violations,
      matchedRule: decision.matchedRule,
      toolName: prepared.intent.tool_name,
      intentDigest: prepared.intentDigest,
      argsDigest: prepared.argsDigest,
      policyDigest: outcome.policyDigest,
      profile: this.parts.profile,
      traceId: target.traceId,
      outcome,
    };
    if (target.tracePath) answer.tracePath = target.tracePath;
    if (target.auditPath) answer.approvalAuditPath = target.auditPath;
    if (target.delegationAuditPath) answer.delegationAuditPath = target.delegationAuditPath;
    if (outcome.approval) answer.approval = outcome.approval;
    if (outcome.verdict === "require_approval") answer.approvalRequest = approvalRequestFor(outcome);
    if (outcome.simulated) answer.simulated = outcome.simulated;
    const killSwitch = decision.killSwitch;
    if (killSwitch?.status === "active") {
      this.parts.killSwitch?.journalFired({
        at: this.parts.clock(),
        entryIds: killSwitch.matchedEntryIds,
        traceId: target.traceId,
        toolName: prepared.intent.tool_name,
        intentDigest: prepared.intentDigest,
        reasonCodes: killSwitch.reasonCodes,
      });
    }
    return answer;
  }

  private failClosed(error: unknown): GateDecision {
    return failedDecision(this.compiled.policyDigest, this.parts.profile, error);
  }
}

/** With a shared state file, counting needs I/O: a synchronous decision must not skip it. */
const refuseSyncStateFile: SyncLimitEnforcer = () => {
  throw invalidInput(
    "rate_limit_state_requires_async",
    "this policy rate-limits the intent and the Gate keeps its counters in a state file",
    { hint: "use gate.evaluateAsync() (guardTool does), or drop rateLimitStatePath to count in memory" },
  );
};

function durableNeedsAsync(): Error {
  return invalidInput(
    "trace_durability_requires_async",
    "this Gate answers only once the trace is on disk, which a synchronous evaluate() cannot wait for",
    { hint: 'use gate.evaluateAsync() (guardTool does), or traceDurability "async"' },
  );
}

async function loadPolicy(options: GateOptions, cwd: string): Promise<LoadedPolicy> {
  const { policy, policyText } = options;
  if ((policy === undefined) === (policyText === undefined)) {
    throw invalidInput("usage", "createGate needs exactly one of policy and policyText", {
      hint: 'pass policy: "gait.policy.yaml" (a path) or policyText: "<yaml>"',
    });
  }
  if (policyText !== undefined) return parsePolicyYaml(policyText, options.policySource ?? "<policyText>");
  if (typeof policy === "string") return loadPolicyFile(resolve(cwd, policy));
  return policy!;
}

function isSync(ledger: ApprovalLedger | SyncApprovalLedger): ledger is SyncApprovalLedger {
  return "settleSync" in ledger;
}

/** The approver key list when given, else the approval key, else the trace key's public half. */
async function approvalVerifierFor(
  options: GateOptions,
  cwd: string,
  signingKey: SigningKey,
  warn: (m: string) => void,
): Promise<ApprovalVerifier> {
  const { approvers, approvalPublicKey: source } = options;
  if (approvers !== undefined && source !== undefined) {
    throw invalidInput("usage", "createGate takes approvers or approvalPublicKey, not both", {
      hint: "with an approver key list, every approver's public key is in the list",
    });
  }
  if (typeof approvers === "string")
    return approverKeyVerifier(await loadApproverKeys(resolve(cwd, approvers)));
  if (approvers !== undefined) return approverKeyVerifier(approvers);
  if (source === undefined) return singleKeyVerifier(verifyKeyFor(signingKey));
  if ("publicRaw" in source) return singleKeyVerifier(source);
  return singleKeyVerifier(await loadPublicKey(source, { env: options.env ?? process.env, cwd, warn }));
}

/** The delegation key when given, else the trace key's public half (CONTRACTS.md §2.4). */
async function delegationKeyFor(
  options: GateOptions,
  cwd: string,
  signingKey: SigningKey,
  warn: (m: string) => void,
): Promise<VerifyKey> {
  const source = options.delegationPublicKey;
  if (source === undefined) return verifyKeyFor(signingKey);
  if ("publicRaw" in source) return source;
  return loadPublicKey(source, { env: options.env ?? process.env, cwd, warn });
}

/** The delegation token checks, loaded only by Gates that need them. */
async function loadDelegationChecker(key: VerifyKey): Promise<DelegationChecker> {
  return (await import("../gate/delegation.ts")).delegationChecker(key);
}

function defaultWarning(message: string): void {
  const advice = message.startsWith(DEV_KEY_WARNING)
    ? `; verify this Gate's traces with gate.verifyKey, or pass keyMode "prod"`
    : "";
  process.emitWarning(message + advice, { code: "GAIT_WARNING" });
}

function defaultTraceError(error: Error, info: { traceId: string; path?: string }): void {
  const where = info.path ? ` to ${info.path}` : "";
  process.emitWarning(`gait: trace ${info.traceId} was not written${where}: ${error.message}`, {
    code: "GAIT_TRACE_ERROR",
  });
}
