/**
 * Acceptance of each framework adapter (issue 22), with the real framework package at its pinned
 * version and a scripted fake model (the examples under examples/<framework>/): the model asks for
 * an allowed and a blocked tool call; the allowed tool runs, the blocked one never does and the
 * model receives the refusal; the runpack verifies and bootstraps a regress fixture that passes,
 * and a run under a changed policy fails it with exit 5. Spawns the built CLI (node scripts/build.mjs).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ExampleOptions, ExampleReport } from "../../examples/adapter-workspace.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

type Example = { runExample(options?: ExampleOptions): Promise<ExampleReport> };

const FRAMEWORKS: Record<string, () => Promise<Example>> = {
  "ai-sdk": () => import("../../examples/ai-sdk/agent.ts"),
  "openai-agents": () => import("../../examples/openai-agents/agent.ts"),
  langchain: () => import("../../examples/langchain/agent.ts"),
  mcp: () => import("../../examples/mcp/agent.ts"),
};

/** The changed policy: reads are no longer allowed (the default verdict, block, applies). */
const CHANGED_POLICY = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: block-delete
    priority: 10
    effect: block
    match:
      tool_names: [delete_file]
    reason_codes: [delete_blocked]
`;

for (const [framework, load] of Object.entries(FRAMEWORKS)) {
  describe(`${framework} adapter: gate, capture, regress`, () => {
    let dir: string;
    let cleanup: () => void;
    let example: Example;
    let report: ExampleReport;
    before(async () => {
      ({ dir, cleanup } = tempDir(`gait-adapter-${framework}-`));
      example = await load();
      report = await example.runExample({ cwd: dir, runId: "run_adapter" });
    });
    after(() => cleanup());

    it("runs the allowed call and never the blocked one", () => {
      assert.deepEqual(
        report.calls.map((c) => [c.tool, c.verdict]),
        [
          ["read_file", "allow"],
          ["delete_file", "block"],
        ],
      );
      assert.ok(report.calls[1]!.reasonCodes.includes("delete_blocked"));
      assert.deepEqual(report.toolRuns, { read_file: 1, delete_file: 0 });
      assert.deepEqual(report.files, ["/workspace/notes.txt"]);
    });

    it("gives the model the tool's result and the refusal's reasons", () => {
      assert.equal(report.modelReceived.length, 2);
      assert.match(report.modelReceived[0]!, /release checklist/);
      assert.match(report.modelReceived[1]!, /gait (refused delete_file: )?block/);
      assert.match(report.modelReceived[1]!, /delete_file/);
      assert.match(report.modelReceived[1]!, /delete_blocked/);
    });

    it("writes a runpack that verifies and bootstraps a passing regress fixture", async () => {
      const verified = await runGait(["verify", report.runpack.path, "--json"], { cwd: dir });
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      const bootstrap = await runGait(["regress", "bootstrap", "--from", report.runpack.path, "--json"], {
        cwd: dir,
      });
      assert.equal(bootstrap.code, 0, bootstrap.stdout + bootstrap.stderr);
      assert.equal(bootstrap.json?.status, "pass");
    });

    it("fails the fixture with exit 5 once the policy changes what the run does", async () => {
      const policy = join(dir, "changed-policy.yaml");
      writeFileSync(policy, CHANGED_POLICY);
      const changed = await example.runExample({ cwd: dir, policy, runId: "run_adapter_changed" });
      assert.deepEqual(
        changed.calls.map((c) => c.verdict),
        ["block", "block"],
      );
      assert.equal(changed.toolRuns.read_file, 0);
      const regress = await runGait(["regress", "run", "--candidate", changed.runpack.path, "--json"], {
        cwd: dir,
      });
      assert.equal(regress.code, 5, regress.stdout + regress.stderr);
      const failures = regress.json?.failures as Array<{ grader: string; reason_codes: string[] }>;
      const trajectory = failures.find((f) => f.grader === "trajectory");
      assert.ok(trajectory, JSON.stringify(failures));
      assert.ok(trajectory.reason_codes.includes("unexpected_verdict_sequence"), JSON.stringify(trajectory));
    });
  });
}
