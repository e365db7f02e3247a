/**
 * The stub broker: a deterministic reference (`stub:<hex>` from the request digest), 5-minute TTL,
 * no secret. For tests and demos of the broker path; its source `stub` labels it in every trace
 * and record, and a rule can refuse it (`allowed_credential_sources`).
 */
import { sha256Hex } from "../contract/canonical.ts";
import type { BrokerIssue, BrokerRequest, CredentialBroker, IssueContext } from "./types.ts";

export const STUB_TTL_SECONDS = 300;

export function stubBroker(): CredentialBroker {
  return {
    kind: "stub",
    issue: async (request: BrokerRequest, { requestDigest, now }: IssueContext): Promise<BrokerIssue> => {
      const issuedAt = now.utc();
      return {
        response: {
          issued_by: "stub",
          source: "stub",
          access_type: "jit",
          issuer: "gait-stub",
          subject: request.identity,
          scope: request.scope ?? [],
          credential_ref: `stub:${sha256Hex(`stub:${requestDigest}`).slice(0, 24)}`,
          ...(request.target_binding ? { target_binding: request.target_binding } : {}),
          ...(request.run_id ? { run_binding: request.run_id } : {}),
          ...(request.job_id ? { job_binding: request.job_id } : {}),
          request_digest: requestDigest,
          issued_at: issuedAt.toString(),
          expires_at: issuedAt.addNanos(BigInt(STUB_TTL_SECONDS) * 1_000_000_000n).toString(),
          ttl_seconds: STUB_TTL_SECONDS,
        },
      };
    },
  };
}
