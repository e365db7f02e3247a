import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isGaitError } from "../../src/contract/errors.ts";
import { failsClosedOnMissingInput, requestRiskClass } from "../../src/gate/fail-closed-inputs.ts";
import { prepareIntent } from "../../src/gate/intent.ts";
import {
  parseWrkrInventory,
  wrkrContextLookup,
  wrkrInventoryUnavailable,
} from "../../src/gate/wrkr-inventory.ts";

describe("wrkr inventory", () => {
  const inventory = parseWrkrInventory(
    { tools: [{ name: "Tool.Write", data_class: " PII ", autonomy_level: "autonomous", extra: 1 }] },
    "inv",
  );

  it("adds the tool's wrkr.* context to auth_context before digesting, lower-cased", () => {
    const raw = {
      tool_name: "tool.write",
      args: {},
      context: { identity: "a", workspace: "/w", risk_class: "low" },
    };
    const enriched = prepareIntent(raw, { wrkrContext: wrkrContextLookup(inventory) });
    assert.deepEqual(enriched.intent.context.auth_context, {
      "wrkr.autonomy_level": "autonomous",
      "wrkr.data_class": "pii",
      "wrkr.tool_name": "tool.write",
    });
    assert.notEqual(enriched.intentDigest, prepareIntent(raw).intentDigest);
    const other = prepareIntent(
      { ...raw, tool_name: "tool.read" },
      { wrkrContext: wrkrContextLookup(inventory) },
    );
    assert.equal(other.intent.context.auth_context, undefined);
  });

  it("fails closed for high/critical risk and oss-prod only; the error is exit 3 with the reference's message", () => {
    assert.equal(
      failsClosedOnMissingInput("standard", requestRiskClass({ context: { risk_class: " HIGH\u200b" } })),
      true,
    );
    assert.equal(failsClosedOnMissingInput("standard", "low"), false);
    assert.equal(failsClosedOnMissingInput("oss-prod", "low"), true);
    const error = wrkrInventoryUnavailable(new Error("gone"));
    assert.equal(error.exitCode, 3);
    assert.match(error.message, /^wrkr inventory unavailable in fail-closed mode: gone/);
  });

  it("property: any JSON either parses or fails with wrkr_inventory_invalid", () => {
    const tool = fc.record(
      { tool_name: fc.oneof(fc.string(), fc.integer()), data_class: fc.oneof(fc.string(), fc.boolean()) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.record({ tools: fc.oneof(fc.array(tool), fc.anything()) }), fc.anything()),
        (raw) => {
          try {
            parseWrkrInventory(raw, "fuzz");
          } catch (error) {
            assert.ok(isGaitError(error), String(error));
            assert.equal(error.code, "wrkr_inventory_invalid");
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
