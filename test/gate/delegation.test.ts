/**
 * Delegation tokens: the reference-minted compat token verifies here with its signed digest,
 * our token ids follow CONTRACTS.md §5.12, and the chain check gives the reference's codes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { digestJcs, sha256Hex } from "../../src/contract/canonical.ts";
import {
  generateSigningKey,
  parsePrivateKey,
  type SigningKey,
  signJson,
  verifyJson,
  verifyKeyFor,
  withoutSignature,
} from "../../src/contract/signing.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  checkDelegationChain,
  checkDelegationToken,
  mintDelegationToken,
  parseDelegationToken,
} from "../../src/gate/delegation.ts";
import { buildDelegationAudit, type DelegationRequirement, prepareIntent } from "../../src/gate/index.ts";
import { conformanceSkip, vectorPath } from "../helpers/conformance.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const now = Timestamp.parse("2026-03-01T00:00:00Z");
const far = 640000n * 3600n * 1_000_000_000n;
const POLICY = "2222222222222222222222222222222222222222222222222222222222222222";
/** Signs the tokens of the tests that need no vector (a lone clone has no conformance corpus). */
const signer = generateSigningKey();

/** The signing-compat vector: read only when the corpus is there (its tests skip otherwise). */
function compatVector() {
  const vectors = JSON.parse(readFileSync(vectorPath("vectors.json"), "utf8"));
  return {
    vectors,
    compatToken: JSON.parse(
      readFileSync(vectorPath("signing-compat", "delegation_token_signed.json"), "utf8"),
    ),
    compatKeyRaw: Buffer.from(vectors.signing_compat.public_key_hex, "hex"),
    scenarioKey: parsePrivateKey(vectors.scenario_key.private_key_b64, "scenario key"),
  };
}

describe("the reference's delegation token (signing-compat vector)", { skip: conformanceSkip }, () => {
  const { vectors, compatToken, compatKeyRaw, scenarioKey } = conformanceSkip
    ? ({} as ReturnType<typeof compatVector>)
    : compatVector();
  it("has the reference's signed digest and verifies with the reference's key", async () => {
    const { createPublicKey } = await import("node:crypto");
    const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), compatKeyRaw]);
    const publicKey = createPublicKey({ key: der, format: "der", type: "spki" });
    const key = { publicKey, publicRaw: compatKeyRaw, keyId: sha256Hex(compatKeyRaw) };
    assert.equal(key.keyId, vectors.signing_compat.key_id);
    const body = withoutSignature(compatToken);
    assert.equal(digestJcs(body), vectors.signing_compat.delegation_token_signed_digest);
    assert.deepEqual(verifyJson(key, body, compatToken.signature), { ok: true });
    assertPublicValidIfAvailable(compatToken, "reference delegation token");
    // Our validation accepts it for its own delegator/delegate, scope and bindings, before expiry...
    const at = Timestamp.parse("2026-02-05T00:30:00Z");
    const check = checkDelegationToken(compatToken, {
      key,
      clock: { now: at },
      delegator: "agent.lead",
      delegate: "agent.specialist",
      intentDigest: "1".repeat(64),
      policyDigest: POLICY,
      anyScope: ["write"],
      toolName: "tool.write",
    });
    assert.deepEqual({ valid: check.valid, id: check.tokenId }, { valid: true, id: "delegation_compat_001" });
    // ...and refuses it after expiry and for another intent.
    const later = { key, clock: { now: Timestamp.parse("2026-02-05T01:00:00Z") } };
    assert.equal(checkDelegationToken(compatToken, later).errorCode, "delegation_token_expired");
    const other = { key, clock: { now: at }, intentDigest: "3".repeat(64) };
    assert.equal(checkDelegationToken(compatToken, other).errorCode, "delegation_token_intent_mismatch");
  });

  it("re-signing the reference's body gives the same signed digest and a token that verifies", () => {
    const body = withoutSignature(compatToken);
    const signature = signJson(scenarioKey, body);
    assert.equal(signature.signed_digest, vectors.signing_compat.delegation_token_signed_digest);
    assert.deepEqual(verifyJson(verifyKeyFor(scenarioKey), body, signature), { ok: true });
  });
});

describe("mintDelegationToken", () => {
  it("derives token_id from the §5.12 material and signs the token minus its signature", () => {
    const token = mintDelegationToken(
      {
        delegator: " agent.lead ",
        delegate: "agent.specialist",
        scope: ["Tool:tool.write", "tool:tool.write"],
        scopeClass: "Write",
        intentDigest: "1".repeat(64),
        policyDigest: POLICY,
        ttlNanos: 3600n * 1_000_000_000n,
        now: Timestamp.parse("2026-02-05T00:00:00Z"),
      },
      signer,
    );
    const material = `agent.lead:agent.specialist:tool:tool.write:write:${"1".repeat(64)}:${POLICY}:2026-02-05T01:00:00Z`;
    assert.equal(token.token_id, sha256Hex(material).slice(0, 24));
    assert.deepEqual(token.scope, ["tool:tool.write"]);
    assert.equal(token.scope_class, "write");
    assert.deepEqual(verifyJson(verifyKeyFor(signer), withoutSignature(token), token.signature), {
      ok: true,
    });
    assertPublicValidIfAvailable(token, "minted delegation token");
  });

  it("refuses empty scope, bad digests and non-positive ttl", () => {
    const base = { delegator: "a", delegate: "b", scope: ["x"], ttlNanos: 1n, now };
    assert.throws(() => mintDelegationToken({ ...base, scope: [" "] }, signer), /--scope/);
    assert.throws(() => mintDelegationToken({ ...base, intentDigest: "abc" }, signer), /--intent-digest/);
    assert.throws(() => mintDelegationToken({ ...base, ttlNanos: 0n }, signer), /--ttl/);
    assert.throws(() => mintDelegationToken({ ...base, delegate: "" }, signer), /--delegate/);
  });
});

// ---------------------------------------------------------------------------------------------
// the chain

function intentWith(delegation: unknown) {
  return prepareIntent({
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-18T00:00:00Z",
    producer_version: "test",
    tool_name: "tool.write",
    args: {},
    targets: [],
    context: { identity: "agent.worker", workspace: "/repo", risk_class: "high" },
    delegation,
  });
}

const twoLinks = intentWith({
  requester_identity: "agent.worker",
  scope_class: "write",
  chain: [
    { delegator_identity: "human.lead", delegate_identity: "agent.planner", scope_class: "write" },
    { delegator_identity: "agent.planner", delegate_identity: "agent.worker", scope_class: "write" },
  ],
});

function mint(delegator: string, delegate: string, scope: string[], key: SigningKey = signer, extra = {}) {
  return mintDelegationToken(
    { delegator, delegate, scope, scopeClass: "write", ttlNanos: far, now, ...extra },
    key,
  );
}

const requirement = (over: Partial<DelegationRequirement> = {}): DelegationRequirement => ({
  required: true,
  scopes: ["write"],
  policyDigest: POLICY,
  clock: { now },
  ...over,
});
const key = verifyKeyFor(signer);

describe("checkDelegationChain", () => {
  it("grants a chain with one valid token per link, in any order, with ids in chain order", () => {
    const lead = mint("human.lead", "agent.planner", ["tool:tool.write", "tool:tool.read"]);
    const planner = mint("agent.planner", "agent.worker", ["tool:tool.write"]);
    const outcome = checkDelegationChain([planner, lead], twoLinks, requirement(), key);
    assert.equal(outcome.granted, true);
    assert.deepEqual(outcome.reasonCodes, ["delegation_granted"]);
    assert.equal(outcome.delegationRef, `${lead.token_id},${planner.token_id}`);
    assert.equal(outcome.valid, 2);
  });

  it("is insufficient with a link uncovered, reporting the other tokens' errors", () => {
    const lead = mint("human.lead", "agent.planner", ["tool:tool.write"]);
    const stranger = mint("agent.other", "agent.worker", ["tool:tool.write"]);
    const outcome = checkDelegationChain([lead, stranger], twoLinks, requirement(), key);
    assert.equal(outcome.granted, false);
    assert.deepEqual(outcome.reasonCodes, [
      "delegation_chain_insufficient",
      "delegation_token_delegator_mismatch",
    ]);
    assert.equal(outcome.delegationRef, "");
    assert.equal(outcome.valid, 1);
  });

  it("says missing without tokens and adds no reasons when delegation is not required", () => {
    assert.deepEqual(checkDelegationChain([], twoLinks, requirement(), key).reasonCodes, [
      "delegation_token_missing",
    ]);
    const lead = mint("human.lead", "agent.planner", ["*"]);
    assert.deepEqual(
      checkDelegationChain([lead], twoLinks, requirement({ required: false }), key).reasonCodes,
      [],
    );
  });

  it("narrows scope along the chain: a later token may not grant what the earlier did not", () => {
    const lead = mint("human.lead", "agent.planner", ["tool:tool.write"]);
    const wider = mint("agent.planner", "agent.worker", ["tool:tool.write", "tool:tool.delete"]);
    const outcome = checkDelegationChain([lead, wider], twoLinks, requirement(), key);
    assert.equal(outcome.granted, false);
    assert.equal(
      outcome.checks.find((c) => c.tokenId === wider.token_id)?.errorCode,
      "delegation_token_scope_mismatch",
    );
  });

  it("refuses a token scoped to other tools, another signer, an unsigned token, a foreign policy", () => {
    const single = intentWith({ requester_identity: "agent.worker" });
    const codeOf = (token: unknown) =>
      checkDelegationChain([token], single, requirement(), key).checks[0]?.errorCode;
    assert.equal(codeOf(mint("h", "agent.worker", ["tool:tool.read"])), "delegation_token_scope_mismatch");
    assert.equal(
      codeOf(mint("h", "agent.worker", ["*"], generateSigningKey())),
      "delegation_token_signature_invalid",
    );
    assert.equal(
      codeOf(withoutSignature(mint("h", "agent.worker", ["*"]))),
      "delegation_token_signature_missing",
    );
    const foreign = mint("h", "agent.worker", ["*"], signer, { policyDigest: "3".repeat(64) });
    assert.equal(codeOf(foreign), "delegation_token_policy_mismatch");
    assert.equal(codeOf(mint("h", "agent.other", ["*"])), "delegation_token_delegate_mismatch");
    assert.equal(codeOf({ schema_id: "gait.gate.delegation_token" }), "delegation_token_invalid");
    assert.equal(
      checkDelegationChain([mint("h", "agent.worker", ["*"])], single, requirement(), undefined).checks[0]
        ?.errorCode,
      "delegation_token_signature_invalid",
    );
  });

  it("accepts only the token a link names (token_ref)", () => {
    const named = mint("human.lead", "agent.worker", ["*"]);
    const other = mint("human.lead", "agent.worker", ["*"], signer, { ttlNanos: far - 1n });
    const prepared = intentWith({
      requester_identity: "agent.worker",
      chain: [
        { delegator_identity: "human.lead", delegate_identity: "agent.worker", token_ref: named.token_id },
      ],
    });
    assert.equal(
      checkDelegationChain([other], prepared, requirement(), key).checks[0]?.errorCode,
      "delegation_token_chain_mismatch",
    );
    assert.equal(checkDelegationChain([other, named], prepared, requirement(), key).granted, true);
  });

  it("checks expiry at the evaluation time and now, and refuses use before creation", () => {
    const single = intentWith({ requester_identity: "agent.worker" });
    const token = mint("h", "agent.worker", ["*"], signer, { ttlNanos: 3600n * 1_000_000_000n });
    const later = { now: Timestamp.parse("2026-03-01T02:00:00Z") };
    assert.equal(
      checkDelegationChain([token], single, requirement({ clock: later }), key).checks[0]?.errorCode,
      "delegation_token_expired",
    );
    const replayBefore = { now, evaluationTime: Timestamp.parse("2026-02-01T00:00:00Z") };
    assert.equal(
      checkDelegationChain([token], single, requirement({ clock: replayBefore }), key).checks[0]?.errorCode,
      "delegation_token_not_yet_valid",
    );
  });

  it("builds an audit record that validates against the public schema", () => {
    const lead = mint("human.lead", "agent.planner", ["tool:tool.write"]);
    const outcome = checkDelegationChain([lead, { bogus: true }], twoLinks, requirement(), key);
    const audit = buildDelegationAudit({
      createdAt: twoLinks.createdAt,
      traceId: "0".repeat(24),
      toolName: "tool.write",
      intentDigest: twoLinks.intentDigest,
      policyDigest: POLICY,
      outcome,
    });
    assertPublicValidIfAvailable(audit, "delegation audit record");
    assert.equal(audit.delegated, false);
    assert.deepEqual(
      audit.entries.map((e) => [e.valid, e.error_code]),
      [
        [false, "delegation_token_invalid"],
        [true, undefined],
      ],
    );
  });
});

describe("delegation token parser (property)", () => {
  it("never throws: any JSON value is a valid check or a coded error", () => {
    const single = intentWith({ requester_identity: "agent.worker" });
    const valid = mint("h", "agent.worker", ["*"]);
    const mutated = fc.record({
      field: fc.constantFrom(...Object.keys(valid)),
      value: fc.jsonValue(),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          mutated.map(({ field, value }) => ({ ...valid, [field]: value })),
        ),
        (raw) => {
          const outcome = checkDelegationChain([raw], single, requirement(), key);
          const code = outcome.checks[0]!.errorCode;
          assert.ok(outcome.checks[0]!.valid || code?.startsWith("delegation_token_"));
          assert.equal(parseDelegationToken(raw) === undefined, code === "delegation_token_invalid");
        },
      ),
      { numRuns: 300 },
    );
  });
});
