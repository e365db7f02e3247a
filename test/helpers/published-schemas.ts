/**
 * Producer-test helper for the schemas we publish ourselves: validates a document against the file
 * under schemas/v1/ (as shipped, not the in-memory definition), by its path there.
 *
 *   assertPublishedValid(JSON.parse(readFileSync(statePath, "utf8")), "gate/rate_limit_state.schema.json");
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createSchemaRegistry,
  readSchemaDirectory,
  type ValidationResult,
} from "../../src/contract/schema.ts";
import { SCHEMA_ID_BASE } from "../../src/schemas.ts";
import { repoRoot } from "./cli.ts";

const published = await createSchemaRegistry(readSchemaDirectory(join(repoRoot, "schemas", "v1"))).load();

/** Validates `doc` against schemas/v1/<path>. */
export function validatePublished(path: string, doc: unknown): ValidationResult {
  return published.validate(SCHEMA_ID_BASE + path, doc);
}

/** Fails the test, listing the schema errors, unless `doc` is valid against schemas/v1/<path>. */
export function assertPublishedValid(doc: unknown, path: string, what = path): void {
  const result = validatePublished(path, doc);
  if (!result.ok)
    assert.fail(`${what} does not validate against schemas/v1/${path}:\n  - ${result.errors.join("\n  - ")}`);
}

/** Fails the test unless schemas/v1/<path> rejects `doc`. */
export function assertPublishedInvalid(doc: unknown, path: string, what = path): void {
  assert.equal(
    validatePublished(path, doc).ok,
    false,
    `${what} should not validate against schemas/v1/${path}`,
  );
}
