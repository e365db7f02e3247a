/**
 * What a runpack reduces over: its steps (an intent with its result, kept or dropped together, in
 * intent_id byte order), its reference receipts and its timeline events, with the links between
 * them. A receipt a step points at is owned (kept while any kept step points at it); an event
 * whose `ref` names a step or a receipt follows it; everything else is free and reduced on its
 * own. Pure: a function of the parsed runpack.
 */
import { compareBytes } from "../contract/bytes.ts";
import type { JsonObject } from "../contract/canonical.ts";
import type { LoadedRunpack, Runpack } from "../runpack/index.ts";

export interface ReductionStep {
  intentId: string;
  /** Index into the runpack's intents, when the step has an intent. */
  intent?: number;
  /** Index into the runpack's results, when the step has a result. */
  result?: number;
  /** Receipts (indices) the step points at: its `trace_<intent_id>` receipt and ref_ids named in its payloads. */
  receipts: number[];
  /** Timeline events (indices) whose `ref` is the step's intent_id. */
  events: number[];
}

export interface ReductionModel {
  steps: ReductionStep[];
  /** Receipts no step points at, and events that follow neither a step nor a receipt. */
  free: Array<{ kind: "receipt" | "event"; index: number }>;
  /** Events (indices) that follow each receipt (by receipt index). */
  receiptEvents: Map<number, number[]>;
}

/** Which parts of the runpack a candidate keeps: steps (model indices) and free items (model indices). */
export interface Selection {
  steps: readonly number[];
  free: readonly number[];
}

/** The kept records of a selection, as indices into the runpack's arrays (ascending: original order). */
export interface KeptIndices {
  intents: number[];
  results: number[];
  receipts: number[];
  events: number[];
}

export function buildReductionModel(runpack: Runpack): ReductionModel {
  const receiptIndex = new Map(runpack.refs.receipts.map((r, i) => [r.ref_id, i]));
  const byId = new Map<string, ReductionStep>();
  const stepFor = (intentId: string) => {
    let step = byId.get(intentId);
    if (!step) {
      step = { intentId, receipts: [], events: [] };
      byId.set(intentId, step);
    }
    return step;
  };
  runpack.intents.forEach((intent, i) => {
    stepFor(intent.intent_id).intent = i;
  });
  runpack.results.forEach((result, i) => {
    stepFor(result.intent_id).result = i;
  });
  const owned = new Set<number>();
  for (const step of byId.values()) {
    const pointed = new Set<number>();
    const trace = receiptIndex.get(`trace_${step.intentId}`);
    if (trace !== undefined) pointed.add(trace);
    const payloads: unknown[] = [
      step.intent === undefined ? undefined : runpack.intents[step.intent]!.args,
      step.result === undefined ? undefined : runpack.results[step.result]!.result,
    ];
    for (const payload of payloads) collectRefIds(payload, receiptIndex, pointed);
    step.receipts = [...pointed].sort((a, b) => a - b);
    for (const r of step.receipts) owned.add(r);
  }
  const receiptEvents = new Map<number, number[]>();
  const freeEvents: number[] = [];
  runpack.run.timeline.forEach((event, i) => {
    const step = event.ref === undefined ? undefined : byId.get(event.ref);
    const receipt = event.ref === undefined ? undefined : receiptIndex.get(event.ref);
    if (step) step.events.push(i);
    else if (receipt !== undefined) receiptEvents.set(receipt, [...(receiptEvents.get(receipt) ?? []), i]);
    else freeEvents.push(i);
  });
  const steps = [...byId.values()].sort((a, b) => compareBytes(a.intentId, b.intentId));
  const free: ReductionModel["free"] = [
    ...runpack.refs.receipts.flatMap((_, i) =>
      owned.has(i) ? [] : [{ kind: "receipt" as const, index: i }],
    ),
    ...freeEvents.map((index) => ({ kind: "event" as const, index })),
  ];
  return { steps, free, receiptEvents };
}

/** Every string in a payload that names a receipt's ref_id. */
function collectRefIds(value: unknown, receipts: Map<string, number>, into: Set<number>): void {
  if (typeof value === "string") {
    const index = receipts.get(value);
    if (index !== undefined) into.add(index);
  } else if (Array.isArray(value)) {
    for (const item of value) collectRefIds(item, receipts, into);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) collectRefIds(item, receipts, into);
  }
}

/** The records a selection keeps, dependencies included (a step's result, its receipts, their events). */
export function keptIndices(model: ReductionModel, selection: Selection): KeptIndices {
  const intents: number[] = [];
  const results: number[] = [];
  const receipts = new Set<number>();
  const events = new Set<number>();
  for (const s of selection.steps) {
    const step = model.steps[s]!;
    if (step.intent !== undefined) intents.push(step.intent);
    if (step.result !== undefined) results.push(step.result);
    for (const r of step.receipts) receipts.add(r);
    for (const e of step.events) events.add(e);
  }
  for (const f of selection.free) {
    const item = model.free[f]!;
    if (item.kind === "receipt") receipts.add(item.index);
    else events.add(item.index);
  }
  for (const r of receipts) for (const e of model.receiptEvents.get(r) ?? []) events.add(e);
  const ascending = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
  return {
    intents: ascending(intents),
    results: ascending(results),
    receipts: ascending(receipts),
    events: ascending(events),
  };
}

/** The candidate runpack's documents: the kept records in their original order (manifest as given). */
export function candidateRunpack(runpack: Runpack, kept: KeptIndices): Runpack {
  return {
    manifest: runpack.manifest,
    run: { ...runpack.run, timeline: kept.events.map((i) => runpack.run.timeline[i]!) },
    intents: kept.intents.map((i) => runpack.intents[i]!),
    results: kept.results.map((i) => runpack.results[i]!),
    refs: { ...runpack.refs, receipts: kept.receipts.map((i) => runpack.refs.receipts[i]!) },
  };
}

/**
 * The record input (as `gait run record` reads it) for the kept records, from the documents as
 * stored (unknown members and timeline relationships kept): what the reduced runpack is built from.
 */
export function candidateRecordInput(
  loaded: Pick<LoadedRunpack, "documents" | "runpack">,
  kept: KeptIndices,
  runId: string,
): JsonObject {
  const { documents } = loaded;
  const timeline = Array.isArray(documents.run.timeline) ? documents.run.timeline : [];
  const receipts = Array.isArray(documents.refs.receipts) ? documents.refs.receipts : [];
  const { context_ref_count: _count, ...refs } = documents.refs;
  return {
    run: { ...documents.run, run_id: runId, timeline: kept.events.map((i) => timeline[i]!) },
    intents: kept.intents.map((i) => documents.intents[i]!),
    results: kept.results.map((i) => documents.results[i]!),
    // The count is the reduced run's receipt count, recomputed by the recorder.
    refs: { ...refs, receipts: kept.receipts.map((i) => receipts[i]!) },
    capture_mode: loaded.runpack.manifest.capture_mode,
  };
}
