import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { build } from "esbuild";
import { GaitError } from "../../src/contract/errors.ts";
import { createSchemaRegistry, readSchemaDirectory } from "../../src/contract/schema.ts";
import { repoRoot, tempDir } from "../helpers/cli.ts";

const base = "https://example.test/schemas/";

const token = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: `${base}token.schema.json`,
  type: "object",
  required: ["alg", "scope"],
  properties: {
    alg: { const: "ed25519" },
    mode: { enum: ["reference", "raw"] },
    scope: { type: "array", items: { $ref: "#/$defs/scope" } },
    owner: { $ref: "owner.schema.json" },
  },
  additionalProperties: false,
  $defs: { scope: { type: "string", minLength: 1 } },
};
const owner = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: `${base}owner.schema.json`,
  type: "object",
  required: ["name"],
  properties: { name: { type: "string" } },
};
const draft07 = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: { kind: { type: "string", enum: ["run", "trace"] } },
  required: ["kind"],
};

function expectGaitError(fn: () => unknown, category: string, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof GaitError, `expected a GaitError, got ${String(error)}`);
    assert.equal(error.category, category);
    assert.equal(error.code, code);
    return true;
  });
}

describe("createSchemaRegistry", () => {
  const registry = createSchemaRegistry([
    token,
    owner,
    { key: "common/relationship.schema.json", schema: draft07 },
  ]);

  it("accepts conforming documents, including through cross-file and internal $refs", async () => {
    assert.deepEqual(
      await registry.validate(token.$id, { alg: "ed25519", scope: ["tool:x"], owner: { name: "a" } }),
      {
        ok: true,
      },
    );
  });

  it("names the failing path and rule, with the offending member or allowed values", async () => {
    const cases: Array<[unknown, string]> = [
      [{ alg: "rsa", scope: [] }, '/alg must be equal to constant: "ed25519"'],
      [{ alg: "ed25519", scope: [], extra: 1 }, '(root) must NOT have additional properties ("extra")'],
      [
        { alg: "ed25519", scope: [], mode: "zip" },
        '/mode must be equal to one of the allowed values: "reference", "raw"',
      ],
      [{ alg: "ed25519", scope: [""] }, "/scope/0 must NOT have fewer than 1 characters"],
      [{ alg: "ed25519", scope: [], owner: {} }, "/owner must have required property 'name'"],
      [{ scope: [] }, "(root) must have required property 'alg'"],
    ];
    for (const [doc, message] of cases) {
      const result = await registry.validate(token.$id, doc);
      assert.equal(result.ok, false, JSON.stringify(doc));
      assert.ok(!result.ok && result.errors.includes(message), `${JSON.stringify(result)} lacks ${message}`);
    }
  });

  it("resolves a JSON pointer into a registered schema", async () => {
    assert.equal((await registry.validate(`${token.$id}#/$defs/scope`, "tool:x")).ok, true);
    assert.equal((await registry.validate(`${token.$id}#/$defs/scope`, "")).ok, false);
  });

  it("validates a draft-07 schema registered under a key alongside 2020-12 ones", async () => {
    assert.equal(registry.has("common/relationship.schema.json"), true);
    assert.equal((await registry.validate("common/relationship.schema.json", { kind: "run" })).ok, true);
    assert.equal((await registry.validate("common/relationship.schema.json", { kind: "job" })).ok, false);
  });

  it("assertValid throws invalid_input schema_invalid naming the document and its errors", async () => {
    await assert.rejects(
      registry.assertValid(token.$id, { alg: "none", scope: [] }, "approval token"),
      (error) => {
        assert.ok(error instanceof GaitError);
        assert.equal(error.category, "invalid_input");
        assert.equal(error.code, "schema_invalid");
        assert.equal(error.exitCode, 6);
        assert.match(
          error.message,
          /^approval token does not match schema .*token\.schema\.json: \/alg must be equal/,
        );
        return true;
      },
    );
    await registry.assertValid(token.$id, { alg: "ed25519", scope: [] }, "approval token");
  });

  it("loads once and validates synchronously afterwards", async () => {
    const validator = await registry.load();
    assert.equal(await registry.load(), validator);
    assert.deepEqual(validator.validate(owner.$id, { name: "x" }), { ok: true });
    expectGaitError(() => validator.assertValid(owner.$id, {}, "owner"), "invalid_input", "schema_invalid");
  });

  it("reports an unknown schema as an internal failure", async () => {
    const validator = await registry.load();
    assert.equal(registry.has(`${base}missing.schema.json`), false);
    expectGaitError(
      () => validator.validate(`${base}missing.schema.json`, {}),
      "internal_failure",
      "schema_not_registered",
    );
  });

  it("rejects duplicate names, unnamed schemas and unsupported dialects when created", () => {
    expectGaitError(() => createSchemaRegistry([owner, owner]), "internal_failure", "schema_duplicate");
    expectGaitError(() => createSchemaRegistry([{ type: "object" }]), "internal_failure", "schema_unnamed");
    expectGaitError(
      () => createSchemaRegistry([{ $id: `${base}x`, $schema: "http://json-schema.org/draft-04/schema#" }]),
      "internal_failure",
      "schema_dialect_unsupported",
    );
  });

  it("reports a schema that does not compile as an internal failure", async () => {
    const broken = createSchemaRegistry([
      { $id: `${base}broken`, properties: { a: { $ref: "nowhere.json" } } },
    ]);
    const validator = await broken.load();
    expectGaitError(
      () => validator.validate(`${base}broken`, {}),
      "internal_failure",
      "schema_compile_failed",
    );
    const invalid = createSchemaRegistry([{ $id: `${base}invalid`, type: "objekt" }]);
    await assert.rejects(
      invalid.load(),
      (error) => error instanceof GaitError && error.code === "schema_compile_failed",
    );
  });
});

describe("readSchemaDirectory", () => {
  it("keys every *.schema.json by its relative path, in byte order, and resolves by key or $id", async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, "gate"));
      writeFileSync(join(dir, "gate", "owner.schema.json"), JSON.stringify(owner));
      writeFileSync(join(dir, "relationship.schema.json"), JSON.stringify(draft07));
      writeFileSync(join(dir, "README.md"), "not a schema");
      const entries = readSchemaDirectory(dir);
      assert.deepEqual(
        entries.map((e) => e.key),
        ["gate/owner.schema.json", "relationship.schema.json"],
      );
      const registry = createSchemaRegistry(entries);
      assert.equal((await registry.validate("gate/owner.schema.json", { name: "a" })).ok, true);
      assert.equal((await registry.validate(owner.$id, {})).ok, false);
      assert.equal((await registry.validate("relationship.schema.json", { kind: "trace" })).ok, true);
    } finally {
      cleanup();
    }
  });

  it("turns a missing directory into a coded error", () => {
    expectGaitError(
      () => readSchemaDirectory(join(repoRoot, "no-such-dir")),
      "invalid_input",
      "file_not_found",
    );
  });
});

describe("lazy loading", () => {
  it("does not load Ajv until the first validation", () => {
    const script = `
      import { createRequire } from "node:module";
      const { createSchemaRegistry } = await import(${JSON.stringify(join(repoRoot, "src/contract/schema.ts"))});
      const ajvLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((p) => /[\\\\/]node_modules[\\\\/]ajv[\\\\/]/.test(p));
      const registry = createSchemaRegistry([{ $id: "https://example.test/s", type: "string" }]);
      const before = ajvLoaded();
      const result = await registry.validate("https://example.test/s", "x");
      console.log(JSON.stringify({ before, after: ajvLoaded(), ok: result.ok }));
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { before: false, after: true, ok: true });
  });

  it("works bundled like the CLI, with Ajv split into a chunk loaded on demand", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const entry = join(dir, "entry.ts");
      writeFileSync(
        entry,
        `import { createSchemaRegistry } from ${JSON.stringify(join(repoRoot, "src/contract/schema.ts"))};
        const registry = createSchemaRegistry([
          { $id: "https://example.test/a", type: "object", required: ["x"] },
          { key: "d7", schema: { $schema: "http://json-schema.org/draft-07/schema#", type: "string" } },
        ]);
        const results = [await registry.validate("https://example.test/a", {}), await registry.validate("d7", "s")];
        console.log(JSON.stringify(results));`,
      );
      await build({
        entryPoints: { main: entry },
        outdir: join(dir, "out"),
        bundle: true,
        splitting: true,
        format: "esm",
        platform: "node",
        target: "node20",
        logLevel: "silent",
        nodePaths: [join(repoRoot, "node_modules")],
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
      const main = join(dir, "out", "main.js");
      assert.doesNotMatch(
        readFileSync(main, "utf8"),
        /json-schema-traverse/,
        "Ajv was bundled into the entry",
      );
      const child = spawnSync(process.execPath, [main], { cwd: dir, encoding: "utf8" });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), [
        { ok: false, errors: ["(root) must have required property 'x'"] },
        { ok: true },
      ]);
    } finally {
      cleanup();
    }
  });
});
