/**
 * The typed shape of a `gait.gate.intent_request` as a TypeScript caller writes it (CONTRACTS.md
 * §5.1). The gate still validates and normalizes at run time; this type only catches mistakes
 * while writing describeIntent functions.
 */
import type {
  CREDENTIAL_ACCESS_TYPES,
  CREDENTIAL_SOURCES,
  DISCOVERY_METHODS,
  ENDPOINT_CLASSES,
  PROVENANCE_SOURCES,
  TARGET_KINDS,
} from "../gate/intent-model.ts";

type JsonInput = null | boolean | number | string | JsonInput[] | { [key: string]: JsonInput | undefined };

export interface IntentTargetInput {
  kind: (typeof TARGET_KINDS)[number];
  value: string;
  /** read, write, delete, exec, ...: drives endpoint-class and destructive inference. */
  operation?: string;
  sensitivity?: string;
  endpoint_class?: (typeof ENDPOINT_CLASSES)[number];
  endpoint_domain?: string;
  destructive?: boolean;
  discovery_method?: (typeof DISCOVERY_METHODS)[number];
  read_only_hint?: boolean;
  destructive_hint?: boolean;
  idempotent_hint?: boolean;
  open_world_hint?: boolean;
}

export interface ArgProvenanceInput {
  /** JSON path into args, e.g. "$.path". */
  arg_path: string;
  source: (typeof PROVENANCE_SOURCES)[number];
  source_ref?: string;
  integrity_digest?: string;
}

export interface IntentContextInput {
  identity: string;
  workspace: string;
  risk_class: string;
  phase?: "plan" | "apply";
  agent_id?: string;
  run_id?: string;
  session_id?: string;
  environment?: string;
  credential_source?: (typeof CREDENTIAL_SOURCES)[number];
  credential_access_type?: (typeof CREDENTIAL_ACCESS_TYPES)[number];
  credential_ttl_seconds?: number;
  /** Further context fields of the contract (credential_ref, workflow_id, sandbox, ...). */
  [field: string]: JsonInput | undefined;
}

export interface IntentRequest {
  schema_id?: "gait.gate.intent_request";
  schema_version?: "1.0.0";
  created_at?: string;
  producer_version?: string;
  tool_name: string;
  args?: { [key: string]: JsonInput | undefined };
  targets?: IntentTargetInput[];
  arg_provenance?: ArgProvenanceInput[];
  context: IntentContextInput;
  skill_provenance?: { [key: string]: JsonInput | undefined };
  delegation?: { [key: string]: JsonInput | undefined };
  script?: { steps: Array<{ [key: string]: JsonInput | undefined }> };
}
