/**
 * Inputs for the guard tests, crafted by hand from the contract (CONTRACTS.md §5.9, §5.11, §6.2,
 * §7.4): gate traces (signed with a test key), regress results, approval audit records and
 * inventory snapshots, plus the sample runpack, so every summary can be checked against counts
 * known in advance.
 */
import { sha256Hex } from "../../src/contract/canonical.ts";
import { generateSigningKey, type SigningKey, signJson } from "../../src/contract/signing.ts";
import type { EvidenceSources, TraceInput } from "../../src/guard/index.ts";
import type { RegressResult } from "../../src/regress/index.ts";
import { readRunpack, runpackZip } from "../../src/runpack/index.ts";
import { build } from "../runpack/fixtures.ts";

export const TRACE_KEY: SigningKey = generateSigningKey();
export const PACK_KEY: SigningKey = generateSigningKey();
export const OTHER_KEY: SigningKey = generateSigningKey();
export const PRODUCER = "0.0.0-test";

const hex = (c: string) => c.repeat(64);

/** A schema-valid gate trace; signed with `key` unless it is null. */
export function trace(
  fields: Record<string, unknown> = {},
  key: SigningKey | null = TRACE_KEY,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    schema_id: "gait.gate.trace",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    observed_at: "2026-02-05T00:00:01.5Z",
    producer_version: PRODUCER,
    trace_id: "0123456789abcdef01234567",
    event_id: "aaaaaaaaaaaaaaaaaaaaaaaa",
    tool_name: "tool.search",
    args_digest: hex("1"),
    intent_digest: hex("2"),
    policy_digest: hex("3"),
    verdict: "allow",
    ...fields,
  };
  return key ? { ...record, signature: signJson(key, record) } : record;
}

export function traceInput(
  record: Record<string, unknown>,
  status: TraceInput["signatureStatus"] = "verified",
): TraceInput {
  const data = JSON.stringify(record);
  return {
    record: record as TraceInput["record"],
    signatureStatus: status,
    source: { file: `trace_${String(record.trace_id)}.json`, sha256: sha256Hex(data) },
  };
}

export function regressResult(
  graders: Array<[name: string, status: "pass" | "fail", reasons?: string[], runId?: string]>,
): RegressResult {
  const failed = graders.some(([, status]) => status === "fail");
  return {
    schema_id: "gait.regress.result",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    producer_version: PRODUCER,
    fixture_set: "default",
    status: failed ? "fail" : "pass",
    graders: graders.map(([name, status, reasons = [], runId = "run_sample"]) => ({
      name,
      status,
      reason_codes: reasons,
      details: { fixture: name.split("/")[0]!, run_id: runId },
    })),
  };
}

export function approvalAudit(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_id: "gait.gate.approval_audit_record",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    producer_version: PRODUCER,
    trace_id: "0123456789abcdef01234567",
    tool_name: "tool.delete",
    intent_digest: hex("4"),
    policy_digest: hex("3"),
    required_approvals: 2,
    valid_approvals: 1,
    approved: false,
    approvers: ["alice"],
    entries: [
      {
        token_id: "t1",
        approver_identity: "alice",
        reason_code: "change_ticket",
        scope: ["tool:tool.delete"],
        expires_at: "2026-02-05T01:00:00Z",
        valid: true,
      },
      {
        token_id: "t2",
        approver_identity: "bob",
        reason_code: "change_ticket",
        scope: ["tool:tool.delete"],
        expires_at: "2026-02-04T01:00:00Z",
        valid: false,
        error_code: "approval_token_expired",
      },
    ],
    ...fields,
  };
}

export function snapshot(
  items: Array<{ id: string; kind: string; name: string; risk_level?: string }>,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schema_id: "gait.scout.inventory_snapshot",
    schema_version: "1.0.0",
    created_at: "2026-02-04T00:00:00Z",
    producer_version: PRODUCER,
    snapshot_id: "snap_000000000001",
    workspace: "/workspace",
    items: items.map((item) => ({ locator: `src/${item.id}.ts:1`, ...item })),
    ...fields,
  };
}

/** The sample runpack (run_sample: tool.search ok, http.fetch error, db.query without a result). */
export async function sampleRunpack(): Promise<{ zip: Buffer; sources: EvidenceSources["runpack"] }> {
  const zip = await runpackZip(build().entries);
  const loaded = await readRunpack(zip);
  return {
    zip,
    sources: {
      runpack: loaded.runpack,
      signatureStatus: loaded.verification.signature_status,
      source: { file: "runpack_run_sample.zip", sha256: sha256Hex(zip) },
    },
  };
}

/** Sources with one of everything. */
export async function fullSources(): Promise<EvidenceSources> {
  const { sources: runpack } = await sampleRunpack();
  const auditData = Buffer.from(`${JSON.stringify(approvalAudit(), null, 2)}\n`);
  const snapshotData = Buffer.from(
    JSON.stringify(
      snapshot([
        { id: "t1", kind: "tool", name: "tool.search", risk_level: "low" },
        { id: "t2", kind: "tool", name: "tool.unused", risk_level: "high" },
        { id: "m1", kind: "mcp_server", name: "files" },
      ]),
    ),
  );
  return {
    runpack,
    traces: [
      traceInput(trace({ verdict: "allow" })),
      traceInput(
        trace({
          trace_id: "ffffffffffffffffffffffff",
          tool_name: "tool.delete",
          verdict: "require_approval",
          violations: ["approval_not_granted"],
        }),
      ),
    ],
    regress: [
      {
        result: regressResult([
          ["run_sample/schema_validation", "pass"],
          ["run_sample/trajectory", "fail", ["unexpected_tool_sequence"]],
        ]),
        source: { file: "regress_result.json", sha256: hex("5") },
      },
    ],
    approvalAudits: [
      {
        data: auditData,
        input: {
          record: JSON.parse(auditData.toString()),
          entry: "approval_audit_01.json",
          source: { file: "approval_audit_x.json", sha256: sha256Hex(auditData) },
        },
      },
    ],
    inventories: [
      {
        data: snapshotData,
        input: {
          snapshot: JSON.parse(snapshotData.toString()),
          entry: "inventory_snapshot_01.json",
          source: { file: "snapshot.json", sha256: sha256Hex(snapshotData) },
        },
      },
    ],
    caseId: "INC-7",
    producerVersion: PRODUCER,
  };
}
