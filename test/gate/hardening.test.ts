/** The pure core of the enforcement-path hardening (issue 10): each rule on its own. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { exceedsJsonDepth, MAX_JSON_DEPTH, parseJsonStrict } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, type SigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { findInvisibleCharacter, withoutInvisibleCharacters } from "../../src/contract/text.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import {
  approvalExpectationFor,
  approverKeyVerifier,
  checkApprovalToken,
  compilePolicy,
  decideGateSync,
  evaluateApprovals,
  isPreparedIntent,
  memoryApprovalLedger,
  memoryLimitEnforcer,
  mintApprovalToken,
  parsePolicyYaml,
  prepareIntent,
  singleKeyVerifier,
} from "../../src/gate/index.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const request = (overrides: Record<string, unknown> = {}) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "tool.write",
  args: { path: "/tmp/a.txt" },
  targets: [{ kind: "path", value: "/tmp/a.txt", operation: "write" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "low" },
  ...overrides,
});

const isCoded = (code: string) => (e: unknown) =>
  e instanceof GaitError && e.code === code && e.exitCode === 6;

describe("prepared intents are trusted only when this process made them", () => {
  it("prepareIntent's result is branded and frozen; a copy or a JSON round trip is not", () => {
    const prepared = prepareIntent(request());
    assert.equal(isPreparedIntent(prepared), true);
    assert.ok(Object.isFrozen(prepared.intent.context));
    assert.throws(() => {
      (prepared.intent as { tool_name: string }).tool_name = "tool.read";
    }, TypeError);
    assert.equal(isPreparedIntent({ ...prepared }), false);
    assert.equal(isPreparedIntent(JSON.parse(JSON.stringify(prepared))), false);
  });

  it("a forged prepared shape is evaluated as a request and refused", () => {
    const policy = compilePolicy(
      parsePolicyYaml(
        "default_verdict: allow\nrules:\n  - name: no\n    effect: block\n    match:\n      tool_names: [tool.delete]\n",
        "p",
      ),
    );
    const forged = { ...prepareIntent(request({ tool_name: "tool.delete" })), intentDigest: "0".repeat(64) };
    assert.throws(
      () => decideGateSync({ compiled: policy, intent: forged, now: NOW }),
      isCoded("intent_invalid"),
    );
    const honest = decideGateSync({
      compiled: policy,
      intent: prepareIntent(request({ tool_name: "tool.delete" })),
      now: NOW,
    });
    assert.equal(honest.verdict, "block");
  });

  it("request digests are ignored and unknown top-level fields refused", () => {
    const computed = prepareIntent(request()).intentDigest;
    assert.equal(
      prepareIntent(request({ intent_digest: "f".repeat(64), args_digest: "e".repeat(64) })).intentDigest,
      computed,
    );
    assert.throws(() => prepareIntent(request({ intentDigest: "0".repeat(64) })), isCoded("intent_invalid"));
  });
});

describe("invisible characters", () => {
  it("finds control, format, surrogate, private-use and non-ASCII spaces; keeps visible text", () => {
    for (const bad of [
      "\u0000",
      "\u0007",
      "\u200b",
      "\u200d",
      "\u202e",
      "\u2066",
      "\ufeff",
      "\u00ad",
      "\ud800",
      "\udfff",
      "\ue000",
      "\u2028",
      "\u00a0",
      "\u3000",
    ]) {
      assert.ok(findInvisibleCharacter(`a${bad}b`), JSON.stringify(bad));
    }
    for (const good of ["tool.write", "a b", "outil.écrire", "工具", "😀", "mcp/server:tool"]) {
      assert.equal(findInvisibleCharacter(good), undefined, good);
    }
    assert.deepEqual(findInvisibleCharacter("ab\u200bc"), { index: 2, codePoint: "U+200B" });
    assert.equal(withoutInvisibleCharacters("hi\u200bgh\u0000"), "high");
  });

  it("refuses them in tool names, identities, risk classes and delegation identities", () => {
    const cases = [
      request({ tool_name: "tool\u200b.write" }),
      request({ context: { identity: "agent\u202e.a", workspace: "/repo", risk_class: "low" } }),
      request({ context: { identity: "agent.a", workspace: "/repo", risk_class: "lo\u0000w" } }),
      request({
        context: { identity: "agent.a", workspace: "/repo", risk_class: "low", agent_id: "a\ufeffb" },
      }),
      request({ delegation: { requester_identity: "agent\u200c.a" } }),
      request({ script: { steps: [{ tool_name: "tool\u2060.read", args: {} }] } }),
    ];
    for (const raw of cases) assert.throws(() => prepareIntent(raw), isCoded("intent_invalid"));
  });

  it("a visible-looking name never matches a rule meant for the visible name (property)", () => {
    const policy = compilePolicy(
      parsePolicyYaml(
        "default_verdict: allow\nrules:\n  - name: no\n    effect: block\n    match:\n      tool_names: [tool.delete]\n",
        "p",
      ),
    );
    const invisible = fc.constantFrom(
      "\u0000",
      "\u200b",
      "\u200e",
      "\u202a",
      "\u2062",
      "\ufeff",
      "\u00a0",
      "\ud83d",
      "\u180e",
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 11 }), invisible, (at, char) => {
        const name = `tool.delete`.slice(0, at) + char + `tool.delete`.slice(at);
        try {
          const outcome = decideGateSync({
            compiled: policy,
            intent: request({ tool_name: name }),
            now: NOW,
          });
          return outcome.verdict === "block"; // only when normalization made it the real name
        } catch (error) {
          return isCoded("intent_invalid")(error);
        }
      }),
    );
  });
});

describe("depth and size limits", () => {
  it("parseJsonStrict refuses nesting beyond MAX_JSON_DEPTH without recursing", () => {
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    assert.doesNotThrow(() => parseJsonStrict(deep(MAX_JSON_DEPTH)));
    assert.throws(() => parseJsonStrict(deep(MAX_JSON_DEPTH + 1)), isCoded("invalid_json"));
    assert.throws(() => parseJsonStrict(deep(200_000)), isCoded("invalid_json"));
  });

  it("exceedsJsonDepth is iterative and handles cycles", () => {
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = { a: value };
    assert.equal(exceedsJsonDepth(value), true);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.equal(exceedsJsonDepth(cycle), true);
    assert.equal(exceedsJsonDepth({ a: [1, { b: 2 }] }), false);
  });

  it("an in-memory intent too deep to normalize is a coded error, or a block under fail-closed", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    assert.throws(() => prepareIntent(request({ args: { deep } })), isCoded("intent_invalid"));
    const failClosed = compilePolicy(
      parsePolicyYaml("default_verdict: allow\nfail_closed:\n  enabled: true\n", "p"),
    );
    const high = request({ args: { deep }, context: { identity: "a", workspace: "/w", risk_class: "high" } });
    const outcome = decideGateSync({ compiled: failClosed, intent: high, now: NOW });
    assert.equal(outcome.verdict, "block");
    assert.deepEqual(outcome.reasonCodes, ["fail_closed_intent_invalid"]);
  });

  it("YAML alias bombs, recursive aliases and oversized texts are refused before reading", () => {
    const list = Array.from({ length: 1000 }, (_, i) => `t${i}`).join(", ");
    let bomb = `default_verdict: block\nrules:\n  - name: r0\n    effect: block\n    match:\n      tool_names: &L [${list}]\n`;
    for (let i = 1; i < 200; i++)
      bomb += `  - name: r${i}\n    effect: block\n    match:\n      tool_names: *L\n`;
    assert.throws(() => parsePolicyYaml(bomb, "bomb.yaml"), isCoded("policy_too_large"));
    assert.throws(
      () => parsePolicyYaml("default_verdict: &a [*a]\n", "loop.yaml"),
      isCoded("policy_invalid"),
    );
    assert.throws(
      () => parsePolicyYaml(`# ${"x".repeat(1024 * 1024)}\n`, "big.yaml"),
      isCoded("policy_too_large"),
    );
    // Aliases within the limit still work, and resolve to the closest anchor before them.
    const ok = parsePolicyYaml(
      "default_verdict: block\nrules:\n  - name: a\n    effect: block\n    match:\n      tool_names: &T [tool.a]\n  - name: b\n    effect: allow\n    match:\n      tool_names: *T\n",
      "ok.yaml",
    );
    assert.deepEqual(
      ok.policy.rules.map((r) => r.match.toolNames),
      [["tool.a"], ["tool.a"]],
    );
  });
});

describe("approvals: clock, signers, distinct keys, single use", () => {
  const policyText =
    "default_verdict: block\nrules:\n  - name: two\n    effect: require_approval\n    min_approvals: 2\n    match:\n      tool_names: [tool.write]\n";
  const compiled = compilePolicy(parsePolicyYaml(policyText, "p.yaml"));
  const prepared = prepareIntent(request());
  const mint = (key: SigningKey, approver: string, now = NOW, ttl = "1h") =>
    mintApprovalToken(
      {
        intentDigest: prepared.intentDigest,
        policyDigest: compiled.policyDigest,
        approver,
        reasonCode: "ok",
        scope: ["tool:tool.write"],
        ttlNanos: parseGoDuration(ttl),
        now,
      },
      key,
    );
  const alice = generateSigningKey();
  const bob = generateSigningKey();
  const approvers = approverKeyVerifier([
    { identity: "alice", key: verifyKeyFor(alice) },
    { identity: "bob", key: verifyKeyFor(bob) },
  ]);
  const expect = (clock: { now: Timestamp; evaluationTime?: Timestamp }, verifier = approvers) =>
    approvalExpectationFor(prepared, compiled.policyDigest, clock, verifier);

  it("expiry is checked at the evaluation time and the real clock; creation at the evaluation time", () => {
    const token = mint(alice, "alice", NOW, "1h");
    const later = Timestamp.parse("2026-03-01T14:00:00Z");
    assert.equal(
      checkApprovalToken(token, expect({ now: later, evaluationTime: NOW })).errorCode,
      "approval_token_expired",
    );
    const before = Timestamp.parse("2026-03-01T11:00:00Z");
    assert.equal(
      checkApprovalToken(token, expect({ now: NOW, evaluationTime: before })).errorCode,
      "approval_token_not_yet_valid",
    );
    assert.equal(checkApprovalToken(token, expect({ now: NOW })).valid, true);
  });

  it("a token counts only when signed by the key of the approver it names", () => {
    assert.equal(
      checkApprovalToken(mint(bob, "alice"), expect({ now: NOW })).errorCode,
      "approval_token_approver_key_mismatch",
    );
    assert.equal(
      checkApprovalToken(mint(alice, "carol"), expect({ now: NOW })).errorCode,
      "approval_token_approver_unknown",
    );
    const stranger = generateSigningKey();
    assert.equal(
      checkApprovalToken(mint(stranger, "alice"), expect({ now: NOW })).errorCode,
      "approval_token_signature_invalid",
    );
  });

  it("min_approvals 2 needs two distinct keys, not two names", () => {
    const shared = singleKeyVerifier(verifyKeyFor(alice));
    const oneKey = evaluateApprovals(
      [mint(alice, "alice"), mint(alice, "bob")],
      2,
      true,
      expect({ now: NOW }, shared),
    );
    assert.equal(oneKey.granted, false);
    assert.ok(oneKey.reasonCodes.includes("approval_distinct_approvers_required"));
    const twoKeys = evaluateApprovals(
      [mint(alice, "alice"), mint(bob, "bob")],
      2,
      true,
      expect({ now: NOW }),
    );
    assert.equal(twoKeys.granted, true);
  });

  it("a memory ledger spends granted tokens once, and replays and simulations spend nothing", () => {
    const single = compilePolicy(parsePolicyYaml(policyText.replace("    min_approvals: 2\n", ""), "p.yaml"));
    const token = mintApprovalToken(
      {
        intentDigest: prepared.intentDigest,
        policyDigest: single.policyDigest,
        approver: "alice",
        reasonCode: "ok",
        scope: ["tool:tool.write"],
        ttlNanos: parseGoDuration("1h"),
        now: NOW,
      },
      alice,
    );
    const ledger = memoryApprovalLedger(() => NOW);
    const decide = (extra: { evaluationTime?: Timestamp; simulate?: boolean } = {}) =>
      decideGateSync(
        {
          compiled: single,
          intent: prepared,
          now: NOW,
          approvalTokens: [token],
          approvalVerifier: approvers,
          ...extra,
        },
        memoryLimitEnforcer(),
        ledger,
      );
    assert.equal(decide({ evaluationTime: NOW }).verdict, "allow"); // a replay: nothing spent
    assert.equal(decide({ simulate: true }).verdict, "allow");
    assert.equal(decide().verdict, "allow");
    const replay = decide();
    assert.equal(replay.verdict, "require_approval");
    assert.ok(replay.reasonCodes.includes("approval_token_consumed"));
  });
});

describe("self-stated context evidence", () => {
  const withEvidence = request({
    context: {
      identity: "a",
      workspace: "/w",
      risk_class: "high",
      context_set_digest: "c".repeat(64),
      context_evidence_mode: "required",
      context_refs: ["ref:1"],
      auth_context: { context_age_seconds: 5, tenant: "t1" },
    },
  });

  it("is stripped before the enforcement path evaluates or digests it, and kept by policy test", () => {
    const stripped = prepareIntent(withEvidence).intent.context;
    assert.equal(stripped.context_set_digest, undefined);
    assert.equal(stripped.context_evidence_mode, undefined);
    assert.equal(stripped.context_refs, undefined);
    assert.deepEqual(stripped.auth_context, { tenant: "t1" });
    const kept = prepareIntent(withEvidence, { unverifiedContextEvidence: "keep" }).intent.context;
    assert.equal(kept.context_set_digest, "c".repeat(64));
    const policy = compilePolicy(
      parsePolicyYaml(
        "default_verdict: allow\nfail_closed:\n  enabled: true\n  required_fields: [context_evidence]\n",
        "p",
      ),
    );
    const outcome = decideGateSync({ compiled: policy, intent: withEvidence, now: NOW });
    assert.equal(outcome.verdict, "block");
    assert.ok(outcome.reasonCodes.includes("context_evidence_missing"));
  });
});
