/** Producer test: gait.doctor.result as runDoctor builds it validates against schemas/v1/doctor/doctor_result. */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { initProject, runDoctor } from "../../src/onboarding/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublishedInvalid, assertPublishedValid } from "../helpers/published-schemas.ts";

const SCHEMA = "doctor/doctor_result.schema.json";

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir("gait-doctor-schema-");
  t.after(cleanup);
  return dir;
}

describe("gait.doctor.result against the published schema", () => {
  it("a fresh directory, an initialized project, production readiness and an old Node", async (t) => {
    const fresh = scratch(t);
    const project = scratch(t);
    await initProject({
      cwd: project,
      template: "baseline-highrisk",
      policyPath: ".gait.yaml",
      profile: "oss-prod",
      force: false,
    });
    const runs = [
      { cwd: fresh, env: {}, productionReadiness: false },
      { cwd: fresh, env: {}, productionReadiness: true, nodeVersion: "16.0.0" },
      { cwd: project, env: {}, productionReadiness: false },
      { cwd: project, env: {}, productionReadiness: true },
    ];
    const statuses = new Set<string>();
    for (const options of runs) {
      const result = await runDoctor(options);
      assertPublishedValid(result, SCHEMA, `doctor in ${options.cwd === fresh ? "fresh" : "project"}`);
      for (const check of result.checks) statuses.add(check.status);
    }
    assert.deepEqual([...statuses].sort(), ["fail", "pass", "warn"]);
  });

  it("the schema is closed and knows the statuses", async (t) => {
    const result = await runDoctor({ cwd: scratch(t), env: {}, productionReadiness: false });
    assertPublishedInvalid({ ...result, extra: 1 }, SCHEMA, "an extra member");
    assertPublishedInvalid({ ...result, status: "ok" }, SCHEMA, "an unknown status");
    assertPublishedInvalid(
      { ...result, checks: [{ ...result.checks[0], status: "skipped" }] },
      SCHEMA,
      "a check status",
    );
  });
});
