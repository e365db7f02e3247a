/**
 * The browser the HTML pages are tested in: Debian's headless Chromium (/usr/bin/chromium,
 * installed by .ci/run) driven by playwright-core, which downloads no browser of its own. Pages
 * are opened from file:// URLs, as a user opens them, with everything they do logged. Without
 * Chromium the tests skip visibly, except under CI=true, where a missing browser is a failure.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium; GAIT_TEST_CHROMIUM points elsewhere (e.g. to check the skip). */
export const CHROMIUM = process.env.GAIT_TEST_CHROMIUM || "/usr/bin/chromium";
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

export const haveChromium = existsSync(CHROMIUM);

/** A persistent, offline Chromium context with its profile under `dir`; undefined without Chromium. */
export async function launchBrowser(dir: string): Promise<BrowserContext | undefined> {
  if (!haveChromium) return undefined;
  const userDataDir = join(dir, "chromium-profile");
  mkdirSync(userDataDir);
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    offline: true,
    timeout: 60_000,
  });
}

/**
 * The browser, or a visible skip when Chromium is missing; under CI=true, where .ci/run
 * installs it, a missing browser is a failure.
 */
export function browserOrSkip(
  t: TestContext,
  context: BrowserContext | undefined,
): BrowserContext | undefined {
  if (context) return context;
  if (process.env.CI === "true")
    assert.fail(`chromium not found at ${CHROMIUM} (CI=true: .ci/run installs it)`);
  t.skip(`chromium not found at ${CHROMIUM}`);
  return undefined;
}

/** What a page did while it was open: every request, console message, dialog and error. */
export interface PageLog {
  requests: string[];
  console: string[];
  dialogs: string[];
  errors: string[];
}

export async function openPage(
  context: BrowserContext,
  file: string,
  options: { initScript?: string } = {},
): Promise<{ page: Page; log: PageLog }> {
  const page = await context.newPage();
  const log: PageLog = { requests: [], console: [], dialogs: [], errors: [] };
  page.on("request", (request) => log.requests.push(request.url()));
  page.on("console", (message) => log.console.push(`${message.type()}: ${message.text()}`));
  page.on("dialog", (dialog) => {
    log.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => log.errors.push(error.message));
  if (options.initScript) await page.addInitScript({ content: options.initScript });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, log };
}

export async function assertScreenshot(page: Page, path: string): Promise<void> {
  await page.screenshot({ path, fullPage: true });
  const png = readFileSync(path);
  assert.ok(png.length > 1000, `screenshot ${path} is ${png.length} bytes`);
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, "screenshot is a PNG");
}
