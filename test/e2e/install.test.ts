/**
 * The package as a user gets it: `npm pack` the clone, install the tarball into an empty project
 * in a temp dir, and run the README quick start and the SDK import from there. This is what
 * checks package.json's `files`, `bin` and `exports` (the other tests run dist/ in place).
 *
 * One `npm install`, offline-first (the cache `npm ci` filled). When the registry cannot be
 * reached and the cache misses, the tests skip with a message, except under CI=true, where
 * that is a failure.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, tempDir } from "../helpers/cli.ts";

const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");
const offlineSymptoms =
  /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|ERR_SOCKET_TIMEOUT|request to \S+ failed|network/i;

/**
 * The environment of a user's shell, not of `npm test` in the clone: npm's script variables
 * (npm_config_local_prefix=<clone>, npm_package_*, …) and the clone's node_modules/.bin on PATH
 * would point the child npm and npx back at the repository.
 */
function userEnv(): NodeJS.ProcessEnv {
  const keepNpmConfig = new Set([
    "cache",
    "userconfig",
    "globalconfig",
    "cafile",
    "registry",
    "proxy",
    "https_proxy",
    "noproxy",
    "strict_ssl",
  ]);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    const npmConfig = /^npm_config_(.+)$/.exec(lower)?.[1];
    const dropped = lower === "init_cwd" || (lower.startsWith("npm_") && !keepNpmConfig.has(npmConfig ?? ""));
    if (!dropped) env[key] = value;
  }
  const ancestors = new Set<string>();
  for (let dir = repoRoot; ; dir = dirname(dir)) {
    ancestors.add(join(dir, "node_modules", ".bin"));
    if (dirname(dir) === dir) break;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(":")
    .filter((entry) => entry !== "" && !ancestors.has(entry) && !entry.startsWith(repoRoot + sep))
    .join(":");
  env.NO_COLOR = "1";
  env.npm_config_update_notifier = "false";
  return env;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 120_000,
  input?: string,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: userEnv(),
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(input);
  });
}

const show = (r: Ran) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe("the packed tarball installed in an empty project (e2e)", () => {
  const temp = tempDir("gait-install-");
  const project = join(temp.dir, "project");
  let skipReason: string | undefined;

  before(async () => {
    assert.ok(
      existsSync(join(repoRoot, "dist", "gait.cjs")),
      "dist/gait.cjs is missing: run `npm run build` first",
    );
    // --ignore-scripts: prepare (the build) already ran; rebuilding dist/ here would race the
    // other test files that run it.
    const packed = await run(
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", temp.dir],
      repoRoot,
    );
    assert.equal(packed.code, 0, `npm pack failed: ${show(packed)}`);
    const [packedFile] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    assert.ok(packedFile, `npm pack listed no file: ${show(packed)}`);
    const tarball = join(temp.dir, packedFile.filename);
    assert.ok(existsSync(tarball), `npm pack wrote no ${tarball}`);

    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: "try-gait", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
    );
    const installed = await run(
      "npm",
      [
        "install",
        tarball,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        // A registry that is down should not cost minutes of retries.
        "--fetch-retries=1",
        "--fetch-retry-mintimeout=2000",
        "--fetch-retry-maxtimeout=2000",
        "--fetch-timeout=30000",
      ],
      project,
      180_000,
    );
    if (installed.code !== 0 && offlineSymptoms.test(installed.stderr) && !inCI) {
      skipReason = `npm could not reach the registry and the cache missed: the install test did not run (${installed.stderr
        .split("\n")
        .find((line) => offlineSymptoms.test(line))
        ?.trim()})`;
      console.log(`# ${skipReason}`);
      return;
    }
    assert.equal(installed.code, 0, `npm install <tarball> failed: ${show(installed)}`);
  });

  after(() => temp.cleanup());

  it("ships the CLI, the SDK bundle and its types, the schemas and the templates (files)", (t) => {
    if (skipReason) return t.skip(skipReason);
    const pkg = join(project, "node_modules", "gait");
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
      bin: { gait: string };
      types: string;
    };
    for (const file of [manifest.bin.gait, "dist/sdk.js", manifest.types, "schemas/v1", "templates"]) {
      assert.ok(existsSync(join(pkg, file)), `the tarball lacks ${file}`);
    }
    assert.ok(!existsSync(join(pkg, "src")), "src/ should not be in the tarball");
    assert.ok(existsSync(join(project, "node_modules", ".bin", "gait")), "no gait bin was linked");
  });

  it("runs the README quick start with npx (demo, verify, regress bootstrap), then docs/regress.md's drift (bin)", async (t) => {
    if (skipReason) return t.skip(skipReason);
    // --no-install: never fall back to the registry (where "gait" is not ours) if the bin is missing.
    const demo = await run("npx", ["--no-install", "gait", "demo"], project);
    assert.equal(demo.code, 0, show(demo));
    assert.match(demo.stdout, /GAIT run_id=run_demo manifest=sha256:/);
    assert.ok(existsSync(join(project, "gait-out", "runpack_run_demo.zip")));

    const verify = await run("npx", ["--no-install", "gait", "verify", "run_demo"], project);
    assert.equal(verify.code, 0, show(verify));
    assert.match(verify.stdout, /verify: ok run_id=run_demo/);

    const bootstrap = await run(
      "npx",
      [
        "--no-install",
        "gait",
        "regress",
        "bootstrap",
        "--from",
        "run_demo",
        "--junit",
        "./gait-out/junit.xml",
      ],
      project,
    );
    assert.equal(bootstrap.code, 0, show(bootstrap));
    assert.match(bootstrap.stdout, /regress pass/);
    for (const file of [
      "gait.yaml",
      "fixtures/run_demo/runpack.zip",
      "regress_result.json",
      "gait-out/junit.xml",
    ]) {
      assert.ok(existsSync(join(project, file)), `regress bootstrap wrote no ${file}`);
    }

    // docs/regress.md goes on: record the changed run it writes (the same JSON as
    // examples/regress/changed_run.json) and judge it against the fixture: exit 5.
    const doc = readFileSync(join(repoRoot, "docs", "regress.md"), "utf8");
    const written = /cat > changed_run\.json <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(doc)?.[1];
    assert.ok(written, "docs/regress.md no longer writes changed_run.json");
    const shipped = readFileSync(join(repoRoot, "examples", "regress", "changed_run.json"), "utf8");
    assert.deepEqual(JSON.parse(written), JSON.parse(shipped), "the doc and the shipped example differ");
    writeFileSync(join(project, "changed_run.json"), `${written}\n`);
    const recorded = await run("npx", ["--no-install", "gait", "run", "record", "changed_run.json"], project);
    assert.equal(recorded.code, 0, show(recorded));
    const drifted = await run(
      "npx",
      ["--no-install", "gait", "regress", "run", "--candidate", "./gait-out/runpack_run_new.zip"],
      project,
    );
    assert.equal(drifted.code, 5, show(drifted));
    assert.match(
      drifted.stdout,
      /first failure: fixture run_demo failed grader trajectory: unexpected_tool_sequence \(first tool mismatch at index 0: expected tool\.search, got tool\.fetch\)/,
    );
  });

  it("imports the SDK from the installed package (exports)", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const script = [
      "const m = await import('gait');",
      "console.log(JSON.stringify({",
      "  createGate: typeof m.createGate, guardTool: typeof m.guardTool, startRun: typeof m.startRun,",
      "  resolved: import.meta.resolve('gait'),",
      "}));",
    ].join("\n");
    const imported = await run("node", ["--input-type=module", "-e", script], project);
    assert.equal(imported.code, 0, show(imported));
    const answer = JSON.parse(imported.stdout) as {
      createGate: string;
      guardTool: string;
      startRun: string;
      resolved: string;
    };
    assert.equal(answer.createGate, "function");
    assert.equal(answer.guardTool, "function");
    assert.equal(answer.startRun, "function");
    assert.ok(
      answer.resolved.includes("/node_modules/gait/dist/sdk.js"),
      `gait resolved to ${answer.resolved}, not the installed package`,
    );

    // The form the docs give, as a user types it.
    const thenForm = await run(
      "node",
      ["-e", "import('gait').then(m => { if (typeof m.createGate !== 'function') process.exit(1); })"],
      project,
    );
    assert.equal(thenForm.code, 0, show(thenForm));
  });

  it("sets a project up and decides with the installed CLI: init, check, gate eval", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const init = await run("npx", ["--no-install", "gait", "init", "--json"], project);
    assert.equal(init.code, 0, show(init));
    const check = await run("npx", ["--no-install", "gait", "check", "--json"], project);
    assert.equal(check.code, 0, show(check));
    // The starter policy blocks a write outside /workspace: exit 3, the verdict in the JSON.
    const intent = {
      schema_id: "gait.gate.intent_request",
      schema_version: "1.0.0",
      created_at: "2026-02-18T00:00:00Z",
      producer_version: "install-test/1.0.0",
      tool_name: "tool.write",
      args: { path: "other.txt" },
      targets: [{ kind: "path", value: "other.txt", operation: "write" }],
      arg_provenance: [{ arg_path: "$.path", source: "user" }],
      context: { identity: "agent.docs", workspace: project, risk_class: "high" },
    };
    const evaluated = await run(
      "npx",
      ["--no-install", "gait", "gate", "eval", "--intent", "-", "--json"],
      project,
      60_000,
      JSON.stringify(intent),
    );
    assert.equal(evaluated.code, 3, show(evaluated));
    assert.equal(JSON.parse(evaluated.stdout).verdict, "block");
    assert.ok(existsSync(join(project, JSON.parse(evaluated.stdout).trace_path)), "no signed trace written");
  });
});
