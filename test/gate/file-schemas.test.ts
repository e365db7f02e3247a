/**
 * Producer tests for the gate's own files (src/gate/file-schemas.ts): the rate-limit state, the
 * lock files next to the state files, and the approver key list, validated against the schemas
 * published under schemas/v1/. The approval ledger is written by a real gate in
 * test/sdk/producers.test.ts and test/e2e/published-schemas.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { acquireFileLock } from "../../src/contract/files.ts";
import { encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  enforceLimits,
  type LimitsToCount,
  loadApproverKeys,
  OwnedApprovalLedger,
  prepareIntent,
  RateLimitLedger,
  resetRateLimitCounters,
} from "../../src/gate/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublishedInvalid, assertPublishedValid } from "../helpers/published-schemas.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:30Z");
const STATE = "gate/rate_limit_state.schema.json";
const LOCK = "contract/lock.schema.json";
const APPROVERS = "gate/approver_keys.schema.json";

const every: LimitsToCount = {
  rateLimits: [
    { rule: "per-tool", limit: { requests: 5, window: "minute", scope: "tool" } },
    { rule: "per-identity", limit: { requests: 5, window: "hour", scope: "identity" } },
    { rule: "per-pair", limit: { requests: 5, window: "hour", scope: "tool_identity" } },
  ],
  destructiveBudgets: [{ rule: "deletes", limit: { requests: 2, window: "hour", scope: "tool_identity" } }],
};

const intent = (tool: string) =>
  prepareIntent({
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-03-01T12:00:00Z",
    producer_version: "test/1.0.0",
    tool_name: tool,
    args: {},
    targets: [],
    context: { identity: "agent|with|bars", workspace: "/work", risk_class: "low" },
  }).intent;

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir("gait-file-schemas-");
  t.after(cleanup);
  return dir;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("gate state files validate against the published schemas", () => {
  it("the rate-limit state, as gate eval counts and gait gate limits reset clears it", async (t) => {
    const statePath = join(scratch(t), "limits.json");
    await enforceLimits(statePath, every, intent("tool.delete"), NOW);
    await enforceLimits(statePath, every, intent("tool.read"), NOW);
    const state = readJson(statePath) as { counters: unknown[] };
    assert.ok(state.counters.length >= 7);
    assertPublishedValid(state, STATE, "rate-limit state");
    await resetRateLimitCounters(statePath, { tool: "tool.read" });
    assertPublishedValid(readJson(statePath), STATE, "rate-limit state after a reset");
  });

  it("the rate-limit state and its lock file as a long-running owner (the sidecar) keeps them", async (t) => {
    const statePath = join(scratch(t), "limits.json");
    const ledger = await RateLimitLedger.open(statePath, { fsync: false });
    try {
      const lock = readJson(`${statePath}.lock`) as { schema_id: string };
      assert.equal(lock.schema_id, "gait.gate.rate_limit_lock");
      assertPublishedValid(lock, LOCK, "rate-limit lock");
      ledger.count(every, intent("tool.write"), NOW);
      await ledger.persisted();
      assertPublishedValid(readJson(statePath), STATE, "rate-limit state of the owner");
    } finally {
      await ledger.close();
    }
  });

  it("the approval ledger's lock file, and the default lock file", async (t) => {
    const dir = scratch(t);
    const ledgerPath = join(dir, "spent.json");
    const ledger = await OwnedApprovalLedger.open(ledgerPath, () => NOW, { fsync: false });
    try {
      const lock = readJson(`${ledgerPath}.lock`) as { schema_id: string };
      assert.equal(lock.schema_id, "gait.gate.approval_ledger_lock");
      assertPublishedValid(lock, LOCK, "approval ledger lock");
    } finally {
      await ledger.close();
    }
    const held = await acquireFileLock(join(dir, "other.lock"));
    try {
      const lock = readJson(join(dir, "other.lock")) as { schema_id: string };
      assert.equal(lock.schema_id, "gait.lock");
      assertPublishedValid(lock, LOCK, "default lock");
    } finally {
      await held.release();
    }
    const lock = {
      schema_id: "gait.lock",
      schema_version: "1.0.0",
      pid: 1,
      host: "h",
      created_at: NOW.toString(),
    };
    assertPublishedValid(lock, LOCK, "a lock record");
    assertPublishedInvalid({ ...lock, schema_id: "gait.gate.rate_limit_state" }, LOCK, "a state's schema_id");
  });
});

describe("approver key lists: the published schema and the loader agree", () => {
  const bob = generateSigningKey();
  const alice = generateSigningKey();
  const setup = (t: TestContext) => {
    const dir = scratch(t);
    writeFileSync(join(dir, "alice_public.key"), `${encodePublicKey(alice)}\n`);
    return dir;
  };
  // docs/gate.md's example, with real keys.
  const documented = `schema_id: gait.gate.approver_keys
schema_version: 1.0.0
approvers:
  - identity: alice
    public_key_file: alice_public.key
  - identity: bob
    public_key: ${encodePublicKey(bob)}
    key_id: ${bob.keyId}
`;

  it("the documented list (YAML, and the same as JSON) is valid for both", async (t) => {
    const dir = setup(t);
    writeFileSync(join(dir, "approvers.yaml"), documented);
    assert.equal((await loadApproverKeys(join(dir, "approvers.yaml"))).length, 2);
    assertPublishedValid(parseYaml(documented), APPROVERS, "approvers.yaml");
    const json = { approvers: [{ identity: "bob", public_key: encodePublicKey(bob) }] };
    writeFileSync(join(dir, "approvers.json"), JSON.stringify(json));
    assert.equal((await loadApproverKeys(join(dir, "approvers.json"))).length, 1);
    assertPublishedValid(json, APPROVERS, "approvers.json");
  });

  it("lists the loader refuses for their shape are invalid against the schema too", async (t) => {
    const dir = setup(t);
    const key = encodePublicKey(bob);
    const cases: Record<string, unknown> = {
      "no approvers": { schema_id: "gait.gate.approver_keys" },
      "empty approvers": { approvers: [] },
      "both keys": { approvers: [{ identity: "bob", public_key: key, public_key_file: "alice_public.key" }] },
      "no key": { approvers: [{ identity: "bob" }] },
      "no identity": { approvers: [{ public_key: key }] },
      "unknown member": { approvers: [{ identity: "bob", public_key: key, role: "admin" }] },
      "unknown top-level member": { approvers: [{ identity: "bob", public_key: key }], owners: [] },
      "other schema_id": { schema_id: "gait.gate.policy", approvers: [{ identity: "bob", public_key: key }] },
      "other schema_version": { schema_version: "2.0.0", approvers: [{ identity: "bob", public_key: key }] },
    };
    for (const [name, doc] of Object.entries(cases)) {
      const path = join(dir, `${name.replaceAll(" ", "_")}.json`);
      writeFileSync(path, JSON.stringify(doc));
      await assert.rejects(loadApproverKeys(path), { code: /^approver_keys_/ }, `loader: ${name}`);
      assertPublishedInvalid(doc, APPROVERS, name);
    }
  });
});
