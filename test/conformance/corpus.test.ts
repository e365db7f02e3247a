/**
 * The public v1 corpus (conformance/index.json): every sample validates, or is rejected, exactly
 * as labelled, through our schema layer with all public schemas registered up front.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  createSchemaRegistry,
  readSchemaDirectory,
  type SchemaValidator,
} from "../../src/contract/schema.ts";
import { conformanceAvailable, conformanceDir, conformanceSkip } from "../helpers/conformance.ts";

interface CorpusSample {
  sample: string;
  schema: string;
  format: "json" | "jsonl";
  expect: "valid" | "invalid";
}

const EXPECTED_SAMPLE_COUNT = 102;

const samples: CorpusSample[] = conformanceAvailable
  ? (JSON.parse(readFileSync(join(conformanceDir, "index.json"), "utf8")) as { samples: CorpusSample[] })
      .samples
  : [];

/** One document per sample, or one per non-empty line for JSONL samples. */
function documentsOf(sample: CorpusSample): unknown[] {
  const text = readFileSync(join(conformanceDir, sample.sample), "utf8");
  if (sample.format === "json") return [JSON.parse(text)];
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

describe("public v1 conformance corpus", { skip: conformanceSkip }, () => {
  const registry = createSchemaRegistry(
    conformanceAvailable ? readSchemaDirectory(join(conformanceDir, "schemas", "v1")) : [],
  );
  let validator: SchemaValidator;
  before(async () => {
    validator = await registry.load();
  });

  it(`indexes ${EXPECTED_SAMPLE_COUNT} samples`, () => {
    assert.equal(samples.length, EXPECTED_SAMPLE_COUNT);
  });

  for (const sample of samples) {
    it(`${sample.sample} is ${sample.expect} against ${sample.schema}`, () => {
      const schemaKey = sample.schema.replace(/^schemas\/v1\//, "");
      assert.ok(registry.has(schemaKey), `schema ${sample.schema} is not registered`);
      const results = documentsOf(sample).map((doc) => validator.validate(schemaKey, doc));
      assert.ok(results.length > 0, `${sample.sample} holds no documents`);
      const failures = results.flatMap((result, line) =>
        result.ok ? [] : [`document ${line + 1}: ${result.errors.join("; ")}`],
      );
      if (sample.expect === "valid") {
        assert.deepEqual(failures, [], `${sample.sample} should validate`);
      } else {
        assert.ok(failures.length > 0, `${sample.sample} should be rejected but every document validates`);
      }
    });
  }
});
