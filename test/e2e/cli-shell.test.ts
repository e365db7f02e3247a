import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { gaitBin, runGait } from "../helpers/cli.ts";

const envelopeKeys = [
  "correlation_id",
  "detail_code",
  "error",
  "error_category",
  "error_code",
  "hint",
  "ok",
  "retryable",
];

describe("CLI shell", () => {
  it("the built bin runs directly through its shebang (what npx gait does)", () => {
    assert.match(execFileSync(gaitBin, ["version"], { encoding: "utf8" }), /^gait \d+\.\d+\.\d+/);
  });

  it("gait version --json prints one sorted JSON line with ok and correlation_id", async () => {
    const r = await runGait(["version", "--json"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.split("\n").length, 2, "one line plus newline");
    assert.equal(r.json?.ok, true);
    assert.match(String(r.json?.correlation_id), /^[0-9a-f]{24}$/);
    assert.equal(typeof r.json?.version, "string");
    const keys = Object.keys(r.json ?? {});
    assert.deepEqual(keys, [...keys].sort());
  });

  it("an unknown command exits 6 with the error envelope", async () => {
    const r = await runGait(["nosuch", "--json"]);
    assert.equal(r.code, 6);
    assert.deepEqual(Object.keys(r.json ?? {}).sort(), envelopeKeys);
    assert.equal(r.json?.ok, false);
    assert.equal(r.json?.error_code, "invalid_input");
    assert.equal(r.json?.detail_code, "usage");
    assert.equal(r.json?.error_category, "invalid_input");
    assert.equal(r.json?.retryable, false);
  });

  it("an unknown command without --json prints an error on stderr, no stack trace", async () => {
    const r = await runGait(["nosuch"]);
    assert.equal(r.code, 6);
    assert.match(r.stderr, /^error: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it("--explain prints one line and exits 0, wherever it appears", async () => {
    for (const args of [
      ["version", "--explain"],
      ["--explain", "version"],
    ]) {
      const r = await runGait(args);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim().split("\n").length, 1);
    }
  });

  it("--help works on the root and on commands", async () => {
    const root = await runGait(["--help"]);
    assert.equal(root.code, 0);
    assert.match(root.stdout, /Usage: gait/);
    const sub = await runGait(["version", "--help"]);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /Usage: gait version/);
  });

  it("bad usage (unknown flag, extra positional) exits 6", async () => {
    assert.equal((await runGait(["version", "--bogus"])).code, 6);
    const extra = await runGait(["version", "extra", "--json"]);
    assert.equal(extra.code, 6);
    assert.equal(extra.json?.error_code, "invalid_input");
    assert.equal(extra.json?.detail_code, "usage");
  });

  it("the correlation id is stable per invocation string", async () => {
    const a = await runGait(["version", "--json"]);
    const b = await runGait(["version", "--json"]);
    assert.equal(a.json?.correlation_id, b.json?.correlation_id);
  });
});
