/**
 * Scout's artifacts, defined once as TypeBox schemas: the inventory snapshot mirrors the public
 * v1 schema (CONTRACTS.md §7.4, closed items: per-item facts beyond its fields are `key:value`
 * tags), the coverage report and the snapshot diff are ours (`gait.scout.*`). The TypeScript
 * types come from the same definitions.
 */
import { type Static, Type } from "@sinclair/typebox";
import { RelationshipEnvelopeRef, relationshipDefs, StringEnum } from "../contract/artifact-schemas.ts";

export const SCOUT_SCHEMA_VERSION = "1.0.0";
export const ScoutSchemaIds = {
  snapshot: "gait.scout.inventory_snapshot",
  coverage: "gait.scout.coverage_report",
  diff: "gait.scout.snapshot_diff",
} as const;

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

const DateTime = Type.String({ format: "date-time" });
const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const RunId = Type.String({ pattern: "^run_[A-Za-z0-9_-]+$" });
const Count = Type.Integer({ minimum: 0 });
const Names = Type.Array(Type.String(), { description: "sorted, unique" });
const Risk = StringEnum(RISK_LEVELS);

// ---------------------------------------------------------------------------------------------
// The inventory snapshot (public schema: conformance/schemas/v1/scout/inventory_snapshot.schema.json)

export const InventoryItemSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    locator: Type.String(),
    risk_level: Type.Optional(Risk),
    tags: Type.Optional(Type.Array(Type.String())),
    last_seen_run: Type.Optional(RunId),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
  },
  { additionalProperties: false },
);
export type InventoryItem = Static<typeof InventoryItemSchema>;

export const InventorySnapshotSchema = Type.Object(
  {
    schema_id: Type.Literal(ScoutSchemaIds.snapshot, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    snapshot_id: Type.String(),
    workspace: Type.Optional(Type.String()),
    items: Type.Array(InventoryItemSchema),
  },
  { title: "Scout Inventory Snapshot", $defs: relationshipDefs, additionalProperties: false },
);
export type InventorySnapshot = Static<typeof InventorySnapshotSchema>;

// ---------------------------------------------------------------------------------------------
// Coverage against policies (REFERENCE.md §3 v1.1-2, with the names behind each number)

export const CoverageReportSchema = Type.Object(
  {
    schema_id: Type.Literal(ScoutSchemaIds.coverage, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    snapshot_id: Type.String(),
    discovered_tools: Type.Integer({ minimum: 0, description: "distinct tool names (lower case)" }),
    gated_tools: Type.Integer({ minimum: 0, description: "of those, named by a rule's match.tool_names" }),
    high_risk_ungated_tools: Type.Integer({
      minimum: 0,
      description: "items of risk high or critical not gated",
    }),
    coverage_percent: Type.Number({
      minimum: 0,
      maximum: 100,
      description: "gated / discovered, 2 decimals; 100 when nothing was discovered",
    }),
    policy_digests: Type.Array(Type.String(), {
      description: "sha256 hex of each policy, in the order given",
    }),
    discovered_tool_names: Names,
    gated_tool_names: Names,
    ungated_tool_names: Names,
    high_risk_ungated_tool_ids: Names,
  },
  {
    title: "Scout Coverage Report",
    description: "gait scout snapshot --policy: which discovered tools a rule of the listed policies gates.",
    additionalProperties: false,
  },
);
export type CoverageReport = Static<typeof CoverageReportSchema>;

// ---------------------------------------------------------------------------------------------
// Drift between two snapshots

const Side = (schema: ReturnType<typeof Type.String> | typeof Risk) => Type.Optional(schema);

export const ItemChangeSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    fields: Type.Array(StringEnum(["locator", "risk_level", "definition_digest", "tags"] as const), {
      description: "what changed, sorted",
    }),
    before_locator: Type.String(),
    after_locator: Type.String(),
    before_risk_level: Side(Risk),
    after_risk_level: Side(Risk),
    before_definition_digest: Side(Type.String()),
    after_definition_digest: Side(Type.String()),
  },
  { additionalProperties: false },
);
export type ItemChange = Static<typeof ItemChangeSchema>;

const ItemRefSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    locator: Type.String(),
    risk_level: Type.Optional(Risk),
  },
  { additionalProperties: false },
);

export const SnapshotDiffSchema = Type.Object(
  {
    schema_id: Type.Literal(ScoutSchemaIds.diff, { type: "string" }),
    schema_version: SchemaVersion,
    left_snapshot_id: Type.String(),
    right_snapshot_id: Type.String(),
    drift: Type.Boolean(),
    added: Type.Array(ItemRefSchema, { description: "in the right snapshot only, by id" }),
    removed: Type.Array(ItemRefSchema, { description: "in the left snapshot only, by id" }),
    changed: Type.Array(ItemChangeSchema),
    counts: Type.Object(
      { added: Count, removed: Count, changed: Count, unchanged: Count },
      { additionalProperties: false },
    ),
  },
  {
    title: "Scout Snapshot Diff",
    description: "gait scout diff: items added, removed and changed between two inventory snapshots.",
    additionalProperties: false,
  },
);
export type SnapshotDiff = Static<typeof SnapshotDiffSchema>;

/** Every scout schema we publish, for the schema registry (src/schemas.ts) and the generated files. */
export const scoutSchemas = {
  "scout/inventory_snapshot": InventorySnapshotSchema,
  "scout/coverage_report": CoverageReportSchema,
  "scout/snapshot_diff": SnapshotDiffSchema,
} as const;
