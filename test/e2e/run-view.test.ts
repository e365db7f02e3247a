/** `gait run view` and `gait run diff --html` through the built CLI: flags, JSON, exit codes, errors. */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";
import { viewInput } from "../runpack/view-input.ts";

function workspace() {
  const temp = tempDir("gait-e2e-view-");
  const home = join(temp.dir, "home");
  mkdirSync(home);
  const gait = (args: string[]) => runGait(args, { cwd: temp.dir, env: { HOME: home, USERPROFILE: home } });
  return { ...temp, gait };
}

describe("gait run view", () => {
  const ws = workspace();
  after(ws.cleanup);

  it("writes ./gait-out/view_<run_id>.html and reports it (--json)", async () => {
    assert.equal((await ws.gait(["demo"])).code, 0);
    const first = await ws.gait(["run", "view", "run_demo", "--json"]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const json = first.json!;
    assert.equal(json.ok, true);
    assert.equal(json.path, "./gait-out/view_run_demo.html");
    assert.equal(json.run_id, "run_demo");
    assert.equal(json.verified, true);
    assert.equal(json.intents, 3);
    assert.equal(json.results, 3);
    assert.equal(json.signature_status, "missing");
    assert.equal(json.replaced, false);
    const page = readFileSync(join(ws.dir, "gait-out", "view_run_demo.html"), "utf8");
    assert.match(page, /^<!DOCTYPE html>/);
    assert.ok(page.includes("Content-Security-Policy"));

    const again = await ws.gait(["run", "view", "run_demo"]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^view: verified run_id=run_demo intents=3 results=3$/m);
    assert.match(again.stdout, /wrote \.\/gait-out\/view_run_demo\.html \(replaced the previous page\)/);
  });

  it("names the key that verified the signature, and exits 2 with the page written when it fails", async () => {
    assert.equal((await ws.gait(["keys", "init", "--out-dir", "keys"])).code, 0);
    assert.equal((await ws.gait(["keys", "init", "--out-dir", "keys", "--prefix", "other"])).code, 0);
    writeFileSync(join(ws.dir, "run.json"), JSON.stringify(viewInput()));
    const record = await ws.gait(["run", "record", "run.json", "--private-key", "keys/gait_private.key"]);
    assert.equal(record.code, 0, record.stderr);

    const good = await ws.gait([
      "run",
      "view",
      "run_view_42",
      "--public-key",
      "keys/gait_public.key",
      "--json",
    ]);
    assert.equal(good.code, 0, good.stdout);
    assert.equal(good.json!.signature_status, "verified");
    assert.match(String(good.json!.signature_key_id), /^[0-9a-f]{64}$/);
    const page = readFileSync(join(ws.dir, "gait-out", "view_run_view_42.html"), "utf8");
    assert.ok(page.includes("(--public-key keys/gait_public.key)"));
    assert.ok(!/<script/i.test(page));

    const bad = await ws.gait([
      "run",
      "view",
      "run_view_42",
      "--public-key",
      "keys/other_public.key",
      "--out",
      "bad.html",
      "--json",
    ]);
    assert.equal(bad.code, 2);
    assert.equal(bad.json!.ok, false);
    assert.equal(bad.json!.verified, false);
    assert.equal(bad.json!.signature_status, "failed");
    assert.equal(bad.json!.path, "./bad.html");
    assert.equal(bad.json!.error_category, "verification_failed");
    assert.ok(readFileSync(join(ws.dir, "bad.html"), "utf8").includes(">unverified<"));
  });

  it("refuses page paths over the runpack or not ending in .html, with coded errors and hints", async () => {
    const over = await ws.gait([
      "run",
      "view",
      "run_demo",
      "--out",
      "gait-out/runpack_run_demo.zip",
      "--json",
    ]);
    assert.equal(over.code, 6);
    assert.equal(over.json!.error_code, "invalid_input");
    assert.equal(over.json!.detail_code, "view_output_is_input");
    const result = await ws.gait(["run", "view", "run_demo", "--out", "gait-out/keys.zip", "--json"]);
    assert.equal(result.code, 6);
    assert.equal(result.json!.error_code, "invalid_input");
    assert.equal(result.json!.detail_code, "view_output_not_html");
    assert.ok(String(result.json!.hint).includes(".html"));
    const missing = await ws.gait(["run", "view", "run_nope", "--json"]);
    assert.equal(missing.code, 6);
    assert.equal(missing.json!.error_code, "invalid_input");
    assert.equal(missing.json!.detail_code, "runpack_not_found");
  });

  it("has --help (saying a page is replaced) and --explain", async () => {
    const help = await ws.gait(["run", "view", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--out <path>/);
    assert.match(help.stdout, /replaced/);
    assert.match(help.stdout, /--public-key <path>/);
    const explain = await ws.gait(["run", "view", "--explain"]);
    assert.equal(explain.code, 0);
    assert.match(explain.stdout.trim(), /^Render a runpack as one self-contained HTML page/);
    assert.equal(explain.stdout.trim().split("\n").length, 1);
  });
});

describe("gait run diff: values and --html", () => {
  const ws = workspace();
  after(ws.cleanup);

  it("prints each changed field with both values, in text and JSON, and writes the page", async () => {
    const left = viewInput("run_left");
    const right = viewInput("run_right");
    (right.intents as Array<Record<string, unknown>>)[1]!.args = { amount: 99, currency: "EUR" };
    writeFileSync(join(ws.dir, "left.json"), JSON.stringify(left));
    writeFileSync(join(ws.dir, "right.json"), JSON.stringify(right));
    assert.equal((await ws.gait(["run", "record", "left.json"])).code, 0);
    assert.equal((await ws.gait(["run", "record", "right.json"])).code, 0);

    const text = await ws.gait(["run", "diff", "run_left", "run_right"]);
    assert.equal(text.code, 2);
    assert.match(text.stdout, /^changed_intents=call_0002$/m);
    assert.match(text.stdout, /^ {2}~ intents\[call_0002\]\.args\.amount: 12900 -> 99$/m);

    const json = await ws.gait(["run", "diff", "run_left", "run_right", "--html", "--json"]);
    assert.equal(json.code, 2);
    assert.deepEqual(json.json!.summary && (json.json!.summary as Record<string, unknown>).changed_intents, [
      "call_0002",
    ]);
    const changes = json.json!.changes as Array<Record<string, unknown>>;
    assert.deepEqual(
      changes.find((c) => c.path === "intents[call_0002].args.amount"),
      { path: "intents[call_0002].args.amount", kind: "changed", before: 12900, after: 99 },
    );
    assert.equal(json.json!.html, "./gait-out/diff_run_left_run_right.html");
    assert.ok(existsSync(join(ws.dir, "gait-out", "diff_run_left_run_right.html")));

    const out = await ws.gait(["run", "diff", "run_left", "run_left", "--html", "--out", "same.html"]);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /^html=\.\/same\.html$/m);
  });

  it("refuses --out without --html, pointing at --output", async () => {
    const result = await ws.gait(["run", "diff", "run_left", "run_right", "--out", "d.html", "--json"]);
    assert.equal(result.code, 6);
    assert.equal(result.json!.error_code, "invalid_input");
    assert.equal(result.json!.detail_code, "usage");
    assert.match(String(result.json!.hint), /--html/);
    const help = await ws.gait(["run", "diff", "--help"]);
    assert.match(help.stdout, /--html/);
  });
});
