/**
 * Schema validators the regress module needs, loaded once per process: the runpack document
 * schemas (schema_validation grader) and our config and fixture schemas. Schemas are keyed
 * `runpack/<doc>` and `regress/<doc>`, as in src/schemas.ts. Their validators are precompiled
 * (validators.generated.ts, imported on first use), so a run loads no Ajv unless a schema changed
 * without `npm run schemas`.
 */
import { createSchemaRegistry, type KeyedSchema, type SchemaValidator } from "../contract/schema.ts";
import { runpackSchemas } from "../runpack/index.ts";
import { invalidInput, type RegressErrorCode } from "./error-codes.ts";
import { regressSchemas } from "./types.ts";

let validator: Promise<SchemaValidator> | undefined;

/** What the registry holds, and what validators.generated.ts is compiled from. */
export function regressSchemaInputs(): KeyedSchema[] {
  return Object.entries({ ...runpackSchemas, ...regressSchemas }).map(([key, schema]) => ({ key, schema }));
}

export function loadSchemaValidator(): Promise<SchemaValidator> {
  validator ??= createSchemaRegistry(regressSchemaInputs(), {
    precompiled: async () => (await import("./validators.generated.ts")).precompiledValidators,
  }).load();
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
