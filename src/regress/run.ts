/**
 * `regress run`: reads gait.yaml and every fixture, runs each fixture's graders in order,
 * builds the `gait.regress.result`, and writes it (and JUnit when asked) atomically. The graders
 * and the result are pure; this file is the I/O edge that loads runpacks and writes files.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { compareBytes } from "../contract/bytes.ts";
import { digestJcs, type JsonValue } from "../contract/canonical.ts";
import { asError, fromFsError } from "../contract/errors.ts";
import { showPath } from "../contract/paths.ts";
import type { SchemaValidator } from "../contract/schema.ts";
import {
  loadRunpackEntries,
  parseRunpackEntries,
  type ResolveContext,
  type RunpackEntry,
  resolveRunpackPath,
} from "../runpack/index.ts";
import { writeArtifactAtomic } from "../store/index.ts";
import { commandGrader } from "./command-grader.ts";
import { invalidInput } from "./error-codes.ts";
import {
  type FixtureOutcome,
  type FixtureRequest,
  initFixture,
  readFixtureFile,
  readRegressConfig,
} from "./fixtures.ts";
import {
  errorMessage,
  type FixtureUnderTest,
  type Grader,
  type GraderContext,
  type GraderResult,
  type RunpackLoad,
} from "./grader.ts";
import { builtinGraders, fixtureWantsContext, GRADER_ERROR } from "./graders.ts";
import { renderJunit } from "./junit.ts";
import {
  buildRegressResult,
  type FailureSummary,
  failures,
  type GradedFixture,
  graderEntry,
  renderRegressResult,
} from "./result.ts";
import {
  type ConfigFixture,
  DEFAULT_CONFIG_FILE,
  DEFAULT_RESULT_FILE,
  FIXTURE_FILE,
  type GraderConfig,
  namePattern,
  RESULT_FILE_MODE,
  type RegressConfig,
  type RegressFixture,
  type RegressResult,
} from "./types.ts";
import { loadSchemaValidator } from "./validate.ts";

export interface RegressRunRequest extends ResolveContext {
  /** Config path relative to cwd (default gait.yaml). */
  config?: string;
  /** Result path relative to cwd (default regress_result.json). */
  output?: string;
  /** JUnit XML path relative to cwd; none written when absent. */
  junit?: string;
  /** `<run_id|path>` of a runpack to judge against every fixture. */
  candidate?: string;
  /** Lets non-deterministic graders run (they are refused otherwise). */
  allowNondeterministic?: boolean;
  contextConformance?: boolean;
  allowContextRuntimeDrift?: boolean;
  /** In-process grader plugins, run for every fixture after the built-in and configured graders. */
  graders?: readonly Grader[];
  /** Progress lines for long runs (the CLI sends them to stderr). */
  onProgress?: (message: string) => void;
}

export interface RegressRunOutcome {
  result: RegressResult;
  fixtures: number;
  /** Failing graders, most telling first (see result.ts `failures`). */
  failures: FailureSummary[];
  /** Absolute paths. */
  configPath: string;
  outputPath: string;
  junitPath?: string;
  /** Each fixture's own runpack (absolute), by fixture name. */
  runpackPaths: Record<string, string>;
  /** The `--candidate` runpack (absolute), when one was given and found. */
  candidatePath?: string;
}

/**
 * Fixture files and runpacks read ahead of the one being handled: the reads wait on the thread
 * pool (open, stat, read, close), and one at a time left the process idle half of a long run.
 */
const READ_AHEAD = 8;

/** Fixtures between progress lines, and the longest silence (ms) a long run keeps. */
const PROGRESS_EVERY = 25;
const PROGRESS_INTERVAL_MS = 1000;

export async function runRegress(request: RegressRunRequest): Promise<RegressRunOutcome> {
  const configPath = resolve(request.cwd, request.config ?? DEFAULT_CONFIG_FILE);
  const workDir = dirname(configPath);
  const schemas = await loadSchemaValidator();
  const config = await readRegressConfig(configPath, schemas);
  if (config.fixtures.length === 0) {
    throw invalidInput("regress_no_fixtures", `${configPath} lists no fixtures`, {
      hint: "add one with gait regress add --from <run_id|path>",
    });
  }
  const plan = await planRun(config, workDir, schemas, request);
  const ctx: GraderContext = {
    workDir,
    env: request.env,
    contextConformance: request.contextConformance === true,
    allowContextRuntimeDrift: request.allowContextRuntimeDrift === true,
  };
  const candidates = new CandidateCache(request, workDir);
  const graded: GradedFixture[] = [];
  let createdAt: string | undefined;
  const progress = progressReporter(plan.length, request.onProgress);
  const runpackPaths: Record<string, string> = {};
  const loads = readAhead(plan, READ_AHEAD, async (step) => ({
    baseline: await loadRunpackRef(resolve(step.dir, step.fixture.runpack), workDir),
    ...(await candidates.forFixture(step)),
  }));
  for (const [index, step] of plan.entries()) {
    const under: FixtureUnderTest = {
      name: step.entry.name,
      fixture: step.fixture,
      dir: step.dir,
      ...(await loads.next()).value!,
    };
    runpackPaths[under.name] = under.baseline.path;
    for (const [order, grader] of step.graders.entries()) {
      graded.push({
        fixture: under.name,
        grader: grader.name,
        order,
        entry: await gradeOne(grader, under, ctx),
      });
    }
    if (createdAt === undefined && under.baseline.ok) createdAt = under.baseline.runpack.run.created_at;
    progress(index + 1);
  }
  const result = buildRegressResult({
    fixtureSet: config.fixture_set,
    ...(createdAt ? { createdAt } : {}),
    graded,
  });
  const outputPath = resolve(request.cwd, request.output ?? DEFAULT_RESULT_FILE);
  // An artifact, written as the reference writes artifacts: atomically, mode 0600.
  const writtenPath = await writeArtifactAtomic(outputPath, renderRegressResult(result), {
    mode: RESULT_FILE_MODE,
  });
  const junitPlainPath = request.junit ? resolve(request.cwd, request.junit) : undefined;
  // A CI report for the CI's own reader (test-report uploaders), so world-readable as before;
  // under an encrypted store it is encrypted like every other output.
  const junitPath = junitPlainPath
    ? await writeArtifactAtomic(junitPlainPath, renderJunit(result), { mode: 0o644 })
    : undefined;
  return {
    result,
    fixtures: plan.length,
    failures: failures(graded),
    configPath,
    outputPath: writtenPath,
    ...(junitPath ? { junitPath } : {}),
    runpackPaths,
    ...(await candidates.flagPath()),
  };
}

export interface BootstrapOutcome {
  fixture: FixtureOutcome;
  run: RegressRunOutcome;
}

/** `regress bootstrap`: init the fixture from a runpack, then run the whole config. */
export async function bootstrapRegress(
  request: FixtureRequest & RegressRunRequest,
): Promise<BootstrapOutcome> {
  const fixture = await initFixture(request);
  return { fixture, run: await runRegress(request) };
}

// ---------------------------------------------------------------------------------------------
// Planning: every fixture.json read and every grader chosen before anything is graded, so a
// broken config or a refused grader stops the run before it starts.

interface FixtureStep {
  entry: ConfigFixture;
  fixture: RegressFixture;
  /** Absolute fixture directory (where fixture.json lives). */
  dir: string;
  graders: Grader[];
}

async function planRun(
  config: RegressConfig,
  workDir: string,
  schemas: SchemaValidator,
  request: RegressRunRequest,
): Promise<FixtureStep[]> {
  const loaded = [];
  const reads = readAhead(config.fixtures, READ_AHEAD, async (entry) => {
    const dir = dirname(resolve(workDir, entry.runpack));
    return { entry, dir, fixture: await readFixtureFile(resolve(dir, FIXTURE_FILE), entry.name, schemas) };
  });
  for await (const read of reads) loaded.push(read);
  loaded.sort((a, b) => compareBytes(a.entry.name, b.entry.name));
  const withContext =
    request.contextConformance === true || loaded.some((l) => fixtureWantsContext(l.fixture));
  const builtins = builtinGraders(schemas, withContext);
  const shared = [...(config.graders ?? []).map(graderFromConfig), ...(request.graders ?? [])];
  const steps = loaded.map((l) => ({
    ...l,
    graders: checkGraderNames(l.entry.name, [
      ...builtins,
      ...shared,
      ...(l.entry.graders ?? []).map(graderFromConfig),
    ]),
  }));
  checkNondeterministic(steps, request.allowNondeterministic === true);
  return steps;
}

function graderFromConfig(config: GraderConfig): Grader {
  return commandGrader(config);
}

function checkGraderNames(fixture: string, graders: Grader[]): Grader[] {
  const seen = new Set<string>();
  for (const grader of graders) {
    if (!namePattern.test(grader.name)) {
      throw invalidInput("grader_name_invalid", `grader name ${JSON.stringify(grader.name)} is not allowed`, {
        hint: "grader names use lower-case letters, digits, '.', '_' and '-'",
      });
    }
    if (seen.has(grader.name)) {
      throw invalidInput("grader_name_conflict", `fixture ${fixture} has two graders named ${grader.name}`, {
        hint: "give each configured grader its own name (the `name` field in gait.yaml)",
        details: { fixture, grader: grader.name },
      });
    }
    seen.add(grader.name);
  }
  return graders;
}

/** Non-deterministic graders need the explicit flag, and must say what to pin. */
function checkNondeterministic(steps: readonly FixtureStep[], allowed: boolean): void {
  const names = new Set<string>();
  for (const step of steps) {
    for (const grader of step.graders) {
      if (grader.deterministic) continue;
      if (!grader.pinning) {
        throw invalidInput(
          "grader_pinning_missing",
          `non-deterministic grader ${grader.name} declares no pinning`,
          {
            hint: "a non-deterministic grader must implement pinning() (model, version, parameters)",
            details: { grader: grader.name },
          },
        );
      }
      names.add(grader.name);
    }
  }
  if (names.size === 0 || allowed) return;
  const list = [...names].sort();
  throw invalidInput(
    "nondeterministic_grader_refused",
    `regress refuses non-deterministic grader${list.length > 1 ? "s" : ""} ${list.join(", ")} without --allow-nondeterministic`,
    {
      hint: "pass --allow-nondeterministic to run them (their pinned configuration is recorded in the result), or remove them from gait.yaml",
      details: { graders: list },
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Grading one fixture with one grader.

async function gradeOne(grader: Grader, under: FixtureUnderTest, ctx: GraderContext) {
  let outcome: GraderResult;
  try {
    outcome = await grader.grade(under, ctx);
  } catch (error) {
    outcome = { status: "fail", reason_codes: [GRADER_ERROR], details: { error: errorMessage(error) } };
  }
  const details: Record<string, JsonValue> = {
    ...outcome.details,
    ...pinningDetails(grader),
    fixture: under.name,
    run_id: under.fixture.run_id,
  };
  return graderEntry(
    `${under.name}/${grader.name}`,
    outcome.status === "pass" ? "pass" : "fail",
    outcome.reason_codes,
    details,
    outcome.context_conformance,
  );
}

function pinningDetails(grader: Grader): Record<string, JsonValue> {
  if (grader.deterministic || !grader.pinning) return {};
  const pinning = grader.pinning();
  return { deterministic: false, pinning, pinning_digest: digestJcs(pinning) };
}

// ---------------------------------------------------------------------------------------------
// Loading runpacks for grading: failures become values the graders report on, never exceptions.

async function loadRunpackRef(path: string, workDir: string): Promise<RunpackLoad> {
  const ref = { path, display: showPath(workDir, path) };
  let bytes: Buffer;
  try {
    // Synchronous, as the CLI's other inputs: fixtures' runpacks are small (the zip reader caps
    // them), and a thread-pool round trip costs more than such a read.
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
    return { ...ref, ok: false, missing, error: fromFsError(error, "read runpack", path) };
  }
  let entries: RunpackEntry[];
  try {
    entries = await loadRunpackEntries(bytes);
  } catch (error) {
    return { ...ref, ok: false, missing: false, error: asError(error) };
  }
  try {
    const { runpack } = parseRunpackEntries(entries, { requireContextEvidence: true });
    return { ...ref, ok: true, entries, runpack };
  } catch (error) {
    return { ...ref, ok: false, missing: false, entries, error: asError(error) };
  }
}

/** Candidates are read once per path: a global `--candidate` is shared by every fixture. */
class CandidateCache {
  private readonly loads = new Map<string, Promise<RunpackLoad>>();

  constructor(
    private readonly request: RegressRunRequest,
    private readonly workDir: string,
  ) {}

  async forFixture(step: FixtureStep): Promise<{ candidate?: RunpackLoad }> {
    if (this.request.candidate !== undefined)
      return { candidate: await this.flagCandidate(this.request.candidate) };
    const own = step.fixture.candidate_runpack;
    return own === undefined ? {} : { candidate: await this.load(resolve(step.dir, own)) };
  }

  async flagPath(): Promise<{ candidatePath?: string }> {
    if (this.request.candidate === undefined) return {};
    const load = await this.flagCandidate(this.request.candidate);
    return load.ok || !load.missing ? { candidatePath: load.path } : {};
  }

  /** A `--candidate` run_id that resolves nowhere is a per-fixture `candidate_path_invalid`. */
  private async flagCandidate(ref: string): Promise<RunpackLoad> {
    let path: string;
    try {
      path = resolveRunpackPath(ref, this.request);
    } catch (error) {
      return { ok: false, path: ref, display: ref, missing: true, error: asError(error) };
    }
    return this.load(path);
  }

  private load(path: string): Promise<RunpackLoad> {
    let load = this.loads.get(path);
    if (!load) {
      load = loadRunpackRef(path, this.workDir);
      this.loads.set(path, load);
    }
    return load;
  }
}

/**
 * `load` of each item in order, with up to `window` started before their turn. A failure surfaces
 * at its turn, as in a plain loop; reads started past it are left to finish, never to go unhandled.
 */
async function* readAhead<T, R>(
  items: readonly T[],
  window: number,
  load: (item: T) => Promise<R>,
): AsyncGenerator<R, void, undefined> {
  // Dropped once consumed: a long run holds `window` runpacks, not all of them.
  const queue: Promise<R>[] = [];
  let next = 0;
  while (next < items.length || queue.length > 0) {
    while (next < items.length && queue.length < window) {
      const read = load(items[next++]!);
      read.catch(() => {});
      queue.push(read);
    }
    yield await queue.shift()!;
  }
}

function progressReporter(total: number, report: ((message: string) => void) | undefined) {
  let last = performance.now();
  return (done: number) => {
    if (!report) return;
    const now = performance.now();
    if (done % PROGRESS_EVERY !== 0 && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    report(`regress: graded ${done}/${total} fixtures`);
  };
}
