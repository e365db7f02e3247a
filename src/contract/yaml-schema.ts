/**
 * The JSON Schema of YAML documents that the strict reader (yaml-strict.ts) reads with a given
 * shape schema, for publishing: the reader takes an explicit null (`key:` with no value, or a
 * section whose settings are all commented out) as "not set", so each optional member of the
 * shape also accepts null in the published schema. Derived from the one definition, never
 * written by hand.
 */
import { type TSchema, Type } from "@sinclair/typebox";
import type { JsonObject, JsonValue } from "./canonical.ts";

export function yamlDocumentSchema(shape: TSchema): TSchema {
  return Type.Unsafe(allowNullWhereOptional(JSON.parse(JSON.stringify(shape)) as JsonObject));
}

function allowNullWhereOptional(schema: JsonObject): JsonObject {
  const out: JsonObject = { ...schema };
  if (isObject(schema.properties)) {
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    const properties: JsonObject = {};
    for (const [name, member] of Object.entries(schema.properties)) {
      if (!isObject(member)) continue;
      const inner = allowNullWhereOptional(member);
      properties[name] = required.has(name) ? inner : nullable(inner);
    }
    out.properties = properties;
  }
  if (isObject(schema.items)) out.items = allowNullWhereOptional(schema.items);
  return out;
}

function nullable(schema: JsonObject): JsonObject {
  const out: JsonObject = { ...schema };
  if (typeof schema.type === "string") out.type = [schema.type, "null"];
  if ("const" in schema) {
    delete out.const;
    out.enum = [schema.const!, null];
  }
  if (Array.isArray(schema.enum)) out.enum = [...schema.enum, null];
  if (Array.isArray(schema.anyOf)) out.anyOf = [...schema.anyOf, { type: "null" }];
  return out;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
