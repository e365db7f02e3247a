import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type AgentReport, runExampleAgent } from "../../examples/agent/agent.ts";
import { verifyRunpack } from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";

describe("example agent (examples/agent) guarded by the SDK", () => {
  let dir: string;
  let cleanup: () => void;
  let report: AgentReport;
  before(async () => {
    ({ dir, cleanup } = tempDir("gait-example-agent-test-"));
    report = await runExampleAgent({ workDir: dir });
  });
  after(() => cleanup());

  it("executes the allowed read", () => {
    const read = report.steps[0]!;
    assert.equal(read.call.tool, "read");
    assert.equal(read.status, "executed");
    assert.deepEqual(read.verdicts, ["allow"]);
    assert.match(read.result ?? "", /release checklist/);
    assert.equal(report.toolRuns.read, 1);
  });

  it("refuses the blocked delete without running it", () => {
    const del = report.steps[1]!;
    assert.equal(del.call.tool, "delete");
    assert.equal(del.status, "refused");
    assert.deepEqual(del.verdicts, ["block"]);
    assert.ok(del.reasonCodes.includes("delete_blocked"));
    assert.equal(report.toolRuns.delete, 0);
    assert.ok(existsSync(join(dir, "workspace", "notes.txt")), "the file must still exist");
  });

  it("resumes the approval-required write once a valid token is given", () => {
    const write = report.steps[2]!;
    assert.equal(write.call.tool, "write");
    assert.deepEqual(write.verdicts, ["require_approval", "allow"]);
    assert.equal(write.status, "executed");
    assert.equal(write.approvedBy, "alice@example.com");
    assert.ok(write.reasonCodes.includes("approval_granted"));
    assert.equal(report.toolRuns.write, 1);
    assert.equal(readFileSync(join(dir, "workspace", "summary.txt"), "utf8"), write.call.content);
  });

  it("leaves one signed trace per decision, and every trace verifies", () => {
    const decided = report.steps.flatMap((s) => s.traceIds);
    assert.equal(decided.length, 4);
    assert.deepEqual(report.traces.map((t) => t.traceId).sort(), [...decided].sort());
    assert.ok(report.traces.every((t) => t.verified));
    assert.deepEqual(report.traces.map((t) => t.verdict).sort(), [
      "allow",
      "allow",
      "block",
      "require_approval",
    ]);
  });

  it("records every call into a runpack that verifies", async () => {
    const verification = await verifyRunpack(report.runpack.path, {});
    assert.equal(verification.ok, true);
  });
});
