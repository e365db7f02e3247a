/**
 * Precompiled (Ajv standalone) validators: the generated module is fresh, agrees with Ajv compiling
 * the same schemas at run time on valid and invalid documents (errors included, since messages are
 * built from them), and is set aside whenever the schema registered differs from the one it was
 * compiled from.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { GaitError } from "../../src/contract/errors.ts";
import {
  AJV_OPTIONS,
  createSchemaRegistry,
  type KeyedSchema,
  type PrecompiledValidators,
  schemaDigest,
} from "../../src/contract/schema.ts";
import { renderStandaloneValidators } from "../../src/contract/schema-standalone.ts";
import {
  buildRegressResult,
  configFixtureEntry,
  emptyConfig,
  fixtureFor,
  graderEntry,
  upsertConfigFixture,
} from "../../src/regress/index.ts";
import { regressSchemaInputs } from "../../src/regress/validate.ts";
import { precompiledValidators } from "../../src/regress/validators.generated.ts";
import { REGRESS_VALIDATORS_FILE, renderRegressValidators } from "../../src/regress/validators-generate.ts";
import { repoRoot, tempDir } from "../helpers/cli.ts";
import { conformanceDir, conformanceSkip } from "../helpers/conformance.ts";
import { built, runInput } from "../regress/helpers.ts";

const regenerate = "run `npm run schemas` and commit the result";

describe("src/regress/validators.generated.ts", () => {
  it("is generated from the current runpack and regress schemas", () => {
    assert.equal(
      readFileSync(join(repoRoot, REGRESS_VALIDATORS_FILE), "utf8"),
      renderRegressValidators(),
      `${REGRESS_VALIDATORS_FILE} is stale: ${regenerate}`,
    );
  });

  it("has a validator for every schema the regress registry holds, each matching its schema", () => {
    const inputs = regressSchemaInputs();
    assert.deepEqual(Object.keys(precompiledValidators).sort(), inputs.map((i) => i.key).sort());
    for (const { key, schema } of inputs) {
      assert.equal(precompiledValidators[key]!.digest, schemaDigest(schema), `${key}: ${regenerate}`);
    }
  });

  it("lets `regress run` validate without loading Ajv's compiler", () => {
    const script = `
      import { createRequire } from "node:module";
      const { loadSchemaValidator } = await import(${JSON.stringify(join(repoRoot, "src/regress/validate.ts"))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => /[\\\\/]node_modules[\\\\/]ajv[\\\\/]/.test(p));
      const validator = await loadSchemaValidator();
      const results = [validator.validate("regress/config", {}), validator.validate("runpack/refs", [])];
      const compiler = loaded().filter((p) => !/[\\\\/]ajv[\\\\/]dist[\\\\/]runtime[\\\\/]/.test(p));
      console.log(JSON.stringify({ compiler, results }));
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout) as { compiler: string[]; results: unknown[] };
    assert.deepEqual(out.compiler, [], "Ajv's compiler was loaded");
    assert.deepEqual(out.results, [
      { ok: false, errors: ["(root) must have required property 'schema_id'"] },
      { ok: false, errors: ["(root) must be object"] },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Agreement with Ajv compiling at run time.

/** Ajv compiling the regress schemas now, as the registry's fallback does. */
function compiledNow(): (key: string) => (value: unknown) => { valid: unknown; errors: unknown } {
  const ajv = new Ajv2020({ ...AJV_OPTIONS });
  for (const { key, schema } of regressSchemaInputs()) ajv.addSchema(schema, key);
  return (key) => {
    const validate = ajv.getSchema(key)!;
    return (value) => ({ valid: validate(value), errors: validate.errors ?? null });
  };
}

function precompiledNow(key: string) {
  const validate = precompiledValidators[key]!.validate;
  return (value: unknown) => ({ valid: validate(value), errors: validate.errors ?? null });
}

/** The document itself, and one broken at every path: members removed, retyped or added. */
function mutations(doc: unknown): unknown[] {
  const out: unknown[] = [doc];
  const replacements = [null, 0, 1.5, -1, "", "x", true, [], {}, ["x"], { extra: 1 }];
  const visit = (value: unknown, rebuild: (v: unknown) => unknown, depth: number) => {
    for (const r of replacements) out.push(rebuild(r));
    if (depth > 6 || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      out.push(rebuild([...value, ...value]));
      for (const [i, item] of value.entries()) {
        visit(item, (v) => rebuild(value.map((x, j) => (j === i ? v : x))), depth + 1);
      }
      return;
    }
    const record = value as Record<string, unknown>;
    out.push(rebuild({ ...record, unexpected_member: "x" }));
    for (const key of Object.keys(record)) {
      const { [key]: _removed, ...rest } = record;
      out.push(rebuild(rest));
      visit(record[key], (v) => rebuild({ ...record, [key]: v }), depth + 1);
    }
  };
  visit(doc, (v) => v, 0);
  return out;
}

/** Valid documents for every schema in the regress registry. */
function validSamples(): Record<string, unknown[]> {
  const { runpack } = built(runInput("run_sample"));
  const fixture = fixtureFor("run_sample", runpack);
  const config = upsertConfigFixture(emptyConfig(), configFixtureEntry("run_sample", "run_sample"));
  const withGrader = {
    ...config,
    graders: [{ kind: "command", name: "judge", command: ["node", "-e", "0"], timeout_ms: 10, model: "m" }],
  };
  const result = buildRegressResult({
    fixtureSet: "default",
    graded: [
      {
        fixture: "run_sample",
        grader: "diff",
        order: 0,
        entry: graderEntry("run_sample/diff", "fail", ["b", "a"], { fixture: "run_sample" }),
      },
    ],
  });
  return {
    "runpack/manifest": [runpack.manifest],
    "runpack/run": [runpack.run],
    "runpack/intent": runpack.intents,
    "runpack/result": runpack.results,
    "runpack/refs": [runpack.refs],
    "regress/config": [config, withGrader],
    "regress/fixture": [fixture],
    "regress/regress_result": [result],
  };
}

describe("precompiled validators agree with Ajv compiling at run time", () => {
  const compiled = compiledNow();
  const samples = validSamples();

  for (const [key, docs] of Object.entries(samples)) {
    it(`${key}: the same verdict and errors on valid documents and on every mutation of them`, () => {
      const now = compiled(key);
      const pre = precompiledNow(key);
      let invalid = 0;
      const cases = docs.flatMap(mutations);
      for (const doc of cases) {
        const expected = now(doc);
        assert.deepEqual(pre(doc), expected, JSON.stringify(doc));
        if (!expected.valid) invalid++;
      }
      for (const doc of docs) assert.equal(now(doc).valid, true, `sample for ${key} should be valid`);
      assert.ok(invalid > 10, `only ${invalid} of ${cases.length} mutations were invalid`);
    });
  }

  it("the registry reports the same messages either way", async () => {
    const withPrecompiled = createSchemaRegistry(regressSchemaInputs(), {
      precompiled: () => precompiledValidators,
    });
    const plain = createSchemaRegistry(regressSchemaInputs());
    for (const [key, docs] of Object.entries(samples)) {
      for (const doc of docs.flatMap(mutations)) {
        assert.deepEqual(await withPrecompiled.validate(key, doc), await plain.validate(key, doc));
      }
    }
  });

  /** The public corpus's runpack samples, read against our runpack schemas. */
  const corpus = [
    ...["manifest", "run", "refs"].flatMap((name) =>
      ["valid", "invalid"].map((expect) => ({
        sample: `testdata/${name}_${expect}.json`,
        key: `runpack/${name}`,
      })),
    ),
    { sample: "testdata/run_relationship_valid.json", key: "runpack/run" },
    ...["intent", "result"].flatMap((name) =>
      ["valid", "invalid"].map((expect) => ({
        sample: `testdata/${name}_${expect}.jsonl`,
        key: `runpack/${name}`,
      })),
    ),
  ];

  for (const { sample, key } of corpus) {
    it(`${sample} (public corpus) and its mutations against ${key}`, { skip: conformanceSkip }, () => {
      const text = readFileSync(join(conformanceDir, sample), "utf8");
      const docs = sample.endsWith(".jsonl")
        ? text
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => JSON.parse(line))
        : [JSON.parse(text)];
      const now = compiled(key);
      const pre = precompiledNow(key);
      for (const doc of docs.flatMap(mutations)) assert.deepEqual(pre(doc), now(doc), JSON.stringify(doc));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// A schema changed without regeneration is detected, and the registry falls back to Ajv.

/** The regress table, each validator counting its calls. */
function spiedTable(): { table: PrecompiledValidators; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const table = Object.fromEntries(
    Object.entries(precompiledValidators).map(([key, entry]) => {
      const spy = Object.assign(
        (value: unknown) => {
          calls.set(key, (calls.get(key) ?? 0) + 1);
          const ok = entry.validate(value);
          spy.errors = entry.validate.errors;
          return ok;
        },
        { errors: null as unknown },
      );
      return [key, { ...entry, validate: spy as unknown as typeof entry.validate }];
    }),
  );
  return { table, calls };
}

function withSchema(key: string, change: (schema: Record<string, unknown>) => Record<string, unknown>) {
  return regressSchemaInputs().map(
    (input): KeyedSchema =>
      input.key === key
        ? { key, schema: change(JSON.parse(JSON.stringify(input.schema)) as Record<string, unknown>) }
        : input,
  );
}

describe("a schema that differs from the precompiled one", () => {
  it("is used as is when unchanged, without Ajv", async () => {
    const { table, calls } = spiedTable();
    const validator = await createSchemaRegistry(regressSchemaInputs(), { precompiled: () => table }).load();
    assert.equal(validator.validate("runpack/refs", {}).ok, false);
    assert.equal(calls.get("runpack/refs"), 1);
  });

  it("is compiled by Ajv when a member was added, and validates by the new schema", async () => {
    const { table, calls } = spiedTable();
    const inputs = withSchema("regress/config", (schema) => ({
      ...schema,
      properties: { ...(schema.properties as object), note: { type: "string" } },
    }));
    const validator = await createSchemaRegistry(inputs, { precompiled: () => table }).load();
    const config = { ...emptyConfig(), note: "kept" };
    assert.deepEqual(validator.validate("regress/config", config), { ok: true });
    assert.equal(calls.get("regress/config"), undefined, "the stale precompiled validator was used");
    assert.deepEqual(validator.validate("regress/fixture", {}).ok, false);
    assert.equal(calls.get("regress/fixture"), 1, "an unchanged schema keeps its precompiled validator");
  });

  it("is compiled by Ajv when only the order of its members changed (it picks the first error)", async () => {
    const { table, calls } = spiedTable();
    const inputs = withSchema("runpack/refs", (schema) =>
      Object.fromEntries(Object.entries(schema).reverse()),
    );
    const validator = await createSchemaRegistry(inputs, { precompiled: () => table }).load();
    validator.validate("runpack/refs", {});
    assert.equal(calls.get("runpack/refs"), undefined);
  });

  it("is compiled by Ajv when its dialect or a schema it depends on differs", async () => {
    const { table, calls } = spiedTable();
    const entry = table["runpack/run"]!;
    const changed: PrecompiledValidators = {
      ...table,
      "runpack/run": { ...entry, dialect: "draft-07" },
      "runpack/refs": { ...table["runpack/refs"]!, requires: { "runpack/run": "0".repeat(64) } },
      "runpack/intent": { ...table["runpack/intent"]!, requires: { "not/registered": entry.digest } },
    };
    const validator = await createSchemaRegistry(regressSchemaInputs(), {
      precompiled: () => changed,
    }).load();
    for (const key of ["runpack/run", "runpack/refs", "runpack/intent"]) validator.validate(key, {});
    assert.deepEqual([...calls.keys()], []);
    validator.validate("runpack/result", {});
    assert.deepEqual([...calls.keys()], ["runpack/result"]);
  });

  it("a #/pointer into a precompiled schema loads Ajv through the registry; the sync validator says why it cannot", async () => {
    const registry = createSchemaRegistry(regressSchemaInputs(), {
      precompiled: () => precompiledValidators,
    });
    const validator = await registry.load();
    assert.throws(
      () => validator.validate("runpack/run#/$defs/agent_link", {}),
      (error) =>
        error instanceof GaitError &&
        error.code === "schema_compile_failed" &&
        /Ajv was not loaded/.test(error.message),
    );
    assert.deepEqual(await registry.validate("runpack/run#/$defs/agent_link", {}), {
      ok: false,
      errors: ["(root) must have required property 'identity'"],
    });
    assert.equal(
      validator.validate("runpack/run#/$defs/agent_link", { identity: "a", role: "delegate" }).ok,
      true,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The generator beyond the regress set: two dialects, cross-file `$ref`s.

describe("renderStandaloneValidators", () => {
  const base = "https://example.test/schemas/";
  const token = {
    $id: `${base}token.schema.json`,
    type: "object",
    required: ["alg", "scope"],
    properties: {
      alg: { const: "ed25519" },
      scope: { type: "array", items: { $ref: "#/$defs/scope" }, uniqueItems: true },
      owner: { $ref: "owner.schema.json" },
    },
    additionalProperties: false,
    $defs: { scope: { type: "string", minLength: 1 } },
  };
  const owner = { $id: `${base}owner.schema.json`, type: "object", required: ["name"] };
  const draft07 = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { kind: { type: "string", enum: ["run", "trace"] } },
    required: ["kind"],
  };
  const inputs = [token, owner, { key: "d7", schema: draft07 }];

  it("renders a module whose validators match Ajv's, recording cross-file dependencies", async () => {
    const source = renderStandaloneValidators(inputs, {
      header: ["test"],
      schemaModule: "../contract/schema.ts",
    });
    const { dir, cleanup } = tempDir("gait-standalone-");
    try {
      symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
      const file = join(dir, "validators.generated.ts");
      writeFileSync(file, source);
      const { precompiledValidators: table } = (await import(pathToFileURL(file).href)) as {
        precompiledValidators: PrecompiledValidators;
      };
      assert.deepEqual(Object.keys(table), [token.$id, owner.$id, "d7"]);
      assert.deepEqual(table[token.$id]!.requires, {
        [owner.$id]: schemaDigest(owner),
        d7: schemaDigest(draft07),
      });
      assert.deepEqual(table[owner.$id]!.requires, {});
      assert.equal(table.d7!.dialect, "draft-07");

      const pre = createSchemaRegistry(inputs, { precompiled: () => table });
      const plain = createSchemaRegistry(inputs);
      const docs: Array<[string, unknown]> = [
        [token.$id, { alg: "ed25519", scope: ["a"], owner: { name: "x" } }],
        [token.$id, { alg: "ed25519", scope: ["a", "a"] }],
        [token.$id, { alg: "ed25519", scope: [""] }],
        [token.$id, { alg: "ed25519", scope: [], owner: {} }],
        [token.$id, { alg: "rsa", scope: [] }],
        ["d7", { kind: "job" }],
        ["d7", { kind: "run" }],
      ];
      for (const [ref, doc] of docs) {
        assert.deepEqual(await pre.validate(ref, doc), await plain.validate(ref, doc), JSON.stringify(doc));
      }

      // The owner schema changed: token's code embeds the old one, so both fall back to Ajv.
      const ownerChanged = { ...owner, required: ["name", "team"] };
      const changed = createSchemaRegistry([token, ownerChanged, { key: "d7", schema: draft07 }], {
        precompiled: () => table,
      });
      assert.deepEqual(
        await changed.validate(token.$id, { alg: "ed25519", scope: [], owner: { name: "x" } }),
        {
          ok: false,
          errors: ["/owner must have required property 'team'"],
        },
      );
    } finally {
      cleanup();
    }
  });
});
