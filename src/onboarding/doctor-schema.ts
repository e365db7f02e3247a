/**
 * The JSON Schema of `gait.doctor.result` (what runDoctor returns and `gait doctor --json` prints),
 * published as schemas/v1/doctor/doctor_result.schema.json. The result type is declared in
 * doctor.ts; the check below keeps the two the same.
 */
import { type Static, Type } from "@sinclair/typebox";
import { type Expect, type Same, StringEnum } from "../contract/artifact-schemas.ts";
import type { DoctorResult } from "./doctor.ts";

const CHECK_STATUSES = ["pass", "warn", "fail"] as const;

export const DoctorCheckSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z][a-z0-9_]*$", description: "stable snake_case check name" }),
    status: StringEnum(CHECK_STATUSES),
    message: Type.String(),
    fix_command: Type.String({ description: "a command that fixes the problem; empty for passing checks" }),
    non_fixable: Type.Boolean({ description: "a failure gait cannot fix (exit 7)" }),
  },
  { additionalProperties: false },
);

export const DoctorResultSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.doctor.result", { type: "string" }),
    schema_version: Type.Literal("1.0.0", { type: "string" }),
    status: StringEnum(CHECK_STATUSES, { description: "the worst status of the checks" }),
    summary: Type.String({ description: "counts of the checks by status" }),
    non_fixable: Type.Boolean({ description: "some non-fixable check failed (exit 7)" }),
    production_readiness: Type.Boolean({ description: "the production readiness checks were run" }),
    fix_commands: Type.Array(Type.String(), {
      uniqueItems: true,
      description: "the fix commands of the checks that did not pass, in check order",
    }),
    checks: Type.Array(DoctorCheckSchema),
  },
  {
    additionalProperties: false,
    title: "Gait Doctor Result",
    description:
      "Environment and project checks of `gait doctor`, each pass, warn or fail with a fix command (`--json` adds ok, correlation_id and, on exit 2 or 7, the error members).",
  },
);

type _DoctorResultMatches = Expect<Same<Static<typeof DoctorResultSchema>, DoctorResult>>;
