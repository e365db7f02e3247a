import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { withFileLock } from "../../src/contract/files.ts";
import { Timestamp } from "../../src/contract/time.ts";
import {
  enforceLimits,
  type LimitsToCount,
  memoryLimitEnforcer,
  prepareIntent,
  previewLimits,
  RateLimitLedger,
} from "../../src/gate/index.ts";
import { tempDir } from "../helpers/cli.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:30Z");
const KEY = "minute|tool|2026-03-01T12:00:00Z|tool.search";

const twoPerMinute: LimitsToCount = {
  rateLimits: [{ rule: "search", limit: { requests: 2, window: "minute", scope: "tool" } }],
  destructiveBudgets: [],
};

const search = prepareIntent({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-03-01T12:00:00Z",
  producer_version: "test/1.0.0",
  tool_name: "tool.search",
  args: { q: "x" },
  targets: [],
  context: { identity: "agent.test", workspace: "/work", risk_class: "low" },
}).intent;

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir("gait-ratelimit-");
  t.after(cleanup);
  return dir;
}

function savedCounters(statePath: string): Array<{ key: string; count: number }> {
  return JSON.parse(readFileSync(statePath, "utf8")).counters;
}

const allowed = (results: Array<{ allowed: boolean }>) => results.map((r) => r.allowed);

describe("previewLimits and enforceLimits({ persist: false })", () => {
  it("count against the state file without writing it or taking its lock", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "limits.json");
    await enforceLimits(statePath, twoPerMinute, search, NOW);
    const before = readFileSync(statePath, "utf8");
    // Held by someone else: a preview neither waits for it nor disturbs it.
    await withFileLock(`${statePath}.lock`, async () => {
      const preview = await previewLimits(statePath, twoPerMinute, search, NOW);
      assert.deepEqual(
        preview.map((r) => [r.allowed, r.used, r.remaining]),
        [[true, 2, 0]],
      );
      const viaEnforce = await enforceLimits(statePath, twoPerMinute, search, NOW, { persist: false });
      assert.deepEqual(viaEnforce, preview);
    });
    assert.equal(readFileSync(statePath, "utf8"), before);
    assert.deepEqual(savedCounters(statePath), [{ key: KEY, count: 1 }]);
  });

  it("a missing state file previews as empty and is not created", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "none.json");
    assert.deepEqual(allowed(await previewLimits(statePath, twoPerMinute, search, NOW)), [true]);
    assert.equal(existsSync(statePath), false);
  });

  it("memory counters count only when persisting", () => {
    const count = memoryLimitEnforcer();
    assert.deepEqual(allowed(count(twoPerMinute, search, NOW, { persist: false })), [true]);
    assert.deepEqual(allowed(count(twoPerMinute, search, NOW)), [true]);
    assert.deepEqual(allowed(count(twoPerMinute, search, NOW)), [true]);
    assert.deepEqual(allowed(count(twoPerMinute, search, NOW, { persist: false })), [false]);
  });
});

describe("RateLimitLedger", () => {
  it("loads the file, counts in memory, and has every count on disk once persisted() resolves", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "limits.json");
    await enforceLimits(statePath, twoPerMinute, search, NOW);
    const ledger = await RateLimitLedger.open(statePath, { fsync: false });
    t.after(() => ledger.close());
    assert.deepEqual(allowed(ledger.count(twoPerMinute, search, NOW)), [true]);
    assert.deepEqual(allowed(ledger.count(twoPerMinute, search, NOW)), [false], "1 from the file + 1 here");
    assert.deepEqual(allowed(ledger.count(twoPerMinute, search, NOW, { persist: false })), [false]);
    await ledger.persisted();
    assert.deepEqual(savedCounters(statePath), [{ key: KEY, count: 2 }]);
    assert.deepEqual(ledger.snapshot(), [{ key: KEY, count: 2 }]);
  });

  it("holds the state file's lock until close, so another writer gets state_contention", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "limits.json");
    const ledger = await RateLimitLedger.open(statePath, { fsync: false });
    const lock = JSON.parse(readFileSync(`${statePath}.lock`, "utf8"));
    assert.equal(lock.schema_id, "gait.gate.rate_limit_lock");
    assert.equal(lock.pid, process.pid);
    await assert.rejects(RateLimitLedger.open(statePath, { lockTimeoutMs: 30 }), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.code, "state_contention");
      return true;
    });
    ledger.count(twoPerMinute, search, NOW);
    await ledger.close();
    assert.deepEqual(readdirSync(dir), ["limits.json"], "the lock is released");
    assert.deepEqual(savedCounters(statePath), [{ key: KEY, count: 1 }]);
    assert.throws(
      () => ledger.count(twoPerMinute, search, NOW),
      (error: unknown) => error instanceof GaitError && error.code === "state_file_closed",
    );
    await ledger.close();
  });

  it("saves a turn's counts in one write, and every later change in a later one", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "limits.json");
    const ledger = await RateLimitLedger.open(statePath, { fsync: false });
    t.after(() => ledger.close());
    const hundred: LimitsToCount = {
      rateLimits: [{ rule: "r", limit: { requests: 100, window: "hour", scope: "identity" } }],
      destructiveBudgets: [],
    };
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      ledger.count(hundred, search, NOW);
      waits.push(ledger.persisted());
    }
    await Promise.all(waits);
    assert.deepEqual(
      savedCounters(statePath).map((c) => c.count),
      [50],
    );
    ledger.count(hundred, search, NOW);
    await ledger.persisted();
    assert.deepEqual(
      savedCounters(statePath).map((c) => c.count),
      [51],
    );
  });

  it("a save that fails rejects persisted() and is reported; a later save catches up", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "limits.json");
    const errors: Error[] = [];
    const ledger = await RateLimitLedger.open(statePath, { fsync: false, onError: (e) => errors.push(e) });
    mkdirSync(statePath); // a directory where the file must go: the rename fails
    writeFileSync(join(statePath, "x"), "");
    ledger.count(twoPerMinute, search, NOW);
    await assert.rejects(ledger.persisted(), GaitError);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof GaitError);
    await assert.rejects(ledger.persisted(), GaitError, "retried, and failed again");
    assert.equal(errors.length, 2);
    rmSync(statePath, { recursive: true });
    await ledger.persisted();
    assert.deepEqual(savedCounters(statePath), [{ key: KEY, count: 1 }]);
    await ledger.close();
    assert.deepEqual(readdirSync(dir), ["limits.json"]);
  });

  it("refuses a state file that is not a rate-limit state, and leaves no lock", async (t) => {
    const dir = scratch(t);
    const statePath = join(dir, "limits.json");
    writeFileSync(statePath, '{"schema_id":"something.else","counters":[]}');
    await assert.rejects(RateLimitLedger.open(statePath), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.code, "rate_limit_state_invalid");
      return true;
    });
    assert.deepEqual(readdirSync(dir), ["limits.json"]);
  });
});
