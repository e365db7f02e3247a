/**
 * A Guard evidence pack built by the CLI reads "verified" in `gait pack view`'s page in a real
 * headless Chromium (test/helpers/browser.ts), signature included, with its control index shown.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { browserOrSkip, launchBrowser, openPage } from "../helpers/browser.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

/** The page's verdict once it has settled (polled: the page's CSP refuses waitForFunction's eval). */
async function verdictOf(page: Page): Promise<{ status: string; detail: string }> {
  const deadline = Date.now() + 30_000;
  const settled = `(() => { const s = document.getElementById("verdict")?.getAttribute("data-status"); return s && s !== "checking" && s !== "not-checked"; })()`;
  while (!(await page.evaluate(settled))) {
    if (Date.now() > deadline) assert.fail("the page's verdict did not settle");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return (await page.evaluate(`({
    status: document.getElementById("verdict").getAttribute("data-status"),
    detail: document.getElementById("verdict-detail").textContent,
  })`)) as { status: string; detail: string };
}

describe("a guard pack in pack view, in headless Chromium", () => {
  const temp = tempDir("gait-e2e-guard-view-");
  let context: BrowserContext | undefined;
  before(async () => {
    context = await launchBrowser(temp.dir);
  });
  after(async () => {
    await context?.close();
    temp.cleanup();
  });

  it("guard pack → pack view: the page says verified, signature checked, control index shown", async (t) => {
    const ctx = browserOrSkip(t, context);
    if (!ctx) return;
    const gait = async (args: string[]) => {
      const result = await runGait(args, { cwd: temp.dir, env: { HOME: temp.dir } });
      assert.equal(result.code, 0, `gait ${args.join(" ")}: ${result.stdout}${result.stderr}`);
      return result;
    };
    await gait(["demo"]);
    await gait(["regress", "init", "--from", "run_demo"]);
    await gait(["regress", "run"]);
    await gait(["keys", "init", "--out-dir", "keys"]);
    await gait([
      "guard",
      "pack",
      "--run",
      "run_demo",
      "--regress",
      "regress_result.json",
      "--key-mode",
      "prod",
      "--private-key",
      "keys/gait_private.key",
      "--out",
      "evidence.zip",
    ]);
    const view = await gait([
      "pack",
      "view",
      "evidence.zip",
      "--public-key",
      "keys/gait_public.key",
      "--out",
      "evidence.html",
      "--json",
    ]);
    assert.equal(view.json?.kind, "guard");
    const { page, log } = await openPage(ctx, join(temp.dir, "evidence.html"));
    try {
      const verdict = await verdictOf(page);
      assert.equal(verdict.status, "verified", verdict.detail);
      assert.match(verdict.detail, /signature verified/);
      const controls = await page.locator("table.control-index tbody tr").allInnerTexts();
      assert.match(
        controls.join("\n"),
        /gait\.regress\s+evidenced\s+Regression checks.*\s+regress_summary\.json verified/,
      );
      assert.deepEqual(log.errors, []);
      assert.deepEqual(log.console, []);
    } finally {
      await page.close();
    }
  });
});
