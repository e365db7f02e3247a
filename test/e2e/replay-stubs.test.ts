/** `gait run replay --stub / --stub-file` end to end with the built CLI. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";

const runInput = {
  run: { run_id: "run_stubs", created_at: "2026-02-05T00:00:00Z" },
  intents: [
    { intent_id: "i1", tool_name: "crm.lookup", args: { customer: "c-1" } },
    { intent_id: "i2", tool_name: "orders.enqueue", args: { order: 7 } },
    { intent_id: "i3", tool_name: "http.get", args: { url: "https://example.com" } },
  ],
  results: [{ intent_id: "i1", status: "ok", result: { name: "Ada" } }],
};

describe("gait run replay with per-tool stubs", () => {
  const { dir, cleanup } = tempDir("gait-e2e-replay-stubs-");
  after(cleanup);
  const gait = (args: string[]) => runGait(args, { cwd: dir, env: { GAIT_ALLOW_REAL_REPLAY: "" } });
  writeFileSync(join(dir, "run.json"), JSON.stringify(runInput));

  it("without a choice, a tool with neither a result nor a telling name is missing (exit 2)", async () => {
    assert.equal((await gait(["run", "record", "run.json"])).code, 0);
    const plain = await gait(["run", "replay", "run_stubs", "--json"]);
    assert.equal(plain.code, 2);
    assert.deepEqual(plain.json?.missing_results, ["i2"]);
  });

  it("--stub and --stub-file choose each tool's stub; the report labels every stubbed step", async () => {
    writeFileSync(join(dir, "stubs.json"), JSON.stringify({ "orders.enqueue": "queue" }));
    const args = ["run", "replay", "run_stubs", "--stub", "crm.lookup=db", "--stub-file", "stubs.json"];
    const r = await gait([...args, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const steps = r.json?.steps as Array<Record<string, string>>;
    assert.deepEqual(
      steps.map((s) => [s.intent_id, s.execution, s.stub_type, s.stub_source]),
      [
        ["i1", "stubbed", "db", "selected"],
        ["i2", "stubbed", "queue", "selected"],
        ["i3", "stubbed", "http", "tool_name"],
      ],
    );
    for (const step of steps) assert.match(step.result_digest!, /^[0-9a-f]{64}$/);
    assert.equal((await gait([...args, "--json"])).stdout, r.stdout, "deterministic");
    const human = await gait(args);
    assert.match(human.stdout, /i1 crm\.lookup stubbed\(db stub, selected\) ok/);
    assert.match(human.stdout, /i3 http\.get stubbed\(http stub, tool_name\) ok/);
  });

  it("refuses a bad choice, a contradicting file, and a tool both stubbed and run for real (exit 6)", async () => {
    writeFileSync(join(dir, "clash.json"), JSON.stringify({ "crm.lookup": "http" }));
    for (const extra of [
      ["--stub", "crm.lookup=smtp"],
      ["--stub", "crm.lookup"],
      ["--stub", "crm.lookup=db", "--stub-file", "clash.json"],
      ["--stub-file", "absent.json"],
      ["--stub", "crm.lookup=db", "--real-tools", "--unsafe-real-tools", "--allow-tools", "crm.lookup"],
    ]) {
      const r = await gait(["run", "replay", "run_stubs", "--json", ...extra]);
      assert.equal(r.code, 6, `${extra.join(" ")}: ${r.stdout}`);
      assert.equal(r.json?.detail_code, "replay_stub_invalid", extra.join(" "));
      assert.equal(typeof r.json?.hint, "string");
    }
  });
});
