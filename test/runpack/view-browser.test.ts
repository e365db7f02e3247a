/**
 * The run view and diff pages in a real browser: Debian's headless Chromium (/usr/bin/chromium,
 * installed by .ci/run) driven by playwright-core, which downloads no browser of its own. The
 * pages are opened from file:// URLs, as a user opens them; the checks are what a reader sees
 * (run id, verdicts), that nothing from a hostile runpack runs or loads, that the page's policy
 * really forbids scripts, and a screenshot. Without Chromium the tests skip, except under CI=true.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { fixedClock } from "../../src/contract/time.ts";
import { diffRunpackRefs, recordRunpack, viewRunpack } from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { hostless } from "./fixtures.ts";
import { HOSTILE_TOOL, viewInput } from "./view-input.ts";

/** Debian's Chromium; GAIT_TEST_CHROMIUM points elsewhere (e.g. to check the skip). */
const CHROMIUM = process.env.GAIT_TEST_CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const haveChromium = existsSync(CHROMIUM);

/** What a page did while it was open: every request, console message, dialog and error. */
interface PageLog {
  requests: string[];
  console: string[];
  dialogs: string[];
  errors: string[];
}

async function openPage(context: BrowserContext, file: string): Promise<{ page: Page; log: PageLog }> {
  const page = await context.newPage();
  const log: PageLog = { requests: [], console: [], dialogs: [], errors: [] };
  page.on("request", (request) => log.requests.push(request.url()));
  page.on("console", (message) => log.console.push(`${message.type()}: ${message.text()}`));
  page.on("dialog", (dialog) => {
    log.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => log.errors.push(error.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, log };
}

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

async function assertScreenshot(page: Page, path: string): Promise<void> {
  await page.screenshot({ path, fullPage: true });
  const png = readFileSync(path);
  assert.ok(png.length > 1000, `screenshot ${path} is ${png.length} bytes`);
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, "screenshot is a PNG");
}

describe("run view in headless Chromium", () => {
  const temp = tempDir("gait-view-browser-");
  const env = { HOME: join(temp.dir, "home") };
  const clock = fixedClock("2026-02-05T10:00:00Z");
  let context: BrowserContext | undefined;

  before(async () => {
    if (!haveChromium) return;
    const userDataDir = join(temp.dir, "chromium-profile");
    mkdirSync(userDataDir);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1200, height: 900 },
      offline: true,
      timeout: 60_000,
    });
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

  /**
   * The browser, or a visible skip when Chromium is missing; under CI=true, where .ci/run
   * installs it, a missing browser is a failure.
   */
  function browser(t: TestContext): BrowserContext | undefined {
    if (context) return context;
    if (process.env.CI === "true")
      assert.fail(`chromium not found at ${CHROMIUM} (CI=true: .ci/run installs it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return undefined;
  }

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
