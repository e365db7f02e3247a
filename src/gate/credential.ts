/**
 * The broker step of a gate decision (REFERENCE §2.4 step 10), pure. Issuing a credential is I/O
 * (network, a child process), so the core only marks an allow that needs one (`credentialNeeded`);
 * whoever owns the broker (the SDK Gate) issues it and hands the result to applyCredentialCheck,
 * which settles the verdict. The secret never enters a GateOutcome: only its reference does.
 */
import { sortedUnique } from "../contract/bytes.ts";
import type { GateOutcome } from "./gate-eval.ts";
import type { TraceRecord } from "./wire.ts";

/** A credential a broker issued for one decision: everything about it except the secret. */
export interface IssuedCredential {
  /** The broker kind that issued it (stub, env, command, oauth2). */
  broker: string;
  /** The rule's broker_reference the request carried ("" when none). */
  reference: string;
  source: string;
  accessType: string;
  issuer: string;
  subject?: string;
  owner?: string;
  scope: string[];
  /** Names the credential (never the secret itself). */
  ref: string;
  requestDigest: string;
  targetBinding?: string;
  runBinding?: string;
  jobBinding?: string;
  issuedAt: string;
  expiresAt: string;
  ttlSeconds: number;
}

/** Why a broker gave no usable credential. */
export interface CredentialFailure {
  /** Gate reason codes (broker_credential_missing, broker_scope_mismatch, ...), non-empty. */
  reasonCodes: string[];
  /** The coded error behind an issuance failure, for the decision's explanation. */
  error?: { code: string; message: string };
}

export type CredentialCheck = { issued: IssuedCredential } | { failed: CredentialFailure };

/**
 * Settles an outcome that awaits a broker credential: a usable credential keeps the allow and adds
 * `broker_credential_present`; anything else blocks with the failure's reasons (fail closed). A
 * simulated decision stays non-enforcing: the block becomes its simulated verdict.
 */
export function applyCredentialCheck(outcome: GateOutcome, check: CredentialCheck): GateOutcome {
  if (!outcome.credentialNeeded) return outcome;
  const { credentialNeeded: _, ...settled } = outcome;
  if ("issued" in check) {
    return {
      ...settled,
      reasonCodes: sortedUnique([...outcome.reasonCodes, "broker_credential_present"]),
      ...(outcome.simulated
        ? {
            simulated: {
              ...outcome.simulated,
              reasonCodes: sortedUnique([...outcome.simulated.reasonCodes, "broker_credential_present"]),
            },
          }
        : {}),
      credential: check.issued,
    };
  }
  const { reasonCodes, error } = check.failed;
  const failure = error ? { credentialError: error } : {};
  if (outcome.simulated) {
    // The enforcing verdict was allow until now; it becomes block, reported but not enforced.
    return {
      ...settled,
      ...failure,
      reasonCodes: sortedUnique([...outcome.reasonCodes, ...reasonCodes, "simulated_block"]),
      simulated: {
        verdict: "block",
        reasonCodes: sortedUnique([...outcome.simulated.reasonCodes, ...reasonCodes]),
        wouldHaveBlocked: true,
      },
    };
  }
  return {
    ...settled,
    ...failure,
    verdict: "block",
    reasonCodes: sortedUnique([...outcome.reasonCodes, ...reasonCodes]),
    violations: sortedUnique([...outcome.violations, ...reasonCodes]),
  };
}

type BrokerTraceField =
  | "broker_credential_ref"
  | "broker_credential_source"
  | "broker_credential_access_type"
  | "broker_credential_issuer"
  | "broker_request_digest"
  | "broker_target_binding"
  | "broker_run_binding"
  | "broker_job_binding";

/** The trace's broker_* members: which credential the decision relied on. */
export function credentialTraceFields(credential: IssuedCredential): Pick<TraceRecord, BrokerTraceField> {
  const fields: Pick<TraceRecord, BrokerTraceField> = {
    broker_credential_ref: credential.ref,
    broker_credential_source: credential.source,
    broker_credential_access_type: credential.accessType,
    broker_credential_issuer: credential.issuer,
    broker_request_digest: credential.requestDigest,
  };
  if (credential.targetBinding) fields.broker_target_binding = credential.targetBinding;
  if (credential.runBinding) fields.broker_run_binding = credential.runBinding;
  if (credential.jobBinding) fields.broker_job_binding = credential.jobBinding;
  return fields;
}
