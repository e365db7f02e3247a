/**
 * `gait run view`: a runpack as one self-contained HTML page that works offline. The page shows
 * the run's timeline (each intent, the gate's verdict when its result carries one, the result's
 * status, the references it relied on, times and durations), the run's identity and a badge that
 * says whether the runpack verified and with which key. A view is not evidence: it is derived
 * from the runpack and may be regenerated (and overwritten) at will.
 *
 * The pure core is buildRunView (runpack + verification → model) and renderRunView (model →
 * HTML); viewRunpack reads, verifies and writes at the edge.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { writeFileAtomic } from "../contract/files.ts";
import { showPath } from "../contract/paths.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { formatGoDuration, Timestamp } from "../contract/time.ts";
import { loadRunpackEntries } from "./archive.ts";
import { invalidInput } from "./error-codes.ts";
import {
  definitionList,
  digestCode,
  html,
  htmlPage,
  pill,
  prettyJson,
  type SafeHtml,
  statusTone,
  type Tone,
  verdictTone,
} from "./html.ts";
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { parseRunpackEntries } from "./read.ts";
import type { Receipt, ResultRecord, Runpack, TimelineEvent } from "./types.ts";
import { type RunpackVerification, type SignatureStatus, verifyRunpackEntries } from "./verify.ts";

// ---------------------------------------------------------------------------------------------
// the model

/** A raw-capture payload (args or result): any JSON object. */
type Payload = Record<string, unknown>;

/** What the badge says: whether the runpack verified, and how far (signature, key). */
export interface ViewVerification {
  verified: boolean;
  signature_status: SignatureStatus;
  /** Key id (sha256 of the public key) the signatures were checked with, when a key was given. */
  key_id?: string;
  /** How the key was given, e.g. `--public-key keys/gait_public.key`. */
  key_source?: string;
  /** One sentence for the badge. */
  note: string;
  problems: string[];
}

export interface ViewReceipt {
  ref_id: string;
  source_type: string;
  source_locator: string;
  retrieved_at: string;
  redaction_mode: string;
}

export interface ViewStep {
  index: number;
  intent_id: string;
  tool_name: string;
  intent_at: string;
  args_digest: string;
  /** Raw capture only. */
  args?: Payload;
  /** The gate's verdict, when the result records a decision (a refused call records one). */
  verdict?: string;
  reason_codes: string[];
  /** The result's status, or `missing`. */
  status: string;
  result_at?: string;
  result_digest?: string;
  /** Raw capture only. */
  result?: Payload;
  /** From the run's start to the intent (Go duration), when both times are known. */
  offset?: string;
  /** From the intent to its result (Go duration), when both are recorded and in order. */
  duration?: string;
  /** Receipts tied to this intent (`trace_<intent_id>`). */
  refs: ViewReceipt[];
  /** Timeline events whose `ref` is this intent. */
  events: Array<{ event: string; ts: string }>;
}

export interface RunView {
  run_id: string;
  manifest_digest: string;
  capture_mode: string;
  created_at: string;
  producer_version: string;
  environment: string;
  /** The runpack's path as the user would type it. */
  source: string;
  verification: ViewVerification;
  steps: ViewStep[];
  /** Results that match no intent. */
  unmatched_results: ResultRecord[];
  /** Receipts not tied to one intent. */
  other_refs: ViewReceipt[];
  timeline: TimelineEvent[];
  context_set_digest?: string;
  intents_total: number;
  results_total: number;
}

/** Pure: the view model of a parsed runpack and its verification report. */
export function buildRunView(
  runpack: Runpack,
  verification: RunpackVerification,
  options: { source: string; keyId?: string; keySource?: string },
): RunView {
  const results = new Map<string, ResultRecord>();
  for (const result of runpack.results)
    if (!results.has(result.intent_id)) results.set(result.intent_id, result);
  const intentIds = new Set(runpack.intents.map((intent) => intent.intent_id));
  const receipts = runpack.refs.receipts.map(viewReceipt);
  const tracedIds = new Set(runpack.intents.map((intent) => `trace_${intent.intent_id}`));
  const runStart = parseTime(runpack.run.created_at);
  const steps = runpack.intents.map((intent, index): ViewStep => {
    const result = results.get(intent.intent_id);
    const decision = decisionOf(result?.result);
    const intentAt = parseTime(intent.created_at);
    const resultAt = result ? parseTime(result.created_at) : undefined;
    return {
      index: index + 1,
      intent_id: intent.intent_id,
      tool_name: intent.tool_name,
      intent_at: intent.created_at,
      args_digest: intent.args_digest,
      ...(intent.args ? { args: intent.args } : {}),
      ...(decision.verdict ? { verdict: decision.verdict } : {}),
      reason_codes: decision.reasonCodes,
      status: result?.status ?? "missing",
      ...(result ? { result_at: result.created_at, result_digest: result.result_digest } : {}),
      ...(result?.result ? { result: result.result } : {}),
      ...optionalDuration("offset", runStart, intentAt),
      ...optionalDuration("duration", intentAt, resultAt),
      refs: receipts.filter((r) => r.ref_id === `trace_${intent.intent_id}`),
      events: runpack.run.timeline
        .filter((e) => e.ref === intent.intent_id)
        .map((e) => ({ event: e.event, ts: e.ts })),
    };
  });
  return {
    run_id: runpack.run.run_id,
    manifest_digest: runpack.manifest.manifest_digest,
    capture_mode: runpack.manifest.capture_mode,
    created_at: runpack.run.created_at,
    producer_version: runpack.run.producer_version,
    environment: [runpack.run.env.os, runpack.run.env.arch, runpack.run.env.runtime]
      .filter((v) => v !== "")
      .join(" / "),
    source: options.source,
    verification: describeVerification(verification, options.keyId, options.keySource),
    steps,
    unmatched_results: runpack.results.filter((r) => !intentIds.has(r.intent_id)),
    other_refs: receipts.filter((r) => !tracedIds.has(r.ref_id)),
    timeline: runpack.run.timeline,
    ...(runpack.refs.context_set_digest ? { context_set_digest: runpack.refs.context_set_digest } : {}),
    intents_total: runpack.intents.length,
    results_total: runpack.results.length,
  };
}

function viewReceipt(r: Receipt): ViewReceipt {
  return {
    ref_id: r.ref_id,
    source_type: r.source_type,
    source_locator: r.source_locator,
    retrieved_at: r.retrieved_at,
    redaction_mode: r.redaction_mode,
  };
}

/** A recorded gate decision (a guarded tool's refusal records the decision JSON as its result). */
function decisionOf(result: Payload | undefined): { verdict?: string; reasonCodes: string[] } {
  if (!result || typeof result.verdict !== "string" || result.verdict === "") return { reasonCodes: [] };
  const codes = Array.isArray(result.reason_codes)
    ? result.reason_codes.filter((c): c is string => typeof c === "string")
    : [];
  return { verdict: result.verdict, reasonCodes: codes };
}

function parseTime(text: string): Timestamp | undefined {
  try {
    return Timestamp.parse(text);
  } catch {
    return undefined;
  }
}

function optionalDuration(
  key: "offset" | "duration",
  from: Timestamp | undefined,
  to: Timestamp | undefined,
): Record<string, string> {
  if (!from || !to || to.compare(from) < 0) return {};
  return { [key]: formatGoDuration(to.totalNanos() - from.totalNanos()) };
}

/**
 * `verified` is the verifier's verdict: every file hash and the manifest digest check out, and
 * no signature failed (an unsigned runpack, or a signed one without a key, still verifies, and
 * the note says how far).
 */
function describeVerification(
  v: RunpackVerification,
  keyId: string | undefined,
  keySource: string | undefined,
): ViewVerification {
  const problems = [
    ...v.missing_files.map((f) => `missing file ${f}`),
    ...v.hash_mismatches.map((m) => `hash mismatch on ${m.path}`),
    ...v.undeclared_files.map((f) => `undeclared file ${f}`),
    ...(v.signature_status === "failed" ? v.signature_errors : []),
  ];
  const via = keySource ? ` (${keySource})` : "";
  const notes: Record<SignatureStatus, string> = {
    verified: `file hashes, manifest digest and signature verified with key ${keyId}${via}`,
    missing: "file hashes and manifest digest verified; the runpack is unsigned",
    skipped:
      "file hashes and manifest digest verified; the runpack is signed but its signature was not checked (no public key given)",
    failed: `no signature verified with key ${keyId}${via}`,
  };
  return {
    verified: v.ok,
    signature_status: v.signature_status,
    ...(keyId ? { key_id: keyId } : {}),
    ...(keySource ? { key_source: keySource } : {}),
    note: v.ok || v.signature_status === "failed" ? notes[v.signature_status] : problems.join("; "),
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// the page

export function verificationBadge(v: ViewVerification): SafeHtml {
  const [label, tone]: [string, Tone] = !v.verified
    ? ["unverified", "bad"]
    : v.signature_status === "verified"
      ? ["verified · signed", "good"]
      : v.signature_status === "skipped"
        ? ["verified · signature not checked", "warn"]
        : ["verified · unsigned", "good"];
  return html`<span class="badge ${tone}" data-verified="${String(v.verified)}">${label}</span>`;
}

/** Pure: the whole HTML document for a run view. The same view gives the same bytes. */
export function renderRunView(view: RunView): string {
  const v = view.verification;
  const header = html`<header>
<h1>Run <span class="mono">${view.run_id}</span> ${verificationBadge(v)}</h1>
<p class="badge-note ${v.verified ? "muted" : "bad"}">${v.note}</p>
${definitionList([
  ["run id", html`<code>${view.run_id}</code>`],
  ["manifest digest", html`<code>sha256:${view.manifest_digest}</code>`],
  ["capture mode", captureModeText(view.capture_mode)],
  ["created at", view.created_at],
  ["producer", view.producer_version],
  ["environment", view.environment],
  ["signature", signatureText(v)],
  ...(view.context_set_digest
    ? [["context set", html`<code>sha256:${view.context_set_digest}</code>`] as const]
    : []),
  ["contents", `${view.intents_total} intent(s), ${view.results_total} result(s)`],
  ["runpack", html`<code>${view.source}</code>`],
])}
</header>`;
  const timeline = html`<section>
<h2>Timeline</h2>
${
  view.steps.length === 0
    ? html`<p class="muted">This run recorded no intents.</p>`
    : html`<ol class="steps">${view.steps.map(renderStep)}</ol>`
}
</section>`;
  const unmatched =
    view.unmatched_results.length === 0
      ? html``
      : html`<section><h2>Results without an intent</h2><ol class="steps">${view.unmatched_results.map(
          (r) => html`<li class="step tone-${statusTone(r.status)}"><div class="step-head">
<span class="tool mono">${r.intent_id}</span>${pill(r.status, statusTone(r.status))}
<span class="muted">${r.created_at}</span></div>
<div class="step-digests">result ${digestCode(r.result_digest)}</div>
${r.result ? jsonDetails("result", r.result) : html``}</li>`,
        )}</ol></section>`;
  const refs =
    view.other_refs.length === 0
      ? html``
      : html`<section><h2>References</h2><table><thead><tr><th>ref</th><th>source</th><th>locator</th><th>retrieved at</th><th>redaction</th></tr></thead><tbody>${view.other_refs.map(
          (r) =>
            html`<tr><td><code>${r.ref_id}</code></td><td>${r.source_type}</td><td><code>${r.source_locator}</code></td><td>${r.retrieved_at}</td><td>${r.redaction_mode}</td></tr>`,
        )}</tbody></table></section>`;
  const events =
    view.timeline.length === 0
      ? html``
      : html`<section><h2>Run events</h2><table><thead><tr><th>time</th><th>event</th><th>ref</th></tr></thead><tbody>${view.timeline.map(
          (e) =>
            html`<tr><td>${e.ts}</td><td>${e.event}</td><td>${e.ref ? html`<code>${e.ref}</code>` : html`<span class="muted">-</span>`}</td></tr>`,
        )}</tbody></table></section>`;
  const footer = html`<footer>Generated by <code>gait run view</code> from the runpack above. This page is a view,
not evidence: check the runpack itself with <code>gait verify ${view.run_id}</code>. It needs no network and runs no script.</footer>`;
  return htmlPage(
    `gait run view: ${view.run_id}`,
    html`${header}${timeline}${unmatched}${refs}${events}${footer}`,
  );
}

function captureModeText(mode: string): SafeHtml {
  return mode === "raw"
    ? html`raw ${pill("sensitive", "warn", "raw capture keeps the tool arguments and results")}`
    : html`reference <span class="muted">(digests only: arguments and results were not kept)</span>`;
}

function signatureText(v: ViewVerification): SafeHtml {
  const key = v.key_id ? html` with key <code title="${v.key_id}">${v.key_id.slice(0, 16)}…</code>` : html``;
  const via = v.key_source ? html` <span class="muted">(${v.key_source})</span>` : html``;
  switch (v.signature_status) {
    case "verified":
      return html`${pill("verified", "good")}${key}${via}`;
    case "failed":
      return html`${pill("failed", "bad")}${key}${via}`;
    case "skipped":
      return html`${pill("not checked", "warn")} <span class="muted">signed; pass --public-key to check it</span>`;
    case "missing":
      return html`${pill("unsigned", "neutral")}`;
  }
}

function stepTone(step: ViewStep): Tone {
  if (step.verdict !== undefined && step.verdict !== "allow") return verdictTone(step.verdict);
  return statusTone(step.status);
}

function renderStep(step: ViewStep): SafeHtml {
  const verdict =
    step.verdict === undefined
      ? html``
      : html`${pill(step.verdict, verdictTone(step.verdict), "the gate's verdict")}<span class="arrow">→</span>`;
  const times = [
    `intent ${step.intent_at}`,
    ...(step.offset !== undefined ? [`+${step.offset} into the run`] : []),
    ...(step.result_at !== undefined ? [`result ${step.result_at}`] : []),
    ...(step.duration !== undefined ? [`took ${step.duration}`] : []),
  ].join(" · ");
  const refs =
    step.refs.length === 0 && step.events.length === 0
      ? html``
      : html`<div class="step-refs">refs: ${step.refs.map(
          (r) => html`<code>${r.ref_id}</code> (${r.source_type}, <code>${r.source_locator}</code>) `,
        )}${step.events.map((e) => html`<span>event ${e.event} at ${e.ts}</span> `)}</div>`;
  return html`<li class="step tone-${stepTone(step)}">
<div class="step-head"><span class="step-index">#${step.index}</span><span class="tool">${step.tool_name}</span>
<code class="muted">${step.intent_id}</code><span class="arrow">→</span>${verdict}${pill(step.status, statusTone(step.status), "result status")}
${step.reason_codes.length > 0 ? html`<span class="muted">${step.reason_codes.join(", ")}</span>` : html``}</div>
<div class="step-times">${times}</div>
<div class="step-digests">args ${digestCode(step.args_digest)} · result ${digestCode(step.result_digest)}</div>
${refs}${
  step.args || step.result
    ? html`<div class="payloads"><div>${step.args ? jsonDetails("args", step.args) : html``}</div><div>${step.result ? jsonDetails("result", step.result) : html``}</div></div>`
    : html``
}</li>`;
}

/** A payload under a disclosure, open when it is short enough to read at a glance. */
function jsonDetails(label: string, value: Payload): SafeHtml {
  const text = prettyJson(value);
  return text.length <= OPEN_PAYLOAD_CHARS
    ? html`<details open><summary>${label}</summary><pre>${text}</pre></details>`
    : html`<details><summary>${label}</summary><pre>${text}</pre></details>`;
}

const OPEN_PAYLOAD_CHARS = 240;

// ---------------------------------------------------------------------------------------------
// the edge: read, verify, write

export interface ViewRequest extends ResolveContext {
  /** `<run_id|path>` of the runpack. */
  ref: string;
  /** Where the page goes (relative to cwd); default ./gait-out/view_<run_id>.html. */
  out?: string;
  /** Key to check the signatures with; without one a signed runpack's signature is not checked. */
  verifyKey?: VerifyKey;
  /** A key found rather than given (the project's dev key): used only if a signature names it. */
  defaultKey?: VerifyKey;
  /** How the key was given or found, shown next to its id. */
  keySource?: string;
}

export interface ViewOutcome {
  /** Absolute path of the page. */
  path: string;
  runpackPath: string;
  /** True when a file was already there (a view is regenerated in place). */
  replaced: boolean;
  view: RunView;
}

export function defaultViewPath(cwd: string, runId: string): string {
  return resolve(cwd, "gait-out", `view_${runId}.html`);
}

/**
 * Reads and verifies the runpack, renders its page and writes it atomically. A runpack whose
 * files do not match its manifest is refused (its content cannot be attributed to the run); one
 * whose signature fails with the given key is rendered with an `unverified` badge.
 */
export async function viewRunpack(request: ViewRequest): Promise<ViewOutcome> {
  const runpackPath = resolveRunpackPath(request.ref, request);
  const entries = await loadRunpackEntries(runpackPath);
  const verification = verifyRunpackEntries(entries, {
    ...(request.verifyKey ? { verifyKey: request.verifyKey } : {}),
    ...(request.defaultKey ? { defaultKey: request.defaultKey } : {}),
  });
  // The key the signatures were checked with: the given one, else the found one if it was used.
  const checkedWith =
    request.verifyKey ??
    (verification.signature_status === "verified" || verification.signature_status === "failed"
      ? request.defaultKey
      : undefined);
  // Parsed without the key: the hashes must hold; the signature's outcome is the badge's business.
  const { runpack } = parseRunpackEntries(entries);
  const path = request.out
    ? resolve(request.cwd, request.out)
    : defaultViewPath(request.cwd, runpack.run.run_id);
  assertPageTarget(path, [runpackPath], request.cwd);
  const view = buildRunView(runpack, verification, {
    source: showPath(request.cwd, runpackPath),
    ...(checkedWith ? { keyId: checkedWith.keyId } : {}),
    ...(checkedWith && request.keySource ? { keySource: request.keySource } : {}),
  });
  const replaced = existsSync(path);
  await writeFileAtomic(path, renderRunView(view));
  return { path, runpackPath, replaced, view };
}

/**
 * A page is HTML and replaces only what a page may replace: it must end in .html or .htm (so a
 * slip of `--out` cannot put it over a runpack, a key or a trace), must not be an input, and
 * must not be a directory.
 */
export function assertPageTarget(path: string, inputs: readonly string[], cwd: string): void {
  const shown = showPath(cwd, path);
  if (inputs.some((input) => resolve(input) === path)) {
    throw invalidInput("view_output_is_input", `refusing to write the page over its runpack ${shown}`, {
      hint: "choose another --out path, e.g. ./gait-out/view.html",
    });
  }
  if (!/\.html?$/i.test(path)) {
    throw invalidInput("view_output_not_html", `the page path must end in .html or .htm: ${shown}`, {
      hint: "e.g. --out ./gait-out/run.html",
    });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw invalidInput("view_output_is_directory", `the page path is a directory: ${shown}`, {
      hint: "give a file name, e.g. --out ./gait-out/run.html",
    });
  }
}
