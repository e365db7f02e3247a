/**
 * Generation-time half of schema.ts's precompiled validators: compiles schemas with Ajv's
 * standalone code generator, under the registry's own names, dialects and settings, and renders
 * an ES module exporting a `PrecompiledValidators` table. Used by `npm run schemas` and by the
 * tests that keep the generated modules fresh; nothing at run time imports this file.
 *
 * Ajv's generated code reaches its few runtime helpers (`ajv/dist/runtime/*`) through
 * `require()`; they become ES imports here, so the module loads under Node, tsx and esbuild alike.
 */
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import standalone from "ajv/dist/standalone/index.js";
import {
  AJV_OPTIONS,
  type Dialect,
  type RegisteredSchema,
  registeredSchemas,
  type SchemaInput,
  schemaDigest,
} from "./schema.ts";

// A CommonJS module whose exports are the function, with itself as `default` too.
const standaloneCode = standalone.default;

export interface StandaloneModuleOptions {
  /** First comment lines of the file (without `// `): where it comes from, how to regenerate it. */
  header: readonly string[];
  /** Import specifier of contract/schema.ts as seen from the generated file (for its type). */
  schemaModule: string;
}

/** The ES module source: one validator per registered schema, keyed by its Ajv name. */
export function renderStandaloneValidators(
  inputs: readonly SchemaInput[],
  options: StandaloneModuleOptions,
): string {
  const registered = registeredSchemas(inputs);
  // Only other schemas of the same dialect can be `$ref`ed: each dialect has its own Ajv, as at run time.
  const plain = registered.map((r) => ({
    registered: r,
    ajvId: r.ajvId,
    dialect: r.dialect,
    schema: JSON.parse(JSON.stringify(r.schema)),
  }));
  const exportNames = new Map(registered.map((r, i) => [r, `validator${i}`]));
  const dialects = [...new Set(registered.map((r) => r.dialect))];
  // Each dialect's Ajv names its functions and constants from scratch, so each gets its own scope.
  const groups = dialects.map((dialect, group) => {
    const ajv = newStandaloneAjv(dialect);
    const refs: Record<string, string> = {};
    for (const r of plain) {
      if (r.dialect !== dialect) continue;
      ajv.addSchema(r.schema, r.ajvId);
      refs[exportNames.get(r.registered)!] = r.ajvId;
    }
    const body = stripUseStrict(standaloneCode(ajv, refs)).replace(
      /export const (validator\d+) = /g,
      "exported.$1 = ",
    );
    return `const dialect${group} = (() => {\nconst exported = {};\n${body}\nreturn exported;\n})();`;
  });
  const { imports, code } = importRuntimeHelpers(groups.join("\n"));
  const groupOf = (r: RegisteredSchema) => `dialect${dialects.indexOf(r.dialect)}.${exportNames.get(r)}`;
  const table = registered.map((r) => {
    const entry = {
      dialect: r.dialect,
      digest: schemaDigest(r.schema),
      requires: externalRefs(r) ? requiresAllOthers(r, registered) : {},
    };
    const fields = Object.entries(entry).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    return `  ${JSON.stringify(r.ajvId)}: { ${fields.join(", ")}, validate: ${groupOf(r)} },`;
  });
  return [
    ...options.header.map((line) => `// ${line}`),
    "// @ts-nocheck: Ajv emits plain JavaScript; the table below carries the types.",
    `import type { PrecompiledValidators } from ${JSON.stringify(options.schemaModule)};`,
    ...imports,
    "",
    code,
    "",
    "export const precompiledValidators: PrecompiledValidators = {",
    ...table,
    "};",
    "",
  ].join("\n");
}

function newStandaloneAjv(dialect: Dialect) {
  const options = { ...AJV_OPTIONS, code: { source: true, esm: true, lines: true } };
  return dialect === "draft-07" ? new Ajv(options) : new Ajv2020(options);
}

function stripUseStrict(source: string): string {
  return source.replace(/^"use strict";/, "");
}

/** `require("ajv/dist/runtime/x").default` -> an import of the helper, whatever the interop. */
function importRuntimeHelpers(source: string): { imports: string[]; code: string } {
  const helpers = new Map<string, string>();
  const code = source.replace(
    /require\("(ajv\/dist\/runtime\/([a-z0-9_]+))"\)\.default/g,
    (_, path, name) => {
      const local = `ajvRuntime_${name}`;
      helpers.set(local, path);
      return local;
    },
  );
  const leftover = /\brequire\(/.exec(code);
  if (leftover) {
    throw new Error(
      `Ajv's standalone code requires something unexpected: ${code.slice(leftover.index, leftover.index + 80)}`,
    );
  }
  const entries = [...helpers];
  const imports = [
    ...entries.map(([local, path]) => `import ${local}Module from ${JSON.stringify(`${path}.js`)};`),
    // Node hands a CommonJS module's exports as the default; some bundlers hand exports.default.
    ...entries.map(
      ([local]) =>
        `const ${local} = typeof ${local}Module === "function" ? ${local}Module : ${local}Module.default;`,
    ),
  ];
  return { imports, code };
}

/** Whether the schema `$ref`s anything outside itself (its code then embeds the other schema). */
function externalRefs(r: RegisteredSchema): boolean {
  return refsOutside(r.schema);
}

function refsOutside(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(refsOutside);
  return Object.entries(value).some(
    ([key, member]) =>
      ((key === "$ref" || key === "$dynamicRef") && typeof member === "string" && !member.startsWith("#")) ||
      refsOutside(member),
  );
}

/** Conservative: a schema with cross-file `$ref`s depends on every other schema registered with it. */
function requiresAllOthers(
  r: RegisteredSchema,
  registered: readonly RegisteredSchema[],
): Record<string, string> {
  return Object.fromEntries(
    registered.filter((other) => other !== r).map((other) => [other.ajvId, schemaDigest(other.schema)]),
  );
}
