/** The approved-script registry: minting, entry-by-entry verification, matching, listing, parser robustness. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isGaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  approvedScriptMatcher,
  emptyApprovedScriptRegistry,
  listApprovedScripts,
  mintApprovedScriptEntry,
  parseApprovedScriptRegistry,
  verifyApprovedScriptRegistry,
  withApprovedScript,
} from "../../src/gate/approved-scripts.ts";
import { prepareIntent } from "../../src/gate/index.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const key = generateSigningKey();
const now = Timestamp.parse("2026-03-01T00:00:00Z");
const POLICY = "a".repeat(64);
const day = 24n * 3600n * 1_000_000_000n;

function script(tools: string[], risk = "high") {
  return prepareIntent({
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-18T00:00:00Z",
    producer_version: "test",
    tool_name: "script",
    args: {},
    targets: [],
    context: { identity: "agent", workspace: "/repo/app", risk_class: risk },
    script: { steps: tools.map((tool_name) => ({ tool_name, args: { path: "/repo/app/x" } })) },
  });
}

const entryFor = (tools: string[], scope: string[] = []) =>
  mintApprovedScriptEntry(
    { prepared: script(tools), policyDigest: POLICY, approver: "alice", scope, ttlNanos: day, now },
    key,
  );

describe("approved-script entries", () => {
  it("are signed, validate against the public schema and match only their policy, script and tools", () => {
    const entry = entryFor(["tool.read", "tool.write"]);
    assertPublicValidIfAvailable(entry, "approved script entry");
    const registry = withApprovedScript(emptyApprovedScriptRegistry(), entry);
    const verified = verifyApprovedScriptRegistry(registry, verifyKeyFor(key));
    assert.equal(verified.ok, true);
    const matcher = approvedScriptMatcher(verified.ok ? verified.entries : []);
    assert.deepEqual(matcher.match(script(["tool.read", "tool.write"]), POLICY, now), {
      patternId: entry.pattern_id,
    });
    assert.deepEqual(matcher.match(script(["tool.write", "tool.read"]), POLICY, now), {
      reason: "approved_script_not_found",
    });
    assert.deepEqual(matcher.match(script(["tool.read", "tool.write"]), "b".repeat(64), now), {
      reason: "approved_script_not_found",
    });
    const expired = Timestamp.parse("2026-03-02T00:00:00Z");
    assert.deepEqual(matcher.match(script(["tool.read", "tool.write"]), POLICY, expired), {
      reason: "approved_script_not_found",
    });
  });

  it("honour scope prefixes", () => {
    const scoped = entryFor(["tool.read"], ["risk:low", "workspace_prefix:/repo"]);
    const matcher = approvedScriptMatcher([scoped]);
    assert.ok("reason" in matcher.match(script(["tool.read"], "high"), POLICY, now));
    const low = mintApprovedScriptEntry(
      {
        prepared: script(["tool.read"], "low"),
        policyDigest: POLICY,
        approver: "a",
        scope: ["risk:low"],
        ttlNanos: day,
        now,
      },
      key,
    );
    assert.ok("patternId" in approvedScriptMatcher([low]).match(script(["tool.read"], "low"), POLICY, now));
    assert.throws(() => entryFor(["tool.read"], ["region:eu"]), /risk:, tool:/);
  });

  it("are verified one by one: the first bad entry is reported with its index", () => {
    const good = entryFor(["tool.read"]);
    const tampered = { ...entryFor(["tool.write"]), approver_identity: "mallory" };
    const registry = { ...emptyApprovedScriptRegistry(), entries: [good, tampered] };
    const verified = verifyApprovedScriptRegistry(registry, verifyKeyFor(key));
    assert.equal(verified.ok, false);
    if (!verified.ok) {
      assert.equal(verified.index, 1);
      assert.equal(verified.registryReason, "entry_signature_invalid");
      assert.match(verified.message, /^approved script registry verification failed at entry 1: /);
    }
    const other = verifyApprovedScriptRegistry(
      withApprovedScript(emptyApprovedScriptRegistry(), good),
      verifyKeyFor(generateSigningKey()),
    );
    assert.equal(other.ok ? "" : other.registryReason, "entry_signature_invalid");
  });

  it("list sorted with expired and verified flags", () => {
    const registry = withApprovedScript(
      withApprovedScript(emptyApprovedScriptRegistry(), entryFor(["tool.b"])),
      entryFor(["tool.a"]),
    );
    const listed = listApprovedScripts(registry, Timestamp.parse("2026-04-01T00:00:00Z"), verifyKeyFor(key));
    assert.deepEqual(
      listed.map((l) => l.pattern_id),
      [...listed.map((l) => l.pattern_id)].sort(),
    );
    assert.ok(listed.every((l) => l.expired && l.verified));
  });
});

describe("registry parser (property)", () => {
  it("any text is a registry or an approved_script_registry_invalid error, never a crash", () => {
    const texts = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue().map((entries) => JSON.stringify({ ...emptyApprovedScriptRegistry(), entries })),
    );
    fc.assert(
      fc.property(texts, (text) => {
        try {
          const registry = parseApprovedScriptRegistry(text, "r.json");
          const verified = verifyApprovedScriptRegistry(registry, verifyKeyFor(key));
          assert.ok(verified.ok || verified.registryReason.startsWith("entry_"));
        } catch (error) {
          assert.ok(isGaitError(error) && error.code === "approved_script_registry_invalid", String(error));
        }
      }),
      { numRuns: 300 },
    );
  });
});
