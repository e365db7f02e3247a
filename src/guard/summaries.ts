/**
 * The documents of a Guard evidence pack, derived from the artifacts it is built from and never
 * typed by hand: the run counted from the runpack's verified records, the decisions counted
 * from the signed traces (by verdict, by reason code, by tool), regress pass/fail per grader
 * from the regress results, and inventory coverage (what the snapshots list against the tools
 * the run and the traces used). Pure: inputs in, JSON documents out; lists sorted by byte order.
 */
import { compareBytes, sortedUnique } from "../contract/bytes.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../contract/canonical.ts";
import type { SignatureStatus } from "../contract/signature-status.ts";
import { VERDICTS, type Verdict } from "../gate/index.ts";
import type { RegressResult } from "../regress/index.ts";
import type { Runpack } from "../runpack/index.ts";
import { inspectRunpack } from "../runpack/index.ts";
import {
  type ApprovalDigest,
  GUARD_SCHEMA_VERSION,
  GuardSchemaIds,
  type InventoryCoverage,
  type InventorySnapshot,
  type RegressSummary,
  type RunpackSummary,
  type SourceFile,
  type TraceDigest,
  type TraceSummary,
} from "./types.ts";

/** What every derived document starts with: its run, dated by the run, and who wrote it. */
export interface DocumentHead {
  run_id: string;
  created_at: string;
  producer_version: string;
}

function head(schemaId: string, h: DocumentHead) {
  return {
    schema_id: schemaId,
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: h.created_at,
    producer_version: h.producer_version,
    run_id: h.run_id,
  };
}

/** Occurrences of each value, keys in byte order. */
function tally(values: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => compareBytes(a, b)));
}

/** A tool name as inventories and traces are compared: trimmed, lower case. */
export function toolKey(name: string): string {
  return name.trim().toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// runpack_summary.json

export interface RunpackInput {
  runpack: Runpack;
  /** The runpack manifest's signature status as it was read. */
  signatureStatus: SignatureStatus;
  source: SourceFile;
}

export function summarizeRunpack(h: DocumentHead, input: RunpackInput): RunpackSummary {
  const { runpack } = input;
  const timeline = inspectRunpack(runpack);
  return {
    ...head(GuardSchemaIds.runpackSummary, h),
    source: input.source,
    run_producer_version: runpack.run.producer_version,
    capture_mode: runpack.manifest.capture_mode,
    manifest_digest: runpack.manifest.manifest_digest,
    signature_status: input.signatureStatus,
    intents_total: timeline.intents_total,
    results_total: timeline.results_total,
    receipts_total: timeline.receipts_total,
    intents_by_status: tally(timeline.entries.map((entry) => entry.status)),
    intents_by_tool: tally(timeline.entries.map((entry) => entry.tool_name)),
    tools: sortedUnique(timeline.entries.map((entry) => entry.tool_name)),
    unmatched_results: timeline.unmatched_results,
    ...(runpack.refs.context_set_digest ? { context_set_digest: runpack.refs.context_set_digest } : {}),
    ...(runpack.refs.context_evidence_mode
      ? { context_evidence_mode: runpack.refs.context_evidence_mode }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// trace_summary.json

export interface TraceInput {
  /** The trace record as read (schema-valid). */
  record: JsonObject;
  /** `verified` only when a key checked it; a trace whose signature fails never gets here. */
  signatureStatus: "missing" | "skipped" | "verified";
  source: SourceFile;
  /** The file's bytes, for packs that copy traces in (incident packs). */
  data?: Buffer;
}

export interface ApprovalAuditInput {
  /** The audit record as read (schema-valid). */
  record: JsonObject;
  /** Its copy in the pack (approval_audit_NN.json). */
  entry: string;
  source: SourceFile;
}

const strings = (value: JsonValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
const text = (value: JsonValue | undefined): string => (typeof value === "string" ? value : "");

/**
 * Every code a trace records, once each: its violations, and the reason codes of the decisions
 * inside it (script steps, freeze window, sandbox, kill switch, MCP trust, delegation) and its
 * registry reason. The gate's top-level reason codes are not part of the v1 trace record.
 */
export function traceReasonCodes(trace: JsonObject): string[] {
  const codes = [...strings(trace.violations)];
  const nested = (key: string) => (isJsonObject(trace[key]) ? (trace[key] as JsonObject) : undefined);
  for (const step of Array.isArray(trace.step_verdicts) ? trace.step_verdicts : []) {
    if (isJsonObject(step)) codes.push(...strings(step.reason_codes), ...strings(step.violations));
  }
  for (const key of ["sandbox", "kill_switch", "mcp_trust", "delegation_ref"]) {
    codes.push(...strings(nested(key)?.reason_codes));
  }
  for (const key of ["freeze_window", "kill_switch"]) {
    const code = text(nested(key)?.reason_code);
    if (code) codes.push(code);
  }
  const registry = text(trace.registry_reason);
  if (registry) codes.push(registry);
  return sortedUnique(codes);
}

function digestTrace(input: TraceInput): TraceDigest {
  const { record } = input;
  const signature = isJsonObject(record.signature) ? record.signature : undefined;
  const keyId = text(signature?.key_id);
  const optional = (key: "event_id" | "run_id") => (text(record[key]) ? { [key]: text(record[key]) } : {});
  return {
    trace_id: text(record.trace_id),
    ...optional("event_id"),
    tool_name: text(record.tool_name),
    verdict: record.verdict as Verdict,
    reason_codes: traceReasonCodes(record),
    policy_digest: text(record.policy_digest),
    intent_digest: text(record.intent_digest),
    ...optional("run_id"),
    signature_status: input.signatureStatus,
    ...(keyId ? { signature_key_id: keyId } : {}),
    source: input.source,
  };
}

/** Traces in a fixed order whatever the order they were given in: trace_id, event_id, file bytes. */
function byTraceOrder(a: TraceDigest, b: TraceDigest): number {
  return (
    compareBytes(a.trace_id, b.trace_id) ||
    compareBytes(a.event_id ?? "", b.event_id ?? "") ||
    compareBytes(a.source.sha256, b.source.sha256)
  );
}

function digestApproval(input: ApprovalAuditInput, traceIds: ReadonlySet<string>): ApprovalDigest {
  const { record } = input;
  const count = (key: string) => (typeof record[key] === "number" ? (record[key] as number) : 0);
  const entries = Array.isArray(record.entries) ? record.entries.filter(isJsonObject) : [];
  return {
    entry: input.entry,
    trace_id: text(record.trace_id),
    tool_name: text(record.tool_name),
    approved: record.approved === true,
    required_approvals: count("required_approvals"),
    valid_approvals: count("valid_approvals"),
    approvers: strings(record.approvers),
    error_codes: sortedUnique(entries.map((entry) => text(entry.error_code)).filter((code) => code !== "")),
    trace_included: traceIds.has(text(record.trace_id)),
    source: input.source,
  };
}

export function summarizeTraces(
  h: DocumentHead,
  traces: readonly TraceInput[],
  audits: readonly ApprovalAuditInput[],
): TraceSummary {
  const digests = traces.map(digestTrace).sort(byTraceOrder);
  const verdicts = tally(digests.map((d) => d.verdict));
  const traceIds = new Set(digests.map((d) => d.trace_id));
  const approvals = audits.map((audit) => digestApproval(audit, traceIds));
  return {
    ...head(GuardSchemaIds.traceSummary, h),
    traces_total: digests.length,
    by_verdict: Object.fromEntries(VERDICTS.map((v) => [v, verdicts[v] ?? 0])) as TraceSummary["by_verdict"],
    by_reason_code: tally(digests.flatMap((d) => d.reason_codes)),
    by_tool: tally(digests.map((d) => d.tool_name)),
    by_signature_status: tally(digests.map((d) => d.signature_status)),
    policy_digests: sortedUnique(digests.map((d) => d.policy_digest)),
    traces: digests,
    approvals_total: approvals.length,
    approvals_granted: approvals.filter((a) => a.approved).length,
    approvals,
  };
}

// ---------------------------------------------------------------------------------------------
// regress_summary.json

export interface RegressInput {
  result: RegressResult;
  source: SourceFile;
  /** The file's bytes, for packs that copy results in (incident packs). */
  data?: Buffer;
}

/** `<fixture>/<grader>` split at the last slash (fixture names have none; be lenient anyway). */
function splitGraderName(name: string): { fixture: string; grader: string } {
  const at = name.lastIndexOf("/");
  return at < 0 ? { fixture: "", grader: name } : { fixture: name.slice(0, at), grader: name.slice(at + 1) };
}

function passFail(entries: ReadonlyArray<{ key: string; pass: boolean }>) {
  const out = new Map<string, { pass: number; fail: number }>();
  for (const { key, pass } of entries) {
    const counts = out.get(key) ?? { pass: 0, fail: 0 };
    if (pass) counts.pass++;
    else counts.fail++;
    out.set(key, counts);
  }
  return Object.fromEntries([...out].sort(([a], [b]) => compareBytes(a, b)));
}

export function summarizeRegress(h: DocumentHead, inputs: readonly RegressInput[]): RegressSummary {
  const graders = inputs.flatMap((input) => input.result.graders);
  const graded = graders.map((g) => ({ ...splitGraderName(g.name), entry: g, pass: g.status === "pass" }));
  const failures = graded.filter((g) => !g.pass);
  const runFixtures = graded
    .filter((g) => isJsonObject(g.entry.details) && g.entry.details.run_id === h.run_id)
    .map((g) => g.fixture);
  let status: RegressSummary["status"] = "none";
  if (inputs.length > 0)
    status =
      inputs.every((input) => input.result.status === "pass") && failures.length === 0 ? "pass" : "fail";
  return {
    ...head(GuardSchemaIds.regressSummary, h),
    results_total: inputs.length,
    status,
    graders_total: graded.length,
    passed: graded.length - failures.length,
    failed: failures.length,
    by_grader: passFail(graded.map((g) => ({ key: g.grader, pass: g.pass }))),
    by_fixture: passFail(graded.map((g) => ({ key: g.fixture, pass: g.pass }))),
    by_reason_code: tally(failures.flatMap((g) => sortedUnique(g.entry.reason_codes))),
    failures: failures
      .map((g) => ({ name: g.entry.name, reason_codes: sortedUnique(g.entry.reason_codes) }))
      .sort((a, b) => compareBytes(a.name, b.name)),
    run_fixtures: sortedUnique(runFixtures),
    results: inputs.map((input) => ({
      fixture_set: input.result.fixture_set,
      status: input.result.status,
      created_at: input.result.created_at,
      graders: input.result.graders.length,
      source: input.source,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// inventory_coverage.json

export interface InventoryInput {
  snapshot: InventorySnapshot;
  /** Its copy in the pack (inventory_snapshot_NN.json). */
  entry: string;
  source: SourceFile;
}

/**
 * The snapshots against the tools used. A tool is listed when an inventory item of kind `tool`
 * has its name (both trimmed and lower-cased); items of other kinds (MCP servers, ...) are
 * counted but match no tool name.
 */
export function inventoryCoverage(
  h: DocumentHead,
  inputs: readonly InventoryInput[],
  toolsUsed: Iterable<string>,
): InventoryCoverage {
  const items = new Map<string, InventorySnapshot["items"][number]>();
  for (const input of inputs)
    for (const item of input.snapshot.items) if (!items.has(item.id)) items.set(item.id, item);
  const distinct = [...items.values()];
  const inventoried = new Set(
    distinct.filter((item) => item.kind === "tool").map((item) => toolKey(item.name)),
  );
  const used = sortedUnique([...toolsUsed].map(toolKey).filter((name) => name !== ""));
  const listed = used.filter((name) => inventoried.has(name));
  const usedSet = new Set(used);
  const percent = used.length === 0 ? 100 : Math.round((listed.length / used.length) * 10_000) / 100;
  return {
    ...head(GuardSchemaIds.inventoryCoverage, h),
    snapshots: inputs.map((input) => ({
      entry: input.entry,
      snapshot_id: input.snapshot.snapshot_id,
      created_at: input.snapshot.created_at,
      items_total: input.snapshot.items.length,
      source: input.source,
    })),
    items_total: distinct.length,
    by_kind: tally(distinct.map((item) => item.kind)),
    by_risk_level: tally(distinct.map((item) => item.risk_level ?? "unspecified")),
    tools_used: used,
    tools_listed: listed,
    tools_missing: used.filter((name) => !inventoried.has(name)),
    tools_unused: sortedUnique([...inventoried].filter((name) => !usedSet.has(name))),
    coverage_percent: percent,
  };
}
