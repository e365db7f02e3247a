/**
 * JSON Schema validation over Ajv 8, knowing nothing about which artifacts exist: callers hand in
 * schema objects (ours, generated from TypeBox, or the public v1 corpus read from a directory).
 *
 * Ajv is heavy, so nothing here touches it until the first validation: creating a registry only
 * indexes the schemas, and `load()` imports Ajv (a separate chunk in the bundled CLI), registers
 * every schema (cross-file `$ref`s need all of them present) and compiles each on first use.
 *
 * Compiling is the expensive part (tens of milliseconds per artifact schema, plus Ajv's own
 * meta-schemas), so a caller can hand in validators Ajv compiled at generation time
 * (`precompiled`, made by schema-standalone.ts). One is used only when the schema registered now
 * is the very one it was compiled from: same name, dialect and JSON text (sha256), and the same
 * for every other schema its code was compiled against. When every registered schema has one,
 * Ajv is not loaded at all; anything else falls back to compiling, as before.
 *
 * Settings, and why:
 * - `strict: false` — the public `gate/policy.schema.json` uses `required` without redeclaring the
 *   property in an `anyOf` branch, which strict mode refuses (CONTRACTS.md §10).
 * - `validateFormats: false` — the reference validator treats `format` as an annotation for
 *   2020-12 schemas; asserting it would make us stricter than the contract.
 * - `allErrors: false` — stop at the first failure: faster, and Ajv advises against collecting
 *   every error on untrusted input (the cost grows with the document). Messages still name the
 *   failing path and rule.
 */

import { createHash } from "node:crypto";
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { compareBytes } from "./bytes.ts";
import { parseJsonObject } from "./canonical.ts";
import { fromFsError, internalFailure, invalidInput } from "./errors.ts";

/** A JSON Schema document (TypeBox schemas qualify: their symbol keys are ignored). */
export type JsonSchema = { readonly [key: string]: unknown };

/** A schema registered under a name of our choosing (needed when it has no `$id`). */
export interface KeyedSchema {
  key: string;
  schema: JsonSchema;
}

export type SchemaInput = JsonSchema | KeyedSchema;

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/** The loaded registry: synchronous, for loops and tests. */
export interface SchemaValidator {
  /** `ref` is a schema's `$id` or key, optionally with a `#/json/pointer` into it. */
  validate(ref: string, value: unknown): ValidationResult;
  /** Throws GaitError invalid_input `schema_invalid` naming `what` and the first errors. */
  assertValid(ref: string, value: unknown, what: string): void;
}

export interface SchemaRegistry {
  has(ref: string): boolean;
  validate(ref: string, value: unknown): Promise<ValidationResult>;
  assertValid(ref: string, value: unknown, what: string): Promise<void>;
  /**
   * Imports Ajv and registers the schemas, once; later calls return the same validator. With
   * precompiled validators for every schema, Ajv is not imported: the returned validator then
   * serves whole schemas only, and a `#/pointer` ref must go through the registry's own
   * (asynchronous) `validate` / `assertValid`, which import Ajv when they need it.
   */
  load(): Promise<SchemaValidator>;
}

export type Dialect = "2020-12" | "draft-07";

/** A validator Ajv compiled at generation time, and what it was compiled from. */
export interface PrecompiledValidator {
  dialect: Dialect;
  /** `schemaDigest` of the schema it was compiled from. */
  digest: string;
  /** Other schemas its code was compiled against (cross-file `$ref`s): Ajv name -> `schemaDigest`. */
  requires: Readonly<Record<string, string>>;
  validate: ValidateFunction;
}

/** Precompiled validators by the schema's Ajv name (its `$id` without an empty fragment, else its key). */
export type PrecompiledValidators = Readonly<Record<string, PrecompiledValidator>>;

export interface SchemaRegistryOptions {
  /** Called once, by `load()` (so a generated module can be imported only then). */
  precompiled?: () => PrecompiledValidators | Promise<PrecompiledValidators>;
}

/** Ajv's settings, here and when validators are precompiled (see the top of this file). */
export const AJV_OPTIONS = { strict: false, allErrors: false, validateFormats: false } as const;

/**
 * SHA-256 of the schema's JSON text. The text, not its canonical form: Ajv checks properties in
 * the order they are written, and with `allErrors: false` that order picks the error reported.
 */
export function schemaDigest(schema: JsonSchema): string {
  return createHash("sha256").update(JSON.stringify(schema)).digest("hex");
}

/** A schema as the registry registers it with Ajv (for generating precompiled validators). */
export interface RegisteredSchema {
  /** The name Ajv knows it by: its `$id`, else its key (relative `$ref`s resolve against it). */
  ajvId: string;
  dialect: Dialect;
  schema: JsonSchema;
}

/** What we use of an Ajv instance (Ajv2020 and the draft-07 Ajv share it). */
interface AjvInstance {
  addSchema(schema: JsonSchema, key: string): unknown;
  getSchema(ref: string): ValidateFunction | undefined;
}

const MAX_REPORTED_ERRORS = 5;

export function createSchemaRegistry(
  inputs: readonly SchemaInput[],
  options: SchemaRegistryOptions = {},
): SchemaRegistry {
  const byRef = indexSchemas(inputs);
  let loading: Promise<LoadedSchemas> | undefined;
  const loaded = () => {
    loading ??= loadSchemas(byRef, options);
    return loading;
  };
  /** Loaded, with Ajv too when `ref` needs it. */
  const readyFor = async (ref: string) => {
    const schemas = await loaded();
    await schemas.prepare(ref);
    return schemas.validator;
  };
  return {
    has: (ref) => byRef.has(baseOf(ref)),
    load: async () => (await loaded()).validator,
    validate: async (ref, value) => (await readyFor(ref)).validate(ref, value),
    assertValid: async (ref, value, what) => (await readyFor(ref)).assertValid(ref, value, what),
  };
}

/**
 * Every distinct schema the inputs register, as `createSchemaRegistry` would register them (same
 * names and dialects, same errors for duplicates), in input order.
 */
export function registeredSchemas(inputs: readonly SchemaInput[]): RegisteredSchema[] {
  return [...new Set(indexSchemas(inputs).values())];
}

/**
 * Reads every `*.schema.json` below `dir`, keyed by its path relative to `dir` with `/`
 * separators (e.g. `gate/policy.schema.json`), in a stable order.
 */
export function readSchemaDirectory(dir: string): KeyedSchema[] {
  return listSchemaFiles(dir).map((path) => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw fromFsError(error, "read schema", path);
    }
    return { key: relative(dir, path).split(sep).join("/"), schema: parseJsonObject(text, path) };
  });
}

function listSchemaFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw fromFsError(error, "read schema directory", dir);
  }
  return entries
    .sort((a, b) => compareBytes(a.name, b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listSchemaFiles(path);
      return entry.isFile() && entry.name.endsWith(".schema.json") ? [path] : [];
    });
}

/** Maps every name a schema can be asked for (its `$id` and its key) to its registration. */
function indexSchemas(inputs: readonly SchemaInput[]): Map<string, RegisteredSchema> {
  const byRef = new Map<string, RegisteredSchema>();
  const claim = (name: string, registered: RegisteredSchema) => {
    if (byRef.has(name)) {
      throw internalFailure("schema_duplicate", `schema ${name} is registered twice`);
    }
    byRef.set(name, registered);
  };
  for (const input of inputs) {
    const { key, schema } = isKeyedSchema(input) ? input : { key: undefined, schema: input };
    const id = typeof schema.$id === "string" ? stripEmptyFragment(schema.$id) : undefined;
    const ajvId = id ?? key;
    if (ajvId === undefined) {
      throw internalFailure("schema_unnamed", "a schema without $id must be registered with a key");
    }
    const registered = { ajvId, dialect: dialectOf(schema, ajvId), schema };
    claim(ajvId, registered);
    if (key !== undefined && key !== ajvId) claim(key, registered);
  }
  return byRef;
}

function isKeyedSchema(input: SchemaInput): input is KeyedSchema {
  const keys = Object.keys(input);
  return (
    keys.length === 2 &&
    typeof input.key === "string" &&
    typeof input.schema === "object" &&
    input.schema !== null
  );
}

function dialectOf(schema: JsonSchema, name: string): Dialect {
  const declared = schema.$schema;
  if (declared === undefined || declared === "https://json-schema.org/draft/2020-12/schema") return "2020-12";
  if (
    declared === "http://json-schema.org/draft-07/schema#" ||
    declared === "http://json-schema.org/draft-07/schema"
  ) {
    return "draft-07";
  }
  throw internalFailure(
    "schema_dialect_unsupported",
    `schema ${name} declares unsupported $schema ${String(declared)}`,
    {
      hint: "only draft 2020-12 and draft-07 schemas are supported",
    },
  );
}

interface LoadedSchemas {
  validator: SchemaValidator;
  /** Imports Ajv and registers every schema, unless done or `ref` has a precompiled validator. */
  prepare(ref: string): Promise<void>;
}

async function loadSchemas(
  byRef: Map<string, RegisteredSchema>,
  options: SchemaRegistryOptions,
): Promise<LoadedSchemas> {
  const registered = [...new Set(byRef.values())];
  const precompiled = usablePrecompiled(
    registered,
    byRef,
    options.precompiled ? await options.precompiled() : {},
  );

  let instances: Map<Dialect, AjvInstance> | undefined;
  const loadAjv = async () => {
    instances ??= await ajvInstances(registered);
  };
  if (precompiled.size < registered.length) await loadAjv();

  const compiled = new Map<string, ValidateFunction>();
  const targetOf = (ref: string) => {
    const target = byRef.get(baseOf(ref));
    if (!target) throw internalFailure("schema_not_registered", `no schema registered as ${ref}`);
    return { target, pointer: ref.slice(baseOf(ref).length + 1) };
  };
  const precompiledFor = (ref: string): ValidateFunction | undefined => {
    const { target, pointer } = targetOf(ref);
    return pointer === "" ? precompiled.get(target) : undefined;
  };
  const validatorFor = (ref: string): ValidateFunction => {
    const cached = compiled.get(ref);
    if (cached) return cached;
    const { target, pointer } = targetOf(ref);
    let validate = precompiledFor(ref);
    if (!validate) {
      if (!instances) {
        throw internalFailure(
          "schema_compile_failed",
          `schema ${ref} has no precompiled validator, and Ajv was not loaded (every registered schema has one)`,
          { hint: "validate it through SchemaRegistry.validate or assertValid, which load Ajv when needed" },
        );
      }
      const ajvRef = pointer === "" ? target.ajvId : `${target.ajvId}#${pointer}`;
      validate = compileSchema(instances.get(target.dialect)!, ajvRef, ref);
    }
    compiled.set(ref, validate);
    return validate;
  };

  const validate = (ref: string, value: unknown): ValidationResult => {
    const check = validatorFor(ref);
    if (check(value)) return { ok: true };
    return { ok: false, errors: (check.errors ?? []).map(describeError) };
  };
  return {
    validator: {
      validate,
      assertValid(ref, value, what) {
        const result = validate(ref, value);
        if (result.ok) return;
        throw invalidInput(
          "schema_invalid",
          `${what} does not match schema ${ref}: ${summarize(result.errors)}`,
          {
            hint: "fix the listed fields so the document matches the schema, then retry",
          },
        );
      },
    },
    prepare: async (ref) => {
      if (instances || !byRef.has(baseOf(ref)) || precompiledFor(ref)) return;
      await loadAjv();
    },
  };
}

/**
 * The precompiled validators that fit what is registered now: same name, dialect and schema
 * text, and every schema their code was compiled against registered unchanged as well.
 */
function usablePrecompiled(
  registered: readonly RegisteredSchema[],
  byRef: Map<string, RegisteredSchema>,
  table: PrecompiledValidators,
): Map<RegisteredSchema, ValidateFunction> {
  const usable = new Map<RegisteredSchema, ValidateFunction>();
  if (Object.keys(table).length === 0) return usable;
  const digests = new Map<RegisteredSchema, string>();
  const digestOf = (r: RegisteredSchema) => {
    let digest = digests.get(r);
    if (digest === undefined) {
      digest = schemaDigest(r.schema);
      digests.set(r, digest);
    }
    return digest;
  };
  const unchanged = (ajvId: string, digest: string) => {
    const r = byRef.get(ajvId);
    return r !== undefined && r.ajvId === ajvId && digestOf(r) === digest;
  };
  for (const r of registered) {
    const entry = Object.hasOwn(table, r.ajvId) ? table[r.ajvId] : undefined;
    if (!entry || entry.dialect !== r.dialect || !unchanged(r.ajvId, entry.digest)) continue;
    if (!Object.entries(entry.requires).every(([ajvId, digest]) => unchanged(ajvId, digest))) continue;
    usable.set(r, entry.validate);
  }
  return usable;
}

async function ajvInstances(registered: readonly RegisteredSchema[]): Promise<Map<Dialect, AjvInstance>> {
  const instances = new Map<Dialect, AjvInstance>();
  for (const dialect of new Set(registered.map((r) => r.dialect))) {
    const ajv = await newAjv(dialect);
    for (const r of registered) if (r.dialect === dialect) addSchema(ajv, r);
    instances.set(dialect, ajv);
  }
  return instances;
}

/**
 * Ajv is CommonJS. Node offers its exports as named imports too, but the chunk esbuild splits it
 * into (bundled CLI) offers only `default` (module.exports); reading the class as a member of
 * `default` works in both.
 */
async function newAjv(dialect: Dialect): Promise<AjvInstance> {
  const options = { ...AJV_OPTIONS };
  if (dialect === "draft-07") {
    const { Ajv } = (await import("ajv")).default;
    return new Ajv(options);
  }
  const { Ajv2020 } = (await import("ajv/dist/2020.js")).default;
  return new Ajv2020(options);
}

/** Ajv checks each schema against its dialect's meta-schema here. */
function addSchema(ajv: AjvInstance, registered: RegisteredSchema): void {
  try {
    ajv.addSchema(registered.schema, registered.ajvId);
  } catch (error) {
    throw internalFailure(
      "schema_compile_failed",
      `schema ${registered.ajvId} is not a valid schema: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

function compileSchema(ajv: AjvInstance, ajvRef: string, ref: string): ValidateFunction {
  let validate: ValidateFunction | undefined;
  try {
    validate = ajv.getSchema(ajvRef);
  } catch (error) {
    throw internalFailure("schema_compile_failed", `schema ${ref} does not compile: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (!validate) throw internalFailure("schema_not_registered", `no schema found at ${ref}`);
  return validate;
}

/** `<instancePath> <message>`, plus the offending name or allowed values where Ajv knows them. */
function describeError(error: ErrorObject): string {
  const path = error.instancePath === "" ? "(root)" : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let detail = "";
  if (error.keyword === "additionalProperties") detail = ` (${JSON.stringify(params.additionalProperty)})`;
  else if (error.keyword === "const") detail = `: ${JSON.stringify(params.allowedValue)}`;
  else if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
    detail = `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return `${path} ${error.message ?? "is invalid"}${detail}`;
}

function summarize(errors: readonly string[]): string {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS).join("; ");
  const more = errors.length - MAX_REPORTED_ERRORS;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function baseOf(ref: string): string {
  const hash = ref.indexOf("#");
  return hash === -1 ? ref : ref.slice(0, hash);
}

function stripEmptyFragment(id: string): string {
  return id.endsWith("#") ? id.slice(0, -1) : id;
}
