/**
 * Producer-test helper: validates documents we emit against the public Gait v1 schemas in the
 * conformance corpus (README "How a test suite should use it", step 3). Every schema file is
 * loaded once per test process; guard tests with `{ skip: publicSchemasSkip }` so a lone clone
 * (no corpus) skips visibly.
 *
 *   it("emits a valid manifest", { skip: publicSchemasSkip }, () => {
 *     assertPublicValid(manifest, "runpack manifest");
 *   });
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createSchemaRegistry,
  readSchemaDirectory,
  type SchemaValidator,
  type ValidationResult,
} from "../../src/contract/schema.ts";
import { conformanceAvailable, conformanceDir, conformanceSkip } from "./conformance.ts";

export const publicSchemasSkip = conformanceSkip;
export const publicSchemasDir = join(conformanceDir, "schemas", "v1");

/** The conformance README's "Mapping from schema_id to schema file", wildcards spelled out. */
export const publicSchemaFileById: Readonly<Record<string, string>> = {
  "gait.runpack.manifest": "runpack/manifest.schema.json",
  "gait.runpack.run": "runpack/run.schema.json",
  "gait.runpack.intent": "runpack/intent.schema.json",
  "gait.runpack.result": "runpack/result.schema.json",
  "gait.runpack.refs": "runpack/refs.schema.json",
  "gait.runpack.session_journal": "runpack/session_journal.schema.json",
  "gait.runpack.session_checkpoint": "runpack/session_checkpoint.schema.json",
  "gait.runpack.session_chain": "runpack/session_chain.schema.json",
  "gait.gate.intent_request": "gate/intent_request.schema.json",
  "gait.gate.result": "gate/gate_result.schema.json",
  "gait.gate.trace": "gate/trace_record.schema.json",
  "gait.gate.policy": "gate/policy.schema.json",
  "gait.gate.policy_explain": "gate/policy_explain.schema.json",
  "gait.gate.approval_token": "gate/approval_token.schema.json",
  "gait.gate.approval_audit_record": "gate/approval_audit_record.schema.json",
  "gait.gate.delegation_token": "gate/delegation_token.schema.json",
  "gait.gate.delegation_audit_record": "gate/delegation_audit_record.schema.json",
  "gait.gate.approved_script_entry": "gate/approved_script_entry.schema.json",
  "gait.gate.broker_credential_record": "gate/broker_credential_record.schema.json",
  "gait.gate.kill_switch_state": "gate/kill_switch_state.schema.json",
  "gait.gate.authorization_bundle": "gate/authorization_bundle.schema.json",
  "gait.pack.manifest": "pack/manifest.schema.json",
  "gait.pack.run": "pack/run.schema.json",
  "gait.pack.job": "pack/job.schema.json",
  "gait.pack.call": "pack/call.schema.json",
  "gait.pack.diff": "pack/diff.schema.json",
  "gait.guard.pack_manifest": "guard/pack_manifest.schema.json",
  "gait.guard.retention_report": "guard/retention_report.schema.json",
  "gait.guard.encrypted_artifact": "guard/encrypted_artifact.schema.json",
  "gait.policytest.result": "policytest/policy_test_result.schema.json",
  "gait.regress.result": "regress/regress_result.schema.json",
  "gait.registry.pack": "registry/registry_pack.schema.json",
  "gait.registry.verification_report": "registry/verification_report.schema.json",
  "gait.registry.ecosystem_index": "registry/ecosystem_index.schema.json",
  "gait.scout.inventory_snapshot": "scout/inventory_snapshot.schema.json",
  "gait.scout.signal_report": "scout/signal_report.schema.json",
  "gait.scout.run_fingerprint": "scout/run_fingerprint.schema.json",
  "gait.scout.adoption_event": "scout/adoption_event.schema.json",
  "gait.scout.operational_event": "scout/operational_event.schema.json",
  "gait.context.envelope": "context/envelope.schema.json",
  "gait.context.budget_report": "context/budget_report.schema.json",
  "gait.voice.call_event": "voice/call_event.schema.json",
  "gait.voice.callpack_manifest": "voice/callpack_manifest.schema.json",
  "gait.voice.commitment_intent": "voice/commitment_intent.schema.json",
  "gait.voice.say_token": "voice/say_token.schema.json",
};

const validator: SchemaValidator | undefined = conformanceAvailable
  ? await createSchemaRegistry(readSchemaDirectory(publicSchemasDir)).load()
  : undefined;

function loadedValidator(): SchemaValidator {
  if (!validator) {
    throw new Error(
      `public schemas unavailable (${conformanceSkip}); guard the test with { skip: publicSchemasSkip }`,
    );
  }
  return validator;
}

/** The schema file (relative to schemas/v1) for `doc.schema_id`, or an explanation why none applies. */
function publicSchemaFileFor(doc: unknown): { file: string } | { problem: string } {
  const schemaId = (doc as { schema_id?: unknown } | null)?.schema_id;
  if (typeof schemaId !== "string") return { problem: "document has no string schema_id" };
  const file = publicSchemaFileById[schemaId];
  return file
    ? { file }
    : { problem: `no public schema is mapped for schema_id ${JSON.stringify(schemaId)}` };
}

/** Validates `doc` against the public schema its `schema_id` names. */
export function validatePublic(doc: unknown): ValidationResult {
  const target = publicSchemaFileFor(doc);
  if ("problem" in target) return { ok: false, errors: [target.problem] };
  return validatePublicBySchemaFile(target.file, doc);
}

/**
 * Validates a document that carries no schema_id (e.g. a policy file parsed from YAML) against
 * a schema file given relative to schemas/v1 (`gate/policy.schema.json`; a leading
 * `schemas/v1/` is accepted too).
 */
export function validatePublicBySchemaFile(schemaFile: string, doc: unknown): ValidationResult {
  return loadedValidator().validate(schemaFile.replace(/^schemas\/v1\//, ""), doc);
}

/** Fails the test, listing the schema errors, unless `doc` is valid (by schema_id or `schemaFile`). */
export function assertPublicValid(doc: unknown, what: string, options: { schemaFile?: string } = {}): void {
  const result =
    options.schemaFile === undefined
      ? validatePublic(doc)
      : validatePublicBySchemaFile(options.schemaFile, doc);
  if (result.ok) return;
  const schema = options.schemaFile ?? describeTarget(doc);
  assert.fail(
    `${what} does not validate against public schema ${schema}:\n  - ${result.errors.join("\n  - ")}`,
  );
}

/**
 * The public-schema check of a test whose subject is behaviour: assertPublicValid when the corpus
 * is present; in a lone clone (no corpus, announced once per process on stderr by conformance.ts)
 * only this check is skipped and the rest of the test still runs.
 */
export function assertPublicValidIfAvailable(
  doc: unknown,
  what: string,
  options: { schemaFile?: string } = {},
): void {
  if (validator) assertPublicValid(doc, what, options);
}

/** Asserts every non-empty line of a JSONL artifact (intents.jsonl, results.jsonl, ...) by its schema_id. */
export function assertPublicValidJsonl(text: string, what: string): void {
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    assertPublicValid(JSON.parse(line), `${what} line ${index + 1}`);
  });
}

function describeTarget(doc: unknown): string {
  const target = publicSchemaFileFor(doc);
  return "file" in target ? target.file : "(none)";
}
