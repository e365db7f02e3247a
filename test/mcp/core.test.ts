/** The MCP module's pure core: intents from tool calls, pins, trust, adapters, filtering, config wrapping. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isGaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";
import { decodeToolCall } from "../../src/mcp/adapters.ts";
import { alwaysBlockedTools } from "../../src/mcp/filter.ts";
import {
  approveChanges,
  emptyPinFile,
  observeDefinition,
  parsePinFile,
  toolDefinitionDigest,
} from "../../src/mcp/pins.ts";
import { intentForCall } from "../../src/mcp/tool-call.ts";
import { evaluateTrust, parseTrustSnapshot, type SnapshotState } from "../../src/mcp/trust.ts";
import { planWrap } from "../../src/mcp/wrap-config.ts";

const defaults = { identity: "agent", workspace: "/repo" };
const server = { id: "fs-server", name: "fs-server", version: "1.0.0", transport: "stdio" as const };

describe("intentForCall", () => {
  it("keeps the declared tool name, infers targets from argument names and URL values, carries the annotations", () => {
    const intent = intentForCall(
      {
        name: "Write_File",
        args: { path: "/tmp/a.txt", content: "x", mirror: "https://example.com/up" },
        annotations: { destructiveHint: true },
        server,
      },
      defaults,
    );
    assert.equal(intent.tool_name, "Write_File");
    const prepared = prepareIntent(intent);
    assert.equal(prepared.intent.tool_name, "write_file");
    const targets = prepared.intent.targets.map((t) => [
      t.kind,
      t.value,
      t.endpoint_class,
      t.discovery_method,
    ]);
    assert.deepEqual(targets, [
      ["path", "/tmp/a.txt", "fs.delete", "mcp"],
      ["url", "https://example.com/up", "net.http", "mcp"],
    ]);
    assert.ok(prepared.intent.targets.every((t) => t.destructive_hint === true));
    assert.equal(prepared.intent.context.auth_context?.mcp_server_id, "fs-server");
    assert.equal(prepared.intent.context.risk_class, "high");
  });

  it("names the tool itself as the target when nothing can be inferred; read-only tools are low risk", () => {
    const intent = intentForCall(
      { name: "read_graph", args: {}, annotations: { readOnlyHint: true }, server },
      defaults,
    );
    assert.deepEqual(intent.targets, [
      { kind: "other", value: "mcp://fs-server/read_graph", discovery_method: "mcp", read_only_hint: true },
    ]);
    assert.equal(intent.context.risk_class, "low");
  });

  it("lets the caller's context and explicit targets win", () => {
    const intent = intentForCall(
      {
        name: "t",
        args: { path: "/x" },
        targets: [{ kind: "host", value: "db.internal" }],
        context: { identity: "alice", risk_class: "critical" },
      },
      { ...defaults, sessionId: "s1", runId: "run_x" },
    );
    assert.deepEqual(intent.targets, [{ kind: "host", value: "db.internal" }]);
    assert.equal(intent.context.identity, "alice");
    assert.equal(intent.context.risk_class, "critical");
    assert.equal(intent.context.session_id, "s1");
    assert.equal(intent.context.run_id, "run_x");
  });
});

describe("tool definition pins", () => {
  const tool = { name: "echo", description: "Echo.", inputSchema: { type: "object" } };

  it("pins the first definition, matches it again, flags a change until approved", () => {
    const file = emptyPinFile();
    const first = toolDefinitionDigest(tool);
    assert.equal(observeDefinition(file, "s", "echo", first, "t1"), "pinned");
    assert.equal(observeDefinition(file, "s", "echo", first, "t2"), "matches");
    const changed = toolDefinitionDigest({ ...tool, description: "Echo. Also exfiltrate." });
    assert.notEqual(changed, first);
    assert.equal(observeDefinition(file, "s", "echo", changed, "t3"), "changed");
    assert.deepEqual(file.servers.s?.echo?.changed, { digest: changed, seen_at: "t3" });
    assert.deepEqual(approveChanges(file, "s", [], "t4"), ["echo"]);
    assert.equal(observeDefinition(file, "s", "echo", changed, "t5"), "matches");
    assert.deepEqual(parsePinFile(JSON.stringify(file), "pins.json"), file);
  });

  it("the digest covers the schema, not the name or key order", () => {
    const reordered = { name: "other", description: "Echo.", inputSchema: { type: "object" } };
    assert.equal(toolDefinitionDigest(reordered), toolDefinitionDigest(tool));
    assert.notEqual(
      toolDefinitionDigest({ ...tool, inputSchema: { type: "object", properties: {} } }),
      toolDefinitionDigest(tool),
    );
  });

  it("refuses approving an unknown server or tool", () => {
    const file = emptyPinFile();
    observeDefinition(file, "s", "echo", toolDefinitionDigest(tool), "t");
    assert.throws(
      () => approveChanges(file, "nope", [], "t"),
      (e) => isGaitError(e) && e.code === "mcp_pin_not_found",
    );
    assert.throws(
      () => approveChanges(file, "s", ["nope"], "t"),
      (e) => isGaitError(e) && e.code === "mcp_pin_not_found",
    );
  });

  it("any malformed pin file is a coded error, never a crash", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parsePinFile(text, "pins.json");
        } catch (error) {
          assert.ok(isGaitError(error), String(error));
          assert.equal(error.exitCode, 6);
        }
      }),
    );
  });
});

describe("mcp_trust against a local snapshot", () => {
  const policy = parsePolicyYaml(
    "mcp_trust:\n  snapshot: trust.json\n  min_score: 0.8\n  max_age: 24h\n  publisher_allowlist: [acme]\n",
    "p.yaml",
  ).policy.mcpTrust;
  const now = Timestamp.parse("2026-02-01T12:00:00Z");
  const loaded = (entry: Record<string, unknown>): SnapshotState => ({
    kind: "loaded",
    snapshot: parseTrustSnapshot(
      JSON.stringify({
        schema_id: "gait.mcp.trust_snapshot",
        schema_version: "1.0.0",
        servers: [
          {
            server_id: "fs",
            status: "trusted",
            score: 0.9,
            publisher: "acme",
            updated_at: "2026-02-01T00:00:00Z",
            ...entry,
          },
        ],
      }),
      "trust.json",
    ),
  });
  const codes = (state: SnapshotState, serverId = "fs", risk = "high") =>
    evaluateTrust(policy, state, serverId, risk, now).record.reason_codes;

  it("verifies a trusted, fresh, allowed server", () => {
    const outcome = evaluateTrust(policy, loaded({}), "fs", "high", now);
    assert.equal(outcome.verified, true);
    assert.equal(outcome.enforced, false);
    assert.deepEqual(outcome.record.reason_codes, ["mcp_trust_verified"]);
  });

  it("gives the reference's codes for each failure, and enforces only required risk classes", () => {
    assert.deepEqual(codes(loaded({}), "other"), ["mcp_trust_server_unknown"]);
    assert.deepEqual(codes(loaded({ status: "flagged" })), ["mcp_trust_status_untrusted"]);
    assert.deepEqual(codes(loaded({ score: 0.5 })), ["mcp_trust_below_threshold"]);
    assert.deepEqual(codes(loaded({ updated_at: "2026-01-01T00:00:00Z" })), ["mcp_trust_stale"]);
    assert.deepEqual(codes(loaded({ publisher: "evil" })), ["mcp_trust_publisher_untrusted"]);
    assert.deepEqual(codes({ kind: "unavailable", message: "" }), ["mcp_trust_snapshot_unavailable"]);
    assert.deepEqual(codes({ kind: "invalid", message: "" }), ["mcp_trust_snapshot_invalid"]);
    assert.deepEqual(codes(loaded({}), ""), ["mcp_trust_identifier_missing"]);
    const low = evaluateTrust(policy, loaded({ status: "flagged" }), "fs", "low", now);
    assert.equal(low.enforced, false);
    assert.equal(low.action, "block");
  });

  it("any malformed snapshot is mcp_trust_snapshot_invalid (exit 6), never a crash", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseTrustSnapshot(text, "trust.json");
        } catch (error) {
          assert.ok(isGaitError(error), String(error));
          assert.equal(error.exitCode, 6);
        }
      }),
    );
  });

  it("duplicate server ids invalidate the snapshot", () => {
    const text = JSON.stringify({
      schema_id: "gait.mcp.trust_snapshot",
      schema_version: "1.0.0",
      servers: [
        { server_id: "fs", status: "trusted" },
        { server_id: "fs", status: "untrusted" },
      ],
    });
    assert.throws(
      () => parseTrustSnapshot(text, "t.json"),
      (e) => isGaitError(e) && e.code === "mcp_trust_snapshot_invalid",
    );
  });
});

describe("adapter decoders", () => {
  it("decode each framework's payload to the same kind of call", () => {
    assert.deepEqual(
      decodeToolCall("openai", { function: { name: "get", arguments: '{"url":"https://x.io"}' } }),
      {
        name: "get",
        args: { url: "https://x.io" },
      },
    );
    assert.deepEqual(decodeToolCall("anthropic", { type: "tool_use", name: "get", input: { a: 1 } }), {
      name: "get",
      args: { a: 1 },
    });
    assert.deepEqual(decodeToolCall("langchain", { tool: "search", tool_input: "cats" }), {
      name: "search",
      args: { input: "cats" },
    });
    const hook = decodeToolCall("claude_code", {
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "rm -rf /" },
      session_id: "abc",
      cwd: "/repo",
    });
    assert.equal(hook.name, "tool.exec");
    assert.deepEqual(hook.targets, [
      { kind: "other", value: "rm -rf /", operation: "exec", endpoint_class: "proc.exec" },
    ]);
    assert.deepEqual(hook.context, { session_id: "abc", workspace: "/repo" });
    assert.equal(
      decodeToolCall("claude_code", { tool_name: "mcp__github__CreateIssue" }).name,
      "tool.mcp_github_create_issue",
    );
    const native = decodeToolCall("mcp", { name: "t", arguments: {}, context: { identity: "bob" } });
    assert.deepEqual(native.context, { identity: "bob" });
  });

  it("bad payloads are mcp_call_invalid (exit 6), never a crash", () => {
    for (const adapter of ["mcp", "openai", "anthropic", "langchain", "claude_code"] as const) {
      fc.assert(
        fc.property(fc.json(), (text) => {
          try {
            decodeToolCall(adapter, JSON.parse(text));
          } catch (error) {
            assert.ok(isGaitError(error), String(error));
            assert.equal(error.code, "mcp_call_invalid");
            assert.equal(error.exitCode, 6);
          }
        }),
      );
    }
  });
});

describe("tools/list filtering", () => {
  it("hides only tools a name-only block rule decides before any other rule could match", () => {
    const policy = parsePolicyYaml(
      `default_verdict: allow
rules:
  - {name: allow reads first, priority: 1, effect: allow, match: {tool_names: [read_file]}}
  - {name: block writes, priority: 5, effect: block, match: {tool_names: [write_file, read_file, delete_file]}}
  - {name: block risky deletes, priority: 5, effect: block, match: {tool_names: [drop_table], risk_classes: [high]}}
`,
      "p.yaml",
    ).policy;
    const hidden = alwaysBlockedTools(policy, [
      "Write_File",
      "read_file",
      "delete_file",
      "drop_table",
      "list",
    ]);
    assert.deepEqual([...hidden].sort(), ["Write_File", "delete_file"]);
  });
});

describe("wrap-config", () => {
  it("puts every stdio and remote server behind gait, keeps comments, skips wrapped and header-bearing ones", () => {
    const text = `{
  // my servers
  "mcpServers": {
    "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
    "remote": { "type": "http", "url": "https://mcp.example.com/mcp" },
    "secret": { "url": "https://x.example.com/mcp", "headers": { "Authorization": "Bearer t" } },
    "done": { "command": "gait", "args": ["mcp", "proxy", "--policy", "p", "--", "x"] }
  }
}
`;
    const plan = planWrap(text, ["--policy", "/abs/p.yaml"], "gait", "c.json");
    assert.deepEqual(plan.wrapped, ["memory", "remote"]);
    assert.deepEqual(
      plan.skipped.map((s) => s.name),
      ["secret", "done"],
    );
    assert.match(plan.text, /\/\/ my servers/);
    const parsed = JSON.parse(plan.text.replace("// my servers", "")) as {
      mcpServers: Record<string, { command: string; args: string[]; url?: string; type?: string }>;
    };
    assert.deepEqual(parsed.mcpServers.memory, {
      command: "gait",
      args: [
        "mcp",
        "proxy",
        "--policy",
        "/abs/p.yaml",
        "--",
        "npx",
        "-y",
        "@modelcontextprotocol/server-memory",
      ],
    });
    assert.deepEqual(parsed.mcpServers.remote, {
      type: "stdio",
      command: "gait",
      args: [
        "mcp",
        "proxy",
        "--policy",
        "/abs/p.yaml",
        "--stdio",
        "--upstream",
        "https://mcp.example.com/mcp",
      ],
    });
  });

  it("a config without servers is a coded error", () => {
    assert.throws(
      () => planWrap("[]", [], "gait", "c.json"),
      (e) => isGaitError(e) && e.code === "mcp_client_config_invalid",
    );
    assert.throws(
      () => planWrap("{}", [], "gait", "c.json"),
      (e) => isGaitError(e) && e.code === "mcp_client_config_invalid",
    );
  });
});
