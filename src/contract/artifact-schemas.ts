/**
 * Foundation-level shapes the contract owns, defined once with TypeBox: the definitions give the
 * TypeScript types (`Static<>`) and the JSON Schemas we publish under schemas/v1 (src/schemas.ts).
 * Domain modules build their artifact schemas from the building blocks here.
 */
import { type SchemaOptions, type Static, type TSchema, Type } from "@sinclair/typebox";
import type { ErrorCategory } from "./errors.ts";

/** A string limited to `values`, rendered as a plain JSON Schema `enum` (clearer than `anyOf`). */
export function StringEnum<const T extends string>(values: readonly T[], options: SchemaOptions = {}) {
  return Type.Unsafe<T>({ ...options, type: "string", enum: [...values] });
}

/**
 * `Expect<Same<Static<typeof XSchema>, X>>` compiles only when a TypeBox definition and an
 * interface declared elsewhere describe the same values (each assignable to the other), so a
 * schema defined apart from the code that writes the artifact cannot drift from it.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Expect<T extends true> = T;

/** Lowercase hex SHA-256, the form every Gait digest and key id takes (CONTRACTS.md §1). */
function Sha256Hex(description: string) {
  return Type.String({ pattern: "^[0-9a-f]{64}$", description });
}

/** 64 bytes in padded standard base64: 86 symbols, the last carrying 2 bits, then `==`. */
const ED25519_SIGNATURE_BASE64 = "^[A-Za-z0-9+/]{85}[AQgw]==$";

/** The signature envelope every signed Gait JSON artifact carries (CONTRACTS.md §2.1). */
export const SignatureSchema = Type.Object(
  {
    alg: Type.Literal("ed25519", { description: "signature algorithm; verifiers reject anything else" }),
    key_id: Sha256Hex("SHA-256 of the raw 32-byte Ed25519 public key"),
    sig: Type.String({
      pattern: ED25519_SIGNATURE_BASE64,
      description:
        "the 64-byte Ed25519 signature over the 32 raw bytes of signed_digest, padded standard base64",
    }),
    signed_digest: Sha256Hex("SHA-256 of the RFC 8785 canonical JSON of the signable object"),
  },
  {
    additionalProperties: false,
    title: "Gait signature envelope",
    description: "Ed25519 signature over the SHA-256 digest of an artifact's canonical JSON.",
  },
);
export type Signature = Static<typeof SignatureSchema>;

/**
 * The `signature` member as the v1 artifact schemas declare it (runpack manifest, gate traces and
 * tokens): three strings and an optional digest. Looser than SignatureSchema, which is what Gait
 * writes, because the artifact schemas must accept every document the public ones accept; the
 * verifiers (signing.ts) enforce the rest.
 */
export const EmbeddedSignatureSchema = Type.Object(
  {
    alg: Type.String(),
    key_id: Type.String(),
    sig: Type.String(),
    signed_digest: Type.Optional(Type.String({ pattern: "^[a-fA-F0-9]{64}$" })),
  },
  { additionalProperties: false },
);

/**
 * The relationship envelope (parent, entities, policy, agent chain, edges, lineage) that several
 * v1 artifacts embed (runpack run, gate intent request, trace, approval audit). Each public schema
 * carries the same copy of these definitions under `$defs` and points at them with local `$ref`s,
 * so an artifact schema spreads `relationshipDefs` into its own `$defs` and uses
 * `RelationshipEnvelopeRef()` for the member.
 */
const localRef = <T extends TSchema>(name: string, _definition: T) =>
  Type.Unsafe<Static<T>>({ $ref: `#/$defs/${name}` });
const idRef = <T extends TSchema>(kind: T) =>
  Type.Object({ kind, id: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const uniqueStrings = () => Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true });

const RelationshipParentRefSchema = idRef(
  StringEnum(["trace", "run", "session", "intent", "policy", "agent", "evidence"]),
);
const RelationshipEntityRefSchema = idRef(
  StringEnum(["agent", "tool", "resource", "policy", "run", "trace", "delegation", "evidence"]),
);
const PolicyRefSchema = Type.Object(
  {
    policy_id: Type.Optional(Type.String({ minLength: 1 })),
    policy_version: Type.Optional(Type.String({ minLength: 1 })),
    policy_digest: Type.Optional(Type.String({ pattern: "^(sha256:)?[a-f0-9]{64}$" })),
    matched_rule_ids: Type.Optional(uniqueStrings()),
  },
  { additionalProperties: false },
);
const AgentLinkSchema = Type.Object(
  {
    identity: Type.String({ minLength: 1 }),
    role: StringEnum(["requester", "delegator", "delegate"]),
  },
  { additionalProperties: false },
);
const RelationshipEdgeSchema = Type.Object(
  {
    kind: StringEnum(["delegates_to", "calls", "governed_by", "targets", "derived_from", "emits_evidence"]),
    from: idRef(Type.String({ minLength: 1 })),
    to: idRef(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
const AgentLineageSchema = Type.Object(
  {
    agent_id: Type.String({ minLength: 1 }),
    delegated_by: Type.Optional(Type.String({ minLength: 1 })),
    delegation_record_id: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
const RelationshipEnvelopeSchema = Type.Object(
  {
    parent_ref: Type.Optional(localRef("relationship_parent_ref", RelationshipParentRefSchema)),
    entity_refs: Type.Optional(
      Type.Array(localRef("relationship_entity_ref", RelationshipEntityRefSchema), { uniqueItems: true }),
    ),
    policy_ref: Type.Optional(localRef("policy_ref", PolicyRefSchema)),
    agent_chain: Type.Optional(Type.Array(localRef("agent_link", AgentLinkSchema))),
    edges: Type.Optional(
      Type.Array(localRef("relationship_edge", RelationshipEdgeSchema), { uniqueItems: true }),
    ),
    parent_record_id: Type.Optional(Type.String({ minLength: 1 })),
    related_record_ids: Type.Optional(uniqueStrings()),
    related_entity_ids: Type.Optional(uniqueStrings()),
    agent_lineage: Type.Optional(Type.Array(localRef("agent_lineage", AgentLineageSchema))),
  },
  { additionalProperties: false },
);
export type RelationshipEnvelope = Static<typeof RelationshipEnvelopeSchema>;

export const relationshipDefs = {
  relationship_parent_ref: RelationshipParentRefSchema,
  relationship_entity_ref: RelationshipEntityRefSchema,
  policy_ref: PolicyRefSchema,
  agent_link: AgentLinkSchema,
  relationship_edge: RelationshipEdgeSchema,
  agent_lineage: AgentLineageSchema,
  relationship_envelope: RelationshipEnvelopeSchema,
};

/** The relationship member of a schema whose `$defs` include `relationshipDefs`. */
export function RelationshipEnvelopeRef() {
  return localRef("relationship_envelope", RelationshipEnvelopeSchema);
}

/** `satisfies` makes the compiler insist this lists every ErrorCategory and nothing else. */
const errorCategorySet = {
  invalid_input: true,
  verification_failed: true,
  policy_blocked: true,
  approval_required: true,
  dependency_missing: true,
  unsafe_operation: true,
  regress_failed: true,
  io_failure: true,
  state_contention: true,
  network_transient: true,
  network_permanent: true,
  internal_failure: true,
} satisfies Record<ErrorCategory, true>;
export const ERROR_CATEGORIES = Object.keys(errorCategorySet) as ErrorCategory[];

/** What `--json` prints when a command fails (CONTRACTS.md §9). */
export const CliErrorEnvelopeSchema = Type.Object(
  {
    ok: Type.Literal(false),
    error: Type.String({ minLength: 1, description: "human-readable message" }),
    error_code: Type.String({
      pattern: "^[a-z][a-z0-9_]*$",
      description:
        "stable snake_case machine code, as the reference's: invalid_input for exit 6, regress_failed for 5, unsafe_operation for 8, else the failure's own code",
    }),
    detail_code: Type.Optional(
      Type.String({
        pattern: "^[a-z][a-z0-9_]*$",
        description:
          "Gait's finer code when it differs from error_code and error_category (e.g. usage, intent_invalid)",
      }),
    ),
    error_category: StringEnum(ERROR_CATEGORIES, {
      description:
        "the reference's category for the exit code: exits 5 and 8 report internal_failure; exit 1 keeps io_failure, state_contention and the network categories",
    }),
    retryable: Type.Boolean({ description: "true only for network_transient and state_contention" }),
    hint: Type.String({ description: "what to do next" }),
    correlation_id: Type.String({ minLength: 1, description: "stable id of this invocation" }),
    warnings: Type.Optional(Type.Array(Type.String())),
  },
  {
    additionalProperties: true,
    title: "Gait CLI JSON error envelope",
    description:
      "One-line JSON object written to stdout by `--json` commands that fail; commands may add detail members.",
  },
);
export type CliErrorEnvelope = Static<typeof CliErrorEnvelopeSchema>;

/**
 * A lock file (`<state>.lock`, created exclusively and removed on release; contract/files.ts):
 * who holds the lock, so a stale one can be taken over. The `schema_id` names the state it guards
 * (`gait.lock` by default, `gait.gate.rate_limit_lock`, `gait.gate.approval_ledger_lock`).
 */
export const FileLockSchema = Type.Object(
  {
    schema_id: Type.String({
      pattern: "^gait(\\.[a-z0-9_]+)*\\.([a-z0-9_]+_)?lock$",
      description: "gait.lock, or gait.<module>.<state>_lock",
    }),
    schema_version: Type.Literal("1.0.0", { type: "string" }),
    pid: Type.Integer({ minimum: 1, description: "process id of the holder" }),
    host: Type.String({ description: "host name of the holder; a lock of another host is judged by age" }),
    created_at: Type.String({ format: "date-time", description: "when the lock was taken (RFC 3339, UTC)" }),
  },
  {
    additionalProperties: false,
    title: "Gait lock file",
    description:
      "Held-lock record written to <state>.lock while a process reads and writes a shared state file.",
  },
);
export type FileLockRecord = Static<typeof FileLockSchema>;
