/**
 * Producer test: the .gait/config.yaml that `gait init` writes, parsed from YAML, validates against
 * schemas/v1/config/project_config.schema.json, including the settings it leaves commented out
 * (and the sections left empty by them, which YAML reads as null).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { renderProjectConfig } from "../../src/config/index.ts";
import { assertPublishedInvalid, assertPublishedValid } from "../helpers/published-schemas.ts";

const SCHEMA = "config/project_config.schema.json";

/** The template with its commented-out settings (`# key: value` lines) switched on. */
function everythingOn(text: string): string {
  return text.replace(/^(\s*)# (\s*[a-z_]+:(?: .*)?)$/gm, "$1$2");
}

describe("the project config against the published schema", () => {
  for (const profile of ["standard", "oss-prod"] as const) {
    it(`gait init's config for the ${profile} profile, as written and with every setting on`, () => {
      const text = renderProjectConfig({ policyPath: ".gait.yaml", profile });
      assertPublishedValid(parseYaml(text), SCHEMA, `${profile} config`);
      const full = everythingOn(text);
      assert.notEqual(full, text);
      const doc = parseYaml(full) as { gate: Record<string, unknown>; sidecar: Record<string, unknown> };
      assert.ok("approvals" in doc.gate && "listen" in doc.sidecar, "the commented settings are on");
      assertPublishedValid(doc, SCHEMA, `${profile} config with every setting on`);
    });
  }

  it("unknown settings are invalid", () => {
    assertPublishedInvalid({ gate: { polcy: "p.yaml" } }, SCHEMA, "a misspelt setting");
    assertPublishedInvalid({ logging: {} }, SCHEMA, "an unknown section");
  });
});
