/**
 * The large dependencies only some features use (OpenTelemetry, openid-client, age, pdfkit, the
 * MCP SDK, zod) are kept out of the bundles (scripts/build.mjs, lazyDependencies) and must load
 * only when a feature asks: neither `import("gait")` nor a plain `gait gate eval` may load them.
 * Runs on the built dist/ (npm test builds first).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gaitBin, repoRoot, tempDir } from "../helpers/cli.ts";

const LAZY = /^(@opentelemetry\/|openid-client|age-encryption|pdfkit|@modelcontextprotocol\/sdk|zod)(\/|$)/;

/**
 * Logs every module a Node process loads, CommonJS (Module._load, also used when ESM imports
 * CommonJS) and ESM (a resolve hook), as `LOADED <specifier or resolved path>`.
 */
const LOAD_HOOK = `
const Module = require("node:module");
const load = Module._load;
Module._load = function (request, ...rest) {
  process.stderr.write("LOADED " + request + "\\n");
  return load.call(this, request, ...rest);
};
const hooks = "export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\\\n'); return r; }";
Module.register("data:text/javascript," + encodeURIComponent(hooks));`;

/** The packages among what a process loaded: bare names, or the package a node_modules path is in. */
function packagesOf(loaded: string[]): string[] {
  return loaded.map((entry) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(entry)?.[1] ?? entry);
}

function loadedPackages(args: string[], cwd: string): string[] {
  const hook = join(cwd, "hook.cjs");
  writeFileSync(hook, LOAD_HOOK);
  const result = spawnSync(process.execPath, ["-r", hook, ...args], { cwd, encoding: "utf8" });
  return packagesOf([...result.stderr.matchAll(/^LOADED (.+)$/gm)].map((m) => m[1]!));
}

describe("lazy dependencies", { skip: existsSync(gaitBin) ? false : "build first: npm run build" }, () => {
  it("import('gait') loads none of them", (t) => {
    const { dir, cleanup } = tempDir("gait-lazy-");
    t.after(cleanup);
    const sdk = join(repoRoot, "dist/sdk.js");
    const loaded = loadedPackages(["-e", `import(${JSON.stringify(sdk)}).then(() => {})`], dir);
    assert.deepEqual(
      loaded.filter((name) => LAZY.test(name)),
      [],
    );
  });

  it("a plain gait gate eval loads none of them", (t) => {
    const { dir, cleanup } = tempDir("gait-lazy-");
    t.after(cleanup);
    writeFileSync(join(dir, "policy.yaml"), "default_verdict: allow\n");
    writeFileSync(
      join(dir, "intent.json"),
      JSON.stringify({
        schema_id: "gait.gate.intent_request",
        schema_version: "1.0.0",
        created_at: "2026-01-01T00:00:00Z",
        producer_version: "0.1.0",
        tool_name: "tool.read",
        args: { path: "/tmp/x" },
        targets: [{ kind: "path", value: "/tmp/x", operation: "read" }],
        context: { identity: "a", workspace: "/tmp", risk_class: "low" },
      }),
    );
    const loaded = loadedPackages(
      [gaitBin, "gate", "eval", "--policy", "policy.yaml", "--intent", "intent.json", "--json"],
      dir,
    );
    assert.deepEqual(
      loaded.filter((name) => LAZY.test(name)),
      [],
    );
  });

  it("the hook sees lazy dependencies that are loaded, CommonJS and ESM-only (the test can fail)", (t) => {
    const { dir, cleanup } = tempDir("gait-lazy-");
    t.after(cleanup);
    const probe = join(repoRoot, "node_modules", ".gait-lazy-probe.mjs");
    writeFileSync(probe, 'import "@opentelemetry/api";\nimport "openid-client";\n');
    t.after(() => rmSync(probe, { force: true }));
    const loaded = loadedPackages(["-e", `import(${JSON.stringify(probe)})`], dir);
    assert.ok(loaded.includes("@opentelemetry/api"), loaded.join(","));
    assert.ok(loaded.includes("openid-client"), loaded.join(","));
  });
});
