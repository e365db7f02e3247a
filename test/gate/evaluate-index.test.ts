import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Timestamp } from "../../src/contract/time.ts";
import { compilePolicy, evaluate, parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";

const now = Timestamp.parse("2026-03-01T12:00:00Z");
const tools = ["tool.read", "tool.write", "tool.delete", "tool.fetch"];
const effects = ["allow", "block", "require_approval", "dry_run"];

const ruleArb = fc.record({
  priority: fc.integer({ min: 0, max: 4 }),
  effect: fc.constantFrom(...effects),
  tools: fc.subarray(tools),
  risk: fc.option(fc.subarray(["low", "high"], { minLength: 1 }), { nil: undefined }),
  kinds: fc.option(fc.subarray(["path", "url"], { minLength: 1 }), { nil: undefined }),
});

type GeneratedRule = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never;

function policyYaml(rules: GeneratedRule[], defaultVerdict: string): string {
  const lines = [`default_verdict: ${defaultVerdict}`, "rules:"];
  rules.forEach((r, i) => {
    lines.push(`  - name: rule-${i}`, `    priority: ${r.priority}`, `    effect: ${r.effect}`, "    match:");
    if (r.tools.length) lines.push(`      tool_names: [${r.tools.join(", ")}]`);
    if (r.risk) lines.push(`      risk_classes: [${r.risk.join(", ")}]`);
    if (r.kinds) lines.push(`      target_kinds: [${r.kinds.join(", ")}]`);
  });
  return `${lines.join("\n")}\n`;
}

describe("evaluate: the per-tool rule index", () => {
  it("decides exactly as a scan of every rule in order", () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 12 }),
        fc.constantFrom(...effects),
        fc.constantFrom(...tools, "tool.other"),
        fc.constantFrom("low", "high"),
        fc.constantFrom("path", "url"),
        (rules, defaultVerdict, tool, risk, kind) => {
          const compiled = compilePolicy(parsePolicyYaml(policyYaml(rules, defaultVerdict), "p.yaml"));
          const fullScan = { ...compiled, rulesByTool: new Map(), rulesForAnyTool: compiled.rules };
          const value = kind === "path" ? "/w/a" : "https://example.com/a";
          const intent = prepareIntent({
            tool_name: tool,
            targets: [{ kind, value, operation: "read" }],
            context: { identity: "a", workspace: "/w", risk_class: risk },
          }).intent;
          assert.deepEqual(evaluate(compiled, intent, { now }), evaluate(fullScan, intent, { now }));
        },
      ),
      { numRuns: 400 },
    );
  });
});
