/** `gait gate limits show|reset` end to end: the built CLI on real and hand-written state files. */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";
import { startServe } from "../sidecar/support.ts";

const POLICY = `default_verdict: block
rules:
  - name: limited-search
    effect: allow
    match:
      tool_names: [tool.search]
    rate_limit:
      requests: 1
      window: hour
      scope: tool
  - name: limited-read
    effect: allow
    match:
      tool_names: [tool.read]
    rate_limit:
      requests: 5
      window: minute
      scope: tool_identity
`;

const intent = (tool: string, identity: string) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: tool,
  args: {},
  context: { identity, workspace: "/repo", risk_class: "low" },
});

const BUCKET = "2026-02-18T12:00:00Z";
const HAND_WRITTEN = [
  { key: `hour|identity|${BUCKET}|agent.a`, count: 4 },
  { key: `hour|tool|${BUCKET}|destructive_budget|tool.delete`, count: 1 },
  { key: `minute|tool_identity|${BUCKET}|tool.read|agent.a`, count: 2 },
  { key: `minute|tool_identity|${BUCKET}|tool.read|agent.b`, count: 3 },
  { key: "oops", count: 9 },
];

const stateText = (counters: Array<{ key: string; count: number }>) =>
  `${JSON.stringify({ schema_id: "gait.gate.rate_limit_state", schema_version: "1.0.0", counters }, null, 2)}\n`;

interface CounterJson {
  key: string;
  window: string | null;
  scope: string | null;
  bucket_start: string | null;
  scope_key: string | null;
  count: number;
}

describe("gait gate limits show|reset (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("gait-e2e-limits-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    writeFileSync(join(dir, "search.json"), JSON.stringify(intent("tool.search", "agent.a")));
    writeFileSync(join(dir, "read-a.json"), JSON.stringify(intent("tool.read", "agent.a")));
  });
  after(() => cleanup());

  const gait = (args: string[], cwd = dir) => runGait(args, { cwd, timeoutMs: 30_000 });
  const evalSearch = () =>
    gait(["gate", "eval", "--policy", "policy.yaml", "--intent", "search.json", "--no-config", "--json"]);
  const counters = (json: Record<string, unknown> | undefined, field = "counters") =>
    (json?.[field] ?? []) as CounterJson[];

  it("show on a missing state file: empty, not an error, and nothing is created", async () => {
    const { dir: empty, cleanup: done } = tempDir("gait-e2e-limits-empty-");
    try {
      const json = await gait(["gate", "limits", "show", "--json"], empty);
      assert.equal(json.code, 0, json.stdout);
      assert.equal(json.json?.ok, true);
      assert.equal(json.json?.exists, false);
      assert.equal(json.json?.state_path, "./.gait-out/gate_rate_limits.json");
      assert.deepEqual(json.json?.counters, []);
      const human = await gait(["gate", "limits", "show"], empty);
      assert.equal(human.code, 0);
      assert.match(human.stdout, /\.gait-out\/gate_rate_limits\.json does not exist: no counters/);
      const reset = await gait(["gate", "limits", "reset", "--json"], empty);
      assert.equal(reset.code, 0);
      assert.deepEqual(reset.json?.removed, []);
      assert.equal(existsSync(join(empty, ".gait-out")), false);
    } finally {
      done();
    }
  });

  it("a limit reached by gate eval is shown, reset (dry run first), and then allows again", async () => {
    assert.equal((await evalSearch()).code, 0);
    const blocked = await evalSearch();
    assert.equal(blocked.code, 3);
    assert.ok(((blocked.json?.reason_codes ?? []) as string[]).includes("rate_limit_exceeded"));

    const shown = await gait(["gate", "limits", "show", "--json"]);
    assert.equal(shown.code, 0, shown.stdout);
    assert.equal(shown.json?.exists, true);
    const [counter, ...more] = counters(shown.json);
    assert.equal(more.length, 0);
    assert.equal(counter?.window, "hour");
    assert.equal(counter?.scope, "tool");
    assert.match(String(counter?.bucket_start), /^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
    assert.equal(counter?.scope_key, "tool.search");
    assert.equal(counter?.count, 1);
    assert.equal(counter?.key, `hour|tool|${counter?.bucket_start}|tool.search`);

    const human = await gait(["gate", "limits", "show"]);
    assert.match(human.stdout, /: 1 counter\(s\)\n/);
    assert.match(human.stdout, /WINDOW +SCOPE +BUCKET START +SCOPE KEY +COUNT\n/);
    assert.match(human.stdout, /hour +tool +\S+ +tool\.search +1\n/);

    const statePath = join(dir, ".gait-out", "gate_rate_limits.json");
    const before = readFileSync(statePath, "utf8");
    const dry = await gait(["gate", "limits", "reset", "--tool", "tool.search", "--dry-run", "--json"]);
    assert.equal(dry.code, 0, dry.stdout);
    assert.equal(dry.json?.dry_run, true);
    assert.deepEqual(counters(dry.json, "removed"), [counter]);
    assert.equal(readFileSync(statePath, "utf8"), before, "a dry run writes nothing");
    assert.equal((await evalSearch()).code, 3, "still limited after a dry run");

    const reset = await gait(["gate", "limits", "reset", "--tool", "tool.search"]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(
      reset.stdout,
      /removed 1 of 1 counter\(s\) from \.\/\.gait-out\/gate_rate_limits\.json; 0 left/,
    );
    assert.equal((await evalSearch()).code, 0, "allowed again after the reset");
  });

  it("filters by --key, --tool and --identity; malformed keys are shown whole and can be reset by key", async () => {
    writeFileSync(join(dir, "hand.json"), stateText(HAND_WRITTEN));
    const show = (...args: string[]) =>
      gait(["gate", "limits", "show", "--state", "hand.json", "--json", ...args]);

    const all = counters((await show()).json);
    assert.equal(all.length, HAND_WRITTEN.length);
    assert.deepEqual(all[1], {
      key: `hour|tool|${BUCKET}|destructive_budget|tool.delete`,
      window: "hour",
      scope: "tool",
      bucket_start: BUCKET,
      scope_key: "destructive_budget|tool.delete",
      count: 1,
    });
    assert.deepEqual(all[4], {
      key: "oops",
      window: null,
      scope: null,
      bucket_start: null,
      scope_key: null,
      count: 9,
    });
    const keysOf = (list: CounterJson[]) => list.map((c) => c.key);
    assert.deepEqual(keysOf(counters((await show("--identity", "agent.a")).json)), [
      HAND_WRITTEN[0]!.key,
      HAND_WRITTEN[2]!.key,
    ]);
    assert.deepEqual(keysOf(counters((await show("--tool", "tool.delete")).json)), [HAND_WRITTEN[1]!.key]);
    assert.deepEqual(keysOf(counters((await show("--tool", "tool.read", "--identity", "agent.b")).json)), [
      HAND_WRITTEN[3]!.key,
    ]);

    const human = await gait(["gate", "limits", "show", "--state", "hand.json"]);
    assert.match(human.stdout, /- {2,}- {2,}- {2,}\(malformed key\) oops +9\n/);

    const reset = await gait([
      "gate",
      "limits",
      "reset",
      "--state",
      "hand.json",
      "--key",
      "oops",
      "--key",
      HAND_WRITTEN[0]!.key,
      "--json",
    ]);
    assert.equal(reset.code, 0, reset.stdout);
    assert.deepEqual(keysOf(counters(reset.json, "removed")), ["oops", HAND_WRITTEN[0]!.key].sort());
    assert.equal(reset.json?.remaining, 3);
    const left = JSON.parse(readFileSync(join(dir, "hand.json"), "utf8")) as { counters: unknown[] };
    assert.deepEqual(left.counters, HAND_WRITTEN.slice(1, 4));

    const none = await gait(["gate", "limits", "reset", "--state", "hand.json", "--identity", "nobody"]);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /no counter selected of 3 in \.\/hand\.json; nothing changed/);
  });

  it("reads the state path from gate.rate_limit_state in .gait/config.yaml; --state and --no-config override it", async () => {
    const { dir: project, cleanup: done } = tempDir("gait-e2e-limits-config-");
    try {
      mkdirSync(join(project, ".gait"));
      writeFileSync(join(project, ".gait", "config.yaml"), "gate:\n  rate_limit_state: state/limits.json\n");
      mkdirSync(join(project, "state"));
      writeFileSync(join(project, "state", "limits.json"), stateText(HAND_WRITTEN.slice(0, 2)));
      writeFileSync(join(project, "other.json"), stateText(HAND_WRITTEN.slice(2, 3)));
      const configured = await gait(["gate", "limits", "show", "--json"], project);
      assert.equal(configured.json?.state_path, "./state/limits.json");
      assert.equal(counters(configured.json).length, 2);
      const flagged = await gait(["gate", "limits", "show", "--state", "other.json", "--json"], project);
      assert.equal(flagged.json?.state_path, "./other.json");
      assert.equal(counters(flagged.json).length, 1);
      const unconfigured = await gait(["gate", "limits", "show", "--no-config", "--json"], project);
      assert.equal(unconfigured.json?.state_path, "./.gait-out/gate_rate_limits.json");
      assert.equal(unconfigured.json?.exists, false);
      const reset = await gait(["gate", "limits", "reset", "--json"], project);
      assert.equal(counters(reset.json, "removed").length, 2);
      assert.deepEqual(JSON.parse(readFileSync(join(project, "state", "limits.json"), "utf8")).counters, []);
    } finally {
      done();
    }
  });

  it("a malformed state file is rate_limit_state_invalid (exit 6) and is left as it is", async () => {
    for (const [name, text] of [
      ["broken.json", "{ not json"],
      ["trace.json", JSON.stringify({ schema_id: "gait.gate.trace", verdict: "allow" })],
    ] as const) {
      writeFileSync(join(dir, name), text);
      for (const sub of ["show", "reset"]) {
        const r = await gait(["gate", "limits", sub, "--state", name, "--json"]);
        assert.equal(r.code, 6, `${sub} ${name}: ${r.stdout}`);
        assert.equal(r.json?.ok, false);
        assert.equal(r.json?.error_code, "invalid_input");
        assert.equal(r.json?.detail_code, "rate_limit_state_invalid");
        assert.equal(r.json?.error_category, "invalid_input");
        assert.match(String(r.json?.hint), /delete the file/);
      }
      const human = await gait(["gate", "limits", "show", "--state", name]);
      assert.match(human.stderr, /^error: .* is not a gait\.gate\.rate_limit_state file/);
      assert.equal(readFileSync(join(dir, name), "utf8"), text);
    }
  });

  it("--help and --explain describe the commands", async () => {
    const help = await gait(["gate", "limits", "reset", "--help"]);
    assert.equal(help.code, 0);
    for (const flag of ["--state", "--key", "--tool", "--identity", "--dry-run", "--json"]) {
      assert.match(help.stdout, new RegExp(flag));
    }
    const explain = await gait(["gate", "limits", "show", "--explain", "--json"]);
    assert.equal(explain.code, 0);
    assert.match(String(explain.json?.explain), /rate-limit/);
    const group = await gait(["gate", "limits", "--help"]);
    assert.match(group.stdout, /show/);
    assert.match(group.stdout, /reset/);
  });

  it("while gait gate serve owns the state file, reset fails with state_contention naming it; show and --dry-run still read", async () => {
    const statePath = join(dir, "served.json");
    writeFileSync(statePath, stateText(HAND_WRITTEN.slice(0, 1)));
    const server = await startServe(
      ["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--rate-limit-state", statePath],
      { cwd: dir },
    );
    try {
      const reset = await gait(["gate", "limits", "reset", "--state", statePath, "--json"]);
      assert.equal(reset.code, 1, reset.stdout);
      assert.equal(reset.json?.error_code, "state_contention");
      assert.equal(reset.json?.retryable, true);
      assert.match(String(reset.json?.hint), /gait gate serve/);
      const dry = await gait(["gate", "limits", "reset", "--state", statePath, "--dry-run", "--json"]);
      assert.equal(dry.code, 0, dry.stdout);
      assert.equal(counters(dry.json, "removed").length, 1);
      const shown = await gait(["gate", "limits", "show", "--state", statePath, "--json"]);
      assert.equal(counters(shown.json).length, 1);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.equal(JSON.parse(readFileSync(statePath, "utf8")).counters.length, 1, "nothing was reset");
    const after = await gait(["gate", "limits", "reset", "--state", statePath, "--json"]);
    assert.equal(after.code, 0, after.stdout);
    assert.equal(counters(after.json, "removed").length, 1);
  });
});
