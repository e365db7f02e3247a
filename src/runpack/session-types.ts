/**
 * Session artifacts (`gait.runpack.session_*`, CONTRACTS.md §8), defined once as TypeBox schemas:
 * the events and checkpoints a session journal holds, the journal as one document, and the chain
 * of checkpoints (`<journal base>_chain.json`) that `gait verify session-chain` checks. The
 * schemas we publish under schemas/v1/runpack/ are generated from these and mirror the public ones.
 */
import { type Static, Type } from "@sinclair/typebox";
import { RelationshipEnvelopeRef, relationshipDefs, StringEnum } from "../contract/artifact-schemas.ts";

export const SessionSchemaIds = {
  journal: "gait.runpack.session_journal",
  event: "gait.runpack.session_event",
  checkpoint: "gait.runpack.session_checkpoint",
  chain: "gait.runpack.session_chain",
} as const;

export const SESSION_VERDICTS = ["allow", "block", "dry_run", "require_approval"] as const;
export type SessionVerdict = (typeof SESSION_VERDICTS)[number];

const SchemaVersion = Type.String({ pattern: "^1\\.0\\.0$" });
const DateTime = Type.String({ format: "date-time" });
const Digest = Type.String({ pattern: "^[a-fA-F0-9]{64}$" });
const NonEmpty = Type.String({ minLength: 1 });
const Sequence = Type.Integer({ minimum: 1 });
const closed = { additionalProperties: false } as const;

const header = (schemaId: string) => ({
  schema_id: Type.Literal(schemaId, { type: "string" }),
  schema_version: SchemaVersion,
  created_at: DateTime,
  producer_version: Type.String(),
  session_id: NonEmpty,
  run_id: NonEmpty,
});

export const SessionEventSchema = Type.Object(
  {
    ...header(SessionSchemaIds.event),
    sequence: Sequence,
    intent_id: Type.Optional(Type.String()),
    tool_name: Type.Optional(Type.String()),
    intent_digest: Type.Optional(Digest),
    policy_digest: Type.Optional(Digest),
    policy_id: Type.Optional(NonEmpty),
    policy_version: Type.Optional(NonEmpty),
    matched_rule_ids: Type.Optional(Type.Array(NonEmpty)),
    trace_id: Type.Optional(Type.String()),
    trace_path: Type.Optional(Type.String()),
    verdict: Type.Optional(StringEnum(SESSION_VERDICTS)),
    reason_codes: Type.Optional(Type.Array(Type.String())),
    violations: Type.Optional(Type.Array(Type.String())),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
    safety_invariant_version: Type.Optional(NonEmpty),
    safety_invariant_hash: Type.Optional(Digest),
  },
  closed,
);
export type SessionEvent = Static<typeof SessionEventSchema>;

export const SessionCheckpointSchema = Type.Object(
  {
    ...header(SessionSchemaIds.checkpoint),
    checkpoint_index: Type.Integer({ minimum: 1 }),
    sequence_start: Sequence,
    sequence_end: Sequence,
    runpack_path: Type.String({
      minLength: 1,
      description: "the checkpoint runpack; a relative path is relative to the chain file's directory",
    }),
    manifest_digest: Digest,
    prev_checkpoint_digest: Type.Optional(Digest),
    checkpoint_digest: Type.String({
      pattern: "^[a-fA-F0-9]{64}$",
      description:
        'sha256 hex of "<manifest_digest>:<prev_checkpoint_digest>:<checkpoint_index>:<sequence_start>:<sequence_end>"',
    }),
    relationship: Type.Optional(RelationshipEnvelopeRef()),
  },
  closed,
);
export type SessionCheckpoint = Static<typeof SessionCheckpointSchema>;

const journalProperties = {
  ...header(SessionSchemaIds.journal),
  started_at: DateTime,
  events: Type.Array(SessionEventSchema),
  // The public journal schema lets a journal's checkpoints name a safety invariant set too (the
  // standalone checkpoint and the chain do not); we never write them.
  checkpoints: Type.Optional(
    Type.Array(
      Type.Object(
        {
          ...SessionCheckpointSchema.properties,
          safety_invariant_version: Type.Optional(NonEmpty),
          safety_invariant_hash: Type.Optional(Digest),
        },
        closed,
      ),
    ),
  ),
};
export const SessionJournalSchema = Type.Object(journalProperties, {
  title: "Runpack Session Journal",
  $defs: relationshipDefs,
  ...closed,
});
export type SessionJournal = Static<typeof SessionJournalSchema>;

export const SessionChainSchema = Type.Object(
  {
    schema_id: Type.Literal(SessionSchemaIds.chain, { type: "string" }),
    schema_version: SchemaVersion,
    created_at: DateTime,
    producer_version: Type.String(),
    session_id: NonEmpty,
    run_id: NonEmpty,
    checkpoints: Type.Array(SessionCheckpointSchema, { minItems: 1 }),
  },
  { title: "Runpack Session Chain", $defs: relationshipDefs, ...closed },
);
export type SessionChain = Static<typeof SessionChainSchema>;

export const SESSION_STATE_SCHEMA_ID = "gait.runpack.session_state";
const Count = () => Type.Integer({ minimum: 0 });

/** A session's summary: what `run session status` reports and the state index caches. */
export const SessionStatusSchema = Type.Object(
  {
    session_id: NonEmpty,
    run_id: NonEmpty,
    started_at: DateTime,
    last_sequence: Type.Integer({ minimum: 0, description: "events appended over the session's life" }),
    events_in_journal: Type.Integer({
      minimum: 0,
      description: "event lines still in the journal (compaction lowers it)",
    }),
    pending_events: Type.Integer({ minimum: 0, description: "events since the last checkpoint" }),
    checkpoint_count: Count(),
    last_checkpoint_index: Count(),
    last_checkpoint_digest: Type.Optional(Digest),
    last_checkpoint_sequence_end: Count(),
  },
  closed,
);
export type SessionStatus = Static<typeof SessionStatusSchema>;

/**
 * The state index beside a journal (`<journal>.state.json`): the journal's size and summary, so an
 * append needs no read of the journal. A cache, never evidence: a size that disagrees with the
 * journal's makes the next writer read the journal and rebuild it.
 */
export const SessionStateSchema = Type.Object(
  {
    schema_id: Type.Literal(SESSION_STATE_SCHEMA_ID, { type: "string" }),
    schema_version: SchemaVersion,
    updated_at: DateTime,
    journal_bytes: Type.Integer({
      minimum: 0,
      description: "the journal's size when this index was written",
    }),
    header: Type.Object(journalProperties, { ...closed, description: "the journal's header line" }),
    status: SessionStatusSchema,
  },
  { title: "Runpack Session State Index", $defs: relationshipDefs, ...closed },
);
export type SessionState = Static<typeof SessionStateSchema>;

/** Published as schemas/v1/<key>.schema.json (src/schemas.ts). */
export const sessionSchemas = {
  "runpack/session_journal": SessionJournalSchema,
  "runpack/session_checkpoint": Type.Object(SessionCheckpointSchema.properties, {
    title: "Runpack Session Checkpoint",
    $defs: relationshipDefs,
    ...closed,
  }),
  "runpack/session_chain": SessionChainSchema,
  "runpack/session_state": SessionStateSchema,
} as const;
