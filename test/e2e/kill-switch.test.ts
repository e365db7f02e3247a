/**
 * `gait kill-switch add|list|disable|expire` end to end, with `gait gate eval` checking the state
 * (default path and --kill-switch-state), the journal, and the traces a kill switch leaves; and
 * `gait run record --context-envelope` binding a verified envelope.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildContextEnvelope } from "../../src/context/index.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";
import { call, startServe } from "../sidecar/support.ts";

const POLICY = `default_verdict: block
rules:
  - name: allow-write
    effect: allow
    match:
      tool_names: [tool.write]
`;
const intent = (risk: string, environment = "prod") => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "tool.write",
  args: {},
  targets: [{ kind: "path", value: "/data/prod/x", operation: "write" }],
  context: { identity: "alice", workspace: "/repo", risk_class: risk, environment },
});
const STATE = ".gait-out/kill_switch_state.json";
/** An object member of a command's JSON output ({} when absent, so a wrong shape fails the assertion). */
const member = (result: CliResult, key: string) => (result.json?.[key] ?? {}) as Record<string, unknown>;
const JOURNAL = ".gait-out/kill_switch_state.journal.jsonl";

describe("gait kill-switch", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("gait-kill-switch-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    writeFileSync(join(dir, "low.json"), JSON.stringify(intent("low")));
    writeFileSync(join(dir, "high.json"), JSON.stringify(intent("high")));
    writeFileSync(join(dir, "staging.json"), JSON.stringify(intent("low", "staging")));
  });
  after(() => cleanup());
  const gait = (...args: string[]) => runGait([...args, "--json"], { cwd: dir });
  const evaluate = (intentFile: string, ...args: string[]) =>
    gait("gate", "eval", "--policy", "policy.yaml", "--intent", intentFile, "--no-config", ...args);

  it("add stops matching calls in gate eval (default state path), journals the add and the firing", async () => {
    assert.equal((await evaluate("low.json")).code, 0);
    const added = await gait(
      "kill-switch",
      "add",
      "--tool",
      "tool.write",
      "--environment",
      "prod",
      "--path-prefix",
      "/data/",
      "--reason",
      "incident 412",
      "--actor",
      "oncall",
    );
    assert.equal(added.code, 0, added.stderr);
    const entry = member(added, "entry");
    assert.match(String(entry.entry_id), /^ks_[0-9a-f]{16}$/);
    assert.equal(entry.status, "active");
    assertPublicValidIfAvailable(JSON.parse(readFileSync(join(dir, STATE), "utf8")), "kill-switch state", {
      schemaFile: "gate/kill_switch_state.schema.json",
    });

    const blocked = await evaluate("low.json");
    assert.equal(blocked.code, 3);
    assert.deepEqual(blocked.json?.reason_codes, [
      "kill_switch_active",
      "kill_switch_environment_active",
      "kill_switch_path_active",
      "kill_switch_tool_name_active",
      "matched_rule_allow_write",
    ]);
    const killSwitch = member(blocked, "kill_switch");
    assert.deepEqual(killSwitch.matched_entry_ids, [entry.entry_id]);
    const trace = JSON.parse(readFileSync(join(dir, String(blocked.json?.trace_path)), "utf8"));
    assert.equal(trace.kill_switch.status, "active");
    assertPublicValidIfAvailable(trace, "trace with kill_switch");

    assert.equal((await evaluate("staging.json")).code, 0, "another environment is not stopped");
    const journal = readFileSync(join(dir, JOURNAL), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      journal.map((e) => e.action),
      ["add", "fired"],
    );
    assert.equal(journal[1].trace_id, blocked.json?.trace_id);
  });

  it("list shows entries with status; disable and expire lift them; unknown ids are exit 6", async () => {
    const listed = await gait("kill-switch", "list");
    const [entry] = (listed.json?.entries ?? []) as Array<Record<string, unknown>>;
    const id = String(entry?.entry_id);
    const disabled = await gait("kill-switch", "disable", "--id", id, "--actor", "oncall");
    assert.equal(member(disabled, "entry").status, "disabled");
    assert.equal((await evaluate("low.json")).code, 0);
    assert.deepEqual((await gait("kill-switch", "list", "--active")).json?.entries, []);

    const again = await gait("kill-switch", "add", "--identity", "alice", "--expires-in", "1h");
    const againId = String(member(again, "entry").entry_id);
    assert.equal((await evaluate("low.json")).code, 3);
    const expired = await gait("kill-switch", "expire", "--id", againId);
    assert.equal(member(expired, "entry").status, "expired");
    assert.equal((await evaluate("low.json")).code, 0);

    const unknown = await gait("kill-switch", "disable", "--id", "ks_nope");
    assert.equal(unknown.code, 6);
    assert.equal(unknown.json?.detail_code ?? unknown.json?.error_code, "kill_switch_entry_not_found");
    const noSelector = await gait("kill-switch", "add", "--reason", "x");
    assert.equal(noSelector.code, 6);
  });

  it("an unreadable --kill-switch-state blocks high risk and is exit 6 for low risk", async () => {
    writeFileSync(join(dir, "broken.json"), "[]");
    const high = await evaluate("high.json", "--kill-switch-state", "broken.json");
    assert.equal(high.code, 3);
    assert.deepEqual(high.json?.reason_codes, ["kill_switch_state_unavailable"]);
    assert.equal(member(high, "kill_switch").status, "unavailable");
    const low = await evaluate("low.json", "--kill-switch-state", "broken.json");
    assert.equal(low.code, 6);
    assert.equal(low.json?.ok, false);
  });

  it("gate serve checks the state on every decision: a kill switch added while it runs blocks the next call", async () => {
    const server = await startServe(
      ["--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--kill-switch-state", "served.json"],
      { cwd: dir },
    );
    try {
      const ask = () => call(server.url, "/v1/evaluate", { token: server.token, body: intent("low") });
      assert.equal((await ask()).json.verdict, "allow");
      const added = await gait("kill-switch", "add", "--state", "served.json", "--identity", "alice");
      assert.equal(added.code, 0, added.stderr);
      const blocked = await ask();
      assert.equal(blocked.json.verdict, "block");
      assert.ok((blocked.json.reason_codes as string[]).includes("kill_switch_identity_active"));
    } finally {
      await server.stop();
    }
  });

  it("--help and --explain describe the commands", async () => {
    const help = await runGait(["kill-switch", "add", "--help"], { cwd: dir });
    assert.match(help.stdout, /--path-prefix/);
    const explain = await runGait(["kill-switch", "--explain"], { cwd: dir });
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /Stop matching tool calls/);
  });
});

describe("gait run record --context-envelope", () => {
  it("binds the envelope's records, set digest and mode into refs", () => {
    const { dir, cleanup } = tempDir("gait-context-record-");
    return (async () => {
      try {
        const envelope = buildContextEnvelope({
          contextSetId: "set",
          evidenceMode: "required",
          createdAt: Timestamp.parse("2026-02-18T00:00:00Z"),
          records: [
            {
              ref_id: "ctx_1",
              source_type: "doc_store",
              source_locator: "docs://a",
              query_digest: "1".repeat(64),
              content_digest: "2".repeat(64),
              retrieved_at: "2026-02-18T00:00:00Z",
              redaction_mode: "reference",
              immutability: "immutable",
            },
          ],
        });
        writeFileSync(join(dir, "env.json"), JSON.stringify(envelope));
        writeFileSync(
          join(dir, "run.json"),
          JSON.stringify({
            run: { run_id: "run_ctx", created_at: "2026-02-18T00:00:00Z" },
            intents: [{ intent_id: "i1", tool_name: "tool.echo", args: { say: "hi" } }],
            results: [{ intent_id: "i1", status: "ok", result: { ok: true } }],
            refs: { receipts: [] },
          }),
        );
        const recorded = await runGait(
          ["run", "record", "run.json", "--context-envelope", "env.json", "--json"],
          {
            cwd: dir,
          },
        );
        assert.equal(recorded.code, 0, recorded.stderr);
        const inspected = await runGait(["run", "inspect", "--from", "run_ctx", "--json"], { cwd: dir });
        assert.equal(inspected.code, 0, inspected.stderr);
        const diffSelf = await runGait(["verify", "run_ctx", "--json"], { cwd: dir });
        assert.equal(diffSelf.code, 0);
        const mismatch = await runGait(
          [
            "run",
            "record",
            "run.json",
            "--context-envelope",
            "env.json",
            "--context-evidence-mode",
            "best_effort",
            "--run-id",
            "run_ctx2",
            "--json",
          ],
          { cwd: dir },
        );
        assert.equal(mismatch.code, 6);
      } finally {
        cleanup();
      }
    })();
  });
});
