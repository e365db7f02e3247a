/**
 * The run view and diff pages in a real browser: Debian's headless Chromium (/usr/bin/chromium,
 * installed by .ci/run) driven by playwright-core, which downloads no browser of its own. The
 * pages are opened from file:// URLs, as a user opens them; the checks are what a reader sees
 * (run id, verdicts), that nothing from a hostile runpack runs or loads, that the page's policy
 * really forbids scripts, and a screenshot. Without Chromium the tests skip, except under CI=true.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { fixedClock } from "../../src/contract/time.ts";
import { diffRunpackRefs, recordRunpack, viewRunpack } from "../../src/runpack/index.ts";
import {
  assertScreenshot,
  browserOrSkip,
  launchBrowser,
  openPage,
  type PageLog,
} from "../helpers/browser.ts";
import { tempDir } from "../helpers/cli.ts";
import { hostless } from "./fixtures.ts";
import { HOSTILE_TOOL, viewInput } from "./view-input.ts";

/** Nothing ran, nothing was fetched but the page itself, nothing was logged. */
async function assertInert(page: Page, log: PageLog, file: string): Promise<void> {
  // Page-side code is given as source text: this project compiles without the DOM's types.
  const probe = await page.evaluate(`({
    pwned: window.__gait_pwned ?? null,
    scripts: document.scripts.length,
    active: document.querySelectorAll("img, iframe, object, embed, link, a[href], form, [onerror], [onclick]").length,
  })`);
  assert.deepEqual(probe, { pwned: null, scripts: 0, active: 0 });
  assert.deepEqual(log.dialogs, [], "no dialog opened");
  assert.deepEqual(log.errors, [], "no page error");
  assert.deepEqual(log.console, [], "nothing logged (a blocked script would log a CSP violation)");
  assert.deepEqual(log.requests, [pathToFileURL(file).href], "only the page itself was loaded");
}

describe("run view in headless Chromium", () => {
  const temp = tempDir("gait-view-browser-");
  const env = { HOME: join(temp.dir, "home") };
  const clock = fixedClock("2026-02-05T10:00:00Z");
  let context: BrowserContext | undefined;

  before(async () => {
    context = await launchBrowser(temp.dir);
    if (!context) return;
    for (const runId of ["run_view_42", "run_view_43"]) {
      const input = viewInput(runId);
      if (runId === "run_view_43") {
        (input.intents as Array<Record<string, unknown>>)[0]!.args = { url: "https://shop.example/cart/43" };
      }
      await recordRunpack(input, { cwd: temp.dir, env, clock, environment: hostless });
    }
  });

  after(async () => {
    await context?.close();
    temp.cleanup();
  });

  const browser = (t: TestContext) => browserOrSkip(t, context);

  it("shows the run id and the verdicts, runs nothing from a <script> runpack, and screenshots", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const viewed = await viewRunpack({ ref: "run_view_42", cwd: temp.dir, env });
    const { page, log } = await openPage(ctx, viewed.path);
    try {
      assert.equal(await page.title(), "gait run view: run_view_42");
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
      const text = await page.locator("body").innerText();
      for (const expected of ["run_view_42", "require_approval", "block", "approval_required_payments"]) {
        assert.ok(text.includes(expected), `visible: ${expected}`);
      }
      assert.ok(await page.getByText("run_view_42", { exact: true }).first().isVisible());
      assert.ok(await page.locator(".pill", { hasText: "require_approval" }).first().isVisible());
      assert.ok(await page.locator(".pill", { hasText: "block" }).first().isVisible());
      assert.ok(await page.locator(".badge", { hasText: "verified" }).isVisible());
      // The hostile tool name is there as text, exactly as recorded.
      assert.ok(await page.getByText(HOSTILE_TOOL, { exact: true }).isVisible());
      await assertInert(page, log, viewed.path);

      // The policy is in force: a script element added now is refused by the page's CSP.
      const violated = await page.evaluate(`new Promise((resolve) => {
        document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective));
        const script = document.createElement("script");
        script.textContent = "window.__gait_probe = 1";
        document.body.append(script);
        setTimeout(() => resolve("no violation"), 2000);
      })`);
      assert.match(String(violated), /^script-src/);
      assert.equal(await page.evaluate("window.__gait_probe ?? null"), null);

      const shot = join(temp.dir, "view.png");
      await assertScreenshot(page, shot);
      t.diagnostic(`screenshot: ${shot}`);
    } finally {
      await page.close();
    }
  });

  it("shows the diff page with the changed field's values side by side, inert too", async (t) => {
    const ctx = browser(t);
    if (!ctx) return;
    const diff = await diffRunpackRefs({
      left: "run_view_42",
      right: "run_view_43",
      cwd: temp.dir,
      env,
      html: true,
    });
    const { page, log } = await openPage(ctx, diff.htmlPath!);
    try {
      const row = page.locator("table.changes tr", { hasText: "intents[call_0001].args.url" });
      assert.ok(await row.isVisible());
      const cells = await row.locator("td").allInnerTexts();
      assert.deepEqual(
        cells.map((c) => c.trim()),
        [
          "intents[call_0001].args.url",
          "changed",
          '"https://shop.example/cart/42"',
          '"https://shop.example/cart/43"',
        ],
      );
      assert.ok(await page.locator(".badge", { hasText: "runs differ" }).isVisible());
      await assertInert(page, log, diff.htmlPath!);
      await assertScreenshot(page, join(temp.dir, "diff.png"));
    } finally {
      await page.close();
    }
  });
});
