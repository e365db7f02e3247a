/** The producer-test helper: its schema_id mapping matches the public schemas and real samples. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { readSchemaDirectory } from "../../src/contract/schema.ts";
import { conformanceAvailable, conformanceDir, vectorPath } from "../helpers/conformance.ts";
import {
  assertPublicValid,
  assertPublicValidJsonl,
  publicSchemaFileById,
  publicSchemasDir,
  publicSchemasSkip,
  validatePublic,
  validatePublicBySchemaFile,
} from "../helpers/public-schemas.ts";

interface CorpusSample {
  sample: string;
  schema: string;
  format: "json" | "jsonl";
  expect: "valid" | "invalid";
}

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
const samples: CorpusSample[] = conformanceAvailable
  ? (readJson(join(conformanceDir, "index.json")) as unknown as { samples: CorpusSample[] }).samples
  : [];
const sampleText = (sample: CorpusSample) => readFileSync(join(conformanceDir, sample.sample), "utf8");

describe("public schema helper", { skip: publicSchemasSkip }, () => {
  it("maps each schema_id to a schema whose schema_id constant is that id", () => {
    for (const [schemaId, file] of Object.entries(publicSchemaFileById)) {
      const schema = readJson(join(publicSchemasDir, file)) as {
        properties?: { schema_id?: { const?: unknown } };
      };
      assert.equal(schema.properties?.schema_id?.const, schemaId, file);
    }
  });

  it("maps every gait.* schema_id a public schema declares", () => {
    const declared = readSchemaDirectory(publicSchemasDir)
      .map(
        ({ schema }) =>
          (schema as { properties?: { schema_id?: { const?: unknown } } }).properties?.schema_id?.const,
      )
      .filter((id): id is string => typeof id === "string" && id.startsWith("gait."));
    for (const id of declared) assert.ok(publicSchemaFileById[id], `${id} is not mapped`);
  });

  it("validates every valid corpus document that carries a schema_id by that id", () => {
    for (const sample of samples.filter((s) => s.expect === "valid")) {
      const text = sampleText(sample);
      if (sample.format === "jsonl") {
        assertPublicValidJsonl(text, sample.sample);
        continue;
      }
      const doc = JSON.parse(text) as { schema_id?: unknown };
      if (doc.schema_id !== undefined) assertPublicValid(doc, sample.sample);
    }
  });

  it("rejects the invalid samples through the same path", () => {
    const manifest = samples.find((s) => s.sample === "testdata/manifest_invalid.json")!;
    const result = validatePublic(JSON.parse(sampleText(manifest)));
    assert.equal(result.ok, false);
    assert.throws(
      () => assertPublicValid(JSON.parse(sampleText(manifest)), "runpack manifest"),
      /runpack manifest does not validate against public schema runpack\/manifest\.schema\.json:\n {2}- \/run_id must match pattern/,
    );
  });

  it("explains documents without a usable schema_id", () => {
    assert.deepEqual(validatePublic({}), { ok: false, errors: ["document has no string schema_id"] });
    assert.deepEqual(validatePublic({ schema_id: "gait.nope" }), {
      ok: false,
      errors: ['no public schema is mapped for schema_id "gait.nope"'],
    });
  });

  it("validates a policy file parsed from YAML against gate/policy.schema.json", () => {
    const policy = parseYaml(readFileSync(vectorPath("approval-expired", "policy.yaml"), "utf8")) as unknown;
    assert.deepEqual(validatePublicBySchemaFile("gate/policy.schema.json", policy), { ok: true });
    assert.deepEqual(validatePublicBySchemaFile("schemas/v1/gate/policy.schema.json", policy), { ok: true });
    assertPublicValid(policy, "policy", { schemaFile: "gate/policy.schema.json" });
    assert.equal(
      validatePublicBySchemaFile("gate/policy.schema.json", { default_verdit: "allow" }).ok,
      false,
    );
  });
});
