/**
 * The flag spellings scripts written for the reference (Go's flag package) use, on the built CLI:
 * single-dash long flags, `-flag value`, `--flag=value`, booleans with explicit values, `-v`, and
 * `--` still handing Go-looking words to the child of `gait test`.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gaitBin, runGait, tempDir } from "../helpers/cli.ts";

const policy = `default_verdict: block
rules:
  - name: allow-read
    effect: allow
    match:
      tool_names: [tool.read]
`;

const intent = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "tool.read",
  args: {},
  context: { identity: "agent.a", workspace: "/repo", risk_class: "low" },
};

/** The child of `gait test`: one allowed decision, then what it was started with. */
const child = `
const { execFileSync } = require("node:child_process");
const out = execFileSync(process.execPath, [${JSON.stringify(gaitBin)}, "gate", "eval", "-policy", "p.yaml",
  "-intent", "i.json", "-json"], { encoding: "utf8" });
console.log("trace_path=" + JSON.parse(out).trace_path);
console.log("child_exec_argv=" + JSON.stringify(process.execArgv.slice(0, 1)));
console.log("child_args=" + JSON.stringify(process.argv.slice(1)));
`;

describe("Go flag syntax on the built CLI (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  const gait = (args: string[]) => runGait(args, { cwd: dir });

  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, "p.yaml"), policy);
    writeFileSync(join(dir, "i.json"), JSON.stringify(intent));
    const demo = await gait(["demo", "-json"]);
    assert.equal(demo.code, 0, demo.stderr);
  });
  after(() => cleanup());

  it("gait verify -json run_demo", async () => {
    const r = await gait(["verify", "-json", "run_demo"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.ok, true);
    assert.equal(r.json?.run_id, "run_demo");
    const trailing = await gait(["verify", "run_demo", "-json"]);
    assert.equal(trailing.json?.run_id, "run_demo");
  });

  it("gait gate eval -policy p.yaml -intent i.json -json", async () => {
    const r = await gait(["gate", "eval", "-policy", "p.yaml", "-intent", "i.json", "-json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.verdict, "allow");
  });

  it("--policy=p.yaml and --intent=i.json", async () => {
    const r = await gait(["gate", "eval", "--policy=p.yaml", "--intent=i.json", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.verdict, "allow");
    const mixed = await gait(["gate", "eval", "-policy=p.yaml", "--intent", "i.json", "--json"]);
    assert.equal(mixed.json?.verdict, "allow");
  });

  it("--json=true prints the JSON object, --json=false human text", async () => {
    const on = await gait(["gate", "eval", "--policy", "p.yaml", "--intent", "i.json", "--json=true"]);
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.json?.verdict, "allow");
    const off = await gait(["gate", "eval", "--policy", "p.yaml", "--intent", "i.json", "--json=false"]);
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.json, undefined);
    assert.match(off.stdout, /^verdict=allow$/m);
    const verifyOff = await gait(["verify", "-json=false", "run_demo"]);
    assert.equal(verifyOff.code, 0);
    assert.match(verifyOff.stdout, /^verify: ok run_id=run_demo/);
  });

  it("-v and -version print the version, -v -json as one object", async () => {
    const version = (await gait(["version", "--json"])).json?.version;
    for (const flag of ["-v", "-version"]) {
      const r = await gait([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${version}\n`);
    }
    const json = await gait(["-v", "-json"]);
    assert.equal(json.json?.version, version);
  });

  it("gait test -- node -e … still hands -e (and Go-looking words) to the child", async () => {
    const r = await gait([
      "test",
      "-json",
      "-timeout",
      "60s",
      "--",
      "node",
      "-e",
      child,
      "--",
      "-json",
      "-v",
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.json?.ok, true);
    assert.deepEqual(r.json?.verdict_counts, { allow: 1, block: 0, dry_run: 0, require_approval: 0 });
    const stdout = String(r.json?.stdout);
    assert.match(stdout, /^child_exec_argv=\["-e"\]$/m);
    assert.match(stdout, /^child_args=\["-json","-v"\]$/m);
  });

  it("an unknown single-dash word or a bad boolean value is a usage error (exit 6)", async () => {
    const unknown = await gait(["verify", "-jsn", "run_demo"]);
    assert.equal(unknown.code, 6);
    assert.match(
      unknown.stderr,
      /^error: unknown option -jsn\n\(Did you mean --json\?\)\nsee `gait verify --help`/,
    );
    const asJson = await gait(["verify", "-jsn", "run_demo", "-json"]);
    assert.equal(asJson.code, 6);
    assert.equal(asJson.json?.ok, false);
    assert.match(String(asJson.json?.error), /unknown option -jsn/);
    const badBool = await gait(["verify", "--json=yes", "run_demo"]);
    assert.equal(badBool.code, 6);
    assert.match(badBool.stderr, /invalid boolean value "yes" for --json/);
  });
});
