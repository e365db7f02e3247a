/**
 * The pack view page in a real browser (test/helpers/browser.ts: Debian's headless Chromium via
 * playwright-core, pages opened from file://): the page verifies the pack itself, with WebCrypto
 * SHA-256 and Ed25519 and DecompressionStream. A good signed pack reads "verified"; a modified
 * entry, an undeclared file or a wrong signature read "tampered" with the file named; a pack
 * chosen through the file input or dropped on the page is checked the same way; a browser
 * without Ed25519 says so plainly. Every page is checked to make no request but itself, to load
 * nothing external, to log nothing, and to refuse any script but its own.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { verifyKeyFor } from "../../src/contract/signing.ts";
import { readZip, writeZip } from "../../src/contract/zip.ts";
import { renderPackViewPage, viewPack } from "../../src/pack/view/index.ts";
import {
  assertScreenshot,
  browserOrSkip,
  launchBrowser,
  openPage,
  type PageLog,
} from "../helpers/browser.ts";
import { runGait, tempDir } from "../helpers/cli.ts";
import { buildGuardPack, buildPackSpec, OTHER_KEY, TEST_KEY } from "./view-fixtures.ts";

interface Verdict {
  status: string;
  label: string;
  detail: string;
}

/**
 * Polls `expression` until it is truthy. Not page.waitForFunction: that evaluates its predicate
 * with eval inside the page, which the page's policy (rightly) refuses.
 */
async function waitUntil(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits for the page's verdict to settle (it starts at "checking") and returns it. */
async function verdictOf(page: Page): Promise<Verdict> {
  await waitUntil(
    page,
    `(() => { const s = document.getElementById("verdict")?.getAttribute("data-status"); return s && s !== "checking" && s !== "not-checked"; })()`,
  );
  return (await page.evaluate(`({
    status: document.getElementById("verdict").getAttribute("data-status"),
    label: document.getElementById("verdict-label").textContent,
    detail: document.getElementById("verdict-detail").textContent,
  })`)) as Verdict;
}

/** Nothing fetched but the page, nothing external in it, nothing logged, no script but its own. */
async function assertSelfContained(page: Page, log: PageLog, file: string, html: string): Promise<void> {
  assert.deepEqual(log.requests, [pathToFileURL(file).href], "only the page itself was loaded");
  assert.deepEqual(log.errors, [], "no page error");
  assert.deepEqual(log.console, [], "nothing logged (a CSP violation would be)");
  assert.deepEqual(log.dialogs, []);
  const probe = await page.evaluate(`({
    scripts: [...document.scripts].map((s) => [s.type, s.src]),
    external: document.querySelectorAll("img, iframe, frame, object, embed, link, audio, video, source, a[href], form, [src], [href], [style]").length,
  })`);
  assert.deepEqual(probe, {
    scripts: [
      ["application/octet-stream", ""],
      ["", ""],
    ],
    external: 0,
  });
  assert.doesNotMatch(
    html,
    /\b(?:src|href)\s*=|url\(|@import|https?:\/\//i,
    "no reference to anything outside",
  );
}

describe("pack view in headless Chromium", () => {
  const temp = tempDir("gait-pack-view-browser-");
  const key = verifyKeyFor(TEST_KEY);
  let context: BrowserContext | undefined;
  const packs: Record<string, string> = {};

  before(async () => {
    context = await launchBrowser(temp.dir);
    if (!context) return;
    const built = {
      good: await buildPackSpec({ key: TEST_KEY }),
      modified: await buildPackSpec({
        key: TEST_KEY,
        zip: { "run_payload.json": '{"run_id":"run_forged"}' },
      }),
      undeclared: await buildPackSpec({ key: TEST_KEY, zip: { "extra/notes.txt": "slipped in" } }),
      otherKey: await buildPackSpec({ key: OTHER_KEY }),
      guard: await buildGuardPack({ key: TEST_KEY }),
    };
    for (const [name, pack] of Object.entries(built)) {
      packs[name] = join(temp.dir, `pack_${name}.zip`);
      writeFileSync(packs[name]!, pack.zip);
    }
  });

  after(async () => {
    await context?.close();
    temp.cleanup();
  });

  const browser = (t: TestContext) => browserOrSkip(t, context);

  /** `gait pack view`'s page for one of the packs above, opened; checks what the command said too. */
  async function viewed(ctx: BrowserContext, name: string, withKey = true) {
    const outcome = await viewPack({
      pack: packs[name]!,
      cwd: temp.dir,
      out: `view_${name}.html`,
      ...(withKey ? { verifyKey: key } : {}),
    });
    const { page, log } = await openPage(ctx, outcome.path);
    return { page, log, outcome };
  }

  it("shows a good signed pack as verified, with its contents, and stays self-contained", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const { page, log, outcome } = await viewed(ctx, "good");
    try {
      assert.equal(outcome.report.status, "verified");
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "verified", verdict.detail);
      assert.equal(verdict.label, "verified");
      assert.match(verdict.detail, new RegExp(`signature verified with key ${TEST_KEY.keyId}`));
      const rows = await page.locator("table.contents tbody tr").allInnerTexts();
      assert.equal(rows.length, 3);
      assert.ok(rows.some((r) => r.includes("run_payload.json") && r.includes("verified")));
      assert.ok(await page.getByText("run_view_pack").first().isVisible());
      // The run's counts, derived in the page from source/runpack.zip.
      const intents = page.locator("dl.meta dd", { hasText: "by tool" });
      assert.equal(await intents.textContent(), "3 (by tool: db.query: 1, http.fetch: 1, tool.search: 1)");
      assert.equal(await page.title(), "gait pack view: pack_good.zip");
      await assertSelfContained(page, log, outcome.path, readFileSync(outcome.path, "utf8"));

      // The policy is in force: no string can become a script (Trusted Types), and a script
      // element built from a node is refused by its hash-only script-src.
      const refused = await page.evaluate(`new Promise((resolve) => {
        const script = document.createElement("script");
        try {
          script.textContent = "window.__gait_probe = 1";
          resolve("assigned");
        } catch (error) {
          resolve(error.name + ": " + error.message);
        }
      })`);
      assert.match(String(refused), /^TypeError: .*TrustedScript/);
      const violated = await page.evaluate(`new Promise((resolve) => {
        document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective));
        const script = document.createElement("script");
        script.append(document.createTextNode("window.__gait_probe = 1"));
        document.body.append(script);
        setTimeout(() => resolve("no violation"), 2000);
      })`);
      assert.match(String(violated), /^(script-src|require-trusted-types-for)/);
      assert.equal(await page.evaluate("window.__gait_probe ?? null"), null);
      // A script slipped into the file itself is not the hashed one: refused, and the page's own still runs.
      const doctored = join(temp.dir, "doctored.html");
      writeFileSync(
        doctored,
        readFileSync(outcome.path, "utf8").replace(
          "</body>",
          "<script>window.__gait_probe = 1</script></body>",
        ),
      );
      const other = await openPage(ctx, doctored);
      try {
        assert.equal((await verdictOf(other.page)).status, "verified");
        assert.equal(await other.page.evaluate("window.__gait_probe ?? null"), null);
        assert.ok(other.log.console.some((line) => line.includes("Content Security Policy")));
      } finally {
        await other.page.close();
      }
      const shot = join(temp.dir, "pack-view.png");
      await assertScreenshot(page, shot);
      t.diagnostic(`screenshot: ${shot}`);
    } finally {
      await page.close();
    }
  });

  it("shows a pack with one modified entry as tampered, naming the file", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const { page, log, outcome } = await viewed(ctx, "modified");
    try {
      assert.equal(outcome.report.status, "tampered");
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "tampered");
      assert.equal(verdict.label, "tampered");
      assert.match(verdict.detail, /^run_payload\.json: /);
      const row = page.locator("table.contents tr", { hasText: "run_payload.json" });
      assert.match((await row.textContent()) ?? "", /modified/);
      assert.ok(await page.locator("#verdict", { hasText: "run_payload.json" }).isVisible());
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it("fails a PackSpec pack with an undeclared file, naming it", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const { page } = await viewed(ctx, "undeclared");
    try {
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "tampered");
      assert.match(verdict.detail, /extra\/notes\.txt/);
      assert.match(verdict.detail, /not declared in the manifest/);
    } finally {
      await page.close();
    }
  });

  it("fails a wrong signature (signed by another key than the one given)", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const { page } = await viewed(ctx, "otherKey");
    try {
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "tampered");
      assert.match(verdict.detail, /pack_manifest\.json: the manifest's signature does not verify/);
      assert.match(verdict.detail, new RegExp(`made with key ${OTHER_KEY.keyId}`));
    } finally {
      await page.close();
    }
  });

  it("checks a pack chosen through the file input, and re-checks with a key typed in", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const blank = join(temp.dir, "blank.html");
    const html = renderPackViewPage();
    writeFileSync(blank, html);
    const { page, log } = await openPage(ctx, blank);
    try {
      assert.equal((await verdictOf(page)).status, "empty");
      await page.setInputFiles("#pack-file", packs.modified!);
      let verdict = await verdictOf(page);
      assert.equal(verdict.status, "tampered");
      assert.match(verdict.detail, /run_payload\.json/);
      assert.equal(await page.locator("#pack-name").textContent(), "pack_modified.zip");

      await page.setInputFiles("#pack-file", packs.good!);
      verdict = await verdictOf(page);
      assert.equal(verdict.status, "verified");
      assert.match(verdict.detail, /signature not checked: no public key given/);

      await page.fill("#public-key", TEST_KEY.publicRaw.toString("base64"));
      await page.click("#recheck");
      await waitUntil(
        page,
        `document.getElementById("verdict-detail").textContent.includes("signature verified")`,
      );
      await page.fill("#public-key", OTHER_KEY.publicRaw.toString("base64"));
      await page.click("#recheck");
      await waitUntil(page, `document.getElementById("verdict").getAttribute("data-status") === "tampered"`);
      await assertSelfContained(page, log, blank, html);
    } finally {
      await page.close();
    }
  });

  it("checks a pack dropped on the page", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const { page } = await viewed(ctx, "good");
    try {
      assert.equal((await verdictOf(page)).status, "verified");
      const bytes = readFileSync(packs.undeclared!).toString("base64");
      await page.evaluate(`(() => {
        const binary = atob(${JSON.stringify(bytes)});
        const data = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], "dropped.zip", { type: "application/zip" }));
        document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      })()`);
      await waitUntil(page, `document.getElementById("pack-name").textContent === "dropped.zip"`);
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "tampered");
      assert.match(verdict.detail, /extra\/notes\.txt/);
    } finally {
      await page.close();
    }
  });

  it("shows a Guard evidence pack verified, with its control index and summaries", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const { page, log, outcome } = await viewed(ctx, "guard");
    try {
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "verified", verdict.detail);
      const controls = await page.locator("table.control-index tbody tr").allInnerTexts();
      assert.equal(controls.length, 2);
      assert.match(
        controls[0]!,
        /CC6\.6\s+evidenced\s+Change management\s+trace_summary\.json verified regress_summary\.json verified/,
      );
      assert.ok(await page.getByText("Guard evidence pack (gait.guard.pack_manifest)").isVisible());
      assert.ok(await page.locator(".summary h3", { hasText: "trace_summary.json" }).isVisible());
      const facts = page.locator(".summary", { has: page.locator("h3", { hasText: "trace_summary.json" }) });
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered cells, as a reader sees them
      const factsText = await facts.locator("table").innerText();
      assert.match(factsText, /verdicts\s+allow: 2, block: 1, require_approval: 1/);
      await assertSelfContained(page, log, outcome.path, readFileSync(outcome.path, "utf8"));
      await assertScreenshot(page, join(temp.dir, "guard-view.png"));
    } finally {
      await page.close();
    }
  });

  it("says plainly when the browser has no Ed25519 in WebCrypto", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const outcome = await viewPack({
      pack: packs.good!,
      cwd: temp.dir,
      out: "view_no_ed25519.html",
      verifyKey: key,
    });
    // As an older browser: importKey refuses the algorithm.
    const { page } = await openPage(ctx, outcome.path, {
      initScript: `(() => {
        const subtle = crypto.subtle;
        const importKey = subtle.importKey.bind(subtle);
        subtle.importKey = (format, keyData, algorithm, ...rest) =>
          (algorithm?.name ?? algorithm) === "Ed25519"
            ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"))
            : importKey(format, keyData, algorithm, ...rest);
      })();`,
    });
    try {
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "verified");
      assert.match(verdict.detail, /signature not checked: this browser has no Ed25519 in WebCrypto/);
      assert.equal(await page.locator("#verdict").getAttribute("class"), "verdict warn");
    } finally {
      await page.close();
    }
  });

  it("works end to end through the built CLI: demo, keys, pack build, pack view; then a tampered copy", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    // The page script here is the bundle's (dist/cli.cjs), serialized from its minified functions.
    const dir = join(temp.dir, "cli");
    mkdirSync(dir);
    const gait = async (args: string[], expected = 0) => {
      const result = await runGait(args, { cwd: dir });
      assert.equal(result.code, expected, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      return result;
    };
    await gait(["demo"]);
    await gait(["keys", "init", "--out-dir", "keys"]);
    const keyFlags = ["--public-key", "keys/gait_public.key"];
    const signing = ["--key-mode", "prod", "--private-key", "keys/gait_private.key"];
    await gait(["pack", "build", "--type", "run", "--from", "run_demo", ...signing, "--out", "signed.zip"]);
    const good = await gait(["pack", "view", "signed.zip", ...keyFlags, "--out", "signed.html", "--json"]);
    assert.equal(good.json?.ok, true);
    assert.equal(good.json?.operation, "view");
    const view = good.json?.view as Record<string, unknown>;
    assert.equal(view.status, "verified");
    assert.equal(view.signature_status, "verified");
    const page1 = await openPage(ctx, join(dir, "signed.html"));
    try {
      const verdict = await verdictOf(page1.page);
      assert.equal(verdict.status, "verified", verdict.detail);
      assert.match(
        verdict.detail,
        new RegExp(`signature verified with key ${String(view.signature_key_id)}`),
      );
      const proof = page1.page.locator("dl.meta dd", { hasText: "hash chain intact" });
      assert.equal(await proof.textContent(), "verified 2 record(s), hash chain intact");
      assert.deepEqual(page1.log.errors, []);
      assert.deepEqual(page1.log.console, []);
    } finally {
      await page1.page.close();
    }

    const { entries } = await readZip(join(dir, "signed.zip"));
    const forged = entries.map((e) => ({
      path: e.path,
      data:
        e.path === "run_payload.json"
          ? Buffer.from(e.data.toString().replace("run_demo", "run_demX"))
          : e.data,
    }));
    writeFileSync(join(dir, "tampered.zip"), await writeZip(forged));
    const bad = await gait(
      ["pack", "view", "tampered.zip", ...keyFlags, "--out", "tampered.html", "--json"],
      2,
    );
    assert.equal(bad.json?.ok, false);
    const badView = bad.json?.view as Record<string, unknown> | undefined;
    assert.deepEqual(badView?.offending_files, ["run_payload.json"]);
    assert.match(String(bad.json?.error), /tampered: run_payload\.json: content does not match/);
    const page2 = await openPage(ctx, join(dir, "tampered.html"));
    try {
      const verdict = await verdictOf(page2.page);
      assert.equal(verdict.status, "tampered");
      assert.match(verdict.detail, /^run_payload\.json: content does not match its sha256/);
    } finally {
      await page2.page.close();
    }
  });
});
