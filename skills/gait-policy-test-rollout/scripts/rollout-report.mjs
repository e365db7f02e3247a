#!/usr/bin/env node
// One JSON report for a policy rollout: `gait policy validate`, `gait policy test` on the
// fixtures and `gait policy simulate` against the baseline, with the fixtures that failed their
// expectation and the verdict changes that allow or block something new picked out of the
// outputs. Every verdict and the recommendation are gait's; this script only reads its JSON.
// No dependencies; runs `gait` from PATH, or the executable named by GAIT_BIN.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const INVALID_INPUT = 6;
const EXPECTATIONS_FAILED = 2;

main();

function main() {
  const flags = readFlags();
  if ("error" in flags) return finish({ ok: false, stage: "flags", ...flags }, INVALID_INPUT);
  const { baseline, policy, fixtures } = flags;

  const validate = gait(["policy", "validate", policy, "--json"]);
  if (validate.exitCode !== 0) return stop("validate", validate);

  const test = gait(["policy", "test", policy, fixtures, "--json"]);
  if (test.exitCode !== 0 && test.exitCode !== EXPECTATIONS_FAILED) return stop("policy_test", test);

  const simulate = gait([
    "policy",
    "simulate",
    "--baseline",
    baseline,
    "--policy",
    policy,
    "--fixtures",
    fixtures,
    "--json",
  ]);
  if (simulate.exitCode !== 0) return stop("simulate", simulate);

  const expectationsHold = test.exitCode === 0;
  finish(
    {
      ok: expectationsHold,
      policy_digest: validate.json.policy_digest,
      policy_test: policyTestSummary(test),
      simulate: simulateSummary(simulate.json),
    },
    expectationsHold ? 0 : EXPECTATIONS_FAILED,
  );
}

function readFlags() {
  try {
    const { values } = parseArgs({
      options: {
        baseline: { type: "string" },
        policy: { type: "string" },
        fixtures: { type: "string" },
      },
    });
    const missing = ["baseline", "policy", "fixtures"].filter((name) => !values[name]);
    if (missing.length > 0) {
      return {
        error: `missing ${missing.map((name) => `--${name}`).join(", ")}`,
        hint: "usage: rollout-report.mjs --baseline <policy> --policy <candidate> --fixtures <jsonl|dir>",
      };
    }
    return values;
  } catch (error) {
    return { error: error.message, hint: "flags: --baseline, --policy, --fixtures" };
  }
}

/** Runs gait with argv; its exit code and its stdout parsed as JSON (undefined when it is not JSON). */
function gait(argv) {
  const result = spawnSync(process.env.GAIT_BIN || "gait", argv, {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) return { exitCode: 127, json: undefined, spawnError: result.error.message };
  let json;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { exitCode: result.status ?? 1, json };
}

function policyTestSummary(test) {
  const json = test.json ?? {};
  return {
    exit_code: test.exitCode,
    total: json.total,
    passed: json.passed,
    failed: json.failed,
    errors: json.errors,
    failing: (json.fixtures ?? [])
      .filter((fixture) => fixture.status === "fail" || fixture.status === "error")
      .map((fixture) => ({
        fixture: fixture.fixture,
        status: fixture.status,
        expected_verdict: fixture.expected_verdict,
        verdict: fixture.verdict,
        error_code: fixture.error_code,
      })),
  };
}

function simulateSummary(json) {
  const changed = json.changed ?? [];
  const pathsTo = (verdict) =>
    changed.filter((entry) => entry.candidate_verdict === verdict).map((entry) => entry.fixture_path);
  return {
    fixtures_total: json.fixtures_total,
    changed_fixtures: json.changed_fixtures,
    relaxed_to_allow: pathsTo("allow"),
    new_blocks: pathsTo("block"),
    recommendation: json.recommendation,
    recommendation_reason: json.recommendation_reason,
  };
}

/** A gait call that did not produce what the report needs: say which, with gait's own error. */
function stop(stage, call) {
  const json = call.json ?? {};
  const error = call.spawnError ?? json.error ?? `gait exited ${call.exitCode} without a JSON result`;
  const hint = call.spawnError ? "put gait on PATH or set GAIT_BIN to its executable" : json.hint;
  finish({ ok: false, stage, exit_code: call.exitCode, error, hint }, call.exitCode === 0 ? 1 : call.exitCode);
}

function finish(report, exitCode) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = exitCode;
}
