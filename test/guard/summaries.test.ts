/**
 * The evidence pack's documents are derived from the artifacts: counts from crafted traces,
 * regress results, audits and snapshots whose answers are known, checked field by field, plus
 * order independence and the published schemas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DocumentHead,
  inventoryCoverage,
  summarizeRegress,
  summarizeRunpack,
  summarizeTraces,
  traceReasonCodes,
} from "../../src/guard/index.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import {
  approvalAudit,
  PRODUCER,
  regressResult,
  sampleRunpack,
  snapshot,
  trace,
  traceInput,
} from "./fixtures.ts";

const head: DocumentHead = {
  run_id: "run_sample",
  created_at: "2026-02-05T00:00:00Z",
  producer_version: PRODUCER,
};
const audit = (record: Record<string, unknown>, n = 1) => ({
  record: record as never,
  entry: `approval_audit_0${n}.json`,
  source: { file: `audit_${n}.json`, sha256: String(n).repeat(64) },
});

describe("trace reason codes", () => {
  it("are the trace's violations and every nested decision's codes, once each, sorted", () => {
    const codes = traceReasonCodes(
      trace({
        verdict: "block",
        violations: ["prompt_injection_egress_blocked", "approval_not_granted"],
        step_verdicts: [
          {
            index: 0,
            tool_name: "a",
            verdict: "block",
            reason_codes: ["step_blocked"],
            violations: ["approval_not_granted"],
          },
        ],
        freeze_window: { status: "active", reason_code: "freeze_window_active" },
        sandbox: { status: "invalid", reason_codes: ["sandbox_invalid"] },
        kill_switch: {
          status: "active",
          reason_code: "kill_switch_active",
          reason_codes: ["kill_switch_active", "ks_2"],
        },
        mcp_trust: { status: "untrusted", reason_codes: ["mcp_untrusted"] },
        delegation_ref: { reason_codes: ["delegation_depth_exceeded"] },
        registry_reason: "registry_unverified",
      }) as never,
    );
    assert.deepEqual(codes, [
      "approval_not_granted",
      "delegation_depth_exceeded",
      "freeze_window_active",
      "kill_switch_active",
      "ks_2",
      "mcp_untrusted",
      "prompt_injection_egress_blocked",
      "registry_unverified",
      "sandbox_invalid",
      "step_blocked",
    ]);
    assert.deepEqual(traceReasonCodes(trace() as never), []);
  });
});

describe("trace summary", () => {
  const traces = [
    traceInput(trace({ trace_id: "c".repeat(24), verdict: "allow", tool_name: "tool.search" })),
    traceInput(
      trace({
        trace_id: "a".repeat(24),
        verdict: "block",
        tool_name: "tool.delete",
        violations: ["destructive_blocked"],
      }),
      "skipped",
    ),
    traceInput(
      trace(
        {
          trace_id: "b".repeat(24),
          verdict: "block",
          tool_name: "tool.delete",
          violations: ["destructive_blocked", "x"],
        },
        null,
      ),
      "missing",
    ),
    traceInput(
      trace({
        trace_id: "d".repeat(24),
        verdict: "require_approval",
        tool_name: "Tool.Delete",
        policy_digest: "9".repeat(64),
      }),
    ),
  ];

  it("counts by verdict (every verdict, zeros included), reason code (once per trace), tool and signature", () => {
    const summary = summarizeTraces(head, traces, []);
    assert.equal(summary.traces_total, 4);
    assert.deepEqual(summary.by_verdict, { allow: 1, block: 2, dry_run: 0, require_approval: 1 });
    assert.deepEqual(summary.by_reason_code, { destructive_blocked: 2, x: 1 });
    assert.deepEqual(summary.by_tool, { "Tool.Delete": 1, "tool.delete": 2, "tool.search": 1 });
    assert.deepEqual(summary.by_signature_status, { missing: 1, skipped: 1, verified: 2 });
    assert.deepEqual(summary.policy_digests, ["3".repeat(64), "9".repeat(64)]);
    assert.deepEqual(
      summary.traces.map((t) => t.trace_id[0]),
      ["a", "b", "c", "d"],
    );
    const first = summary.traces[0]!;
    assert.equal(first.signature_status, "skipped");
    assert.match(first.signature_key_id ?? "", /^[0-9a-f]{64}$/);
    assert.equal(summary.traces[1]!.signature_key_id, undefined);
    assert.equal(summary.created_at, head.created_at);
    assertPublishedValid(JSON.parse(JSON.stringify(summary)), "guard/trace_summary.schema.json");
  });

  it("does not depend on the order the traces were given in", () => {
    const forward = summarizeTraces(head, traces, []);
    const backward = summarizeTraces(head, [...traces].reverse(), []);
    assert.deepEqual(backward, forward);
  });

  it("digests approval audits: granted or not, the error codes of their entries, whether the trace is there", () => {
    const summary = summarizeTraces(head, traces.slice(0, 1), [
      audit(approvalAudit({ trace_id: "c".repeat(24) })),
      audit(approvalAudit({ trace_id: "e".repeat(24), approved: true, valid_approvals: 2, entries: [] }), 2),
    ]);
    assert.equal(summary.approvals_total, 2);
    assert.equal(summary.approvals_granted, 1);
    assert.deepEqual(
      summary.approvals.map((a) => [
        a.entry,
        a.approved,
        a.required_approvals,
        a.valid_approvals,
        a.error_codes,
        a.trace_included,
      ]),
      [
        ["approval_audit_01.json", false, 2, 1, ["approval_token_expired"], true],
        ["approval_audit_02.json", true, 2, 2, [], false],
      ],
    );
    assertPublishedValid(JSON.parse(JSON.stringify(summary)), "guard/trace_summary.schema.json");
  });

  it("with no traces says so: zero counts, empty lists", () => {
    const summary = summarizeTraces(head, [], []);
    assert.equal(summary.traces_total, 0);
    assert.deepEqual(summary.by_verdict, { allow: 0, block: 0, dry_run: 0, require_approval: 0 });
    assert.deepEqual(summary.by_reason_code, {});
    assert.deepEqual(summary.traces, []);
  });
});

describe("regress summary", () => {
  it("counts pass and fail per grader and per fixture, and lists the failures with their reason codes", () => {
    const summary = summarizeRegress(head, [
      {
        result: regressResult([
          ["run_sample/schema_validation", "pass"],
          ["run_sample/trajectory", "fail", ["unexpected_verdict_sequence", "unexpected_tool_sequence"]],
          ["other/schema_validation", "pass", [], "run_other"],
          ["other/trajectory", "pass", ["trajectory_match"], "run_other"],
          ["other/diff", "fail", ["unexpected_diff"], "run_other"],
        ]),
        source: { file: "regress_result.json", sha256: "5".repeat(64) },
      },
    ]);
    assert.equal(summary.status, "fail");
    assert.equal(summary.graders_total, 5);
    assert.equal(summary.passed, 3);
    assert.equal(summary.failed, 2);
    assert.deepEqual(summary.by_grader, {
      diff: { pass: 0, fail: 1 },
      schema_validation: { pass: 2, fail: 0 },
      trajectory: { pass: 1, fail: 1 },
    });
    assert.deepEqual(summary.by_fixture, { other: { pass: 2, fail: 1 }, run_sample: { pass: 1, fail: 1 } });
    assert.deepEqual(summary.by_reason_code, {
      unexpected_diff: 1,
      unexpected_tool_sequence: 1,
      unexpected_verdict_sequence: 1,
    });
    assert.deepEqual(summary.failures, [
      { name: "other/diff", reason_codes: ["unexpected_diff"] },
      {
        name: "run_sample/trajectory",
        reason_codes: ["unexpected_tool_sequence", "unexpected_verdict_sequence"],
      },
    ]);
    assert.deepEqual(summary.run_fixtures, ["run_sample"]);
    assert.equal(summary.results[0]!.graders, 5);
    assertPublishedValid(JSON.parse(JSON.stringify(summary)), "guard/regress_summary.schema.json");
  });

  it("is pass when every result passed, none when no result was given", () => {
    const pass = regressResult([["run_sample/diff", "pass"]]);
    assert.equal(
      summarizeRegress(head, [{ result: pass, source: { file: "r.json", sha256: "6".repeat(64) } }]).status,
      "pass",
    );
    const none = summarizeRegress(head, []);
    assert.equal(none.status, "none");
    assert.equal(none.graders_total, 0);
    assertPublishedValid(JSON.parse(JSON.stringify(none)), "guard/regress_summary.schema.json");
  });
});

describe("inventory coverage", () => {
  const inputs = [
    {
      snapshot: snapshot([
        { id: "t1", kind: "tool", name: "tool.search", risk_level: "low" },
        { id: "t2", kind: "tool", name: "Tool.Delete", risk_level: "high" },
        { id: "m1", kind: "mcp_server", name: "http.fetch" },
      ]) as never,
      entry: "inventory_snapshot_01.json",
      source: { file: "a.json", sha256: "7".repeat(64) },
    },
    {
      snapshot: snapshot([
        { id: "t1", kind: "tool", name: "tool.search", risk_level: "low" },
        { id: "t3", kind: "tool", name: "tool.unused", risk_level: "critical" },
      ]) as never,
      entry: "inventory_snapshot_02.json",
      source: { file: "b.json", sha256: "8".repeat(64) },
    },
  ];

  it("lists which used tools an inventory item of kind tool names, which it misses, and which it has unused", () => {
    const coverage = inventoryCoverage(head, inputs, [
      "tool.search",
      "http.fetch",
      " tool.delete ",
      "db.query",
      "tool.search",
    ]);
    assert.deepEqual(coverage.tools_used, ["db.query", "http.fetch", "tool.delete", "tool.search"]);
    assert.deepEqual(coverage.tools_listed, ["tool.delete", "tool.search"]);
    // An MCP server named like a tool is not the tool.
    assert.deepEqual(coverage.tools_missing, ["db.query", "http.fetch"]);
    assert.deepEqual(coverage.tools_unused, ["tool.unused"]);
    assert.equal(coverage.coverage_percent, 50);
    assert.equal(coverage.items_total, 4, "distinct ids across snapshots");
    assert.deepEqual(coverage.by_kind, { mcp_server: 1, tool: 3 });
    assert.deepEqual(coverage.by_risk_level, { critical: 1, high: 1, low: 1, unspecified: 1 });
    assert.deepEqual(
      coverage.snapshots.map((s) => [s.entry, s.items_total]),
      [
        ["inventory_snapshot_01.json", 3],
        ["inventory_snapshot_02.json", 2],
      ],
    );
    assertPublishedValid(JSON.parse(JSON.stringify(coverage)), "guard/inventory_coverage.schema.json");
  });

  it("rounds to 2 decimals, and is 100 when no tool was used", () => {
    assert.equal(inventoryCoverage(head, inputs, ["tool.search", "a", "b"]).coverage_percent, 33.33);
    assert.equal(inventoryCoverage(head, inputs, []).coverage_percent, 100);
  });
});

describe("runpack summary", () => {
  it("counts the runpack's records: intents by result status and by tool, results, receipts", async () => {
    const { sources } = await sampleRunpack();
    const summary = summarizeRunpack(head, sources);
    assert.equal(summary.intents_total, 3);
    assert.equal(summary.results_total, 2);
    assert.equal(summary.receipts_total, 2);
    assert.deepEqual(summary.intents_by_status, { error: 1, missing: 1, ok: 1 });
    assert.deepEqual(summary.intents_by_tool, { "db.query": 1, "http.fetch": 1, "tool.search": 1 });
    assert.deepEqual(summary.tools, ["db.query", "http.fetch", "tool.search"]);
    assert.equal(summary.manifest_digest, sources.runpack.manifest.manifest_digest);
    assert.equal(summary.run_producer_version, "9.9.9-test");
    assert.equal(summary.signature_status, "missing");
    assertPublishedValid(JSON.parse(JSON.stringify(summary)), "guard/runpack_summary.schema.json");
  });
});
