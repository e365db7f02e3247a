/** An SDK Gate with `killSwitchState`: checked on every decision, re-read on change, journalled, fail closed. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateSigningKey } from "../../src/contract/signing.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import { addKillSwitchEntry, emptyKillSwitchState } from "../../src/gate/kill-switch.ts";
import { killSwitchJournalPath } from "../../src/gate/kill-switch-store.ts";
import { createGate } from "../../src/sdk/gate.ts";
import type { IntentRequest } from "../../src/sdk/intent-request.ts";
import { tempDir } from "../helpers/cli.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const POLICY = `default_verdict: block
rules:
  - name: allow-read
    effect: allow
    match:
      tool_names: [tool.read]
`;
const intent = (risk: string): IntentRequest => ({
  tool_name: "tool.read",
  args: {},
  context: { identity: "alice", workspace: "/w", risk_class: risk },
});

describe("SDK Gate killSwitchState", () => {
  it("blocks synchronously once an entry is added, journals the firing, and fails closed on a broken state", async () => {
    const { dir, cleanup } = tempDir("gait-sdk-ks-");
    try {
      const statePath = join(dir, "ks.json");
      const gate = await createGate({
        policyText: POLICY,
        signingKey: generateSigningKey(),
        traceDir: null,
        clock: fixedClock(NOW),
        killSwitchState: statePath,
        cwd: dir,
      });
      assert.equal(gate.evaluate(intent("low")).verdict, "allow", "no state file: no kill switch");
      const { state, entry } = addKillSwitchEntry(emptyKillSwitchState(NOW), {
        selectors: { tool_name: "tool.read" },
        at: NOW,
      });
      writeFileSync(statePath, JSON.stringify(state));
      const blocked = gate.evaluate(intent("low"));
      assert.equal(blocked.verdict, "block");
      assert.deepEqual(blocked.outcome?.decision.killSwitch?.matchedEntryIds, [entry.entry_id]);
      const [fired] = readFileSync(killSwitchJournalPath(statePath), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.equal(fired.action, "fired");
      assert.equal(fired.trace_id, blocked.traceId);

      writeFileSync(statePath, "not json");
      const high = gate.evaluate(intent("high"));
      assert.deepEqual([high.verdict, high.reasonCodes], ["block", ["kill_switch_state_unavailable"]]);
      const low = gate.evaluate(intent("low"));
      assert.equal(low.verdict, "block");
      assert.equal(low.error?.code, "kill_switch_state_unavailable");
      await gate.close();
    } finally {
      cleanup();
    }
  });
});
