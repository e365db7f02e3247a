/** The pieces behind `gait gate limits show|reset`: counter keys, filters, reading and resetting the state file. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isGaitError } from "../../src/contract/errors.ts";
import {
  type CounterFilter,
  counterMatches,
  parseCounterKey,
  readRateLimitState,
  resetRateLimitCounters,
} from "../../src/gate/index.ts";
import { tempDir } from "../helpers/cli.ts";

const BUCKET = "2026-02-18T12:00:00Z";
const KEYS = {
  tool: `hour|tool|${BUCKET}|tool.write`,
  identity: `minute|identity|${BUCKET}|agent.a`,
  toolIdentity: `minute|tool_identity|${BUCKET}|tool.write|agent.a`,
  otherPair: `minute|tool_identity|${BUCKET}|tool.read|agent.b`,
  budgetTool: `hour|tool|${BUCKET}|destructive_budget|tool.write`,
  budgetPair: `hour|tool_identity|${BUCKET}|destructive_budget|tool.write|agent.b`,
  malformed: "minute|tool|tool.write",
};

const stateText = (counters: Array<{ key: string; count: number }>) =>
  `${JSON.stringify({ schema_id: "gait.gate.rate_limit_state", schema_version: "1.0.0", counters }, null, 2)}\n`;

describe("rate-limit counter keys", () => {
  it("splits at the first three |, keeping the rest as the scope key", () => {
    assert.deepEqual(parseCounterKey(KEYS.tool), {
      window: "hour",
      scope: "tool",
      bucketStart: BUCKET,
      scopeKey: "tool.write",
    });
    assert.deepEqual(parseCounterKey(KEYS.budgetPair), {
      window: "hour",
      scope: "tool_identity",
      bucketStart: BUCKET,
      scopeKey: "destructive_budget|tool.write|agent.b",
    });
    assert.equal(parseCounterKey(KEYS.malformed), undefined);
    assert.equal(parseCounterKey(""), undefined);
    assert.deepEqual(parseCounterKey("a|b|c|"), { window: "a", scope: "b", bucketStart: "c", scopeKey: "" });
  });

  it("filters by exact key, tool and identity (all given criteria must hold)", () => {
    const selected = (filter: CounterFilter) =>
      Object.entries(KEYS)
        .filter(([, key]) => counterMatches(key, filter))
        .map(([name]) => name);
    assert.deepEqual(selected({}), Object.keys(KEYS));
    assert.deepEqual(selected({ tool: "tool.write" }), ["tool", "toolIdentity", "budgetTool", "budgetPair"]);
    assert.deepEqual(selected({ identity: "agent.a" }), ["identity", "toolIdentity"]);
    assert.deepEqual(selected({ identity: "agent.b" }), ["otherPair", "budgetPair"]);
    assert.deepEqual(selected({ tool: "tool.write", identity: "agent.b" }), ["budgetPair"]);
    assert.deepEqual(selected({ keys: [KEYS.identity, KEYS.malformed] }), ["identity", "malformed"]);
    assert.deepEqual(selected({ keys: [KEYS.identity, KEYS.tool], tool: "tool.write" }), ["tool"]);
    assert.deepEqual(selected({ tool: "tool" }), [], "a tool name is matched whole, not as a prefix");
    assert.deepEqual(selected({ identity: "agent" }), []);
  });
});

describe("readRateLimitState / resetRateLimitCounters", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("gait-limits-"));
  });
  after(() => cleanup());

  const all = Object.values(KEYS).map((key, i) => ({ key, count: i + 1 }));

  it("a missing file has no counters and is not created by a reset", async () => {
    const path = join(dir, "none", "limits.json");
    assert.deepEqual(await readRateLimitState(path), { exists: false, counters: [], ignored: 0 });
    const reset = await resetRateLimitCounters(path, {});
    assert.deepEqual(reset, { exists: false, removed: [], kept: [], ignored: 0, written: false });
    assert.equal(existsSync(join(dir, "none")), false);
  });

  it("removes what the filter selects and rewrites the file sorted, in the gate's format; a dry run writes nothing", async () => {
    const path = join(dir, "limits.json");
    writeFileSync(path, stateText(all));
    const before = readFileSync(path, "utf8");
    const dry = await resetRateLimitCounters(path, { tool: "tool.write" }, { dryRun: true });
    assert.equal(dry.written, false);
    assert.deepEqual(
      dry.removed.map((c) => c.key),
      [KEYS.tool, KEYS.toolIdentity, KEYS.budgetTool, KEYS.budgetPair],
    );
    assert.equal(readFileSync(path, "utf8"), before);

    const done = await resetRateLimitCounters(path, { tool: "tool.write" });
    assert.equal(done.written, true);
    assert.deepEqual(done.removed, dry.removed);
    assert.deepEqual(
      done.kept.map((c) => c.key),
      [KEYS.identity, KEYS.otherPair, KEYS.malformed],
    );
    assert.equal(readFileSync(path, "utf8"), stateText(done.kept));
    assert.equal(existsSync(`${path}.lock`), false, "the lock is released");

    const nothing = await resetRateLimitCounters(path, { identity: "nobody" });
    assert.equal(nothing.written, false);
    assert.equal(nothing.removed.length, 0);

    writeFileSync(path, stateText([...all].reverse()));
    const unsorted = await resetRateLimitCounters(path, { keys: [KEYS.tool] });
    const keys = unsorted.kept.map((c) => c.key);
    assert.deepEqual(keys, [...keys].sort(), "kept counters are written sorted by key");
    assert.equal(readFileSync(path, "utf8"), stateText(unsorted.kept));

    const rest = await resetRateLimitCounters(path, {});
    assert.equal(rest.removed.length, all.length - 1);
    assert.deepEqual(await readRateLimitState(path), { exists: true, counters: [], ignored: 0 });
  });

  it("counts entries that are not counters, and drops them when it rewrites", async () => {
    const path = join(dir, "odd.json");
    writeFileSync(
      path,
      JSON.stringify({
        schema_id: "gait.gate.rate_limit_state",
        schema_version: "1.0.0",
        counters: [{ key: KEYS.tool, count: 2 }, { key: 3 }, "x", { key: KEYS.identity, count: 1 }],
      }),
    );
    const state = await readRateLimitState(path);
    assert.equal(state.ignored, 2);
    assert.equal(state.counters.length, 2);
    const reset = await resetRateLimitCounters(path, { keys: [KEYS.tool] });
    assert.equal(reset.ignored, 2);
    assert.deepEqual(await readRateLimitState(path), {
      exists: true,
      counters: [{ key: KEYS.identity, count: 1 }],
      ignored: 0,
    });
  });

  it("a file that is not a rate-limit state is rate_limit_state_invalid, and a reset leaves it alone", async () => {
    const cases = {
      "not-json.json": "{ nope",
      "other-schema.json": JSON.stringify({ schema_id: "gait.gate.trace", counters: [] }),
      "no-counters.json": JSON.stringify({ schema_id: "gait.gate.rate_limit_state", counters: {} }),
      "array.json": "[]",
    };
    for (const [name, text] of Object.entries(cases)) {
      const path = join(dir, name);
      writeFileSync(path, text);
      for (const attempt of [() => readRateLimitState(path), () => resetRateLimitCounters(path, {})]) {
        await assert.rejects(attempt(), (error) => {
          assert.ok(isGaitError(error), name);
          assert.equal(error.code, "rate_limit_state_invalid", name);
          assert.equal(error.exitCode, 6);
          assert.match(error.hint ?? "", /delete the file/);
          return true;
        });
      }
      assert.equal(readFileSync(path, "utf8"), text);
    }
  });
});
