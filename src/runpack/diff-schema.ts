/**
 * The JSON Schema of the run diff that `gait run diff --output <file>` writes (diff.ts,
 * `RunpackDiff`), published as schemas/v1/runpack/run_diff.schema.json. The diff carries no
 * schema_id; the check below keeps this definition and diff.ts's types the same.
 */
import { type Static, Type } from "@sinclair/typebox";
import { type Expect, type Same, StringEnum } from "../contract/artifact-schemas.ts";
import type { JsonValue } from "../contract/canonical.ts";
import type { RunpackDiff } from "./diff.ts";

const Ids = (description: string) => Type.Array(Type.String(), { description });

const DiffSummarySchema = Type.Object(
  {
    run_id_left: Type.String(),
    run_id_right: Type.String(),
    manifest_changed: Type.Boolean(),
    files_changed: Ids("runpack entries whose content differs, sorted"),
    intents_changed: Type.Boolean(),
    results_changed: Type.Boolean(),
    refs_changed: Type.Boolean(),
    left_only_intents: Ids("intent ids only on the left"),
    right_only_intents: Ids("intent ids only on the right"),
    left_only_results: Ids("intent ids of results only on the left"),
    right_only_results: Ids("intent ids of results only on the right"),
    changed_intents: Ids("intents on both sides whose tool or args differ"),
    changed_results: Ids("results on both sides whose status or result differ"),
    context_drift_classification: Type.Optional(
      StringEnum(["none", "semantic", "runtime_only"] as const, { description: "full privacy only" }),
    ),
    context_runtime_only_changes: Type.Optional(
      Ids("full privacy only: receipts whose only changes are runtime ones (retrieval time, params, SLA)"),
    ),
  },
  { additionalProperties: false },
);

const AnyJson = (description: string) => Type.Unsafe<JsonValue>({ description });

const DiffChangeSchema = Type.Object(
  {
    path: Type.String({ description: "the changed field, e.g. intents[i1].args.q or run.env.os" }),
    kind: StringEnum(["added", "removed", "changed"] as const),
    before: AnyJson("value on the left (null where absent)"),
    after: AnyJson("value on the right (null where absent)"),
  },
  { additionalProperties: false },
);

export const RunpackDiffSchema = Type.Object(
  {
    privacy: StringEnum(["full", "metadata"] as const, {
      description: "metadata compares digests, statuses and tool names only, never payload values",
    }),
    identical: Type.Boolean({ description: "false when the runs differ (exit 2)" }),
    summary: DiffSummarySchema,
    changes: Type.Array(DiffChangeSchema, {
      description: "every changed field, in the order manifest, run, intents, results, refs",
    }),
  },
  {
    additionalProperties: false,
    title: "Runpack Diff",
    description:
      "Deterministic comparison of two runpacks written by `gait run diff --output` (RFC 8785 canonical JSON).",
  },
);

type _RunpackDiffMatches = Expect<Same<Static<typeof RunpackDiffSchema>, RunpackDiff>>;
