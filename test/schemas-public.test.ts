/**
 * Every schema we publish for an artifact the public v1 corpus also defines mirrors the public one
 * (the approach of test/gate/producers.test.ts, for all of schemas/v1): the same constraints —
 * types, required members, enums, patterns, closed objects — with our descriptions ignored, and the
 * public samples accepted or rejected as labelled. Our other schemas must not claim a schema_id the
 * corpus defines elsewhere.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { publishedSchemaDocument, publishedSchemas } from "../src/schemas.ts";
import { conformanceAvailable, conformanceDir } from "./helpers/conformance.ts";
import { publicSchemaFileById, publicSchemasDir, publicSchemasSkip } from "./helpers/public-schemas.ts";
import { validatePublished } from "./helpers/published-schemas.ts";

interface CorpusSample {
  sample: string;
  schema: string;
  expect: "valid" | "invalid";
}

/**
 * Published with the public schema's meaning but a different spelling, so compared by samples only:
 * the policy spells its enums as `anyOf` of constants (docs/schemas.md).
 */
const SAMPLES_ONLY = new Set(["gate/policy.schema.json"]);

const withPublicCounterpart = publishedSchemas.filter((entry) =>
  existsSync(join(publicSchemasDir, entry.path)),
);

/** A schema as plain constraints: key order, enum and required order, `$id`, `$schema` and descriptions ignored. */
function constraintsOf(schema: unknown, key = ""): unknown {
  if (Array.isArray(schema)) {
    const items = schema.map((item) => constraintsOf(item));
    return key === "enum" || key === "required" ? items.map((i) => JSON.stringify(i)).sort() : items;
  }
  if (schema === null || typeof schema !== "object") return schema;
  // `properties` maps member names: a member called "description" is a constraint, not an annotation.
  const annotation = (k: string) =>
    key !== "properties" && (k === "description" || k === "$id" || k === "$schema");
  return Object.fromEntries(
    Object.keys(schema)
      .filter((k) => !annotation(k))
      .sort()
      .map((k) => [k, constraintsOf((schema as Record<string, unknown>)[k], k)]),
  );
}

const corpusSamples: CorpusSample[] = conformanceAvailable
  ? (JSON.parse(readFileSync(join(conformanceDir, "index.json"), "utf8")) as { samples: CorpusSample[] })
      .samples
  : [];

describe("published schemas with a public v1 counterpart mirror it", { skip: publicSchemasSkip }, () => {
  it("the corpus has a counterpart for the gate wire, policy, policy test, pack, guard manifest, registry, runpack, regress result and scout snapshot schemas", () => {
    assert.deepEqual(withPublicCounterpart.map((entry) => entry.path).sort(), [
      "context/envelope.schema.json",
      "context/reference_record.schema.json",
      "gate/approval_audit_record.schema.json",
      "gate/approval_token.schema.json",
      "gate/approved_script_entry.schema.json",
      "gate/broker_credential_record.schema.json",
      "gate/broker_request.schema.json",
      "gate/delegation_audit_record.schema.json",
      "gate/delegation_token.schema.json",
      "gate/gate_result.schema.json",
      "gate/intent_request.schema.json",
      "gate/kill_switch_state.schema.json",
      "gate/policy.schema.json",
      "gate/policy_explain.schema.json",
      "gate/trace_record.schema.json",
      "guard/pack_manifest.schema.json",
      "pack/diff.schema.json",
      "pack/job.schema.json",
      "pack/manifest.schema.json",
      "pack/run.schema.json",
      "policytest/policy_test_result.schema.json",
      "registry/registry_pack.schema.json",
      "registry/verification_report.schema.json",
      "regress/regress_result.schema.json",
      "runpack/intent.schema.json",
      "runpack/manifest.schema.json",
      "runpack/refs.schema.json",
      "runpack/result.schema.json",
      "runpack/run.schema.json",
      "runpack/session_chain.schema.json",
      "runpack/session_checkpoint.schema.json",
      "runpack/session_journal.schema.json",
      "scout/inventory_snapshot.schema.json",
    ]);
  });

  for (const entry of withPublicCounterpart.filter((e) => !SAMPLES_ONLY.has(e.path))) {
    it(`schemas/v1/${entry.path} has the public schema's constraints`, () => {
      const publicSchema = JSON.parse(readFileSync(join(publicSchemasDir, entry.path), "utf8"));
      assert.deepEqual(constraintsOf(publishedSchemaDocument(entry)), constraintsOf(publicSchema));
    });
  }

  for (const entry of withPublicCounterpart) {
    const samples = corpusSamples.filter((s) => s.schema === `schemas/v1/${entry.path}`);
    it(`schemas/v1/${entry.path} accepts and rejects the public samples as labelled`, {
      skip: samples.length === 0 ? "the public corpus has no samples for it" : false,
    }, () => {
      for (const sample of samples) {
        const text = readFileSync(join(conformanceDir, sample.sample), "utf8");
        const docs = sample.sample.endsWith(".jsonl")
          ? text
              .split("\n")
              .filter((line) => line.trim() !== "")
              .map((line) => JSON.parse(line))
          : [JSON.parse(text)];
        const ok = docs.every((doc) => validatePublished(entry.path, doc).ok);
        assert.equal(ok, sample.expect === "valid", sample.sample);
      }
    });
  }

  it("no other published schema claims a schema_id the corpus defines in another file", () => {
    for (const entry of publishedSchemas) {
      const schemaId = (
        publishedSchemaDocument(entry).properties as Record<string, { const?: unknown }> | undefined
      )?.schema_id?.const;
      if (typeof schemaId !== "string") continue;
      const publicFile = publicSchemaFileById[schemaId];
      if (publicFile) assert.equal(entry.path, publicFile, `${schemaId} is published at ${entry.path}`);
    }
  });
});
