/**
 * Scenario folders (test/scenarios/<case>/): human-written behaviour specs of `gait gate eval`.
 * Each folder holds a policy, an intent and the expected outcome; this table-driven test finds
 * every folder, runs the BUILT CLI in a temp copy of it and compares the exit code and every field
 * listed in expected.json. See test/scenarios/README.md for the folder layout.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { type CliResult, repoRoot, runGait, tempDir } from "./helpers/cli.ts";

const scenariosRoot = join(import.meta.dirname, "scenarios");
/** Cases run concurrently in a small pool: each is a few short CLI processes. */
const POOL = 4;
/**
 * Keys of expected.json that are not compared: `description` documents the case; `known_bug`
 * marks a case whose expected.json states the contract while today's behaviour differs (the case
 * is reported as a TODO with its diff instead of failing, and fails once the bug no longer
 * reproduces, so the marker gets removed).
 */
const DOCUMENTATION_KEYS = new Set(["description", "known_bug"]);

type Expected = Record<string, unknown>;

interface Step {
  intent: string;
  args: string[];
  expected: Expected;
  label: string;
}

interface Scenario {
  name: string;
  dir: string;
  steps: Step[];
  knownBug?: string;
}

interface StepRun {
  step: Step;
  argv: string[];
  result: CliResult;
  mismatches: string[];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${relative(repoRoot, path)}: ${(error as Error).message}`);
  }
}

function stringArray(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`${where} must be an array of strings`);
  }
  return value;
}

function expectedObject(value: unknown, where: string): Expected {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be a JSON object`);
  }
  if (typeof (value as Expected).exit_code !== "number")
    throw new Error(`${where} needs a numeric exit_code`);
  return value as Expected;
}

/** Reads a case folder: optional sequence.json steps first, then the main evaluation. */
function loadScenario(name: string): Scenario {
  const dir = join(scenariosRoot, name);
  for (const file of ["policy.yaml", "intent.json", "expected.json"]) {
    if (!existsSync(join(dir, file))) throw new Error(`scenario ${name}: missing ${file}`);
  }
  const steps: Step[] = [];
  const sequencePath = join(dir, "sequence.json");
  if (existsSync(sequencePath)) {
    const sequence = readJson(sequencePath);
    if (!Array.isArray(sequence)) throw new Error(`scenario ${name}: sequence.json must be an array`);
    sequence.forEach((raw: Record<string, unknown>, i) => {
      const where = `scenario ${name}: sequence.json[${i}]`;
      steps.push({
        intent: typeof raw.intent === "string" ? raw.intent : "intent.json",
        args: raw.args === undefined ? [] : stringArray(raw.args, `${where}.args`),
        expected: expectedObject(raw.expected, `${where}.expected`),
        label: `sequence step ${i + 1} of ${sequence.length}`,
      });
    });
  }
  const argsPath = join(dir, "args.json");
  const expected = expectedObject(readJson(join(dir, "expected.json")), `scenario ${name}: expected.json`);
  steps.push({
    intent: "intent.json",
    args: existsSync(argsPath) ? stringArray(readJson(argsPath), `scenario ${name}: args.json`) : [],
    expected,
    label: "main evaluation (expected.json)",
  });
  const scenario: Scenario = { name, dir, steps };
  if (typeof expected.known_bug === "string") scenario.knownBug = expected.known_bug;
  return scenario;
}

function show(value: unknown): string {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

/** One line per expected field that differs; `null` in expected.json means "absent or null". */
function compare(expected: Expected, result: CliResult): string[] {
  const mismatches: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    if (DOCUMENTATION_KEYS.has(key)) continue;
    const got = key === "exit_code" ? result.code : result.json?.[key];
    const same = want === null ? got === undefined || got === null : isDeepStrictEqual(got, want);
    if (!same) mismatches.push(`  ${key}:\n    expected ${show(want)}\n    actual   ${show(got)}`);
  }
  if (result.json === undefined) mismatches.push("  stdout is not one JSON object");
  return mismatches;
}

/** GAIT_* variables of the developer's shell must not reach the CLI; HOME is the case's own. */
function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: join(dir, ".home"), USERPROFILE: join(dir, ".home") };
  for (const name of Object.keys(process.env)) if (name.startsWith("GAIT_")) env[name] = "";
  return env;
}

async function runScenario(scenario: Scenario): Promise<StepRun[]> {
  const { dir, cleanup } = tempDir(`gait-scenario-${scenario.name}-`);
  try {
    cpSync(scenario.dir, dir, { recursive: true });
    const runs: StepRun[] = [];
    for (const step of scenario.steps) {
      const argv = [
        "gate",
        "eval",
        "--policy",
        "policy.yaml",
        "--intent",
        step.intent,
        "--json",
        "--no-config",
        ...step.args,
      ];
      const result = await runGait(argv, { cwd: dir, env: isolatedEnv(dir) });
      runs.push({ step, argv, result, mismatches: compare(step.expected, result) });
    }
    return runs;
  } finally {
    cleanup();
  }
}

/**
 * Rate-limit buckets are hours of the wall clock: a sequence that straddles an hour boundary
 * legitimately restarts its count, so such a run is repeated once.
 */
async function runScenarioStable(scenario: Scenario): Promise<StepRun[]> {
  const hour = () => Math.floor(Date.now() / 3_600_000);
  const started = hour();
  const runs = await runScenario(scenario);
  const failed = runs.some((r) => r.mismatches.length > 0);
  return failed && scenario.steps.length > 1 && hour() !== started ? runScenario(scenario) : runs;
}

function report(scenario: Scenario, runs: StepRun[]): string {
  const lines = [
    `scenario "${scenario.name}" (${relative(repoRoot, scenario.dir)}) does not behave as specified:`,
  ];
  for (const run of runs) {
    if (run.mismatches.length === 0) continue;
    lines.push(`${run.step.label}: gait ${run.argv.join(" ")}`, ...run.mismatches);
    lines.push(`  stdout: ${run.result.stdout.trim() || "(empty)"}`);
    if (run.result.stderr.trim()) lines.push(`  stderr: ${run.result.stderr.trim()}`);
  }
  return lines.join("\n");
}

async function mapPool<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

/** A failure whose message is the whole report (no stack trace to wade through). */
function scenarioFailure(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

const cases = readdirSync(scenariosRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort()
  .map((name): { name: string; scenario?: Scenario; error?: unknown } => {
    try {
      return { name, scenario: loadScenario(name) };
    } catch (error) {
      return { name, error };
    }
  });

describe("gate eval scenarios (test/scenarios/<case>)", () => {
  const runs = new Map<string, StepRun[]>();

  before(async () => {
    const runnable = cases.flatMap((c) => (c.scenario ? [c.scenario] : []));
    await mapPool(runnable, POOL, async (scenario) => {
      runs.set(scenario.name, await runScenarioStable(scenario));
    });
  });
  after(() => runs.clear());

  it("finds the scenario folders", () => {
    assert.ok(cases.length > 0, `no scenario folders under ${relative(repoRoot, scenariosRoot)}`);
  });

  for (const { name, scenario, error } of cases) {
    it(name, (t) => {
      if (!scenario) throw error;
      const stepRuns = runs.get(name);
      if (!stepRuns) throw scenarioFailure(`scenario ${name} did not run`);
      const failed = stepRuns.some((r) => r.mismatches.length > 0);
      if (scenario.knownBug) {
        if (!failed) {
          throw scenarioFailure(
            `scenario ${name} now behaves as specified: remove "known_bug" from its expected.json`,
          );
        }
        t.todo(`known bug: ${scenario.knownBug}`);
      }
      if (failed) throw scenarioFailure(report(scenario, stepRuns));
    });
  }
});
