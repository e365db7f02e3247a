/**
 * What the built CLI writes and prints validates against the schemas we publish in schemas/v1
 * (the artifacts without a public v1 counterpart): the doctor result, the project config of
 * gait init, the rate-limit state and approval ledger of gate eval, and the run diff file.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import { mintApprovalToken, parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";
import { DoctorResultSchema } from "../../src/onboarding/doctor-schema.ts";
import { type CliResult, repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const policy = `default_verdict: block
rules:
  - name: approve-write
    effect: require_approval
    match:
      tool_names: [tool.write]
  - name: limited-search
    effect: allow
    match:
      tool_names: [tool.search]
    rate_limit:
      requests: 5
      window: minute
      scope: tool_identity
`;

const intent = (tool: string) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: tool,
  args: { path: "/tmp/out.txt" },
  targets: [{ kind: "path", value: "/tmp/out.txt", operation: tool === "tool.write" ? "write" : "read" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "low" },
});

/** The doctor's own members of `gait doctor --json` (the CLI adds ok, correlation_id and error members). */
function doctorPart(r: CliResult): Record<string, unknown> {
  const output = r.json ?? {};
  return Object.fromEntries(Object.keys(DoctorResultSchema.properties).map((key) => [key, output[key]]));
}

describe("CLI artifacts against the published schemas (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  const gait = (args: string[]) => runGait(args, { cwd: dir });
  const readJson = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), "utf8"));
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, "policy.yaml"), policy);
    for (const tool of ["write", "search"])
      writeFileSync(join(dir, `${tool}.json`), JSON.stringify(intent(`tool.${tool}`)));
  });
  after(() => cleanup());

  it("gait doctor --json before and after gait init, and with --production-readiness", async () => {
    const fresh = await gait(["doctor", "--json"]);
    assert.equal(fresh.json?.schema_id, "gait.doctor.result", fresh.stdout);
    assertPublishedValid(doctorPart(fresh), "doctor/doctor_result.schema.json", "doctor in a fresh dir");
    const init = await gait(["init", "--json"]);
    assert.equal(init.code, 0, init.stdout);
    const config = parseYaml(readFileSync(join(dir, ".gait/config.yaml"), "utf8"));
    assertPublishedValid(config, "config/project_config.schema.json", "gait init's .gait/config.yaml");
    for (const args of [
      ["doctor", "--json"],
      ["doctor", "--production-readiness", "--json"],
    ]) {
      const r = await gait(args);
      assertPublishedValid(doctorPart(r), "doctor/doctor_result.schema.json", args.join(" "));
    }
  });

  it("gate eval's rate-limit state, and no lock file left behind", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await gait([
        ...["gate", "eval", "--json", "--no-config", "--policy", "policy.yaml", "--intent", "search.json"],
        ...["--rate-limit-state", "limits.json"],
      ]);
      assert.equal(r.code, 0, r.stdout);
    }
    assertPublishedValid(readJson("limits.json"), "gate/rate_limit_state.schema.json", "rate-limit state");
    assert.equal(existsSync(join(dir, "limits.json.lock")), false);
  });

  it("gate eval's single-use approval ledger", async () => {
    const approver = generateSigningKey();
    writeFileSync(join(dir, "approver_public.key"), `${encodePublicKey(approver)}\n`);
    const token = mintApprovalToken(
      {
        intentDigest: prepareIntent(intent("tool.write")).intentDigest,
        policyDigest: parsePolicyYaml(policy, "policy.yaml").policyDigest,
        approver: "alice",
        reasonCode: "change_1",
        scope: ["tool:tool.write"],
        ttlNanos: parseGoDuration("1h"),
        now: Timestamp.fromEpochMs(Date.now()),
      },
      approver,
    );
    writeFileSync(join(dir, "token.json"), JSON.stringify(token));
    const r = await gait([
      ...["gate", "eval", "--json", "--no-config", "--policy", "policy.yaml", "--intent", "write.json"],
      ...["--approval-token", "token.json", "--approval-public-key", "approver_public.key"],
      ...["--approval-single-use", "--approval-ledger", "spent.json"],
    ]);
    assert.equal(r.json?.verdict, "allow", r.stdout);
    assertPublishedValid(readJson("spent.json"), "gate/approval_ledger.schema.json", "approval ledger");
    assert.equal(existsSync(join(dir, "spent.json.lock")), false);
  });

  it("gait run diff --output", async () => {
    assert.equal((await gait(["demo", "--json"])).code, 0);
    const changed = join(repoRoot, "examples", "regress", "changed_run.json");
    const recorded = await gait(["run", "record", changed, "--json"]);
    assert.equal(recorded.code, 0, recorded.stdout);
    const diff = await gait([
      "run",
      "diff",
      "run_demo",
      String(recorded.json?.run_id),
      "--output",
      "d.json",
      "--json",
    ]);
    assert.equal(diff.code, 2, diff.stdout);
    assertPublishedValid(readJson("d.json"), "runpack/run_diff.schema.json", "run diff");
  });
});
