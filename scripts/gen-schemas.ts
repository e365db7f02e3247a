// Writes every registered schema (src/schemas.ts) to schemas/v1/ and removes schema files that are
// no longer registered, so the directory always mirrors the TypeBox definitions; also writes the
// gate's wire guards compiled from those definitions (src/gate/wire-generate.ts) and the regress
// module's precompiled Ajv validators (src/regress/validators-generate.ts).
// Run: npm run schemas
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { renderWireGenerated } from "../src/gate/wire-generate.ts";
import { REGRESS_VALIDATORS_FILE, renderRegressValidators } from "../src/regress/validators-generate.ts";
import { publishedSchemas, renderPublishedSchema } from "../src/schemas.ts";

const root = join(import.meta.dirname, "..");
const outDir = join(root, "schemas", "v1");

for (const entry of publishedSchemas) {
  const path = join(outDir, entry.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderPublishedSchema(entry));
  console.log(`wrote schemas/v1/${entry.path}`);
}

const generated = join(root, "src", "gate", "wire.generated.ts");
writeFileSync(generated, renderWireGenerated());
console.log("wrote src/gate/wire.generated.ts");

writeFileSync(join(root, REGRESS_VALIDATORS_FILE), renderRegressValidators());
console.log(`wrote ${REGRESS_VALIDATORS_FILE}`);

const registered = new Set(publishedSchemas.map((entry) => entry.path));
for (const path of schemaFiles(outDir)) {
  const rel = relative(outDir, path).split(sep).join("/");
  if (registered.has(rel)) continue;
  rmSync(path);
  console.log(`removed schemas/v1/${rel} (no longer registered)`);
}

function schemaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return schemaFiles(path);
    return entry.name.endsWith(".schema.json") ? [path] : [];
  });
}
