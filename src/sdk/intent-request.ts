/**
 * The typed shape of a `gait.gate.intent_request` as a TypeScript caller writes it (CONTRACTS.md
 * §5.1), derived from the gate's wire definition (gate/wire.ts), so it cannot drift from the
 * published schema. The gate still validates and normalizes at run time; this type only catches
 * mistakes while writing describeIntent functions.
 */
import type { IntentRequest as WireIntentRequest } from "../gate/index.ts";

/** Members the gate fills in when they are absent: the envelope, no arguments, no targets. */
type Defaulted = "schema_id" | "schema_version" | "created_at" | "producer_version" | "args" | "targets";

/** The wire request with the defaulted members optional. */
export type IntentRequest = Omit<WireIntentRequest, Defaulted> & Partial<Pick<WireIntentRequest, Defaulted>>;
export type IntentTargetInput = WireIntentRequest["targets"][number];
export type ArgProvenanceInput = NonNullable<WireIntentRequest["arg_provenance"]>[number];
export type IntentContextInput = WireIntentRequest["context"];
