/** The published schemas under schemas/v1 are exactly what the TypeBox definitions generate. */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { renderWireGenerated } from "../src/gate/wire-generate.ts";
import {
  publishedSchemaDocument,
  publishedSchemaId,
  publishedSchemas,
  renderPublishedSchema,
  SCHEMA_ID_BASE,
} from "../src/schemas.ts";
import { repoRoot } from "./helpers/cli.ts";

const schemasDir = join(repoRoot, "schemas", "v1");
const regenerate = "run `npm run schemas` and commit the result";

function filesOnDisk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesOnDisk(path);
    return entry.name.endsWith(".schema.json") ? [relative(schemasDir, path).split(sep).join("/")] : [];
  });
}

describe("published schemas", () => {
  it("have unique paths of the form <area>/<name>.schema.json", () => {
    const paths = publishedSchemas.map((entry) => entry.path);
    assert.equal(new Set(paths).size, paths.length, "duplicate schema path");
    for (const path of paths) assert.match(path, /^[a-z][a-z0-9_-]*\/[a-z][a-z0-9_]*\.schema\.json$/);
  });

  for (const entry of publishedSchemas) {
    it(`schemas/v1/${entry.path} is up to date`, () => {
      const path = join(schemasDir, entry.path);
      assert.ok(existsSync(path), `schemas/v1/${entry.path} is missing: ${regenerate}`);
      assert.equal(
        readFileSync(path, "utf8"),
        renderPublishedSchema(entry),
        `schemas/v1/${entry.path} is stale: ${regenerate}`,
      );
    });

    it(`${entry.path} declares draft 2020-12 and its $id, and compiles under Ajv 2020 (with the others registered)`, () => {
      const doc = publishedSchemaDocument(entry);
      assert.equal(doc.$schema, "https://json-schema.org/draft/2020-12/schema");
      assert.equal(doc.$id, `${SCHEMA_ID_BASE}${entry.path}`);
      assert.equal(publishedSchemaId(entry), doc.$id);
      const ajv = new Ajv2020({ strict: false });
      // A schema may refer to another published one by relative $ref (context/envelope does).
      for (const other of publishedSchemas)
        if (other !== entry) ajv.addSchema(publishedSchemaDocument(other));
      assert.equal(typeof ajv.compile(doc), "function");
    });
  }

  it("src/gate/wire.generated.ts is generated from the current wire schemas", () => {
    const path = join(repoRoot, "src", "gate", "wire.generated.ts");
    assert.equal(
      readFileSync(path, "utf8"),
      renderWireGenerated(),
      `wire.generated.ts is stale: ${regenerate}`,
    );
  });

  it("schemas/v1 holds no file that is no longer registered", () => {
    const registered = new Set(publishedSchemas.map((entry) => entry.path));
    const orphans = filesOnDisk(schemasDir).filter((path) => !registered.has(path));
    assert.deepEqual(orphans, [], `unregistered schema files: ${regenerate}`);
  });
});
