/**
 * Error codes are a user-visible contract: each module lists its own (src/<module>/error-codes.ts),
 * its factories accept no other code (checked by tsc, which `npm test` runs over test/ too), and
 * docs/cli.md lists every code (the envelope's detail_code) with its category and exit code.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gaitError, invalidInput } from "../../src/contract/errors.ts";
import {
  categoriesWithExit,
  ERROR_CODE_TABLE_END,
  ERROR_CODE_TABLE_START,
  ERROR_CODES_BY_MODULE,
  errorCodeEntries,
} from "../../src/error-codes.ts";
import {
  invalidInput as gateInvalidInput,
  verificationFailed as gateVerificationFailed,
} from "../../src/gate/error-codes.ts";
import { repoRoot } from "../helpers/cli.ts";

const srcDir = join(repoRoot, "src");

describe("error code factories", () => {
  it("accept the module's codes and the contract's, and nothing else (tsc)", () => {
    const accepted = [
      invalidInput("usage", "contract code"),
      gateInvalidInput("intent_invalid", "gate code"),
      gateInvalidInput("usage", "contract code reused by the gate"),
      gaitError("unsafe_operation", "extract_target_exists", "contract code with a category"),
    ];
    assert.deepEqual(
      accepted.map((error) => [error.category, error.code]),
      [
        ["invalid_input", "usage"],
        ["invalid_input", "intent_invalid"],
        ["invalid_input", "usage"],
        ["unsafe_operation", "extract_target_exists"],
      ],
    );
    const rejected = [
      // @ts-expect-error no module lists this code
      invalidInput("no_such_code", "unknown"),
      // @ts-expect-error a misspelling of intent_invalid
      gateInvalidInput("intent_invalidd", "misspelled"),
      // @ts-expect-error the gate's code is not the contract's
      invalidInput("intent_invalid", "another module's code"),
      // @ts-expect-error the CLI's code is not the gate's (a lower module)
      gateVerificationFailed("policy_test_failed", "a higher module's code"),
      // @ts-expect-error any string is not a code
      gaitError("invalid_input", String("usage"), "unchecked string"),
    ];
    assert.equal(rejected.length, 5);
  });

  it("are the only way a literal code is given: new GaitError only passes on an existing error's code", () => {
    const literalCode = /new GaitError(?:<[^>]*>)?\(\s*[^,()]+,\s*["'`]/;
    const offenders = sourceFiles(srcDir).filter((path) => literalCode.test(readFileSync(path, "utf8")));
    assert.deepEqual(
      offenders,
      [],
      "raise these through the module's factories (src/<module>/error-codes.ts)",
    );
  });
});

describe("error code lists", () => {
  it("exist for every module that has one, lowest module first", () => {
    const modules = readdirSync(srcDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(srcDir, entry.name, "error-codes.ts")))
      .map((entry) => entry.name);
    assert.deepEqual(Object.keys(ERROR_CODES_BY_MODULE).sort(), modules.sort());
    assert.equal(Object.keys(ERROR_CODES_BY_MODULE)[0], "contract");
  });

  it("hold snake_case codes, each with at least one category, none repeated", () => {
    for (const { code, categories, module } of errorCodeEntries()) {
      assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${module}: ${code}`);
      assert.ok(categories.length > 0, `${module}: ${code} has no category`);
      assert.equal(new Set(categories).size, categories.length, `${module}: ${code} repeats a category`);
    }
  });

  it("give every code to one module (the lowest that raises it)", () => {
    const owners = new Map<string, string[]>();
    for (const { code, module } of errorCodeEntries())
      owners.set(code, [...(owners.get(code) ?? []), module]);
    const shared = [...owners].filter(([, modules]) => modules.length > 1);
    assert.deepEqual(shared, [], "list a shared code once, in the lowest module (contract for most)");
  });
});

describe("docs/cli.md", () => {
  const regenerate = "run `npm run error-codes` and commit docs/cli.md";

  it("lists every error code (a detail_code) with its category, exit and module, and no other", () => {
    const doc = readFileSync(join(repoRoot, "docs", "cli.md"), "utf8");
    assert.ok(
      doc.includes("| detail_code | category (exit) | raised by |"),
      `the table's header: ${regenerate}`,
    );
    const documented = documentedCodes(doc);
    const expected = new Map(
      errorCodeEntries().map((entry) => [
        entry.code,
        `${categoriesWithExit(entry.categories)} | ${entry.module}`,
      ]),
    );
    const missing = [...expected.keys()].filter((code) => !documented.has(code));
    const stale = [...documented.keys()].filter((code) => !expected.has(code));
    assert.deepEqual(missing, [], `codes missing from docs/cli.md: ${regenerate}`);
    assert.deepEqual(stale, [], `docs/cli.md lists codes no module has: ${regenerate}`);
    for (const [code, row] of expected) assert.equal(documented.get(code), row, `${code}: ${regenerate}`);
  });
});

/** The rows of the generated table: code → "categories (exits) | module". */
function documentedCodes(doc: string): Map<string, string> {
  const start = doc.indexOf(ERROR_CODE_TABLE_START);
  const end = doc.indexOf(ERROR_CODE_TABLE_END);
  assert.ok(start >= 0 && end > start, "docs/cli.md has no generated error code table");
  const rows = new Map<string, string>();
  for (const line of doc.slice(start, end).split("\n")) {
    const cells = /^\| `([^`]+)` \| (.*) \| (.*) \|$/.exec(line);
    if (cells) rows.set(cells[1]!, `${cells[2]} | ${cells[3]}`);
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}
