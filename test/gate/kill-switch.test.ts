import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isGaitError } from "../../src/contract/errors.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import { prepareIntent } from "../../src/gate/intent.ts";
import {
  addKillSwitchEntry,
  checkKillSwitch,
  disableKillSwitchEntry,
  emptyKillSwitchState,
  entryStatus,
  expireKillSwitchEntry,
  parseKillSwitchState,
} from "../../src/gate/kill-switch.ts";
import {
  changeKillSwitchState,
  killSwitchCheckFor,
  killSwitchJournalPath,
} from "../../src/gate/kill-switch-store.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const at = Timestamp.parse("2026-02-18T12:00:00Z");
const later = Timestamp.parse("2026-02-18T14:00:00Z");

function intent(context: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return prepareIntent({
    tool_name: "tool.write",
    args: {},
    targets: [{ kind: "path", value: "/prod/data/x.csv", operation: "write" }],
    context: { identity: "alice", workspace: "/repo/app", risk_class: "low", ...context },
    ...extra,
  }).intent;
}

describe("kill switch core", () => {
  it("an entry blocks only when every selector it sets matches, with one code per selector", () => {
    let { state } = addKillSwitchEntry(emptyKillSwitchState(at), {
      selectors: { tool_name: "tool.write", path_prefixes: ["/prod/"], environment: "prod" },
      at,
    });
    assert.equal(checkKillSwitch(state, intent({ environment: "staging" }), at).status, "inactive");
    const fired = checkKillSwitch(state, intent({ environment: "PROD" }), at);
    assert.equal(fired.status, "active");
    assert.deepEqual(fired.reasonCodes, [
      "kill_switch_active",
      "kill_switch_environment_active",
      "kill_switch_path_active",
      "kill_switch_tool_name_active",
    ]);
    ({ state } = addKillSwitchEntry(state, { selectors: { identity: "bob" }, at }));
    assert.equal(checkKillSwitch(state, intent({ environment: "prod" }), at).matchedEntryIds.length, 1);
  });

  it("a kill switch on a tool stops a script with a step of that tool", () => {
    const { state } = addKillSwitchEntry(emptyKillSwitchState(at), {
      selectors: { tool_name: "db.drop" },
      at,
    });
    const script = intent(
      {},
      {
        script: {
          steps: [
            { tool_name: "tool.read", args: {} },
            { tool_name: "db.drop", args: {} },
          ],
        },
      },
    );
    assert.equal(checkKillSwitch(state, script, at).status, "active");
  });

  it("an entry without selectors matches everything; disabled and expired entries match nothing", () => {
    const added = addKillSwitchEntry(emptyKillSwitchState(at), { selectors: {}, at, expiresAt: later });
    assert.equal(checkKillSwitch(added.state, intent(), at).status, "active");
    assert.deepEqual(checkKillSwitch(added.state, intent(), at).reasonCodes, ["kill_switch_active"]);
    assert.equal(checkKillSwitch(added.state, intent(), later).status, "inactive");
    assert.equal(entryStatus(added.entry, later), "expired");
    const disabled = disableKillSwitchEntry(added.state, added.entry.entry_id, at);
    assert.equal(entryStatus(disabled.entry, at), "disabled");
    assert.equal(checkKillSwitch(disabled.state, intent(), at).status, "inactive");
    const expired = expireKillSwitchEntry(added.state, added.entry.entry_id, at, at);
    assert.equal(checkKillSwitch(expired.state, intent(), at).status, "inactive");
  });

  it("the same add at the same instant yields one entry; an expiry in the past is refused", () => {
    const input = { selectors: { tool_name: "tool.write" }, at, reason: "incident" };
    const once = addKillSwitchEntry(emptyKillSwitchState(at), input);
    const twice = addKillSwitchEntry(once.state, input);
    assert.equal(twice.state, once.state);
    assert.throws(
      () => addKillSwitchEntry(once.state, { ...input, expiresAt: at }),
      (e) => isGaitError(e) && e.code === "kill_switch_entry_invalid",
    );
    assert.throws(
      () => disableKillSwitchEntry(once.state, "ks_nope", at),
      (e) => isGaitError(e) && e.code === "kill_switch_entry_not_found",
    );
  });

  it("a state it writes reads back equal and validates against the public schema", {
    skip: publicSchemasSkip,
  }, () => {
    const { state } = addKillSwitchEntry(emptyKillSwitchState(at), {
      selectors: { agent_id: "a", workspace_prefixes: ["/repo"], target_kind: "path", target_value: "/x" },
      at,
      actor: "oncall",
      reason: "why",
      expiresAt: later,
    });
    assert.deepEqual(parseKillSwitchState(JSON.parse(JSON.stringify(state)), "s"), state);
    assertPublicValid(state, "kill-switch state");
  });

  it("property: any JSON either parses to a valid state or fails with kill_switch_state_invalid", () => {
    const entry = fc.record(
      {
        entry_id: fc.oneof(fc.string(), fc.constant("ks_1")),
        enabled: fc.oneof(fc.boolean(), fc.string()),
        tool_name: fc.oneof(fc.string(), fc.integer()),
        path_prefixes: fc.oneof(fc.array(fc.string()), fc.string()),
        created_at: fc.oneof(fc.constant("2026-02-18T00:00:00Z"), fc.string()),
        expires_at: fc.oneof(fc.constant("2026-02-19T00:00:00Z"), fc.string()),
        extra: fc.string(),
      },
      { requiredKeys: ["entry_id", "enabled", "created_at"] },
    );
    const state = fc.record(
      {
        schema_id: fc.oneof(fc.constant("gait.gate.kill_switch_state"), fc.string()),
        schema_version: fc.constant("1.0.0"),
        created_at: fc.constant("2026-02-18T00:00:00Z"),
        updated_at: fc.oneof(fc.constant("2026-02-18T00:00:00Z"), fc.integer()),
        producer_version: fc.constant("x"),
        entries: fc.oneof(fc.array(entry, { maxLength: 3 }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(state, fc.anything()), (raw) => {
        try {
          const parsed = parseKillSwitchState(raw, "fuzz");
          assert.equal(parsed.schema_id, "gait.gate.kill_switch_state");
          checkKillSwitch(parsed, intent(), at);
        } catch (error) {
          assert.ok(isGaitError(error), String(error));
          assert.equal(error.code, "kill_switch_state_invalid");
          assert.equal(error.exitCode, 6);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("kill switch store", () => {
  const temp = () => mkdtempSync(join(tmpdir(), "gait-ks-"));

  it("changes are written under the lock and journalled", async () => {
    const dir = temp();
    try {
      const path = join(dir, ".gait-out", "kill_switch_state.json");
      const clock = fixedClock(at);
      const { entry } = await changeKillSwitchState(
        path,
        (s) => addKillSwitchEntry(s, { selectors: { tool_name: "tool.write" }, at, actor: "oncall" }),
        { action: "add", actor: "oncall" },
        clock,
      );
      await changeKillSwitchState(
        path,
        (s) => disableKillSwitchEntry(s, entry.entry_id, at),
        { action: "disable" },
        clock,
      );
      const state = parseKillSwitchState(JSON.parse(readFileSync(path, "utf8")), path);
      assert.equal(state.entries[0]?.enabled, false);
      const journal = readFileSync(killSwitchJournalPath(path), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        journal.map((e) => [e.action, e.entry_ids]),
        [
          ["add", [entry.entry_id]],
          ["disable", [entry.entry_id]],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the gate's check: missing file = no entries; unreadable = block for high risk, error otherwise; re-read on change", () => {
    const dir = temp();
    try {
      const path = join(dir, "ks.json");
      const check = killSwitchCheckFor(path, "standard");
      assert.equal(check(intent(), at).status, "inactive");
      writeFileSync(path, "{oops");
      assert.equal(check(intent({ risk_class: "critical" }), at).status, "unavailable");
      assert.throws(
        () => check(intent(), at),
        (e) => isGaitError(e) && e.code === "kill_switch_state_unavailable" && e.exitCode === 6,
      );
      assert.equal(killSwitchCheckFor(path, "oss-prod")(intent(), at).status, "unavailable");
      const { state } = addKillSwitchEntry(emptyKillSwitchState(at), {
        selectors: { identity: "alice" },
        at,
      });
      writeFileSync(path, JSON.stringify(state));
      assert.equal(check(intent(), at).status, "active");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
