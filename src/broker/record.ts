/**
 * The credential evidence of a decision (`gait.gate.broker_credential_record`): which broker
 * issued which credential, for what, until when, bound to which trace. It names the credential by
 * reference only. Pure; the SDK Gate writes it next to the trace.
 */
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { GateOutcome, IssuedCredential } from "../gate/index.ts";
import { BROKER_CREDENTIAL_RECORD_SCHEMA_ID, type BrokerCredentialRecord } from "./wire.ts";

export function buildBrokerCredentialRecord(
  outcome: GateOutcome,
  credential: IssuedCredential,
  traceId: string,
): BrokerCredentialRecord {
  const intent = outcome.prepared.intent;
  const optional = (value: string | undefined) => (value ? value : undefined);
  const record: BrokerCredentialRecord = {
    schema_id: BROKER_CREDENTIAL_RECORD_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: outcome.prepared.createdAt,
    producer_version: PRODUCER_VERSION,
    trace_id: traceId,
    tool_name: intent.tool_name,
    identity: intent.context.identity,
    broker: credential.broker,
    reference: optional(credential.reference),
    credential_source: credential.source,
    credential_access_type: credential.accessType,
    credential_issuer: credential.issuer,
    credential_subject: optional(credential.subject),
    credential_owner: optional(credential.owner),
    scope: credential.scope.length > 0 ? credential.scope : undefined,
    credential_ref: credential.ref,
    target_binding: optional(credential.targetBinding),
    run_binding: optional(credential.runBinding),
    job_binding: optional(credential.jobBinding),
    request_digest: credential.requestDigest,
    issued_at: credential.issuedAt,
    expires_at: credential.expiresAt,
    ttl_seconds: credential.ttlSeconds,
  };
  // Absent, not undefined: the record is written as JSON and checked against a closed schema.
  for (const key of Object.keys(record) as Array<keyof BrokerCredentialRecord>) {
    if (record[key] === undefined) delete record[key];
  }
  return record;
}
