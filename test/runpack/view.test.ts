/**
 * `gait run view` and `run diff --html` without a browser: what the page says, that every piece
 * of runpack content is escaped, the page's security policy, and where (and over what) it may be
 * written. test/runpack/view-browser.test.ts renders the same pages in headless Chromium.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isGaitError } from "../../src/contract/errors.ts";
import {
  encodePrivateKey,
  generateSigningKey,
  type SigningKey,
  signJson,
  verifyKeyFor,
} from "../../src/contract/signing.ts";
import { fixedClock } from "../../src/contract/time.ts";
import {
  buildRunView,
  diffRunpackRefs,
  parseRunpackEntries,
  recordRunpack,
  renderRunView,
  verifyRunpackEntries,
  viewRunpack,
} from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { build, hostless } from "./fixtures.ts";
import { HOSTILE_ARG, HOSTILE_TOOL, viewInput } from "./view-input.ts";

const clock = fixedClock("2026-02-05T10:00:00Z");

const signedBy = (key: SigningKey) => ({
  captureMode: "raw" as const,
  sign: (signable: unknown) => signJson(key, signable),
});

function parsed(input: unknown, captureMode: "raw" | "reference" = "raw") {
  return parseRunpackEntries(build(input, { captureMode }).entries);
}

function page(input: unknown = viewInput(), captureMode: "raw" | "reference" = "raw"): string {
  const { runpack, verification } = parsed(input, captureMode);
  return renderRunView(buildRunView(runpack, verification, { source: "./gait-out/runpack_run_view_42.zip" }));
}

/** The page's text with tags removed and the five entities decoded, as a reader sees it. */
function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isGaitError(error), String(error));
    assert.equal(error.code, code);
    return true;
  });
}

describe("run view: the page", () => {
  it("shows the run's identity, each intent with its verdict, status, times and refs", () => {
    const { runpack, verification } = parsed(viewInput());
    const view = buildRunView(runpack, verification, { source: "x.zip" });
    assert.equal(view.run_id, "run_view_42");
    assert.equal(view.capture_mode, "raw");
    assert.deepEqual(
      view.steps.map((s) => [s.intent_id, s.verdict ?? "-", s.status]),
      [
        ["call_0001", "-", "ok"],
        ["call_0002", "require_approval", "error"],
        ["call_0003", "block", "error"],
        ["call_0004", "block", "error"],
        ["call_0005", "-", "missing"],
      ],
    );
    assert.equal(view.steps[0]!.duration, "420ms");
    assert.equal(view.steps[0]!.offset, "1s");
    assert.equal(view.steps[1]!.duration, "10ms");
    assert.equal(view.steps[1]!.offset, "3.25s");
    assert.deepEqual(
      view.steps[0]!.refs.map((r) => r.ref_id),
      ["trace_call_0001"],
    );
    assert.deepEqual(view.steps[0]!.events, [{ event: "tool_call", ts: "2026-02-05T10:00:01Z" }]);
    assert.deepEqual(
      view.other_refs.map((r) => r.ref_id),
      ["kb_pricing"],
    );
    assert.deepEqual(view.steps[3]!.reason_codes, ["destructive_fs"]);
    assert.equal(view.verification.verified, true);
    assert.equal(view.verification.signature_status, "missing");

    const text = visibleText(page());
    for (const expected of [
      "run_view_42",
      `sha256:${runpack.manifest.manifest_digest}`,
      "require_approval",
      "block",
      "missing",
      "took 420ms",
      "+3.25s into the run",
      "trace_call_0001",
      "verified · unsigned",
      "https://shop.example/cart/42",
    ]) {
      assert.ok(text.includes(expected), `page shows ${expected}`);
    }
  });

  it("escapes every piece of runpack content: no markup from the runpack reaches the page", () => {
    const html = page();
    // Escaped text holds no "<", so every tag in the page is gait's own markup.
    const tags = html.match(/<[^>]*>/g) ?? [];
    const names = new Set(tags.map((tag) => /^<\/?([a-z0-9!]+)/i.exec(tag)?.[1]?.toLowerCase()));
    for (const name of ["script", "img", "a", "b", "iframe", "object", "link"]) {
      assert.ok(!names.has(name), `no <${name}> element`);
    }
    for (const tag of tags) {
      assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, "no event handler attribute");
      assert.doesNotMatch(
        tag,
        /\s(?:src|href|action|srcset|style)\s*=/i,
        "nothing that loads, links or styles",
      );
    }
    const text = visibleText(html);
    assert.ok(text.includes(HOSTILE_TOOL), "the hostile tool name is shown as text");
    assert.ok(text.includes(JSON.stringify(HOSTILE_ARG).slice(1, -1)), "the hostile arg is shown as text");
    assert.ok(text.includes("<b onmouseover=alert(1)>bold</b>"));
  });

  it("shows control and bidirectional-override characters instead of obeying them", () => {
    const input = viewInput();
    (input.intents as Array<Record<string, unknown>>)[0]!.tool_name = "http.\u202efetch\u0007";
    const text = visibleText(page(input));
    assert.ok(text.includes("http.\\u202efetch\\u0007"));
    assert.ok(!text.includes("\u202e"));
  });

  it("carries a Content-Security-Policy that allows inline styles and nothing else, and no script", () => {
    const html = page();
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    assert.ok(csp, "CSP meta tag present");
    // The attribute is escaped like any other (' as &#39;); the browser reads it decoded.
    const directives = visibleText(csp[1]!)
      .split(";")
      .map((d) => d.trim());
    assert.ok(directives.includes("default-src 'none'"));
    assert.ok(directives.includes("style-src 'unsafe-inline'"));
    assert.ok(!csp[1]!.includes("script-src"));
    assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<title>"), "CSP comes first");
    assert.ok(!/@import|url\(/.test(html), "the stylesheet loads nothing");
  });

  it("shows no payloads for a reference capture, and the same runpack always gives the same bytes", () => {
    const html = page(viewInput(), "reference");
    assert.ok(!html.includes("shop.example/cart"));
    assert.ok(visibleText(html).includes("digests only"));
    // Verdicts come from result payloads, which reference capture does not keep.
    assert.ok(!visibleText(html).includes("require_approval"));
    assert.equal(page(), page());
  });

  it("says which key verified the signature, and marks a signature that fails as unverified", () => {
    const key = generateSigningKey();
    const other = generateSigningKey();
    const signed = parseRunpackEntries(build(viewInput(), signedBy(key)).entries);
    const good = parseRunpackEntries(build(viewInput(), signedBy(key)).entries, {
      verifyKey: verifyKeyFor(key),
    });
    const view = buildRunView(good.runpack, good.verification, {
      source: "x.zip",
      keyId: verifyKeyFor(key).keyId,
      keySource: "--public-key k.pub",
    });
    assert.equal(view.verification.verified, true);
    assert.match(
      view.verification.note,
      new RegExp(`verified with key ${verifyKeyFor(key).keyId} \\(--public-key k.pub\\)`),
    );
    assert.ok(visibleText(renderRunView(view)).includes("verified · signed"));

    const skipped = buildRunView(signed.runpack, signed.verification, { source: "x.zip" });
    assert.equal(skipped.verification.signature_status, "skipped");
    assert.ok(visibleText(renderRunView(skipped)).includes("signature not checked"));

    const failed = verifyRunpackEntries(build(viewInput(), signedBy(key)).entries, {
      verifyKey: verifyKeyFor(other),
    });
    const bad = buildRunView(signed.runpack, failed, { source: "x.zip", keyId: verifyKeyFor(other).keyId });
    assert.equal(bad.verification.verified, false);
    const text = visibleText(renderRunView(bad));
    assert.ok(text.includes("unverified"));
    assert.ok(text.includes(`no signature verified with key ${verifyKeyFor(other).keyId}`));
  });
});

describe("run view: writing the page", () => {
  const temp = tempDir("gait-view-");
  after(temp.cleanup);
  const env = { HOME: join(temp.dir, "home") };
  const key = generateSigningKey();
  const recorded = recordRunpack(viewInput(), {
    cwd: temp.dir,
    env: { ...env, VIEW_KEY: encodePrivateKey(key) },
    clock,
    environment: hostless,
    signing: { mode: "prod", privateKey: { env: "VIEW_KEY" } },
  });

  it("writes ./gait-out/view_<run_id>.html by default and replaces it on the next run", async () => {
    await recorded;
    const first = await viewRunpack({ ref: "run_view_42", cwd: temp.dir, env });
    assert.equal(first.path, join(temp.dir, "gait-out", "view_run_view_42.html"));
    assert.equal(first.replaced, false);
    assert.equal(first.view.verification.signature_status, "skipped");
    const second = await viewRunpack({
      ref: "run_view_42",
      cwd: temp.dir,
      env,
      verifyKey: verifyKeyFor(key),
    });
    assert.equal(second.replaced, true);
    assert.equal(second.view.verification.signature_status, "verified");
    assert.equal(second.view.verification.key_id, verifyKeyFor(key).keyId);
    assert.ok(readFileSync(second.path, "utf8").includes("verified · signed"));
  });

  it("renders a runpack whose signature fails with the given key, badged unverified", async () => {
    await recorded;
    const other = generateSigningKey();
    const outcome = await viewRunpack({
      ref: "run_view_42",
      cwd: temp.dir,
      env,
      out: "bad.html",
      verifyKey: verifyKeyFor(other),
    });
    assert.equal(outcome.view.verification.verified, false);
    assert.equal(outcome.view.verification.signature_status, "failed");
    assert.ok(readFileSync(join(temp.dir, "bad.html"), "utf8").includes(">unverified<"));
  });

  it("refuses a runpack whose files do not match its manifest", async () => {
    await recorded;
    const { entries } = build(viewInput(), { captureMode: "raw" });
    const tampered = entries.map((e) =>
      e.path === "intents.jsonl" ? { ...e, data: Buffer.from(e.data.toString().replace("42", "43")) } : e,
    );
    assert.throws(() => parseRunpackEntries(tampered), /failed verification/);
    const zipPath = join(temp.dir, "tampered.zip");
    const { writeZip } = await import("../../src/contract/zip.ts");
    writeFileSync(zipPath, await writeZip(tampered.map((e) => ({ path: e.path, data: e.data }))));
    await rejectsWith(viewRunpack({ ref: zipPath, cwd: temp.dir, env }), "runpack_verify_failed");
  });

  it("writes pages only to .html paths that are neither a runpack nor a directory", async () => {
    await recorded;
    const runpack = join("gait-out", "runpack_run_view_42.zip");
    const before = readFileSync(join(temp.dir, runpack));
    await rejectsWith(
      viewRunpack({ ref: runpack, cwd: temp.dir, env, out: runpack }),
      "view_output_is_input",
    );
    await rejectsWith(
      viewRunpack({ ref: "run_view_42", cwd: temp.dir, env, out: "gait-out/other.zip" }),
      "view_output_not_html",
    );
    mkdirSync(join(temp.dir, "dir.html"));
    await rejectsWith(
      viewRunpack({ ref: "run_view_42", cwd: temp.dir, env, out: "dir.html" }),
      "view_output_is_directory",
    );
    assert.deepEqual(readFileSync(join(temp.dir, runpack)), before, "the runpack is untouched");
  });

  it("run diff --html writes the diff page, with the changed fields and both values", async () => {
    await recorded;
    const other = viewInput("run_view_43");
    (other.intents as Array<Record<string, unknown>>)[0]!.args = { url: "https://shop.example/cart/43" };
    await recordRunpack(other, { cwd: temp.dir, env, clock, environment: hostless });
    const diff = await diffRunpackRefs({
      left: "run_view_42",
      right: "run_view_43",
      cwd: temp.dir,
      env,
      html: true,
    });
    assert.equal(diff.htmlPath, join(temp.dir, "gait-out", "diff_run_view_42_run_view_43.html"));
    const html = readFileSync(diff.htmlPath!, "utf8");
    assert.ok(!/<script/i.test(html));
    const text = visibleText(html);
    assert.ok(text.includes("intents[call_0001].args.url"));
    assert.ok(text.includes('"https://shop.example/cart/42"'));
    assert.ok(text.includes('"https://shop.example/cart/43"'));
    assert.ok(text.includes(HOSTILE_TOOL));
    await rejectsWith(
      diffRunpackRefs({ left: "run_view_42", right: "run_view_43", cwd: temp.dir, env, htmlOut: "d.json" }),
      "view_output_not_html",
    );
    // Metadata privacy: the page shows no payload values and no verdicts.
    const metadata = await diffRunpackRefs({
      left: "run_view_42",
      right: "run_view_43",
      cwd: temp.dir,
      env,
      privacy: "metadata",
      htmlOut: "meta.html",
    });
    const metaText = visibleText(readFileSync(metadata.htmlPath!, "utf8"));
    assert.ok(!metaText.includes("shop.example"));
    assert.ok(!metaText.includes("require_approval"));
    assert.ok(metaText.includes("args_digest"));
  });
});
