/**
 * `gait regress init|add|run|bootstrap`: turn a runpack into a fixture and gate CI on it.
 * `run` exits 0 when every grader passes and 5 when any fails (a normal outcome, not an error).
 */
import { join } from "node:path";
import { ExitCode } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import {
  addFixture,
  bootstrapRegress,
  type FixtureOutcome,
  initFixture,
  type RegressRunOutcome,
  type RegressRunRequest,
  runRegress,
} from "../../regress/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  type OptionSpec,
  type Options,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { identityOptions } from "../store-flags.ts";
import { type OperationEvents, operationExportOptions, runExported } from "./export-flags.ts";

/** Failing graders listed in the human summary after the first one. */
const MAX_LISTED_FAILURES = 10;

const fromArg = {
  name: "run",
  description: "run_id (looked up in ./gait-out, then ~/.gait/runpacks) or runpack path",
};
const fixtureOptions: OptionSpec[] = [
  {
    name: "from",
    value: "run",
    description: "source runpack: run_id or path (alternative to the positional)",
  },
  { name: "name", value: "name", description: "fixture name (default: the run_id, sanitised)" },
  {
    name: "config",
    value: "path",
    description: "regress config (JSON) next to the fixtures/ directory",
    default: "gait.yaml",
  },
  ...identityOptions,
];
/** A fixture from a session chain's checkpoint (REFERENCE.md §2.7). */
const checkpointOption: OptionSpec = {
  name: "checkpoint",
  value: "latest|N",
  description:
    "--from names a session chain (<journal>_chain.json): the fixture is this checkpoint's runpack, once the chain verifies (a .json source defaults to latest)",
};

const runOptions: OptionSpec[] = [
  {
    name: "output",
    value: "path",
    description: "where the regress result is written",
    default: "regress_result.json",
  },
  { name: "junit", value: "path", description: "also write JUnit XML here" },
  { name: "candidate", value: "run", description: "run_id or runpack path judged against every fixture" },
  { name: "allow-nondeterministic", description: "let non-deterministic graders (e.g. command) run" },
  { name: "context-conformance", description: "require context evidence conformance from every fixture" },
  { name: "allow-context-runtime-drift", description: "let runtime-only context drift pass" },
  ...operationExportOptions,
];

function fixtureRequest(args: string[], options: Options, ctx: CommandContext) {
  const from = args[0] ?? stringOption(options, "from");
  if (!from)
    throw invalidInput("usage", "a source runpack is required (--from <run_id|path>)", {
      hint: "e.g. --from run_demo",
    });
  const name = stringOption(options, "name");
  const config = stringOption(options, "config");
  const checkpoint = stringOption(options, "checkpoint");
  return {
    from,
    cwd: ctx.cwd,
    env: ctx.env,
    ...(name ? { name } : {}),
    ...(config ? { config } : {}),
    ...(checkpoint ? { checkpoint } : {}),
  };
}

function runRequest(options: Options, ctx: CommandContext): RegressRunRequest {
  const optional = (name: string, key: keyof RegressRunRequest) => {
    const value = stringOption(options, name);
    return value ? { [key]: value } : {};
  };
  return {
    cwd: ctx.cwd,
    env: ctx.env,
    ...optional("config", "config"),
    ...optional("output", "output"),
    ...optional("junit", "junit"),
    ...optional("candidate", "candidate"),
    allowNondeterministic: options["allow-nondeterministic"] === true,
    contextConformance: options["context-conformance"] === true,
    allowContextRuntimeDrift: options["allow-context-runtime-drift"] === true,
    onProgress: (message) => ctx.progress(message),
  };
}

function fixtureOutput(outcome: FixtureOutcome, cwd: string) {
  return {
    run_id: outcome.runId,
    fixture_name: outcome.fixtureName,
    fixture_dir: showPath(cwd, outcome.fixtureDir),
    runpack_path: showPath(cwd, outcome.runpackPath),
    config_path: showPath(cwd, outcome.configPath),
    replaced: outcome.replaced,
  };
}

function fixtureOutcome(verb: string, outcome: FixtureOutcome, ctx: CommandContext): CommandOutcome {
  const output = { ...fixtureOutput(outcome, ctx.cwd), next_commands: ["gait regress run --json"] };
  return {
    output,
    human: [
      `${verb} fixture ${outcome.fixtureName} (run_id=${outcome.runId}) in ${output.fixture_dir}`,
      `config=${output.config_path}`,
      "next:",
      "  gait regress run --json",
    ],
  };
}

const regressInitCommand = command({
  name: "init",
  explain: "Verify a runpack and turn it into a regress fixture (fixtures/<name>/) listed in gait.yaml.",
  args: [fromArg],
  options: [...fixtureOptions, checkpointOption],
  examples: [
    "gait regress init --from run_demo",
    "gait regress init --from ./incident.zip --name checkout-loop",
    "gait regress init --from gait-out/sessions/agent_chain.json --checkpoint 2",
  ],
  run: async (args, options, ctx) =>
    fixtureOutcome("initialised", await initFixture(fixtureRequest(args, options, ctx)), ctx),
});

const regressAddCommand = command({
  name: "add",
  explain: "Add another runpack as a fixture; refuses to replace an existing fixture of the same name.",
  args: [fromArg],
  options: [...fixtureOptions, checkpointOption],
  examples: [
    "gait regress add --from run_incident_42",
    "gait regress add --from ./gait-out/runpack_run_x.zip --name x",
  ],
  run: async (args, options, ctx) =>
    fixtureOutcome("added", await addFixture(fixtureRequest(args, options, ctx)), ctx),
});

const regressRunCommand = command({
  name: "run",
  explain:
    "Grade every fixture in gait.yaml and write the regress result (and JUnit); exit 5 when any grader fails.",
  options: [
    { name: "config", value: "path", description: "regress config", default: "gait.yaml" },
    ...runOptions,
    ...identityOptions,
  ],
  examples: [
    "gait regress run --json --junit ./gait-out/junit.xml",
    "gait regress run --candidate ./gait-out/runpack_run_new.zip",
  ],
  run: async (_args, options, ctx) =>
    runOutcome(
      await runExported(options, ctx, () => runRegress(runRequest(options, ctx)), regressSpans),
      ctx,
    ),
});

const regressBootstrapCommand = command({
  name: "bootstrap",
  explain: "Init a fixture from a runpack and run regress in one step (incident to CI gate).",
  args: [fromArg],
  options: [...fixtureOptions, checkpointOption, ...runOptions],
  examples: ["gait regress bootstrap --from run_demo --junit ./gait-out/junit.xml"],
  run: async (args, options, ctx) => {
    const { fixture, run } = await runExported(
      options,
      ctx,
      () => bootstrapRegress({ ...runRequest(options, ctx), ...fixtureRequest(args, options, ctx) }),
      (done, at, operations) =>
        regressSpans(done.ok ? { ok: true, value: done.value.run } : done, at, operations),
    );
    const outcome = runOutcome(run, ctx);
    const human = Array.isArray(outcome.human) ? outcome.human : [];
    return {
      ...outcome,
      output: { ...outcome.output, ...fixtureOutput(fixture, ctx.cwd) },
      human: [`initialised fixture ${fixture.fixtureName} (run_id=${fixture.runId})`, ...human],
    };
  },
});

/** A regress run's spans and failures metric (a run that threw has no result to report). */
const regressSpans: OperationEvents<RegressRunOutcome> = (done, at, operations) =>
  done.ok ? operations.regressEvents(done.value, at) : [];

function runOutcome(run: RegressRunOutcome, ctx: CommandContext): CommandOutcome {
  const { result, failures } = run;
  const output = showPath(ctx.cwd, run.outputPath);
  const junit = run.junitPath ? showPath(ctx.cwd, run.junitPath) : "";
  const top = failures[0];
  const next = nextCommand(run, ctx);
  const headline = `regress ${result.status}: fixture_set=${result.fixture_set} fixtures=${run.fixtures} graders=${result.graders.length} failed=${failures.length}`;
  return {
    exitCode: result.status === "pass" ? ExitCode.ok : ExitCode.regressFailed,
    output: {
      ok: result.status === "pass",
      status: result.status,
      fixture_set: result.fixture_set,
      fixtures: run.fixtures,
      graders: result.graders.length,
      failed: failures.length,
      top_failure_reason: top?.reason_codes[0] ?? "",
      ...(top ? { top_failure: top } : {}),
      failures,
      summary: top ? top.summary : headline,
      next_command: next,
      artifact_paths: junit ? [output, junit] : [output],
      output,
      junit,
    },
    human: [
      headline,
      ...(top ? [`first failure: ${top.summary}`] : []),
      ...failures
        .slice(1, MAX_LISTED_FAILURES + 1)
        .map((f) => `also failed: ${f.name} (${f.reason_codes.join(",") || "failed"})`),
      ...(failures.length > MAX_LISTED_FAILURES + 1
        ? [`... and ${failures.length - MAX_LISTED_FAILURES - 1} more`]
        : []),
      `output=${output}`,
      ...(junit ? [`junit=${junit}`] : []),
      `next: ${next}`,
    ],
  };
}

/** What to look at next: the command that shows why the first failure happened. */
function nextCommand(run: RegressRunOutcome, ctx: CommandContext): string {
  const top = run.failures[0];
  if (!top) return "gait regress run --json";
  const runpack = run.runpackPaths[top.fixture] ?? join("fixtures", top.fixture, "runpack.zip");
  const fixtureRunpack = showPath(ctx.cwd, runpack);
  if (top.grader === "schema_validation") return `gait verify ${fixtureRunpack}`;
  if (run.candidatePath) return `gait run diff ${fixtureRunpack} ${showPath(ctx.cwd, run.candidatePath)}`;
  if (top.grader === "expected_exit_code") return `gait run replay ${fixtureRunpack}`;
  return `gait run inspect ${fixtureRunpack}`;
}

export const regressGroup = group({
  name: "regress",
  explain: "Turn runpacks into regression fixtures and gate CI on them (exit 5 on drift).",
  commands: [regressInitCommand, regressAddCommand, regressRunCommand, regressBootstrapCommand],
});
