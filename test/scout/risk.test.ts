/**
 * Scout's one risk module (src/scout/risk.ts): tools by name tokens, MCP annotations and declared
 * targets; MCP servers by class and transport; every reason in the one `<source>:<value>` form.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assessServerRisk,
  assessToolRisk,
  declaredTargets,
  riskReasonTags,
  SERVER_RISK_CLASSES,
  TARGET_TOKENS,
} from "../../src/scout/risk.ts";

const REASON_FORM = /^risk_reason:(name|hint|target|class|transport|default):[a-z0-9_]+$/;

describe("tool risk", () => {
  it("ranks by name tokens, then annotations", () => {
    assert.deepEqual(assessToolRisk("deleteFile"), { level: "critical", reasons: ["name:delete"] });
    assert.deepEqual(assessToolRisk("send_email"), { level: "high", reasons: ["name:send"] });
    assert.deepEqual(assessToolRisk("weather"), { level: "low", reasons: ["default:none"] });
    assert.deepEqual(assessToolRisk("weather", { destructiveHint: true }), {
      level: "high",
      reasons: ["hint:destructive"],
    });
    assert.deepEqual(assessToolRisk("update_x", { readOnlyHint: true }), {
      level: "low",
      reasons: ["hint:read_only"],
    });
    assert.equal(assessToolRisk("drop_x", { readOnlyHint: true }).level, "critical");
  });

  it("raises to at least the level of each declared target, with a target reason each", () => {
    assert.deepEqual(assessToolRisk("read_it", {}, ["filePath", "encoding"]), {
      level: "medium",
      reasons: ["target:filesystem"],
    });
    assert.deepEqual(assessToolRisk("fetch_page", {}, ["url"]), {
      level: "medium",
      reasons: ["target:network"],
    });
    assert.deepEqual(assessToolRisk("run_it", {}, ["cmd", "cwd_dir"]), {
      level: "high",
      reasons: ["name:run", "target:exec", "target:filesystem"],
    });
    assert.deepEqual(assessToolRisk("report", {}, ["sql_query"]), {
      level: "high",
      reasons: ["target:database"],
    });
    // A critical name stays critical; a read-only hint does not lower below a declared target.
    assert.deepEqual(assessToolRisk("wipe", {}, ["host"]), {
      level: "critical",
      reasons: ["name:wipe", "target:network"],
    });
    assert.deepEqual(assessToolRisk("read_note", { readOnlyHint: true }, ["path"]), {
      level: "medium",
      reasons: ["hint:read_only", "target:filesystem"],
    });
  });

  it("does not take a search tool's bare query, or unrelated names, for targets", () => {
    assert.deepEqual(declaredTargets(["query", "limit", "profile", "hostile_takeover"]), []);
    assert.deepEqual(declaredTargets(["endpoint", "table_name", "script"]), ["exec", "database", "network"]);
  });
});

describe("server risk", () => {
  it("ranks by the highest class, remote URLs medium unless high, nothing matched medium", () => {
    const risk = (words: string[], remote: boolean) => {
      const r = assessServerRisk(words, remote);
      return `${r.level} ${r.reasons.join(",")}`;
    };
    assert.equal(risk(["time", "mcp-server-time"], false), "low class:time");
    assert.equal(risk(["time"], true), "medium transport:remote_url");
    assert.equal(risk(["github"], true), "high class:source_control");
    assert.equal(risk(["readOnlyFiles"], false), "high class:filesystem");
    assert.equal(risk(["sequential-thinking"], false), "low class:utility");
    assert.equal(risk(["stripe-files"], false), "critical class:payments");
    assert.equal(risk(["acme"], false), "medium default:none");
  });

  it("keeps each token in one class only", () => {
    const seen = new Map<string, string>();
    for (const riskClass of SERVER_RISK_CLASSES) {
      for (const token of riskClass.tokens) {
        assert.equal(seen.get(token), undefined, `${token} in ${seen.get(token)} and ${riskClass.reason}`);
        seen.set(token, riskClass.reason);
      }
    }
    const targets = new Map<string, string>();
    for (const target of TARGET_TOKENS) {
      for (const token of target.tokens) {
        assert.equal(targets.get(token), undefined, `${token} in two target kinds`);
        targets.set(token, target.kind);
      }
    }
  });
});

describe("one reason form for tools and servers", () => {
  it("tags every reason as risk_reason:<source>:<value>", () => {
    const tags = [
      assessToolRisk("delete_file", { destructiveHint: true }, ["path", "url"]),
      assessToolRisk("x", { readOnlyHint: true }),
      assessToolRisk("x"),
      assessServerRisk(["filesystem"], false),
      assessServerRisk(["acme"], true),
      assessServerRisk(["acme"], false),
    ].flatMap(riskReasonTags);
    for (const tag of tags) assert.match(tag, REASON_FORM);
  });
});
