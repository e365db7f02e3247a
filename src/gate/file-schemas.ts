/**
 * The JSON Schemas of the files the gate keeps or reads besides its wire messages, published
 * under schemas/v1/gate/: the rate-limit state (ratelimit.ts), the single-use approval ledger
 * (approval-ledger.ts) and the approver key list (approvers.ts). The types those modules declare
 * are checked against these definitions below.
 */
import { type Static, Type } from "@sinclair/typebox";
import type { Expect, Same } from "../contract/artifact-schemas.ts";
import type { SpentApproval } from "./approval-ledger.ts";
import type { Counter } from "./ratelimit.ts";

const SchemaVersion = Type.Literal("1.0.0", { type: "string" });
const DateTime = (description: string) => Type.String({ format: "date-time", description });

const RateLimitCounterSchema = Type.Object(
  {
    key: Type.String({
      pattern: "^(minute|hour)\\|(tool|identity|tool_identity)\\|[^|]+\\|.+$",
      description:
        "<window>|<scope>|<bucket start>|<scope key>; a destructive budget's scope key starts with destructive_budget|<tool>",
    }),
    count: Type.Integer({ minimum: 1, description: "requests counted in the bucket" }),
  },
  { additionalProperties: false },
);

export const RateLimitStateSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.gate.rate_limit_state", { type: "string" }),
    schema_version: SchemaVersion,
    counters: Type.Array(RateLimitCounterSchema, { description: "sorted by key (byte order), keys unique" }),
  },
  {
    additionalProperties: false,
    title: "Gate Rate Limit State",
    description:
      "Rate-limit and destructive-budget counters of `gait gate eval --rate-limit-state` and the sidecar (default .gait-out/gate_rate_limits.json).",
  },
);

const SpentApprovalSchema = Type.Object(
  {
    token_id: Type.String({ minLength: 1, description: "token_id of the spent approval token" }),
    expires_at: DateTime("the token's expiry; the entry is dropped after it"),
    spent_at: DateTime("when a decision spent it"),
  },
  { additionalProperties: false },
);

export const ApprovalLedgerSchema = Type.Object(
  {
    schema_id: Type.Literal("gait.gate.approval_ledger", { type: "string" }),
    schema_version: SchemaVersion,
    spent: Type.Array(SpentApprovalSchema, { description: "sorted by token_id (byte order)" }),
  },
  {
    additionalProperties: false,
    title: "Gate Approval Ledger",
    description:
      "Single-use approval tokens already spent, kept until they expire (`--approval-single-use`, default .gait-out/gate_approvals_spent.json).",
  },
);

const ApproverKeySchema = Type.Object(
  {
    identity: Type.String({
      minLength: 1,
      description: "the approver_identity tokens of this approver carry",
    }),
    public_key: Type.Optional(
      Type.String({ minLength: 1, description: "base64 of the raw 32-byte Ed25519 public key" }),
    ),
    public_key_file: Type.Optional(
      Type.String({ minLength: 1, description: "a public key file, relative to the list's own folder" }),
    ),
    key_id: Type.Optional(
      Type.String({ pattern: "^[0-9a-fA-F]{64}$", description: "optional check: the key's id (sha256 hex)" }),
    ),
  },
  {
    additionalProperties: false,
    oneOf: [{ required: ["public_key"] }, { required: ["public_key_file"] }],
  },
);

export const ApproverKeysSchema = Type.Object(
  {
    schema_id: Type.Optional(Type.Literal("gait.gate.approver_keys", { type: "string" })),
    schema_version: Type.Optional(SchemaVersion),
    approvers: Type.Array(ApproverKeySchema, { minItems: 1 }),
  },
  {
    additionalProperties: false,
    title: "Gate Approver Keys",
    description:
      "Who may sign approval tokens: each approver identity with its own public key (YAML or JSON, `--approver-keys`). The gate also checks that every key decodes and that no key is listed for two identities.",
  },
);

type _CountersMatch = Expect<Same<Static<typeof RateLimitCounterSchema>, Counter>>;
type _SpentMatches = Expect<Same<Static<typeof SpentApprovalSchema>, SpentApproval>>;
