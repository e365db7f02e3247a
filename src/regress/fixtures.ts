/**
 * Fixtures (CONTRACTS.md §6.2): turning a verified runpack into `fixtures/<name>/` (a copy of
 * the runpack plus fixture.json with what it recorded) and keeping `gait.yaml` listing them.
 * The builders are pure; `initFixture` / `addFixture` are the I/O edge.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { compareBytes } from "../contract/bytes.ts";
import { parseJsonObject } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { writeFileAtomic } from "../contract/files.ts";
import type { SchemaValidator } from "../contract/schema.ts";
import {
  type ResolveContext,
  type Runpack,
  readRunpack,
  resolveRunpackPath,
  sessionCheckpointSource,
} from "../runpack/index.ts";
import { invalidInput, type RegressErrorCode } from "./error-codes.ts";
import { stubReplayExitCode } from "./graders.ts";
import { prettyJson } from "./render.ts";
import { toolSequence, verdictSequence } from "./trajectory.ts";
import {
  type ConfigFixture,
  DEFAULT_CONFIG_FILE,
  DEFAULT_FIXTURE_SET,
  FIXTURE_FILE,
  FIXTURE_RUNPACK_FILE,
  FIXTURES_DIR,
  namePattern,
  REGRESS_SCHEMA_VERSION,
  type RegressConfig,
  type RegressFixture,
  RegressSchemaIds,
} from "./types.ts";
import { assertDocument, loadSchemaValidator } from "./validate.ts";

/** Fixture name from a run_id: lower-case, other characters → `-`, trimmed of `-._`. */
export function fixtureNameFor(runId: string): string {
  return runId
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-._]+|[-._]+$/g, "");
}

export function assertFixtureName(name: string): string {
  if (!namePattern.test(name)) {
    throw invalidInput("fixture_name_invalid", `fixture name ${JSON.stringify(name)} is not allowed`, {
      hint: "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (--name)",
    });
  }
  return name;
}

/** Options of an existing fixture that a user may have tuned; re-initialising keeps them. */
const TUNABLE_KEYS = [
  "candidate_runpack",
  "allow_context_runtime_drift",
  "diff_allow_changed_files",
] as const;
type Tunables = Partial<Pick<RegressFixture, (typeof TUNABLE_KEYS)[number]>>;

/** fixture.json for a runpack: what its stub replay, tools, verdicts and context evidence were. */
export function fixtureFor(name: string, runpack: Runpack, tuned: Tunables = {}): RegressFixture {
  const contextDigest = runpack.refs.context_set_digest;
  return {
    schema_id: RegressSchemaIds.fixture,
    schema_version: REGRESS_SCHEMA_VERSION,
    name,
    run_id: runpack.run.run_id,
    runpack: FIXTURE_RUNPACK_FILE,
    expected_replay_exit_code: stubReplayExitCode(runpack).exitCode,
    expected_tool_sequence: toolSequence(runpack),
    expected_verdict_sequence: verdictSequence(runpack),
    ...(tuned.candidate_runpack !== undefined ? { candidate_runpack: tuned.candidate_runpack } : {}),
    ...(contextDigest ? { context_conformance: "required" as const } : {}),
    ...(tuned.allow_context_runtime_drift !== undefined
      ? { allow_context_runtime_drift: tuned.allow_context_runtime_drift }
      : {}),
    ...(contextDigest ? { expected_context_set_digest: contextDigest } : {}),
    ...(tuned.diff_allow_changed_files !== undefined
      ? { diff_allow_changed_files: tuned.diff_allow_changed_files }
      : {}),
  };
}

export function emptyConfig(): RegressConfig {
  return {
    schema_id: RegressSchemaIds.config,
    schema_version: REGRESS_SCHEMA_VERSION,
    fixture_set: DEFAULT_FIXTURE_SET,
    fixtures: [],
  };
}

/** The config with `entry` added or replaced (its per-fixture graders kept), fixtures sorted by name. */
export function upsertConfigFixture(config: RegressConfig, entry: ConfigFixture): RegressConfig {
  const previous = config.fixtures.find((f) => f.name === entry.name);
  const merged: ConfigFixture = { ...entry, ...(previous?.graders ? { graders: previous.graders } : {}) };
  const fixtures = [...config.fixtures.filter((f) => f.name !== entry.name), merged].sort((a, b) =>
    compareBytes(a.name, b.name),
  );
  return {
    schema_id: RegressSchemaIds.config,
    schema_version: REGRESS_SCHEMA_VERSION,
    fixture_set: config.fixture_set,
    fixtures,
    ...(config.graders ? { graders: config.graders } : {}),
  };
}

export function configFixtureEntry(name: string, runId: string): ConfigFixture {
  return { name, run_id: runId, runpack: `${FIXTURES_DIR}/${name}/${FIXTURE_RUNPACK_FILE}` };
}

// ---------------------------------------------------------------------------------------------
// Reading gait.yaml and fixture.json (strict JSON, schema-validated).

async function readJsonFile(path: string, what: string, invalidCode: RegressErrorCode, hint: string) {
  let text: string;
  try {
    text = readFileSync(path, "utf8"); // small: a thread-pool round trip costs more than the read
  } catch (error) {
    throw fromFsError(error, `read ${what}`, path);
  }
  try {
    return parseJsonObject(text, path);
  } catch (error) {
    throw invalidInput(invalidCode, `${what} ${path} is not valid JSON: ${(error as Error).message}`, {
      hint,
      details: { path },
    });
  }
}

const configHint = "gait.yaml holds JSON (despite its name); fix it or re-create it with gait regress init";

export async function readRegressConfig(path: string, schemas?: SchemaValidator): Promise<RegressConfig> {
  if (!existsSync(path)) {
    throw invalidInput("regress_config_missing", `regress config ${path} does not exist`, {
      hint: "create it with gait regress init --from <run_id|path>, or pass --config",
      details: { path },
    });
  }
  const doc = await readJsonFile(path, "regress config", "regress_config_invalid", configHint);
  assertDocument(schemas ?? (await loadSchemaValidator()), "regress/config", doc, {
    path,
    code: "regress_config_invalid",
    hint: configHint,
  });
  const config = doc as unknown as RegressConfig;
  const seen = new Set<string>();
  for (const fixture of config.fixtures) {
    if (seen.has(fixture.name)) {
      throw invalidInput("regress_config_invalid", `${path} lists fixture ${fixture.name} twice`, {
        hint: configHint,
        details: { path },
      });
    }
    seen.add(fixture.name);
  }
  return config;
}

export async function readFixtureFile(
  path: string,
  name: string,
  schemas: SchemaValidator,
): Promise<RegressFixture> {
  const hint = `fix ${path}, or re-create the fixture with gait regress init --name ${name} --from <run>`;
  if (!existsSync(path)) {
    throw invalidInput("regress_fixture_missing", `fixture ${name} has no ${FIXTURE_FILE} at ${path}`, {
      hint,
      details: { path },
    });
  }
  const doc = await readJsonFile(path, "fixture", "regress_fixture_invalid", hint);
  assertDocument(schemas, "regress/fixture", doc, { path, code: "regress_fixture_invalid", hint });
  const fixture = doc as unknown as RegressFixture;
  if (fixture.name !== name) {
    throw invalidInput("regress_fixture_invalid", `${path} names fixture ${fixture.name}, expected ${name}`, {
      hint,
      details: { path },
    });
  }
  return fixture;
}

// ---------------------------------------------------------------------------------------------
// init / add: the I/O edge.

export interface FixtureRequest extends ResolveContext {
  /** `<run_id|path>` of the source runpack. */
  from: string;
  /** Fixture name (default: the sanitised run_id). */
  name?: string;
  /** Config path relative to cwd (default gait.yaml); fixtures live next to it. */
  config?: string;
  /**
   * A session checkpoint (`latest` or its index): `from` then names a session chain, which must
   * verify, and the fixture is that checkpoint's runpack. A `.json` source that is a chain implies `latest`.
   */
  checkpoint?: string;
}

export interface FixtureOutcome {
  runId: string;
  fixtureName: string;
  /** Absolute paths. */
  fixtureDir: string;
  runpackPath: string;
  configPath: string;
  fixture: RegressFixture;
  /** True when a fixture of that name existed and was replaced (init only). */
  replaced: boolean;
}

/** `regress init`: creates (or replaces) the fixture and adds it to gait.yaml. */
export function initFixture(request: FixtureRequest): Promise<FixtureOutcome> {
  return writeFixture(request, "init");
}

/** `regress add`: like init, but refuses to replace an existing fixture of the same name. */
export function addFixture(request: FixtureRequest): Promise<FixtureOutcome> {
  return writeFixture(request, "add");
}

async function writeFixture(request: FixtureRequest, mode: "init" | "add"): Promise<FixtureOutcome> {
  const source = await fixtureSource(request);
  const sourcePath = source.path;
  let bytes: Buffer;
  try {
    bytes = readFileSync(sourcePath);
  } catch (error) {
    throw fromFsError(error, "read runpack", sourcePath);
  }
  // Verified and parsed before anything is written; a bad runpack never becomes a fixture.
  const { runpack } = await readRunpack(bytes, { requireContextEvidence: true });
  const name = assertFixtureName(request.name ?? fixtureNameFor(runpack.run.run_id));
  const configPath = resolve(request.cwd, request.config ?? DEFAULT_CONFIG_FILE);
  const schemas = await loadSchemaValidator();
  const config = existsSync(configPath) ? await readRegressConfig(configPath, schemas) : emptyConfig();
  const fixtureDir = join(dirname(configPath), FIXTURES_DIR, name);
  const fixturePath = join(fixtureDir, FIXTURE_FILE);
  const exists = config.fixtures.some((f) => f.name === name) || existsSync(fixturePath);
  if (exists && mode === "add") {
    throw invalidInput("fixture_exists", `fixture ${name} already exists in ${fixtureDir}`, {
      hint: "pass --name to add it under another name, or use gait regress init to replace it",
      details: { fixture: name },
    });
  }
  const tuned = exists ? await previousTunables(fixturePath, name, schemas) : {};
  const fixture = { ...fixtureFor(name, runpack, tuned), ...source.session };
  const runpackPath = join(fixtureDir, FIXTURE_RUNPACK_FILE);
  // The config is written last, so it never lists a fixture whose files are not in place.
  await writeFileAtomic(runpackPath, bytes, { mode: 0o644 });
  await writeFileAtomic(fixturePath, prettyJson(fixture), { mode: 0o644 });
  const entry = configFixtureEntry(name, fixture.run_id);
  await writeFileAtomic(configPath, prettyJson(upsertConfigFixture(config, entry)), { mode: 0o644 });
  return {
    runId: fixture.run_id,
    fixtureName: name,
    fixtureDir,
    runpackPath,
    configPath,
    fixture,
    replaced: exists,
  };
}

interface FixtureSource {
  path: string;
  /** Where a session checkpoint's fixture came from (fixture.json's session_chain, checkpoint_index). */
  session?: Pick<RegressFixture, "session_chain" | "checkpoint_index">;
}

/** The runpack a fixture is made from: the one named, or a session chain's checkpoint. */
async function fixtureSource(request: FixtureRequest): Promise<FixtureSource> {
  const from = request.from.trim();
  const checkpoint = request.checkpoint ?? (from.toLowerCase().endsWith(".json") ? "latest" : undefined);
  if (checkpoint === undefined) return { path: resolveRunpackPath(from, request) };
  const found = await sessionCheckpointSource({
    chainPath: resolve(request.cwd, from),
    shown: from,
    checkpoint,
    cwd: request.cwd,
    verify: {},
  });
  return {
    path: found.runpackPath,
    session: { session_chain: from, checkpoint_index: found.checkpoint.checkpoint_index },
  };
}

/** Tuned options of the fixture being replaced; an unreadable old fixture has none worth keeping. */
async function previousTunables(path: string, name: string, schemas: SchemaValidator): Promise<Tunables> {
  let previous: RegressFixture;
  try {
    previous = await readFixtureFile(path, name, schemas);
  } catch {
    return {};
  }
  const tuned: Tunables = {};
  for (const key of TUNABLE_KEYS)
    if (previous[key] !== undefined) Object.assign(tuned, { [key]: previous[key] });
  return tuned;
}
