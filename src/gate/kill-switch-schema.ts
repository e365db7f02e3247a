/**
 * The JSON Schemas of the kill-switch files (schemas/v1/gate/): the state (as the public
 * gait.gate.kill_switch_state) and the journal's events. The types kill-switch.ts and
 * kill-switch-store.ts declare are checked against them below.
 */
import { type Static, Type } from "@sinclair/typebox";
import type { Expect, Same } from "../contract/artifact-schemas.ts";
import type { KillSwitchState } from "./kill-switch.ts";
import type { KillSwitchJournalEvent } from "./kill-switch-store.ts";

const NonEmpty = Type.String({ minLength: 1 });
const DateTime = Type.String({ format: "date-time" });
const closed = { additionalProperties: false } as const;

const KillSwitchEntrySchema = Type.Object(
  {
    entry_id: NonEmpty,
    enabled: Type.Boolean(),
    agent_id: Type.Optional(NonEmpty),
    identity: Type.Optional(NonEmpty),
    tool_name: Type.Optional(NonEmpty),
    target_kind: Type.Optional(NonEmpty),
    target_value: Type.Optional(NonEmpty),
    environment: Type.Optional(NonEmpty),
    path_prefixes: Type.Optional(Type.Array(NonEmpty)),
    workspace_prefixes: Type.Optional(Type.Array(NonEmpty)),
    reason: Type.Optional(Type.String()),
    actor: Type.Optional(Type.String()),
    created_at: DateTime,
    expires_at: Type.Optional(DateTime),
  },
  closed,
);

export const KillSwitchStateSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.gate.kill_switch_state", { type: "string" }),
    schema_version: Type.Unsafe<"1.0.0">({ type: "string", pattern: "^1\\.0\\.0$" }),
    created_at: DateTime,
    updated_at: DateTime,
    producer_version: Type.String(),
    entries: Type.Array(KillSwitchEntrySchema, { description: "sorted by entry_id" }),
  },
  {
    ...closed,
    title: "Gate Kill Switch State",
    description:
      "Kill switches checked by gate eval, the sidecar and SDK Gates (`gait kill-switch`, default .gait-out/kill_switch_state.json).",
  },
);

export const KillSwitchJournalEventSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.gate.kill_switch_journal_event", { type: "string" }),
    schema_version: Type.Literal("1.0.0", { type: "string" }),
    at: DateTime,
    action: Type.Union([
      Type.Literal("add"),
      Type.Literal("disable"),
      Type.Literal("expire"),
      Type.Literal("fired"),
    ]),
    entry_ids: Type.Array(NonEmpty),
    actor: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    expires_at: Type.Optional(DateTime),
    trace_id: Type.Optional(NonEmpty),
    tool_name: Type.Optional(NonEmpty),
    intent_digest: Type.Optional(Type.String({ pattern: "^[a-f0-9]{64}$" })),
    reason_codes: Type.Optional(Type.Array(NonEmpty)),
  },
  {
    ...closed,
    title: "Gate Kill Switch Journal Event",
    description:
      "One line of the kill-switch journal (<state base>.journal.jsonl): a change to the state, or a decision an active kill switch blocked (`fired`).",
  },
);

type _StateMatches = Expect<Same<Static<typeof KillSwitchStateSchema>, KillSwitchState>>;
type _EventMatches = Expect<Same<Static<typeof KillSwitchJournalEventSchema>, KillSwitchJournalEvent>>;
