/**
 * The SDK Gate's broker step: after the core decision says "allow, once a broker credential is
 * issued" (GateOutcome.credentialNeeded), ask the broker, settle the outcome with the pure
 * applyCredentialCheck, and write the credential evidence record next to the trace. The broker
 * code (and openid-client for oauth2) is imported only by Gates configured with a broker.
 */
import { resolve } from "node:path";
import type { BrokerConfig, BrokeredCredential, CredentialBroker } from "../broker/index.ts";
import type { Timestamp } from "../contract/time.ts";
import {
  applyCredentialCheck,
  evidenceFileNames,
  type GateOutcome,
  prettyJson,
  traceIdFor,
} from "../gate/index.ts";
import { writeArtifactNew } from "../store/index.ts";
import { invalidInput } from "./error-codes.ts";

export type GateBrokerOption = BrokerConfig | CredentialBroker;

/** The broker a Gate uses: the one given, or the one a configuration names (none for `off`). */
export async function gateBrokerFor(
  option: GateBrokerOption | undefined,
  io: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): Promise<CredentialBroker | undefined> {
  if (option === undefined) return undefined;
  if ("issue" in option) return option;
  const { createBroker } = await import("../broker/index.ts");
  return createBroker(option, io);
}

export interface SettledCredential {
  outcome: GateOutcome;
  /** The secret and what it is for, when a credential was issued and accepted. */
  credential?: BrokeredCredential;
}

/** Issues the credential an outcome waits for and settles the outcome; anything else passes through. */
export async function settleCredential(
  broker: CredentialBroker | undefined,
  outcome: GateOutcome,
  now: Timestamp,
  timeoutMs?: number,
): Promise<SettledCredential> {
  if (!outcome.credentialNeeded || !broker) return { outcome };
  const { requestCredential } = await import("../broker/index.ts");
  const result = await requestCredential(broker, outcome, now, timeoutMs);
  const settled = applyCredentialCheck(outcome, result.check);
  return result.credential ? { outcome: settled, credential: result.credential } : { outcome: settled };
}

/** A synchronous decision cannot wait for a broker: it fails closed with a coded error. */
export function refuseCredentialSync(outcome: GateOutcome): GateOutcome {
  if (!outcome.credentialNeeded) return outcome;
  throw invalidInput(
    "broker_requires_async",
    "this decision needs a broker credential, which a synchronous evaluate() cannot wait for",
    { hint: "use gate.evaluateAsync() (guardTool does)" },
  );
}

/**
 * Writes the `gait.gate.broker_credential_record` of a decision that relied on a broker
 * credential: to `exactPath` (which must not exist), else as the next free
 * `credential_evidence_<trace_id>[.<n>].json` in the trace directory. Undefined when there is
 * nothing to write or nowhere to write it.
 */
export async function writeCredentialEvidence(
  outcome: GateOutcome,
  where: { dir: string | undefined; exactPath: string | undefined; cwd: string; fsync: boolean },
): Promise<string | undefined> {
  const credential = outcome.credential;
  if (!credential) return undefined;
  const traceId = traceIdFor(outcome.policyDigest, outcome.prepared.intentDigest, outcome.verdict);
  const { buildBrokerCredentialRecord } = await import("../broker/index.ts");
  const record = buildBrokerCredentialRecord(outcome, credential, traceId);
  const names = where.exactPath
    ? resolve(where.cwd, where.exactPath)
    : where.dir
      ? evidenceFileNames(where.dir, "credential_evidence", traceId)
      : undefined;
  if (!names) return undefined;
  const written = await writeArtifactNew(names, prettyJson(record), { fsync: where.fsync });
  return written.path;
}
