import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { compilePolicy, parsePolicyYaml, verifyTrace } from "../../src/gate/index.ts";
import { signedDecision } from "../helpers/gate.ts";

const key = generateSigningKey();

function policy(timezone: string, start: string, end: string, extra = ""): string {
  return `default_verdict: allow
rules:
  - name: freeze-writes
    effect: allow
    match: { tool_names: [tool.write] }
    freeze_window:
      timezone: ${JSON.stringify(timezone)}
      effect: block
${extra}      windows:
        - name: change-freeze
          start: "${start}"
          end: "${end}"
`;
}

const intent = {
  tool_name: "tool.write",
  args: {},
  targets: [{ kind: "path", value: "/work/a.txt", operation: "write" }],
  context: { identity: "agent.a", workspace: "/work", risk_class: "low", environment: "prod" },
};

async function decideAt(policyYaml: string, at: string, evaluationTime?: string) {
  const compiled = compilePolicy(parsePolicyYaml(policyYaml, "freeze.yaml"));
  return signedDecision(
    {
      compiled,
      intent,
      now: Timestamp.parse(at),
      evaluationTime: evaluationTime ? Timestamp.parse(evaluationTime) : undefined,
    },
    key,
  );
}

describe("freeze windows", () => {
  it("an active window blocks; the trace names it with its bounds in the zone's offset", async () => {
    // 12:30Z is 13:30 in Paris (UTC+1 in March before the DST change).
    const d = await decideAt(
      policy("Europe/Paris", "2026-03-01T13:00:00", "2026-03-01T14:00:00"),
      "2026-03-01T12:30:00Z",
    );
    assert.equal(d.verdict, "block");
    assert.ok(d.reasonCodes.includes("freeze_window_active_block"));
    assert.deepEqual(d.trace.freeze_window, {
      status: "active",
      timezone: "Europe/Paris",
      evaluated_at: "2026-03-01T12:30:00Z",
      window_start: "2026-03-01T13:00:00+01:00",
      window_end: "2026-03-01T14:00:00+01:00",
      window_name: "change-freeze",
      effect: "block",
    });
    assert.equal(verifyTrace(d.trace, verifyKeyFor(key)).ok, true);
  });

  it("window bounds on either side of a DST change take that side's offset", async () => {
    // New York moves from UTC-5 to UTC-4 at 2026-03-08 02:00 local.
    const d = await decideAt(
      policy("America/New_York", "2026-03-08T00:00:00", "2026-03-08T12:00:00"),
      "2026-03-08T10:00:00Z",
    );
    assert.equal(d.trace.freeze_window?.window_start, "2026-03-08T00:00:00-05:00");
    assert.equal(d.trace.freeze_window?.window_end, "2026-03-08T12:00:00-04:00");
  });

  it("an inactive window still records the zero bounds Go renders, and the evaluation time", async () => {
    const d = await decideAt(
      policy("UTC", "2026-12-24T00:00:00", "2026-12-27T00:00:00"),
      "2026-03-01T12:00:00Z",
      "2026-06-01T00:00:00Z",
    );
    assert.equal(d.verdict, "allow");
    assert.deepEqual(d.trace.freeze_window, {
      status: "inactive",
      timezone: "UTC",
      evaluated_at: "2026-06-01T00:00:00Z",
      window_start: "0001-01-01T00:00:00Z",
      window_end: "0001-01-01T00:00:00Z",
    });
  });

  for (const [what, yaml, code] of [
    [
      "zone",
      policy("Mars/Olympus", "2026-12-24T00:00:00", "2026-12-27T00:00:00"),
      "freeze_window_invalid_timezone",
    ],
    ["window", policy("UTC", "2026-12-27T00:00:00", "2026-12-24T00:00:00"), "freeze_window_invalid_window"],
    ["date", policy("UTC", "2026-02-30T00:00:00", "2026-12-24T00:00:00"), "freeze_window_invalid_window"],
  ] as const) {
    it(`an unreadable ${what} blocks every matching call with ${code}, recorded as invalid`, async () => {
      const d = await decideAt(yaml, "2026-03-01T12:00:00Z");
      assert.equal(d.verdict, "block");
      assert.ok(d.reasonCodes.includes(code));
      assert.deepEqual(d.violations, [code]);
      assert.equal(d.trace.freeze_window?.status, "invalid");
      assert.equal(d.trace.freeze_window?.reason_code, code);
      assert.equal(d.trace.freeze_window?.evaluated_at, "2026-03-01T12:00:00Z");
    });
  }

  it("an unreadable window blocks even outside the rule's environments (fail closed)", async () => {
    const yaml = policy(
      "Mars/Olympus",
      "2026-12-24T00:00:00",
      "2026-12-27T00:00:00",
      "      environments: [staging]\n",
    );
    const d = await decideAt(yaml, "2026-03-01T12:00:00Z");
    assert.equal(d.verdict, "block");
  });
});
