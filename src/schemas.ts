/**
 * Every JSON Schema Gait publishes, gathered from the modules' TypeBox definitions (one source of
 * truth for types and schemas). scripts/gen-schemas.ts writes each to schemas/v1/<path>;
 * test/schemas.test.ts fails when a file on disk differs from what this list generates.
 * Modules add their artifact schemas here.
 */
import type { TSchema } from "@sinclair/typebox";
import { brokerSchemas } from "./broker/wire.ts";
import { ProjectConfigSchema } from "./config/index.ts";
import { ContextEnvelopeSchema, ContextReferenceRecordSchema } from "./context/schema.ts";
import { CliErrorEnvelopeSchema, FileLockSchema, SignatureSchema } from "./contract/artifact-schemas.ts";
import { compareBytes } from "./contract/bytes.ts";
import type { JsonObject, JsonValue } from "./contract/canonical.ts";
import { yamlDocumentSchema } from "./contract/yaml-schema.ts";
import { DecisionLogEventSchema } from "./export/index.ts";
import { ApprovalLedgerSchema, ApproverKeysSchema, RateLimitStateSchema } from "./gate/file-schemas.ts";
import { KillSwitchJournalEventSchema, KillSwitchStateSchema } from "./gate/kill-switch-schema.ts";
import { PolicyDocumentSchema } from "./gate/policy-schema.ts";
import { gateWireSchemas } from "./gate/wire.ts";
import { retentionSchemas } from "./guard/retention-types.ts";
import { guardSchemas } from "./guard/types.ts";
import { jobSchemas } from "./job/model.ts";
import { DoctorResultSchema } from "./onboarding/doctor-schema.ts";
import { packSchemas } from "./pack/types.ts";
import { PolicyTestResultSchema } from "./policytest/types.ts";
import { ReduceReportSchema } from "./reduce/report.ts";
import { PackSourceSchema, registrySchemas } from "./registry/types.ts";
import { regressSchemas } from "./regress/types.ts";
import { RunpackDiffSchema } from "./runpack/diff-schema.ts";
import { sessionSchemas } from "./runpack/session-types.ts";
import { runpackSchemas } from "./runpack/types.ts";
import { scoutSchemas } from "./scout/index.ts";
import { GateDecisionJsonSchema } from "./sdk/decision-schema.ts";

export const SCHEMA_ID_BASE = "https://gait.dev/schemas/v1/";
const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

export interface PublishedSchema {
  /** Path below schemas/v1/, which also names the `$id`. */
  path: string;
  schema: TSchema;
}

export const publishedSchemas: readonly PublishedSchema[] = [
  { path: "contract/signature.schema.json", schema: SignatureSchema },
  { path: "contract/lock.schema.json", schema: FileLockSchema },
  { path: "cli/error_envelope.schema.json", schema: CliErrorEnvelopeSchema },
  { path: "config/project_config.schema.json", schema: yamlDocumentSchema(ProjectConfigSchema) },
  { path: "doctor/doctor_result.schema.json", schema: DoctorResultSchema },
  { path: "gate/policy.schema.json", schema: PolicyDocumentSchema },
  { path: "gate/decision.schema.json", schema: GateDecisionJsonSchema },
  { path: "export/decision_log_event.schema.json", schema: DecisionLogEventSchema },
  ...Object.entries(gateWireSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(brokerSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  { path: "gate/rate_limit_state.schema.json", schema: RateLimitStateSchema },
  { path: "gate/approval_ledger.schema.json", schema: ApprovalLedgerSchema },
  { path: "gate/kill_switch_state.schema.json", schema: KillSwitchStateSchema },
  { path: "gate/kill_switch_journal_event.schema.json", schema: KillSwitchJournalEventSchema },
  { path: "context/envelope.schema.json", schema: ContextEnvelopeSchema },
  { path: "context/reference_record.schema.json", schema: ContextReferenceRecordSchema },
  { path: "gate/approver_keys.schema.json", schema: yamlDocumentSchema(ApproverKeysSchema) },
  { path: "policytest/policy_test_result.schema.json", schema: PolicyTestResultSchema },
  ...Object.entries(runpackSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  { path: "runpack/run_diff.schema.json", schema: RunpackDiffSchema },
  { path: "runpack/reduce_report.schema.json", schema: ReduceReportSchema },
  ...Object.entries(sessionSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(regressSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(jobSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(packSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(guardSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(retentionSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(scoutSchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  ...Object.entries(registrySchemas).map(([name, schema]) => ({ path: `${name}.schema.json`, schema })),
  { path: "registry/pack_source.schema.json", schema: yamlDocumentSchema(PackSourceSchema) },
];

export function publishedSchemaId(entry: PublishedSchema): string {
  return SCHEMA_ID_BASE + entry.path;
}

/** The schema as published: plain JSON (TypeBox's symbol keys dropped), dialect and `$id` set. */
export function publishedSchemaDocument(entry: PublishedSchema): JsonObject {
  const plain = JSON.parse(JSON.stringify(entry.schema)) as JsonObject;
  return sortKeysDeep({
    ...plain,
    $schema: JSON_SCHEMA_DIALECT,
    $id: publishedSchemaId(entry),
  }) as JsonObject;
}

/** File text: 2-space JSON, keys in byte order at every level (stable diffs), trailing newline. */
export function renderPublishedSchema(entry: PublishedSchema): string {
  return `${JSON.stringify(publishedSchemaDocument(entry), null, 2)}\n`;
}

function sortKeysDeep(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== "object") return value;
  const sorted: JsonObject = {};
  for (const key of Object.keys(value).sort(compareBytes)) sorted[key] = sortKeysDeep(value[key]!);
  return sorted;
}
