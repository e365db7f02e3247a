/**
 * Producer test for what an in-process Gate writes (src/sdk/gate.ts): signed traces and approval
 * audits against the public v1 schemas and ours, the rate-limit state and single-use approval
 * ledger it shares with `gait gate eval` against ours, and its decisions' JSON form
 * (decisionToJson) against gate/decision.schema.json.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  createGate,
  decisionToJson,
  fixedClock,
  generateSigningKey,
  type IntentRequest,
  mintApprovalToken,
  Timestamp,
  verifyKeyFor,
} from "../../src/sdk/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { limitedPolicy } from "../sidecar/support.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");

const intent = (toolName: string): IntentRequest => ({
  tool_name: toolName,
  args: { path: "/work/a.txt" },
  targets: [{ kind: "path", value: "/work/a.txt", operation: toolName === "tool.write" ? "write" : "read" }],
  context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
});

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("what an in-process Gate writes validates against the schemas", { skip: publicSchemasSkip }, () => {
  it("traces, approval audits, rate-limit state, approval ledger and decision JSON", async (t) => {
    const { dir, cleanup } = tempDir("gait-sdk-producers-");
    t.after(cleanup);
    const key = generateSigningKey();
    const statePath = join(dir, "limits.json");
    const ledgerPath = join(dir, "spent.json");
    const gate = await createGate({
      policyText: limitedPolicy(5),
      signingKey: key,
      approvalPublicKey: verifyKeyFor(key),
      traceDir: join(dir, "traces"),
      rateLimitStatePath: statePath,
      singleUseApprovals: true,
      approvalLedgerPath: ledgerPath,
      clock: fixedClock(NOW),
      fsync: false,
    });
    t.after(() => gate.close());

    const pending = await gate.evaluateAsync(intent("tool.write"));
    assert.equal(pending.verdict, "require_approval");
    const token = mintApprovalToken(
      {
        intentDigest: pending.intentDigest,
        policyDigest: pending.policyDigest,
        approver: "alice",
        reasonCode: "change_1",
        scope: ["tool:tool.write"],
        ttlNanos: 3_600_000_000_000n,
        now: NOW,
      },
      key,
    );
    const decisions = [
      pending,
      await gate.evaluateAsync(intent("tool.write"), { approvalTokens: [token] }),
      await gate.evaluateAsync(intent("tool.search")),
      await gate.evaluateAsync(intent("tool.delete")),
    ];
    assert.deepEqual(
      decisions.map((d) => d.verdict),
      ["require_approval", "allow", "allow", "block"],
    );
    await gate.flush();

    for (const decision of decisions) {
      const trace = readJson(decision.tracePath!);
      assertPublicValid(trace, `trace of ${decision.toolName}`);
      assertPublishedValid(trace, "gate/trace_record.schema.json", `trace of ${decision.toolName}`);
      assertPublishedValid(
        decisionToJson(decision),
        "gate/decision.schema.json",
        `decision ${decision.verdict}`,
      );
    }
    const audit = readJson(decisions[1]!.approvalAuditPath!);
    assertPublicValid(audit, "approval audit");
    assertPublishedValid(audit, "gate/approval_audit_record.schema.json", "approval audit");
    assertPublicValid(token, "approval token");
    assertPublishedValid(token, "gate/approval_token.schema.json", "approval token");

    const state = readJson(statePath) as { counters: unknown[] };
    assert.equal(state.counters.length, 1);
    assertPublishedValid(state, "gate/rate_limit_state.schema.json", "rate-limit state");
    const ledger = readJson(ledgerPath) as { spent: unknown[] };
    assert.equal(ledger.spent.length, 1);
    assertPublishedValid(ledger, "gate/approval_ledger.schema.json", "approval ledger");
  });
});
