/**
 * Guard evidence pack artifacts (CONTRACTS.md §7.2), defined once as TypeBox schemas: the
 * manifest mirrors the public v1 schema (schemas/v1/guard/pack_manifest.schema.json); the
 * summaries, the coverage report, the evidence pointers and the control index are ours, each a
 * `gait.guard.*` document derived from the artifacts the pack was built from. The TypeScript
 * types come from the same definitions.
 */
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";
import { VERDICTS } from "../gate/index.ts";

export const GUARD_SCHEMA_VERSION = "1.0.0";
export const GuardSchemaIds = {
  manifest: "gait.guard.pack_manifest",
  runpackSummary: "gait.guard.runpack_summary",
  traceSummary: "gait.guard.trace_summary",
  regressSummary: "gait.guard.regress_summary",
  inventoryCoverage: "gait.guard.inventory_coverage",
  evidencePointers: "gait.guard.evidence_pointers",
  controlIndex: "gait.guard.control_index",
  policyDigests: "gait.guard.policy_digests",
  incidentTimeline: "gait.guard.incident_timeline",
  /** An input, copied into the pack as given (CONTRACTS.md §7.4); the scout module writes them. */
  inventorySnapshot: "gait.scout.inventory_snapshot",
} as const;

export const GuardFiles = {
  manifest: "pack_manifest.json",
  runpackSummary: "runpack_summary.json",
  traceSummary: "trace_summary.json",
  regressSummary: "regress_summary.json",
  inventoryCoverage: "inventory_coverage.json",
  evidencePointers: "evidence_pointers.json",
  controlIndex: "control_index.json",
  policyDigests: "policy_digests.json",
  incidentTimeline: "incident_timeline.json",
  summaryPdf: "summary.pdf",
} as const;

/** Prefixes of the inputs copied into a pack byte for byte, numbered in the order given. */
export type CopiedEntryPrefix =
  | "inventory_snapshot"
  | "approval_audit"
  | "credential_evidence"
  | "delegation_audit"
  | "trace"
  | "regress_result";

/** `inventory_snapshot_01.json`, `approval_audit_02.json`, ...: inputs copied in the order given. */
export function numberedEntry(prefix: CopiedEntryPrefix, index: number): string {
  return `${prefix}_${String(index + 1).padStart(2, "0")}.json`;
}

/** Content types a guard manifest allows (§7.2). */
export const GUARD_CONTENT_TYPES = ["runpack", "trace", "report", "evidence"] as const;
export type GuardContentType = (typeof GUARD_CONTENT_TYPES)[number];

const REPORT_ENTRIES: ReadonlySet<string> = new Set([
  GuardFiles.regressSummary,
  GuardFiles.controlIndex,
  GuardFiles.evidencePointers,
  GuardFiles.inventoryCoverage,
  GuardFiles.policyDigests,
  GuardFiles.incidentTimeline,
  GuardFiles.summaryPdf,
]);

/**
 * An entry's content type by the reference's rule (§7.2): the run summary is `runpack`, the trace
 * summary `trace`, derived reports `report` (our inventory coverage among them), anything else —
 * the copied inventory snapshots and approval audits — `evidence`.
 */
export function guardEntryType(path: string): GuardContentType {
  if (path === GuardFiles.runpackSummary) return "runpack";
  if (path === GuardFiles.traceSummary) return "trace";
  return REPORT_ENTRIES.has(path) ? "report" : "evidence";
}

/** Every guard timestamp is the run's created_at, so the same inputs give the same bytes. */
const DateTime = Type.String({ format: "date-time" });
const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const Hex64 = Type.String({ pattern: "^[a-fA-F0-9]{64}$" });
const RunId = Type.String({ pattern: "^run_[A-Za-z0-9_-]+$" });
const ContentType = StringEnum(GUARD_CONTENT_TYPES);
const Count = Type.Integer({ minimum: 0 });
const Counts = Type.Record(Type.String(), Count, {
  description: "occurrences of each value, keys in byte order",
});
const Names = Type.Array(Type.String(), { description: "sorted, unique" });

// ---------------------------------------------------------------------------------------------
// The manifest: the public schema's constraints, member for member.

export const GuardControlSchema = Type.Object(
  { control_id: Type.String(), title: Type.String(), evidence_paths: Type.Array(Type.String()) },
  { additionalProperties: false },
);
export type GuardControl = Static<typeof GuardControlSchema>;

export const EvidencePointerSchema = Type.Object(
  { pointer_id: Type.String(), path: Type.String(), type: ContentType, sha256: Hex64 },
  { additionalProperties: false },
);
export type EvidencePointer = Static<typeof EvidencePointerSchema>;

export const GuardEntrySchema = Type.Object(
  { path: Type.String(), sha256: Hex64, type: ContentType },
  { additionalProperties: false },
);
export type GuardEntry = Static<typeof GuardEntrySchema>;

export const GuardSignatureSchema = Type.Object(
  {
    alg: Type.Literal("ed25519", { type: "string" }),
    key_id: Type.String(),
    sig: Type.String(),
    signed_digest: Type.Optional(Hex64),
  },
  { additionalProperties: false },
);
export type GuardSignature = Static<typeof GuardSignatureSchema>;

/** An incident pack's selection: from anchor − window to anchor + window. */
export const IncidentWindowSchema = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    window_seconds: Type.Integer({ minimum: 0 }),
    selection_anchor: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type IncidentWindow = Static<typeof IncidentWindowSchema>;

export const GuardPackManifestSchema = Type.Object(
  {
    schema_id: Type.Literal(GuardSchemaIds.manifest, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    pack_id: Type.String({ description: "pack_ + the first 16 hex of DigestJCS({run_id, contents})" }),
    run_id: RunId,
    case_id: Type.Optional(Type.String()),
    template_id: Type.Optional(Type.String()),
    generated_at: DateTime,
    control_index: Type.Optional(Type.Array(GuardControlSchema)),
    evidence_pointers: Type.Optional(Type.Array(EvidencePointerSchema)),
    incident_window: Type.Optional(IncidentWindowSchema),
    rendered_artifacts: Type.Optional(
      Type.Array(
        Type.Object(
          { format: StringEnum(["pdf"] as const), path: Type.String(), sha256: Hex64 },
          { additionalProperties: false },
        ),
      ),
    ),
    contents: Type.Array(GuardEntrySchema),
    signatures: Type.Optional(Type.Array(GuardSignatureSchema)),
  },
  { title: "Guard Evidence Pack Manifest", additionalProperties: false },
);
export type GuardPackManifest = Static<typeof GuardPackManifestSchema>;

// ---------------------------------------------------------------------------------------------
// The derived documents. Each names its run and is dated by it, like the manifest.

const documentHead = (schemaId: string) => ({
  schema_id: Type.Literal(schemaId, { type: "string" }),
  schema_version: SchemaVersion,
  created_at: DateTime,
  producer_version: Type.String(),
  run_id: RunId,
});

/** Where a summarized input came from: its file name (no directories) and the sha256 of its bytes. */
export const SourceFileSchema = Type.Object(
  { file: Type.String(), sha256: Hex64 },
  { additionalProperties: false },
);
export type SourceFile = Static<typeof SourceFileSchema>;

export const RunpackSummarySchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.runpackSummary),
    source: SourceFileSchema,
    run_producer_version: Type.String(),
    capture_mode: Type.String(),
    manifest_digest: Hex64,
    signature_status: StringEnum(["missing", "skipped", "verified", "failed"] as const, {
      description: "the runpack manifest's signature, as read (skipped: signed, no key given)",
    }),
    intents_total: Count,
    results_total: Count,
    receipts_total: Count,
    intents_by_status: Counts,
    intents_by_tool: Counts,
    tools: Names,
    unmatched_results: Type.Array(Type.String()),
    context_set_digest: Type.Optional(Hex64),
    context_evidence_mode: Type.Optional(Type.String()),
  },
  {
    title: "Guard Runpack Summary",
    description: "runpack_summary.json: the run, counted from the runpack's verified records.",
    additionalProperties: false,
  },
);
export type RunpackSummary = Static<typeof RunpackSummarySchema>;

export const TraceDigestSchema = Type.Object(
  {
    trace_id: Type.String(),
    event_id: Type.Optional(Type.String()),
    tool_name: Type.String(),
    verdict: StringEnum(VERDICTS),
    reason_codes: Names,
    policy_digest: Type.String(),
    intent_digest: Type.String(),
    run_id: Type.Optional(Type.String()),
    signature_status: StringEnum(["missing", "skipped", "verified"] as const, {
      description: "skipped: signed, but no key to check it with was given (a failing one is refused)",
    }),
    signature_key_id: Type.Optional(Type.String()),
    source: SourceFileSchema,
  },
  { additionalProperties: false },
);
export type TraceDigest = Static<typeof TraceDigestSchema>;

export const ApprovalDigestSchema = Type.Object(
  {
    entry: Type.String({ description: "the copy in this pack, approval_audit_NN.json" }),
    trace_id: Type.String(),
    tool_name: Type.String(),
    approved: Type.Boolean(),
    required_approvals: Count,
    valid_approvals: Count,
    approvers: Type.Array(Type.String()),
    error_codes: Names,
    trace_included: Type.Boolean({ description: "a trace with this trace_id is in the summary" }),
    source: SourceFileSchema,
  },
  { additionalProperties: false },
);
export type ApprovalDigest = Static<typeof ApprovalDigestSchema>;

export const TraceSummarySchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.traceSummary),
    traces_total: Count,
    by_verdict: Type.Object(
      { allow: Count, block: Count, dry_run: Count, require_approval: Count },
      { additionalProperties: false },
    ),
    by_reason_code: Type.Record(Type.String(), Count, {
      description:
        "traces recording each code: its violations and the reason codes of its script steps, freeze window, sandbox, kill switch, MCP trust and delegation decisions, and its registry reason",
    }),
    by_tool: Counts,
    by_signature_status: Counts,
    policy_digests: Names,
    traces: Type.Array(TraceDigestSchema),
    approvals_total: Count,
    approvals_granted: Count,
    approvals: Type.Array(ApprovalDigestSchema),
  },
  {
    title: "Guard Trace Summary",
    description: "trace_summary.json: the gate decisions, counted from the signed trace records given.",
    additionalProperties: false,
  },
);
export type TraceSummary = Static<typeof TraceSummarySchema>;

const PassFail = Type.Object({ pass: Count, fail: Count }, { additionalProperties: false });

export const RegressSummarySchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.regressSummary),
    results_total: Count,
    status: StringEnum(["pass", "fail", "none"] as const, {
      description: "fail when any result failed; none when no result was given",
    }),
    graders_total: Count,
    passed: Count,
    failed: Count,
    by_grader: Type.Record(Type.String(), PassFail, { description: "by grader (the part after '/')" }),
    by_fixture: Type.Record(Type.String(), PassFail),
    by_reason_code: Type.Record(Type.String(), Count, { description: "reason codes of failed graders" }),
    failures: Type.Array(
      Type.Object({ name: Type.String(), reason_codes: Names }, { additionalProperties: false }),
    ),
    run_fixtures: Type.Array(Type.String(), {
      description: "fixtures graded on this pack's run (their details name its run_id)",
    }),
    results: Type.Array(
      Type.Object(
        {
          fixture_set: Type.String(),
          status: Type.String(),
          created_at: Type.String(),
          graders: Count,
          source: SourceFileSchema,
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    title: "Guard Regress Summary",
    description: "regress_summary.json: pass and fail per grader, counted from the regress results given.",
    additionalProperties: false,
  },
);
export type RegressSummary = Static<typeof RegressSummarySchema>;

export const InventoryCoverageSchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.inventoryCoverage),
    snapshots: Type.Array(
      Type.Object(
        {
          entry: Type.String(),
          snapshot_id: Type.String(),
          created_at: Type.String(),
          items_total: Count,
          source: SourceFileSchema,
        },
        { additionalProperties: false },
      ),
    ),
    items_total: Type.Integer({ minimum: 0, description: "distinct item ids across the snapshots" }),
    by_kind: Counts,
    by_risk_level: Counts,
    tools_used: Type.Array(Type.String(), {
      description: "tool names the run's intents and the traces used (trimmed, lower case), sorted",
    }),
    tools_listed: Type.Array(Type.String(), { description: "used tools some inventory item names" }),
    tools_missing: Type.Array(Type.String(), { description: "used tools no inventory item names" }),
    tools_unused: Type.Array(Type.String(), {
      description: "inventoried tools neither the run nor a trace used",
    }),
    coverage_percent: Type.Number({
      minimum: 0,
      maximum: 100,
      description: "listed / used, 2 decimals; 100 when nothing was used",
    }),
  },
  {
    title: "Guard Inventory Coverage",
    description:
      "inventory_coverage.json: the inventory snapshots in the pack against the tools the run and the traces used.",
    additionalProperties: false,
  },
);
export type InventoryCoverage = Static<typeof InventoryCoverageSchema>;

export const EvidencePointersSchema = Type.Object(
  { ...documentHead(GuardSchemaIds.evidencePointers), pointers: Type.Array(EvidencePointerSchema) },
  {
    title: "Guard Evidence Pointers",
    description: "evidence_pointers.json: one pointer (ev_NNN) per other evidence entry, as in the manifest.",
    additionalProperties: false,
  },
);
export type EvidencePointers = Static<typeof EvidencePointersSchema>;

/** How far a template's control is evidenced by the pack: every kind it names, some, or none. */
export const CONTROL_STATUSES = ["covered", "partial", "gap"] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

export const ControlCoverageSchema = Type.Object(
  {
    control_id: Type.String(),
    status: StringEnum(CONTROL_STATUSES),
    kinds_present: Names,
    kinds_missing: Names,
  },
  { additionalProperties: false },
);
export type ControlCoverage = Static<typeof ControlCoverageSchema>;

export const ControlIndexSchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.controlIndex),
    template_id: Type.Optional(Type.String()),
    template_title: Type.Optional(Type.String()),
    controls: Type.Array(GuardControlSchema),
    coverage: Type.Optional(
      Type.Array(ControlCoverageSchema, {
        description: "with a template: each control's status by the evidence kinds it names (a gap has none)",
      }),
    ),
  },
  {
    title: "Guard Control Index",
    description: "control_index.json: which entries evidence which control, as in the manifest.",
    additionalProperties: false,
  },
);
export type ControlIndex = Static<typeof ControlIndexSchema>;

// ---------------------------------------------------------------------------------------------
// Audit templates (templates/audit/*.yaml) and the incident pack's own documents.

/**
 * Kinds of evidence a template's control can name, each satisfied by entries of the pack: the run
 * (runpack_summary.json), traces (trace_summary.json with at least one trace, and the copied
 * trace_NN.json of an incident pack), regress (regress_summary.json with at least one result, and
 * the copied regress_result_NN.json), the copied approval audits, broker credential records and
 * delegation audits, inventory (snapshots and coverage), policy_digests (policy_digests.json with
 * at least one digest) and timeline (incident_timeline.json).
 */
export const EVIDENCE_KINDS = [
  "runpack",
  "traces",
  "regress",
  "approval_audits",
  "credential_evidence",
  "delegation_audits",
  "inventory",
  "policy_digests",
  "timeline",
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const AuditTemplateSchema = Type.Object(
  {
    template_id: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$" }),
    title: Type.String({ minLength: 1 }),
    controls: Type.Array(
      Type.Object(
        {
          control_id: Type.String({ minLength: 1 }),
          title: Type.String({ minLength: 1 }),
          evidence: Type.Array(StringEnum(EVIDENCE_KINDS), { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  {
    title: "Gait Audit Template",
    description:
      "An audit template (YAML, templates/audit/<id>.yaml or --template <path>): the controls a Guard pack's control index lists and the kinds of evidence that satisfy each.",
    additionalProperties: false,
  },
);
export type AuditTemplate = Static<typeof AuditTemplateSchema>;

export const PolicyDigestsSchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.policyDigests),
    incident_window: Type.Optional(IncidentWindowSchema),
    policy_digests: Names,
  },
  {
    title: "Guard Policy Digests",
    description: "policy_digests.json: the distinct policy digests of the traces in the pack.",
    additionalProperties: false,
  },
);
export type PolicyDigests = Static<typeof PolicyDigestsSchema>;

/** The stages of an incident's chain, in the order they happen for one call. */
export const TIMELINE_STAGES = [
  "intent",
  "verdict",
  "delegation",
  "approval",
  "credential",
  "tool_result",
  "regress",
] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export const TimelineEventSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    at: DateTime,
    stage: StringEnum(TIMELINE_STAGES),
    tool_name: Type.Optional(Type.String()),
    ref: Type.String({ description: "intent_id, trace_id or fixture set" }),
    outcome: Type.String({
      description: "the result status, verdict, approved/denied, delegated/refused, issued, or pass/fail",
    }),
    reason_codes: Names,
    entry: Type.String({ description: "the pack entry that evidences it" }),
  },
  { additionalProperties: false },
);
export type TimelineEvent = Static<typeof TimelineEventSchema>;

export const IncidentTimelineSchema = Type.Object(
  {
    ...documentHead(GuardSchemaIds.incidentTimeline),
    incident_window: IncidentWindowSchema,
    events: Type.Array(TimelineEventSchema),
  },
  {
    title: "Guard Incident Timeline",
    description:
      "incident_timeline.json: the chain of an incident pack in order (intent, verdict, approval, tool result, regress), derived from the runpack and the records in the pack.",
    additionalProperties: false,
  },
);
export type IncidentTimeline = Static<typeof IncidentTimelineSchema>;

// ---------------------------------------------------------------------------------------------
// An input: the scout inventory snapshot (CONTRACTS.md §7.4), defined and published by the scout
// module; it validates the snapshots a pack includes.

export {
  type InventoryItem,
  InventoryItemSchema,
  type InventorySnapshot,
  InventorySnapshotSchema,
} from "../scout/index.ts";

/** Every guard schema we publish, for the schema registry (src/schemas.ts) and the generated files. */
export const guardSchemas = {
  "guard/pack_manifest": GuardPackManifestSchema,
  "guard/runpack_summary": RunpackSummarySchema,
  "guard/trace_summary": TraceSummarySchema,
  "guard/regress_summary": RegressSummarySchema,
  "guard/inventory_coverage": InventoryCoverageSchema,
  "guard/evidence_pointers": EvidencePointersSchema,
  "guard/control_index": ControlIndexSchema,
  "guard/policy_digests": PolicyDigestsSchema,
  "guard/incident_timeline": IncidentTimelineSchema,
  "guard/audit_template": AuditTemplateSchema,
} as const;

/** One entry of a guard pack as the pure core sees it (uncompressed bytes). */
export interface GuardFile {
  path: string;
  data: Buffer;
}
