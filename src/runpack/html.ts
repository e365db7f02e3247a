/**
 * The HTML pages of `gait run view` and `gait run diff --html`: one self-contained document each
 * (inline CSS, no script, no network, no external fonts) under a Content-Security-Policy that
 * forbids everything but inline styles. Runpack content is untrusted, so markup is only ever
 * built through the `html` tag below, which escapes every interpolated value unless it is
 * already escaped markup (`SafeHtml`): there is no way to splice raw data into a page by accident.
 */
import { canonicalize } from "../contract/canonical.ts";

/** Markup that is safe to insert as is: built by `html`, never from data. */
export class SafeHtml {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** Interpolatable values: markup, text (escaped), lists of either; nothing for null/undefined/false. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

/** Tagged template: the literal parts are markup, every `${value}` is escaped text (or SafeHtml). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? "");
  });
  return new SafeHtml(out);
}

function renderValue(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(renderValue).join("");
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(String(value));
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text as HTML text or attribute value (always quoted in our markup). Control characters and
 * bidirectional overrides, which could hide or reorder what a reader sees, are shown as `\uXXXX`.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
    .replace(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

/** A JSON value pretty-printed in keys' byte order (canonical order), for a `<pre>` block. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(JSON.parse(canonicalize(value)), null, 2);
}

/** A JSON value on one line, for table cells; long values are cut with an ellipsis. */
export function compactJson(value: unknown, max = 400): string {
  const text = canonicalize(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The first 12 hex of a digest, with the whole digest as a tooltip. */
export function digestCode(digest: string | undefined): SafeHtml {
  if (!digest) return html`<span class="muted">-</span>`;
  return html`<code class="digest" title="sha256:${digest}">${digest.slice(0, 12)}…</code>`;
}

/** The tone of a status, verdict or badge: a class from this fixed list, never from data. */
export type Tone = "good" | "bad" | "warn" | "info" | "neutral";

const VERDICT_TONES: Record<string, Tone> = {
  allow: "good",
  block: "bad",
  require_approval: "warn",
  dry_run: "info",
};
const STATUS_TONES: Record<string, Tone> = { ok: "good", error: "bad", missing: "neutral" };

export function verdictTone(verdict: string): Tone {
  return Object.hasOwn(VERDICT_TONES, verdict) ? VERDICT_TONES[verdict]! : "neutral";
}

export function statusTone(status: string): Tone {
  return Object.hasOwn(STATUS_TONES, status) ? STATUS_TONES[status]! : "neutral";
}

export function pill(text: string, tone: Tone, title?: string): SafeHtml {
  return title === undefined
    ? html`<span class="pill ${tone}">${text}</span>`
    : html`<span class="pill ${tone}" title="${title}">${text}</span>`;
}

/** A `<dl>` of label/value pairs; values may be markup. */
export function definitionList(rows: ReadonlyArray<readonly [string, HtmlValue]>): SafeHtml {
  return html`<dl class="meta">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

/** Strictest policy that still lets the inline stylesheet apply: no script, image, font or fetch. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --good: #1a7f37; --good-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
  --info: #0969da; --info-bg: #ddf4ff; --neutral: #57606a; --neutral-bg: #eaeef2; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h1 .mono { font-size: 20px; }
h2 { font-size: 16px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
header .lede { color: var(--muted); margin: 0 0 12px; }
.badge { font-size: 13px; font-weight: 600; padding: 3px 10px; border-radius: 999px; border: 1px solid currentColor; }
.badge-note { margin: 6px 0 14px; }
.pill { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px; white-space: nowrap; }
.good { color: var(--good); background: var(--good-bg); }
.bad { color: var(--bad); background: var(--bad-bg); }
.warn { color: var(--warn); background: var(--warn-bg); }
.info { color: var(--info); background: var(--info-bg); }
.neutral { color: var(--neutral); background: var(--neutral-bg); }
.muted { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; padding: 12px 16px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
ol.steps { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
.step { border: 1px solid var(--line); border-left-width: 5px; border-radius: 8px; padding: 10px 14px; background: var(--bg); }
.step.tone-good { border-left-color: var(--good); }
.step.tone-bad { border-left-color: var(--bad); }
.step.tone-warn { border-left-color: var(--warn); }
.step.tone-info { border-left-color: var(--info); }
.step.tone-neutral { border-left-color: var(--neutral); }
.step-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.step-index { color: var(--muted); font-variant-numeric: tabular-nums; min-width: 2.5em; }
.tool { font-weight: 600; overflow-wrap: anywhere; }
.arrow { color: var(--muted); }
.step-times, .step-digests, .step-refs { color: var(--muted); font-size: 12.5px; margin-top: 4px; overflow-wrap: anywhere; }
.step-digests code { color: var(--fg); }
details { margin-top: 6px; }
.payloads { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 12px; }
summary { cursor: pointer; color: var(--info); font-size: 12.5px; }
pre { margin: 6px 0 0; padding: 8px 10px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 420px; overflow: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: 6px 8px; overflow-wrap: anywhere; }
th { background: var(--panel); font-weight: 600; }
td pre { margin: 0; max-height: 240px; }
tr.row-changed td { background: #fffbe6; }
tr.row-added td { background: #f0fff4; }
tr.row-removed td { background: #fff5f5; }
.side-by-side td.half, table.changes td.half { width: 37%; }
table.changes td:first-child { width: 20%; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print { body { padding: 0; } details { display: block; } }
`;

export interface PageOptions {
  /** A policy instead of CONTENT_SECURITY_POLICY (e.g. one that allows the page's own script by hash). */
  contentSecurityPolicy?: string;
  /** CSS added after the shared stylesheet. */
  style?: string;
}

/** A whole document: CSP first in <head>, then the stylesheet, the title and the body. */
export function htmlPage(title: string, body: SafeHtml, options: PageOptions = {}): string {
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${options.contentSecurityPolicy ?? CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gait">
<title>${title}</title>
<style>${new SafeHtml(STYLE + (options.style ?? ""))}</style>
</head>
<body>
${body}
</body>
</html>
`;
  return page.text;
}
