/** Credential brokers: the contract, the brokers behind one interface, and the gate's broker step. */
export * from "./check.ts";
export { COMMAND_ALLOWLIST_ENV, COMMAND_MAX_OUTPUT_BYTES, COMMAND_TIMEOUT_MS } from "./command.ts";
export * from "./config.ts";
export { DEFAULT_ENV_PREFIX } from "./env.ts";
export * from "./record.ts";
export * from "./request.ts";
export * from "./types.ts";
export type { BrokerCredentialRecord } from "./wire.ts";
export { BROKER_CREDENTIAL_RECORD_SCHEMA_ID, BrokerCredentialRecordSchema } from "./wire.ts";
