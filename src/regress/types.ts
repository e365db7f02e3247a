/**
 * Regress artifact types (CONTRACTS.md §6.2), defined once as TypeBox schemas: the regress
 * config (`gait.yaml`, JSON despite the name), one fixture (`fixtures/<name>/fixture.json`) and
 * the result (`regress_result.json`). The result schema mirrors the public v1 one; the config and
 * fixture schemas are ours (the public set has none) and also validate what we read.
 */
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";

export const REGRESS_SCHEMA_VERSION = "1.0.0";
export const RegressSchemaIds = {
  config: "gait.regress.config",
  fixture: "gait.regress.fixture",
  result: "gait.regress.result",
} as const;

export const DEFAULT_CONFIG_FILE = "gait.yaml";
export const DEFAULT_RESULT_FILE = "regress_result.json";
/** Permission bits of the regress result: an artifact, 0600 like every artifact the reference writes. */
export const RESULT_FILE_MODE = 0o600;
export const DEFAULT_FIXTURE_SET = "default";
export const FIXTURES_DIR = "fixtures";
export const FIXTURE_FILE = "fixture.json";
export const FIXTURE_RUNPACK_FILE = "runpack.zip";

/** Fixture and grader names: lower-case, safe as one path segment (CONTRACTS.md §6.2). */
const NAME_PATTERN = "^[a-z0-9][a-z0-9._-]*$";
export const namePattern = new RegExp(NAME_PATTERN);

export const GRADER_STATUSES = ["pass", "fail"] as const;
export type GraderStatus = (typeof GRADER_STATUSES)[number];
const CONTEXT_CONFORMANCE_LEVELS = ["required", "none"] as const;
export const CONTEXT_DRIFT_VALUES = ["none", "runtime_only", "semantic", "missing"] as const;
export type ContextConformanceValue = (typeof CONTEXT_DRIFT_VALUES)[number];

const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, description });
const AnyObject = (description: string) =>
  Type.Unsafe<Record<string, unknown>>({ type: "object", description });

/** The built-in non-deterministic grader: a user command per fixture (e.g. a model-based judge). */
export const CommandGraderConfigSchema = Type.Object(
  {
    kind: Type.Literal("command", { type: "string" }),
    name: Type.Optional(Name("grader name in results (`<fixture>/<name>`); default `command`")),
    command: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: "argv run in the config directory (no shell); exit 0 passes",
    }),
    timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3_600_000, description: "kill after this long (default 30000)" }),
    ),
    max_output_bytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_048_576,
        description: "stdout/stderr kept per stream in the result (default 4096)",
      }),
    ),
    model: Type.Optional(Type.String({ description: "model the command consults (pinned)" })),
    version: Type.Optional(Type.String({ description: "model or judge version (pinned)" })),
    parameters: Type.Optional(AnyObject("judge parameters, e.g. temperature (pinned)")),
  },
  { additionalProperties: false },
);
export type CommandGraderConfig = Static<typeof CommandGraderConfigSchema>;

const GraderConfigSchema = CommandGraderConfigSchema;
export type GraderConfig = CommandGraderConfig;

export const ConfigFixtureSchema = Type.Object(
  {
    name: Name("fixture name; its directory is fixtures/<name>"),
    run_id: Type.String({ minLength: 1 }),
    runpack: Type.String({ minLength: 1, description: "fixtures/<name>/runpack.zip, relative to gait.yaml" }),
    graders: Type.Optional(Type.Array(GraderConfigSchema, { description: "extra graders for this fixture" })),
  },
  { additionalProperties: false },
);
export type ConfigFixture = Static<typeof ConfigFixtureSchema>;

export const RegressConfigSchema = Type.Object(
  {
    schema_id: Type.Literal(RegressSchemaIds.config, { type: "string" }),
    schema_version: SchemaVersion,
    fixture_set: Type.String({ minLength: 1 }),
    fixtures: Type.Array(ConfigFixtureSchema, { description: "sorted by name" }),
    graders: Type.Optional(
      Type.Array(GraderConfigSchema, { description: "extra graders for every fixture" }),
    ),
  },
  { title: "Regress Config (gait.yaml, JSON content)", additionalProperties: false },
);
export type RegressConfig = Static<typeof RegressConfigSchema>;

export const RegressFixtureSchema = Type.Object(
  {
    schema_id: Type.Literal(RegressSchemaIds.fixture, { type: "string" }),
    schema_version: SchemaVersion,
    name: Name("fixture name"),
    run_id: Type.String({ minLength: 1 }),
    runpack: Type.String({ minLength: 1, description: "the fixture's runpack, relative to fixture.json" }),
    expected_replay_exit_code: Type.Integer({ minimum: 0, maximum: 255 }),
    expected_tool_sequence: Type.Optional(Type.Array(Type.String())),
    expected_verdict_sequence: Type.Optional(Type.Array(Type.String())),
    candidate_runpack: Type.Optional(
      Type.String({ minLength: 1, description: "runpack compared against this fixture (relative path)" }),
    ),
    context_conformance: Type.Optional(StringEnum(CONTEXT_CONFORMANCE_LEVELS)),
    allow_context_runtime_drift: Type.Optional(Type.Boolean()),
    expected_context_set_digest: Type.Optional(Type.String({ pattern: "^[a-fA-F0-9]{64}$" })),
    diff_allow_changed_files: Type.Optional(Type.Array(Type.String())),
    session_chain: Type.Optional(
      Type.String({
        description: "the session chain a checkpoint fixture was taken from (as given); not graded",
      }),
    ),
    checkpoint_index: Type.Optional(
      Type.Integer({ minimum: 0, description: "the chain's checkpoint the fixture's runpack is" }),
    ),
  },
  { title: "Regress Fixture", additionalProperties: false },
);
export type RegressFixture = Static<typeof RegressFixtureSchema>;

export const GraderEntrySchema = Type.Object(
  {
    name: Type.String({ description: "<fixture>/<grader>" }),
    status: StringEnum(GRADER_STATUSES),
    reason_codes: Type.Array(Type.String(), { description: "sorted" }),
    context_conformance: Type.Optional(StringEnum(CONTEXT_DRIFT_VALUES)),
    details: Type.Optional(AnyObject("grader specifics, always with fixture and run_id")),
  },
  { additionalProperties: false },
);
export type GraderEntry = Static<typeof GraderEntrySchema>;

export const RegressResultSchema = Type.Object(
  {
    schema_id: Type.Literal(RegressSchemaIds.result, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: Type.String({ format: "date-time" }),
    producer_version: Type.String(),
    fixture_set: Type.String(),
    status: StringEnum(GRADER_STATUSES),
    graders: Type.Array(GraderEntrySchema),
  },
  { title: "Regress Result", additionalProperties: false },
);
export type RegressResult = Static<typeof RegressResultSchema>;

/** Every regress schema, for the schema registry (src/schemas.ts) and the generated files. */
export const regressSchemas = {
  "regress/config": RegressConfigSchema,
  "regress/fixture": RegressFixtureSchema,
  "regress/regress_result": RegressResultSchema,
} as const;
