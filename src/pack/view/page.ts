/**
 * The HTML document of `gait pack view`: one self-contained file (inline CSS and script, no
 * network, no external script or font) that verifies a pack in the reader's browser. The pack
 * travels inside the page as base64 (a data block the browser never runs), and the reader can
 * choose or drop another pack file to check it the same way, without Gait.
 *
 * The page's script is the verifier (verifier.ts) and the page behaviour (ui.ts), serialized
 * from the functions the tests run in Node. Its Content-Security-Policy allows that one script
 * by hash and nothing else: no other script, no request of any kind (connect-src 'none'), no
 * frames, images, fonts, forms or workers, and Trusted Types so no string can become markup.
 * Pure: the same input gives the same bytes.
 */
import { createHash } from "node:crypto";
import { html, htmlPage, SafeHtml } from "../../runpack/index.ts";
import { PAGE_IDS, startPackViewPage } from "./ui.ts";
import { createPackVerifier } from "./verifier.ts";

/**
 * esbuild's keepNames (tsx uses it; a bundle may) makes functions call a `__name` helper that
 * lives outside them; in the page it only needs to hand the function back.
 */
const NAME_HELPER = "var __name = function (target) { return target; };";

/** An expression that evaluates to the verifier, given only the web globals (for the tests too). */
export function verifierScript(): string {
  return `(function () {\n"use strict";\n${NAME_HELPER}\nreturn (${createPackVerifier.toString()})();\n})()`;
}

/** The page's one script: the verifier handed to the page behaviour. */
export function pageScript(): string {
  return `"use strict";\n(function () {\n${NAME_HELPER}\n(${startPackViewPage.toString()})((${createPackVerifier.toString()})());\n})();\n`;
}

function scriptHash(script: string): string {
  return `'sha256-${createHash("sha256").update(script, "utf8").digest("base64")}'`;
}

export function packViewPolicy(script: string): string {
  return [
    "default-src 'none'",
    `script-src ${scriptHash(script)}`,
    "style-src 'unsafe-inline'",
    "img-src 'none'",
    "font-src 'none'",
    "media-src 'none'",
    "connect-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

export interface PackViewPageInput {
  /** The pack to embed; without one the page waits for the reader to choose a file. */
  zip?: Uint8Array;
  /** The pack's file name, shown on the page. */
  name?: string;
  /** Standard base64 of a 32-byte Ed25519 public key, put in the key field. */
  publicKey?: string;
}

const STYLE = `
.verdict { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin: 10px 0 14px; padding: 12px 16px; border-radius: 8px; border: 1px solid currentColor; }
.verdict-label { font-size: 20px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; }
.verdict-detail { color: var(--fg); overflow-wrap: anywhere; }
.controls { display: flex; gap: 10px 18px; flex-wrap: wrap; align-items: center; padding: 10px 16px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
.controls label { display: flex; gap: 8px; align-items: center; }
.controls input[type=text] { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; padding: 3px 6px; min-width: 28em; }
.summary { margin: 14px 0 22px; }
.summary h3 { font-size: 14px; margin: 0 0 6px; }
table.facts td:first-child { width: 28%; }
ul.problems li { color: var(--bad); }
`;

/** Pure: the whole page for a pack (or an empty verifier page). */
export function renderPackViewPage(input: PackViewPageInput = {}): string {
  const script = pageScript();
  if (/<\/script|<!--/i.test(script)) throw new Error("the page script would end its own element");
  const name = input.name ?? "";
  const embedded = input.zip
    ? Buffer.from(input.zip.buffer, input.zip.byteOffset, input.zip.byteLength)
    : undefined;
  const body = html`<header>
<h1>Gait pack <span id="${PAGE_IDS.packName}" class="mono">${name}</span></h1>
<div id="${PAGE_IDS.verdict}" class="verdict neutral" data-status="not-checked" role="status" aria-live="polite"><span id="${PAGE_IDS.verdictLabel}" class="verdict-label">not checked</span> <span id="${PAGE_IDS.verdictDetail}" class="verdict-detail">this page checks the pack with a script of its own; it has not run</span></div>
<noscript><p class="bad">Scripts are off for this page, so nothing was checked: the page verifies the pack with its own inline script and needs nothing else.</p></noscript>
</header>
<section class="controls" aria-label="choose what to check">
<label>Pack file <input type="file" id="${PAGE_IDS.fileInput}" accept=".zip,application/zip"></label>
<span class="muted">or drop a pack zip anywhere on this page</span>
<label>Public key <input type="text" id="${PAGE_IDS.keyInput}" value="${input.publicKey ?? ""}" placeholder="base64 of the signer's 32-byte Ed25519 public key" spellcheck="false" autocomplete="off"></label>
<button type="button" id="${PAGE_IDS.recheck}">Check again</button>
</section>
<div id="${PAGE_IDS.report}"></div>
<footer>Generated by <code>gait pack view</code>. This page checks the pack itself, in your browser: it reads the zip as
Gait's verifier does, recomputes every file's SHA-256 and the pack id, and checks the Ed25519 signature with the browser's
WebCrypto. It makes no network request (its Content-Security-Policy forbids them) and needs nothing but this file. A page is
only as trustworthy as where it came from: to check a pack someone sent you, open a page you made or trust and choose the
pack file, and compare the signing key with the one you expect.</footer>
<script type="application/octet-stream" id="${PAGE_IDS.embedded}" data-name="${name}">${embedded ? embedded.toString("base64") : ""}</script>
<script>${new SafeHtml(script)}</script>`;
  return htmlPage(name ? `gait pack view: ${name}` : "gait pack view", body, {
    contentSecurityPolicy: packViewPolicy(script),
    style: STYLE,
  });
}
