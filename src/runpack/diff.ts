/**
 * Runpack diff (REFERENCE.md §2.3). Compares what a run did, not when or by which build: run ids,
 * producer versions, timestamps, digests of the container and signatures are normalized away;
 * intents and results are matched by intent_id. `metadata` privacy compares no payload values
 * (only digests, statuses and tool names) and only the receipt count of the refs.
 */
import { resolve } from "node:path";
import { sortedUnique } from "../contract/bytes.ts";
import { canonicalize } from "../contract/canonical.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { readRunpack } from "./read.ts";
import type { IntentRecord, Receipt, ResultRecord, Runpack } from "./types.ts";

export const PRIVACY_MODES = ["full", "metadata"] as const;
export type Privacy = (typeof PRIVACY_MODES)[number];
export type ContextDrift = "none" | "semantic" | "runtime_only";

export interface DiffSummary {
  run_id_left: string;
  run_id_right: string;
  manifest_changed: boolean;
  files_changed: string[];
  intents_changed: boolean;
  results_changed: boolean;
  refs_changed: boolean;
  left_only_intents: string[];
  right_only_intents: string[];
  left_only_results: string[];
  right_only_results: string[];
  /** Intents present on both sides whose tool, args digest (or args) differ. */
  changed_intents: string[];
  /** Results present on both sides whose status, result digest (or result) differ. */
  changed_results: string[];
  /** Full privacy only. */
  context_drift_classification?: ContextDrift;
  /** Full privacy only: receipts whose only changes are runtime ones (retrieval time, params, SLA). */
  context_runtime_only_changes?: string[];
}

export interface RunpackDiff {
  privacy: Privacy;
  identical: boolean;
  summary: DiffSummary;
}

/** Pure, deterministic comparison of two runpacks. */
export function diffRunpacks(left: Runpack, right: Runpack, privacy: Privacy = "full"): RunpackDiff {
  const intents = compareKeyed(left.intents, right.intents, (a, b) => intentKey(a, b, privacy));
  const results = compareKeyed(left.results, right.results, (a, b) => resultKey(a, b, privacy));
  const refs = privacy === "full" ? compareRefs(left, right) : compareReceiptCounts(left, right);
  const runChanged = canonicalize(runShape(left)) !== canonicalize(runShape(right));
  const manifestChanged =
    left.manifest.capture_mode !== right.manifest.capture_mode ||
    canonicalize(listedPaths(left)) !== canonicalize(listedPaths(right));
  const filesChanged = [
    ...(intents.changed ? ["intents.jsonl"] : []),
    ...(refs.changed ? ["refs.json"] : []),
    ...(results.changed ? ["results.jsonl"] : []),
    ...(runChanged ? ["run.json"] : []),
  ];
  const summary: DiffSummary = {
    run_id_left: left.run.run_id,
    run_id_right: right.run.run_id,
    manifest_changed: manifestChanged,
    files_changed: filesChanged,
    intents_changed: intents.changed,
    results_changed: results.changed,
    refs_changed: refs.changed,
    left_only_intents: intents.leftOnly,
    right_only_intents: intents.rightOnly,
    left_only_results: results.leftOnly,
    right_only_results: results.rightOnly,
    changed_intents: intents.differing,
    changed_results: results.differing,
    ...refs.extra,
  };
  return { privacy, identical: !manifestChanged && filesChanged.length === 0, summary };
}

/** The run without its identity and timing: environment and the sequence of timeline events. */
function runShape(runpack: Runpack) {
  return {
    env: runpack.run.env,
    timeline: runpack.run.timeline.map((e) => ({
      event: e.event,
      ref: e.ref ?? "",
      relationship: e.relationship,
    })),
  };
}

function listedPaths(runpack: Runpack): string[] {
  return sortedUnique(runpack.manifest.files.map((f) => f.path));
}

interface KeyedComparison {
  changed: boolean;
  leftOnly: string[];
  rightOnly: string[];
  differing: string[];
}

function compareKeyed<T extends { intent_id: string }>(
  left: readonly T[],
  right: readonly T[],
  same: (a: T, b: T) => boolean,
): KeyedComparison {
  const leftById = new Map(left.map((r) => [r.intent_id, r]));
  const rightById = new Map(right.map((r) => [r.intent_id, r]));
  const leftOnly = sortedUnique([...leftById.keys()].filter((id) => !rightById.has(id)));
  const rightOnly = sortedUnique([...rightById.keys()].filter((id) => !leftById.has(id)));
  const differing = sortedUnique(
    [...leftById].filter(([id, a]) => rightById.has(id) && !same(a, rightById.get(id)!)).map(([id]) => id),
  );
  return {
    changed: leftOnly.length + rightOnly.length + differing.length > 0,
    leftOnly,
    rightOnly,
    differing,
  };
}

/** Payloads are compared only in full privacy, and only when both sides captured them. */
function samePayload(a: object | undefined, b: object | undefined, privacy: Privacy): boolean {
  if (privacy === "metadata" || a === undefined || b === undefined) return true;
  return canonicalize(a) === canonicalize(b);
}

function intentKey(a: IntentRecord, b: IntentRecord, privacy: Privacy): boolean {
  return (
    a.tool_name === b.tool_name && a.args_digest === b.args_digest && samePayload(a.args, b.args, privacy)
  );
}

function resultKey(a: ResultRecord, b: ResultRecord, privacy: Privacy): boolean {
  return (
    a.status === b.status && a.result_digest === b.result_digest && samePayload(a.result, b.result, privacy)
  );
}

interface RefsComparison {
  changed: boolean;
  extra: Pick<DiffSummary, "context_drift_classification" | "context_runtime_only_changes">;
}

function compareReceiptCounts(left: Runpack, right: Runpack): RefsComparison {
  return { changed: left.refs.receipts.length !== right.refs.receipts.length, extra: {} };
}

/** What a receipt says about the context itself, as opposed to when and how it was fetched. */
function semanticReceipt(r: Receipt) {
  return [
    r.source_type,
    r.source_locator,
    r.query_digest,
    r.content_digest,
    r.redaction_mode,
    r.immutability ?? "unknown",
    r.sensitivity_label ?? "",
  ];
}

function runtimeReceipt(r: Receipt) {
  return [r.retrieved_at, r.freshness_sla_seconds ?? 0, r.retrieval_params ?? {}];
}

/**
 * Full-privacy refs comparison. Semantic drift (context set, receipts added or removed, digests
 * or sources changed) is a change; runtime-only drift (same content fetched at another time or
 * with other parameters) is reported but does not make the runs differ.
 */
function compareRefs(left: Runpack, right: Runpack): RefsComparison {
  const l = left.refs;
  const r = right.refs;
  let semantic =
    (l.context_set_digest ?? "") !== (r.context_set_digest ?? "") ||
    (l.context_evidence_mode ?? "") !== (r.context_evidence_mode ?? "");
  const runtimeOnly: string[] = [];
  const rightById = new Map(r.receipts.map((receipt) => [receipt.ref_id, receipt]));
  const leftIds = new Set(l.receipts.map((receipt) => receipt.ref_id));
  if ([...rightById.keys()].some((id) => !leftIds.has(id))) semantic = true;
  for (const receipt of l.receipts) {
    const other = rightById.get(receipt.ref_id);
    if (!other || canonicalize(semanticReceipt(receipt)) !== canonicalize(semanticReceipt(other))) {
      semantic = true;
    } else if (canonicalize(runtimeReceipt(receipt)) !== canonicalize(runtimeReceipt(other))) {
      runtimeOnly.push(receipt.ref_id);
    }
  }
  const classification: ContextDrift = semantic
    ? "semantic"
    : runtimeOnly.length > 0
      ? "runtime_only"
      : "none";
  return {
    changed: semantic,
    extra: {
      context_drift_classification: classification,
      context_runtime_only_changes: sortedUnique(runtimeOnly),
    },
  };
}

export interface DiffRequest extends ResolveContext {
  left: string;
  right: string;
  privacy?: Privacy;
  /** Also write the diff JSON here (relative to cwd). */
  output?: string;
}

export interface DiffOutcome extends RunpackDiff {
  /** Absolute path of the written diff, when requested. */
  outputPath?: string;
}

/** Reads both runpacks (integrity-checked), diffs them and optionally writes the diff JSON. */
export async function diffRunpackRefs(request: DiffRequest): Promise<DiffOutcome> {
  const left = await readRunpack(resolveRunpackPath(request.left, request));
  const right = await readRunpack(resolveRunpackPath(request.right, request));
  const diff = diffRunpacks(left.runpack, right.runpack, request.privacy ?? "full");
  if (!request.output) return diff;
  const outputPath = resolve(request.cwd, request.output);
  await writeFileAtomic(outputPath, `${canonicalize(diff)}\n`);
  return { ...diff, outputPath };
}
