/**
 * The broker's wire contracts, each defined once (TypeBox): the request a broker receives and the
 * evidence record a decision with a broker credential leaves next to its trace. Published as
 * schemas/v1/gate/broker_request and gate/broker_credential_record (the public v1 schemas' shapes).
 */
import { type Static, Type } from "@sinclair/typebox";

const closed = { additionalProperties: false } as const;
const NonEmpty = Type.String({ minLength: 1 });
const DateTime = Type.String({ format: "date-time" });

export const BROKER_CREDENTIAL_RECORD_SCHEMA_ID = "gait.gate.broker_credential_record";

export const BrokerRequestSchema = Type.Object(
  {
    tool_name: NonEmpty,
    identity: NonEmpty,
    workspace: Type.Optional(Type.String()),
    session_id: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    run_id: Type.Optional(Type.String()),
    job_id: Type.Optional(Type.String()),
    reference: Type.Optional(Type.String()),
    scope: Type.Optional(Type.Array(NonEmpty)),
    target_binding: Type.Optional(NonEmpty),
  },
  { title: "Broker Request", ...closed },
);

export const BrokerCredentialRecordSchema = Type.Object(
  {
    schema_id: Type.Literal(BROKER_CREDENTIAL_RECORD_SCHEMA_ID),
    schema_version: Type.String({ pattern: "^1\\.0\\.0$" }),
    created_at: DateTime,
    producer_version: Type.String(),
    trace_id: NonEmpty,
    tool_name: NonEmpty,
    identity: NonEmpty,
    broker: NonEmpty,
    reference: Type.Optional(Type.String()),
    credential_source: Type.Optional(NonEmpty),
    credential_access_type: Type.Optional(NonEmpty),
    credential_issuer: Type.Optional(NonEmpty),
    credential_subject: Type.Optional(NonEmpty),
    credential_owner: Type.Optional(NonEmpty),
    scope: Type.Optional(Type.Array(NonEmpty)),
    credential_ref: NonEmpty,
    target_binding: Type.Optional(NonEmpty),
    run_binding: Type.Optional(NonEmpty),
    job_binding: Type.Optional(NonEmpty),
    request_digest: Type.Optional(Type.String({ pattern: "^[a-fA-F0-9]{64}$" })),
    issued_at: Type.Optional(DateTime),
    expires_at: Type.Optional(DateTime),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { title: "Broker Credential Record", ...closed },
);
export type BrokerCredentialRecord = Static<typeof BrokerCredentialRecordSchema>;

export const brokerSchemas = {
  "gate/broker_request": BrokerRequestSchema,
  "gate/broker_credential_record": BrokerCredentialRecordSchema,
} as const;
