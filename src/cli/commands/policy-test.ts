/**
 * `gait policy test` and `gait policy simulate`: the CLI shell over src/policytest. The specs are
 * exported for the `policy` group (src/cli/commands/policy.ts) to list.
 */
import { resolve } from "node:path";
import { ExitCode, exitForVerdict } from "../../contract/exit.ts";
import { Timestamp } from "../../contract/time.ts";
import { compilePolicy, loadPolicyFile } from "../../gate/index.ts";
import {
  type FixtureOutcome,
  type FixturesReport,
  type PolicyTestResult,
  readFixtureSources,
  readPolicyTestInput,
  runFixtures,
  runPolicyTest,
  type SimulationReport,
  simulatePolicies,
  verdictSummary,
  withoutExpectation,
} from "../../policytest/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  listOption,
  type Options,
  stringOption,
} from "../command.ts";
import { type CliErrorCode, invalidInput } from "../error-codes.ts";
import { readJsonInput } from "../io.ts";

/** Fixtures mode: an expectation failed or a fixture could not be evaluated. */

const evaluationTimeOption = {
  name: "evaluation-time",
  value: "rfc3339",
  description: "evaluate as of this time (freeze windows, agent expiry); default now",
};

export const policyTestCommand = command({
  name: "test",
  explain:
    "Show the verdict a policy gives an intent (exit 0 allow/dry_run, 3 block, 4 require_approval), or check a folder or JSONL of fixture intents against their expected_verdict (exit 2 when one fails).",
  args: [
    { name: "policy", description: "policy YAML file", required: true },
    {
      name: "intent",
      description:
        "intent JSON file (or - for stdin), or fixtures: a JSONL file or a directory of intent JSON files",
      required: true,
    },
  ],
  options: [evaluationTimeOption],
  examples: [
    "gait policy test gait.policy.yaml intent.json --json",
    "gait policy test gait.policy.yaml fixtures/ --json",
    "gait policy test gait.policy.yaml intents.jsonl --evaluation-time 2026-03-01T12:00:00Z",
  ],
  run: runTest,
});

export const policySimulateCommand = command({
  name: "simulate",
  explain:
    "Compare the verdicts of a baseline and a candidate policy on fixture intents and recommend a rollout (enforce, observe or require_approval).",
  options: [
    { name: "baseline", value: "path", description: "the policy in force today" },
    { name: "policy", value: "path", description: "the candidate policy" },
    {
      name: "fixtures",
      value: "paths",
      description: "comma-separated intent JSON files, JSONL files or directories of intent JSON files",
      repeatable: true,
    },
    evaluationTimeOption,
  ],
  examples: [
    "gait policy simulate --baseline gait.policy.yaml --policy candidate.yaml --fixtures fixtures/",
    "gait policy simulate --baseline a.yaml --policy b.yaml --fixtures intents.jsonl,more/ --json",
  ],
  run: runSimulate,
});

async function runTest(args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const [policyPath, inputPath] = args;
  if (!policyPath || !inputPath) {
    throw invalidInput("usage", "policy test needs a policy file and an intent (or fixtures)", {
      hint: "e.g. gait policy test gait.policy.yaml intent.json",
    });
  }
  const compiled = compilePolicy(await loadPolicyFile(resolve(ctx.cwd, policyPath)));
  const now = evaluationTime(options, ctx);
  const input =
    inputPath === "-"
      ? { kind: "intent" as const, document: await readJsonInput("-", ctx.cwd, "intent") }
      : await readPolicyTestInput(resolve(ctx.cwd, inputPath), inputPath);
  if (input.kind === "fixtures") {
    return fixturesOutcome(inputPath, runFixtures(compiled, input.fixtures, { now }));
  }
  return singleOutcome(runPolicyTest(compiled, withoutExpectation(input.document), { now }));
}

function singleOutcome(result: PolicyTestResult): CommandOutcome {
  const { producer_version: _producer, ...fields } = result;
  const summary = verdictSummary(result.verdict, result.reason_codes, result.violations);
  const human = [summary];
  if (result.matched_rule) human.push(`matched_rule=${result.matched_rule}`);
  return { exitCode: exitForVerdict(result.verdict), output: { ...fields, summary }, human };
}

function fixturesOutcome(source: string, report: FixturesReport): CommandOutcome {
  const output: Record<string, unknown> = { mode: "fixtures", source, ...report };
  const human = [...fixtureTable(report.fixtures), report.summary];
  if (report.failed === 0) return { output, human };
  const failedNames = report.fixtures.filter((f) => f.status === "fail" || f.status === "error");
  output.ok = false;
  output.error = `${report.failed} of ${report.total} fixtures failed: ${failedNames.map((f) => f.fixture).join(", ")}`;
  output.error_code = "policy_test_failed" satisfies CliErrorCode;
  output.hint = "compare each failing fixture's verdict and reason_codes with its expected_verdict";
  return { exitCode: ExitCode.verificationFailed, output, human };
}

function fixtureTable(fixtures: FixtureOutcome[]): string[] {
  const width = Math.max(...fixtures.map((f) => f.fixture.length));
  return fixtures.map((f) => {
    const status = f.status.toUpperCase().padEnd(9);
    const name = f.fixture.padEnd(width);
    if (f.status === "error") return `${status} ${name}  ${f.error_code}: ${f.error}`;
    const expected = f.status === "fail" ? ` (expected ${f.expected_verdict})` : "";
    return `${status} ${name}  ${f.verdict}${expected}  reasons=${(f.reason_codes ?? []).join(",") || "none"}`;
  });
}

async function runSimulate(_args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const baselinePath = stringOption(options, "baseline");
  const candidatePath = stringOption(options, "policy");
  const fixturePaths = listOption(options, "fixtures");
  if (!baselinePath || !candidatePath || fixturePaths.length === 0) {
    throw invalidInput("usage", "policy simulate needs --baseline, --policy and --fixtures", {
      hint: "e.g. gait policy simulate --baseline current.yaml --policy candidate.yaml --fixtures fixtures/",
    });
  }
  const baseline = compilePolicy(await loadPolicyFile(resolve(ctx.cwd, baselinePath)));
  const candidate = compilePolicy(await loadPolicyFile(resolve(ctx.cwd, candidatePath)));
  const fixtures = await readFixtureSources(
    fixturePaths.map((name) => ({ path: resolve(ctx.cwd, name), name })),
  );
  const report = simulatePolicies({ baseline, candidate, fixtures }, { now: evaluationTime(options, ctx) });
  return { output: { ...report }, human: simulationLines(report) };
}

/** "What would have been blocked": one row per fixture whose verdict changes. */
function simulationLines(report: SimulationReport): string[] {
  const lines = [report.summary];
  if (report.changed.length > 0) {
    const rows = [
      ["FIXTURE", "BASELINE", "CANDIDATE"],
      ...report.changed.map((c) => [c.fixture_path, c.baseline_verdict, c.candidate_verdict]),
    ];
    const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const [name = "", before = "", after = ""] of rows) {
      lines.push(`  ${name.padEnd(widths[0]!)}  ${before.padEnd(widths[1]!)}  ${after}`);
    }
  }
  lines.push(`recommendation: ${report.recommendation}`, `  ${report.recommendation_reason}`);
  return lines;
}

function evaluationTime(options: Options, ctx: CommandContext): Timestamp {
  const text = stringOption(options, "evaluation-time");
  return text === undefined ? ctx.clock() : Timestamp.parse(text, "--evaluation-time");
}
