/**
 * Runpack diff (REFERENCE.md §2.3). Compares what a run did, not when or by which build: run ids,
 * producer versions, timestamps, digests of the container and signatures are normalized away;
 * intents and results are matched by intent_id. `metadata` privacy compares no payload values
 * (only digests, statuses and tool names) and only the receipt count of the refs.
 *
 * Besides the summary (which names what changed), `changes` lists each changed field with its
 * value on both sides, so a reader sees what changed without opening the zips.
 */
import { join, resolve } from "node:path";
import { sortedUnique } from "../contract/bytes.ts";
import { canonicalize, type JsonValue } from "../contract/canonical.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { showPath } from "../contract/paths.ts";
import { renderDiffView } from "./diff-view.ts";
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { readRunpack } from "./read.ts";
import type { IntentRecord, Receipt, ResultRecord, Runpack } from "./types.ts";
import { assertPageTarget } from "./view.ts";

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

export type ChangeKind = "added" | "removed" | "changed";

/**
 * One changed field: `path` names it (`intents[i1].args.q`, `results[i2].status`,
 * `refs.receipts[doc_1].retrieved_at`, `run.env.os`, `manifest.capture_mode`); `before` and
 * `after` are its values on the left and right (`null` on the side where it is absent, which
 * `kind` tells apart from a JSON null). A record present on one side only is one entry with the
 * whole record. Metadata privacy never puts a payload value here.
 */
export interface DiffChange {
  path: string;
  kind: ChangeKind;
  before: JsonValue;
  after: JsonValue;
}

export interface RunpackDiff {
  privacy: Privacy;
  identical: boolean;
  summary: DiffSummary;
  /**
   * Every changed field with both values, in the order manifest, run, intents, results, refs
   * (records by id in byte order). Runtime-only receipt changes are listed too, although they
   * do not make the runs differ (see `context_drift_classification`).
   */
  changes: DiffChange[];
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
  const changes = [
    ...manifestChanges(left, right),
    ...fieldChanges("run", runShape(left), runShape(right)),
    ...recordChanges("intents", left.intents, right.intents, (r) => intentFields(r, privacy)),
    ...recordChanges("results", left.results, right.results, (r) => resultFields(r, privacy)),
    ...(privacy === "full" ? refsChanges(left, right) : receiptCountChange(left, right)),
  ];
  return { privacy, identical: !manifestChanged && filesChanged.length === 0, summary, changes };
}

/** The run without its identity and timing: environment and the sequence of timeline events. */
function runShape(runpack: Runpack) {
  return {
    env: runpack.run.env,
    timeline: runpack.run.timeline.map((e) => ({
      event: e.event,
      ...(e.ref ? { ref: e.ref } : {}), // an empty ref is no ref
      ...(e.relationship !== undefined ? { relationship: e.relationship } : {}),
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

// ---------------------------------------------------------------------------------------------
// changed fields with their values

function manifestChanges(left: Runpack, right: Runpack): DiffChange[] {
  const changes = fieldChanges(
    "manifest.capture_mode",
    left.manifest.capture_mode,
    right.manifest.capture_mode,
  );
  const [before, after] = [listedPaths(left), listedPaths(right)];
  if (canonicalize(before) !== canonicalize(after))
    changes.push({ path: "manifest.files", kind: "changed", before, after });
  return changes;
}

/**
 * Records matched by intent_id (the last of an id counts, as in compareKeyed): one entry with
 * the whole record for a record on one side only, else one entry per differing field.
 */
function recordChanges<T extends { intent_id: string }>(
  section: string,
  left: readonly T[],
  right: readonly T[],
  fields: (record: T) => Record<string, JsonValue>,
): DiffChange[] {
  const leftById = new Map(left.map((r) => [r.intent_id, r]));
  const rightById = new Map(right.map((r) => [r.intent_id, r]));
  const changes: DiffChange[] = [];
  for (const id of sortedUnique([...leftById.keys(), ...rightById.keys()])) {
    const a = leftById.get(id);
    const b = rightById.get(id);
    const path = `${section}${indexSegment(id)}`;
    if (a && b) {
      const [before, after] = [fields(a), fields(b)];
      // A payload counts only when both sides captured it (samePayload).
      for (const key of ["args", "result"]) {
        if (!(key in before) || !(key in after)) {
          delete before[key];
          delete after[key];
        }
      }
      changes.push(...fieldChanges(path, before, after));
    } else if (a) {
      changes.push({ path, kind: "removed", before: fields(a), after: null });
    } else if (b) {
      changes.push({ path, kind: "added", before: null, after: fields(b) });
    }
  }
  return changes;
}

/** What an intent is compared on; the args only in full privacy. */
function intentFields(record: IntentRecord, privacy: Privacy): Record<string, JsonValue> {
  return {
    tool_name: record.tool_name,
    args_digest: record.args_digest,
    ...(privacy === "full" && record.args !== undefined ? { args: record.args as JsonValue } : {}),
  };
}

function resultFields(record: ResultRecord, privacy: Privacy): Record<string, JsonValue> {
  return {
    status: record.status,
    result_digest: record.result_digest,
    ...(privacy === "full" && record.result !== undefined ? { result: record.result as JsonValue } : {}),
  };
}

function refsChanges(left: Runpack, right: Runpack): DiffChange[] {
  const changes = [
    ...fieldChanges("refs.context_set_digest", left.refs.context_set_digest, right.refs.context_set_digest),
    ...fieldChanges(
      "refs.context_evidence_mode",
      left.refs.context_evidence_mode,
      right.refs.context_evidence_mode,
    ),
  ];
  // The last receipt of an id counts, as in compareRefs.
  const byId = (receipts: readonly Receipt[]) =>
    new Map(receipts.map((receipt) => [receipt.ref_id, receipt as unknown as JsonValue]));
  const leftById = byId(left.refs.receipts);
  const rightById = byId(right.refs.receipts);
  for (const id of sortedUnique([...leftById.keys(), ...rightById.keys()])) {
    changes.push(...fieldChanges(`refs.receipts${indexSegment(id)}`, leftById.get(id), rightById.get(id)));
  }
  return changes;
}

function receiptCountChange(left: Runpack, right: Runpack): DiffChange[] {
  return fieldChanges("refs.receipt_count", left.refs.receipts.length, right.refs.receipts.length);
}

/**
 * The fields that differ between two JSON values, deepest first reached: objects by key (byte
 * order), arrays by index, anything else compared whole. `undefined` means absent.
 */
function fieldChanges(path: string, before: unknown, after: unknown): DiffChange[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path, kind: "added", before: null, after: after as JsonValue }];
  if (after === undefined) return [{ path, kind: "removed", before: before as JsonValue, after: null }];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = sortedUnique([...Object.keys(before), ...Object.keys(after)]);
    return keys.flatMap((key) => fieldChanges(`${path}${keySegment(key)}`, before[key], after[key]));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, i) => fieldChanges(`${path}[${i}]`, before[i], after[i])).flat();
  }
  if (canonicalize(before) === canonicalize(after)) return [];
  return [{ path, kind: "changed", before: before as JsonValue, after: after as JsonValue }];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SIMPLE_ID = /^[A-Za-z0-9_.:-]+$/;

/** `.key`, or `["odd key"]` when the key is not a plain identifier. */
function keySegment(key: string): string {
  return SIMPLE_KEY.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** `[id]` for a record id, `["odd id"]` when it holds anything but letters, digits and _.:- */
function indexSegment(id: string): string {
  return SIMPLE_ID.test(id) ? `[${id}]` : `[${JSON.stringify(id)}]`;
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
  /** Also write the diff as an HTML page (`gait run diff --html`). */
  html?: boolean;
  /** Where the page goes (relative to cwd); default ./gait-out/diff_<left>_<right>.html. */
  htmlOut?: string;
}

export interface DiffOutcome extends RunpackDiff {
  /** Absolute path of the written diff, when requested. */
  outputPath?: string;
  /** Absolute path of the written HTML page, when requested. */
  htmlPath?: string;
}

/** Reads both runpacks (integrity-checked), diffs them and optionally writes the JSON and the page. */
export async function diffRunpackRefs(request: DiffRequest): Promise<DiffOutcome> {
  const leftPath = resolveRunpackPath(request.left, request);
  const rightPath = resolveRunpackPath(request.right, request);
  const left = await readRunpack(leftPath);
  const right = await readRunpack(rightPath);
  const diff = diffRunpacks(left.runpack, right.runpack, request.privacy ?? "full");
  const outcome: DiffOutcome = { ...diff };
  const htmlPath =
    request.html || request.htmlOut
      ? resolve(
          request.cwd,
          request.htmlOut ??
            join("gait-out", `diff_${left.runpack.run.run_id}_${right.runpack.run.run_id}.html`),
        )
      : undefined;
  if (htmlPath) assertPageTarget(htmlPath, [leftPath, rightPath], request.cwd);
  if (request.output) {
    outcome.outputPath = resolve(request.cwd, request.output);
    await writeFileAtomic(outcome.outputPath, `${canonicalize(diff)}\n`);
  }
  if (htmlPath) {
    const side = (loaded: typeof left, path: string) => ({
      runpack: loaded.runpack,
      verification: loaded.verification,
      source: showPath(request.cwd, path),
    });
    await writeFileAtomic(htmlPath, renderDiffView(side(left, leftPath), side(right, rightPath), diff));
    outcome.htmlPath = htmlPath;
  }
  return outcome;
}
