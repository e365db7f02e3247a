/**
 * Asks a broker for the credential a decision needs and checks what it answers (REFERENCE §2.4
 * step 10). Fail closed: a broker that throws, hangs past the timeout or answers something unusable
 * yields a failed CredentialCheck, which the gate turns into a block. Never throws.
 */
import { isGaitError } from "../contract/errors.ts";
import type { Timestamp } from "../contract/time.ts";
import type { CredentialCheck, GateOutcome } from "../gate/index.ts";
import { ioFailure } from "./error-codes.ts";
import { brokerRequestDigest, brokerRequestFor } from "./request.ts";
import type { BrokeredCredential, BrokerRequest, CredentialBroker } from "./types.ts";
import { credentialMismatches, issuedCredentialOf } from "./validate.ts";

/** How long the gate waits for any broker (a command broker also enforces its own, shorter limit). */
export const DEFAULT_BROKER_TIMEOUT_MS = 15_000;

export interface CredentialResult {
  check: CredentialCheck;
  request: BrokerRequest;
  /** For the tool call, when the check passed. */
  credential?: BrokeredCredential;
}

export async function requestCredential(
  broker: CredentialBroker,
  outcome: GateOutcome,
  now: Timestamp,
  timeoutMs = DEFAULT_BROKER_TIMEOUT_MS,
): Promise<CredentialResult> {
  const request = brokerRequestFor(outcome.prepared.intent, outcome.decision, broker.defaults);
  const requestDigest = brokerRequestDigest(request);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(ioFailure("broker_timeout", `the ${broker.kind} broker did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const issue = await Promise.race([
      broker.issue(request, { requestDigest, now, signal: controller.signal }),
      timeout,
    ]);
    const mismatches = credentialMismatches(issue, {
      request,
      requestDigest,
      postures: outcome.decision.brokerPostures,
      now,
    });
    if (mismatches.length > 0) return { request, check: { failed: { reasonCodes: mismatches } } };
    const { response } = issue;
    const issued = issuedCredentialOf(response, request);
    return {
      request,
      check: { issued },
      credential: {
        secret: issue.secret,
        ref: issued.ref,
        scope: issued.scope,
        issuer: issued.issuer,
        expiresAt: issued.expiresAt,
      },
    };
  } catch (error) {
    const code = isGaitError(error) ? error.code : "broker_failed";
    const message = error instanceof Error ? error.message : String(error);
    return {
      request,
      check: { failed: { reasonCodes: ["broker_credential_missing"], error: { code, message } } },
    };
  } finally {
    clearTimeout(timer);
  }
}
