/**
 * Single-use approvals. An approval token is valid until it expires, so without a record of its
 * use it can be replayed for every identical call until then. When single use is on, the tokens
 * that granted a decision are recorded as spent, atomically with the decision that read the
 * ledger, and a later decision refuses them as `approval_token_consumed`.
 *
 * The state is `gait.gate.approval_ledger` JSON (`spent[]` of {token_id, expires_at, spent_at},
 * sorted by token_id), shared across processes under the same lock discipline as the rate-limit
 * state. Entries are dropped once their token has expired: an expired token is refused anyway.
 */
import { promises as fsp } from "node:fs";
import { compareBytes } from "../contract/bytes.ts";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import { OwnedStateFile, type OwnedStateOptions } from "../contract/owned-state.ts";
import { Timestamp } from "../contract/time.ts";
import type { ApprovalOutcome } from "./approval.ts";
import { invalidInput } from "./error-codes.ts";
import { prettyJson } from "./trace.ts";

const APPROVAL_LEDGER_SCHEMA_ID = "gait.gate.approval_ledger";
const APPROVAL_LEDGER_LOCK_SCHEMA_ID = "gait.gate.approval_ledger_lock";
export const DEFAULT_APPROVAL_LEDGER = ".gait-out/gate_approvals_spent.json";

export interface SpentApproval {
  token_id: string;
  expires_at: string;
  spent_at: string;
}

/** What a ledger settles: any decision that may carry an approval outcome. */
export interface ApprovalDecision {
  approval?: ApprovalOutcome;
}

/** `decide` gets the ids already spent; a ledger records what the decision then spent. */
export type Decide<T extends ApprovalDecision> = (spent: ReadonlySet<string>) => T;

export interface ApprovalLedger {
  /**
   * Runs `decide` with the spent token ids and, when `persist` and approvals were granted, records
   * the tokens that granted them, atomically with the read.
   */
  settle<T extends ApprovalDecision>(decide: Decide<T>, persist: boolean): Promise<T>;
  /** For ledgers that save behind (OwnedApprovalLedger): resolves once what was spent is on disk. */
  persisted?(): Promise<void>;
}

export interface SyncApprovalLedger extends ApprovalLedger {
  settleSync<T extends ApprovalDecision>(decide: Decide<T>, persist: boolean): T;
}

/** The tokens a granted decision used, to be recorded as spent. */
function tokensToSpend(decision: ApprovalDecision, now: Timestamp): SpentApproval[] {
  if (!decision.approval?.granted) return [];
  return decision.approval.checks
    .filter((check) => check.valid)
    .map((check) => ({
      token_id: check.tokenId,
      expires_at: check.expiresAt,
      spent_at: now.utc().toString(),
    }));
}

/** Adds `spend` to `entries`, dropping entries of expired tokens; sorted by token id. */
function mergeSpent(entries: SpentApproval[], spend: SpentApproval[], now: Timestamp): SpentApproval[] {
  const byId = new Map<string, SpentApproval>();
  for (const entry of [...entries, ...spend]) {
    if (!byId.has(entry.token_id) && !hasExpired(entry, now)) byId.set(entry.token_id, entry);
  }
  return [...byId.values()].sort((a, b) => compareBytes(a.token_id, b.token_id));
}

function hasExpired(entry: SpentApproval, now: Timestamp): boolean {
  try {
    return now.compare(Timestamp.parse(entry.expires_at)) >= 0;
  } catch {
    return false; // keep what cannot be read: dropping it could re-enable a token
  }
}

/** Spent tokens kept in this process's memory (the SDK's default, one Gate's lifetime). */
export function memoryApprovalLedger(clock: () => Timestamp): SyncApprovalLedger {
  let entries: SpentApproval[] = [];
  const settleSync = <T extends ApprovalDecision>(decide: Decide<T>, persist: boolean): T => {
    const decision = decide(new Set(entries.map((e) => e.token_id)));
    const spend = persist ? tokensToSpend(decision, clock()) : [];
    if (spend.length > 0) entries = mergeSpent(entries, spend, clock());
    return decision;
  };
  return { settleSync, settle: async (decide, persist) => settleSync(decide, persist) };
}

/**
 * Spent tokens for a long-running process that owns the ledger file (the sidecar): settled in
 * memory and synchronously, saved after each change (see OwnedStateFile). persisted() lets a
 * durable answer wait until the tokens it spent are on disk.
 */
export class OwnedApprovalLedger implements SyncApprovalLedger {
  private constructor(
    private readonly file: OwnedStateFile<SpentApproval[]>,
    private readonly clock: () => Timestamp,
  ) {}

  static async open(
    statePath: string,
    clock: () => Timestamp,
    options: Pick<OwnedStateOptions<SpentApproval[]>, "fsync" | "onError" | "lockTimeoutMs"> = {},
  ): Promise<OwnedApprovalLedger> {
    const file = await OwnedStateFile.open(statePath, {
      ...options,
      lockSchemaId: APPROVAL_LEDGER_LOCK_SCHEMA_ID,
      read: readLedger,
      render: ledgerText,
    });
    return new OwnedApprovalLedger(file, clock);
  }

  settleSync<T extends ApprovalDecision>(decide: Decide<T>, persist: boolean): T {
    const decision = decide(spentIds(this.file.state));
    const spend = persist ? tokensToSpend(decision, this.clock()) : [];
    if (spend.length > 0) this.file.update(mergeSpent(this.file.state, spend, this.clock()));
    return decision;
  }

  async settle<T extends ApprovalDecision>(decide: Decide<T>, persist: boolean): Promise<T> {
    return this.settleSync(decide, persist);
  }

  persisted(): Promise<void> {
    return this.file.persisted();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** Spent tokens in a state file shared with other processes, read and written under its lock. */
export function fileApprovalLedger(statePath: string, clock: () => Timestamp): ApprovalLedger {
  return {
    async settle(decide, persist) {
      if (!persist) return decide(spentIds(await readLedger(statePath)));
      return withFileLock(
        `${statePath}.lock`,
        async () => {
          const entries = await readLedger(statePath);
          const decision = decide(spentIds(entries));
          const spend = tokensToSpend(decision, clock());
          if (spend.length > 0) await writeLedger(statePath, mergeSpent(entries, spend, clock()));
          return decision;
        },
        { schemaId: APPROVAL_LEDGER_LOCK_SCHEMA_ID },
      );
    },
  };
}

function spentIds(entries: SpentApproval[]): ReadonlySet<string> {
  return new Set(entries.map((e) => e.token_id));
}

async function readLedger(statePath: string): Promise<SpentApproval[]> {
  let text: string;
  try {
    text = await fsp.readFile(statePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw fromFsError(error, "read approval ledger", statePath);
  }
  const state = parseJsonStrict(text, statePath);
  if (!isJsonObject(state) || state.schema_id !== APPROVAL_LEDGER_SCHEMA_ID || !Array.isArray(state.spent)) {
    throw invalidInput("approval_ledger_invalid", `${statePath} is not a ${APPROVAL_LEDGER_SCHEMA_ID} file`, {
      hint: "restore the file from backup; removing it lets spent single-use approvals be replayed",
    });
  }
  return state.spent.flatMap((e) =>
    isJsonObject(e) && typeof e.token_id === "string" && typeof e.expires_at === "string"
      ? [{ token_id: e.token_id, expires_at: e.expires_at, spent_at: String(e.spent_at ?? "") }]
      : [],
  );
}

async function writeLedger(statePath: string, spent: SpentApproval[]): Promise<void> {
  await writeFileAtomic(statePath, ledgerText(spent));
}

function ledgerText(spent: SpentApproval[]): string {
  return prettyJson({ schema_id: APPROVAL_LEDGER_SCHEMA_ID, schema_version: "1.0.0", spent });
}
