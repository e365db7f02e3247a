import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  buildContextEnvelope,
  contextEvidenceFor,
  contextSetDigest,
  parseContextEnvelope,
} from "../../src/context/index.ts";
import { isGaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { prepareIntent } from "../../src/gate/intent.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const record = (refId: string, retrievedAt = "2026-02-18T00:00:00Z") => ({
  ref_id: refId,
  source_type: "doc_store",
  source_locator: `docs://${refId}`,
  query_digest: "A".repeat(64),
  content_digest: "b".repeat(64),
  retrieved_at: retrievedAt,
  redaction_mode: "reference",
  immutability: "immutable",
});
const created = Timestamp.parse("2026-02-18T00:10:00Z");
const build = (records: unknown[]) =>
  buildContextEnvelope({ contextSetId: "set", evidenceMode: "required", records, createdAt: created });

describe("context envelopes", () => {
  it("the set digest ignores record order and formatting, not content", () => {
    const a = build([record("r1"), record("r2")]);
    const b = build([record("r2"), { ...record("r1"), query_digest: "a".repeat(64) }]);
    assert.equal(a.context_set_digest, b.context_set_digest);
    assert.notEqual(a.context_set_digest, build([record("r1")]).context_set_digest);
    assert.equal(a.context_set_digest, contextSetDigest(a.records));
  });

  it("a built envelope verifies, validates against the public schema, and a tampered one does not verify", {
    skip: publicSchemasSkip,
  }, () => {
    const envelope = build([record("r1")]);
    assertPublicValid(envelope, "context envelope");
    assert.deepEqual(parseContextEnvelope(JSON.parse(JSON.stringify(envelope)), "e"), envelope);
    const tampered = { ...envelope, records: [{ ...record("r1"), content_digest: "c".repeat(64) }] };
    assert.throws(
      () => parseContextEnvelope(tampered, "e"),
      (e) => isGaitError(e) && e.code === "context_set_digest_mismatch",
    );
    assert.throws(
      () => parseContextEnvelope({ ...envelope, records: [record("r1"), record("r1")] }, "e"),
      (e) => isGaitError(e) && e.code === "context_envelope_invalid",
    );
  });

  it("binds into the intent before digesting: evidence, refs and age measured from the oldest record", () => {
    const envelope = build([record("r2", "2026-02-18T00:01:00Z"), record("r1")]);
    const evidence = contextEvidenceFor(envelope);
    const raw = { tool_name: "t", args: {}, context: { identity: "a", workspace: "/w", risk_class: "low" } };
    const now = Timestamp.parse("2026-02-18T00:05:00Z");
    const bound = prepareIntent(raw, { contextEvidence: evidence, now });
    assert.equal(bound.intent.context.context_set_digest, envelope.context_set_digest);
    assert.deepEqual(bound.intent.context.context_refs, ["r1", "r2"]);
    assert.equal(bound.intent.context.auth_context?.context_age_seconds, 300);
    assert.equal(bound.contextSource, "envelope");
    assert.notEqual(bound.intentDigest, prepareIntent(raw).intentDigest);
    const other = { ...raw, context: { ...raw.context, context_set_digest: "f".repeat(64) } };
    assert.throws(
      () => prepareIntent(other, { contextEvidence: evidence, now }),
      /not the context envelope's/,
    );
  });

  it("property: any JSON either verifies or fails with a context envelope code (exit 6)", () => {
    const valid = build([record("r1")]);
    const mutated = fc.record(
      {
        schema_id: fc.oneof(fc.constant(valid.schema_id), fc.string()),
        schema_version: fc.oneof(fc.constant("1.0.0"), fc.string()),
        created_at: fc.oneof(fc.constant(valid.created_at), fc.string()),
        producer_version: fc.oneof(fc.constant("x"), fc.integer()),
        context_set_id: fc.oneof(fc.constant("set"), fc.string()),
        context_set_digest: fc.oneof(
          fc.constant(valid.context_set_digest),
          fc.stringMatching(/^[0-9a-f]{0,64}$/),
        ),
        evidence_mode: fc.oneof(fc.constant("required"), fc.string()),
        records: fc.oneof(
          fc.constant(valid.records),
          fc.array(
            fc.record({
              ref_id: fc.string(),
              immutability: fc.string(),
              freshness_sla_seconds: fc.integer(),
            }),
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(mutated, fc.anything()), (raw) => {
        try {
          const parsed = parseContextEnvelope(raw, "fuzz");
          assert.equal(parsed.context_set_digest, contextSetDigest(parsed.records));
        } catch (error) {
          assert.ok(isGaitError(error), String(error));
          assert.ok(
            ["context_envelope_invalid", "context_set_digest_mismatch"].includes(error.code),
            error.code,
          );
          assert.equal(error.exitCode, 6);
        }
      }),
      { numRuns: 500 },
    );
  });
});
