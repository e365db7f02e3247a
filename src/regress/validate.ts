/**
 * Schema validators the regress module needs, loaded once per process (Ajv is imported lazily):
 * the runpack document schemas (schema_validation grader) and our config and fixture schemas.
 * Schemas are keyed `runpack/<doc>` and `regress/<doc>`, as in src/schemas.ts.
 */
import { createSchemaRegistry, type SchemaValidator } from "../contract/schema.ts";
import { runpackSchemas } from "../runpack/index.ts";
import { invalidInput, type RegressErrorCode } from "./error-codes.ts";
import { regressSchemas } from "./types.ts";

let validator: Promise<SchemaValidator> | undefined;

export function loadSchemaValidator(): Promise<SchemaValidator> {
  validator ??= createSchemaRegistry(
    Object.entries({ ...runpackSchemas, ...regressSchemas }).map(([key, schema]) => ({ key, schema })),
  ).load();
  return validator;
}

/** Throws `<code>` (exit 6) naming the file and the first schema errors unless `doc` is valid. */
export function assertDocument(
  schemas: SchemaValidator,
  key: keyof typeof regressSchemas,
  doc: unknown,
  where: { path: string; code: RegressErrorCode; hint: string },
): void {
  const result = schemas.validate(key, doc);
  if (result.ok) return;
  throw invalidInput(
    where.code,
    `${where.path} is not a valid ${key}: ${result.errors.slice(0, 5).join("; ")}`,
    {
      hint: where.hint,
      details: { path: where.path },
    },
  );
}
