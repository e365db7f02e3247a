import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalize, sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import {
  inferEndpointClass,
  inferEndpointDomain,
  looksLikeSecretValue,
  prepareIntent,
} from "../../src/gate/intent.ts";
import { conformanceSkip, vectorPath } from "../helpers/conformance.ts";

const base = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "tool.write",
  args: { path: "/tmp/a.txt" },
  targets: [{ kind: "path", value: "/tmp/a.txt", operation: "write" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "high" },
};

const isIntentError = (e: unknown) =>
  e instanceof GaitError && e.code === "intent_invalid" && e.exitCode === 6;

describe("intent normalization and digests", () => {
  it("reproduces the reference intent digest (approval-expired vector)", { skip: conformanceSkip }, () => {
    const raw = JSON.parse(readFileSync(vectorPath("approval-expired", "intent.json"), "utf8"));
    assert.equal(
      prepareIntent(raw).intentDigest,
      "5560b84bd90ae0b84079bd0125a27d74750fb25f55a62a12a6b718eaca3dca51",
    );
  });

  it("excludes envelope fields from the digest and defaults phase and discovery_method", () => {
    const a = prepareIntent(base);
    const b = prepareIntent({
      ...base,
      created_at: "2030-01-01T00:00:00Z",
      producer_version: "9",
      relationship: {},
    });
    assert.equal(a.intentDigest, b.intentDigest);
    assert.equal(a.intent.context.phase, "apply");
    assert.equal(a.intent.targets[0]?.discovery_method, "unknown");
    assert.equal(a.createdAt, "2026-02-18T00:00:00Z");
  });

  it("keeps a __proto__ member of the arguments as data, never as the prototype", () => {
    const args = JSON.parse('{"path":"/work/a","__proto__":{"polluted":true}," __proto__ ":1}');
    assert.throws(
      () => prepareIntent({ ...base, args }),
      (e: unknown) => e instanceof GaitError && /duplicate key "__proto__" after trimming/.test(e.message),
    );
    const prepared = prepareIntent({
      ...base,
      args: JSON.parse('{"path":"/work/a","__proto__":{"polluted":true}}'),
    });
    assert.equal(Object.getPrototypeOf(prepared.intent.args), Object.prototype);
    assert.deepEqual(Object.keys(prepared.intent.args), ["path", "__proto__"]);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    assert.equal(prepared.argsDigest, sha256Hex('{"__proto__":{"polluted":true},"path":"/work/a"}'));
  });

  it("digests the intent with its arguments as canonicalizing the whole intent would", () => {
    const prepared = prepareIntent({ ...base, args: { z: [1, { b: "x", a: null }], a: "é\u0001" } });
    assert.equal(prepared.intentDigest, sha256Hex(canonicalize(prepared.intent)));
    assert.equal(prepared.argsDigest, sha256Hex(canonicalize(prepared.intent.args)));
  });

  it("is insensitive to target order, duplicates, key order and whitespace", () => {
    const t1 = { kind: "path", value: "/a", operation: "read" };
    const t2 = { kind: "url", value: "https://Example.com/x" };
    const a = prepareIntent({ ...base, targets: [t1, t2] });
    const b = prepareIntent({
      ...base,
      tool_name: " TOOL.Write ",
      targets: [t2, { ...t1, value: " /a " }, t1],
      args: { " path ": " /tmp/a.txt " },
    });
    assert.equal(a.intentDigest, b.intentDigest);
    assert.equal(a.argsDigest, b.argsDigest);
    assert.deepEqual(
      a.intent.targets.map((t) => t.kind),
      ["path", "url"],
    );
  });

  it("infers endpoint classes, domains and destructiveness", () => {
    assert.equal(inferEndpointClass("path", "delete", "tool.x"), "fs.delete");
    assert.equal(inferEndpointClass("path", "", "fs/read_file"), "fs.read");
    assert.equal(inferEndpointClass("host", "lookup", "x"), "net.dns");
    assert.equal(inferEndpointClass("url", "", "x"), "net.http");
    assert.equal(inferEndpointClass("other", "exec", "x"), "proc.exec");
    assert.equal(inferEndpointClass("bucket", "write", "x"), "other");
    assert.equal(inferEndpointDomain("host", "https://API.example.com:443/x"), "api.example.com");
    assert.equal(inferEndpointDomain("url", "https://Example.COM/path"), "example.com");
    const p = prepareIntent({ ...base, targets: [{ kind: "path", value: "/x", operation: "rm" }] });
    assert.equal(p.intent.targets[0]?.destructive, true);
    assert.equal(p.intent.targets[0]?.endpoint_class, "fs.delete");
  });

  it("rejects raw credential material in args and auth_context, accepts references", () => {
    for (const args of [
      { api_key: "sk-abcdef" },
      { token: "ghp_1234567890abcdef" },
      { nested: { password: "hunter2hunter2hunter2x9" } },
    ]) {
      assert.throws(() => prepareIntent({ ...base, args }), isIntentError);
    }
    assert.throws(
      () =>
        prepareIntent({
          ...base,
          context: { ...base.context, auth_context: { access_key: "AKIAABCDEFGHIJKLMNOP" } },
        }),
      isIntentError,
    );
    for (const args of [
      { token_ref: "ghp_1234567890abcdef" },
      { api_key: "env:MY_KEY" },
      { token: "short" },
    ]) {
      assert.doesNotThrow(() => prepareIntent({ ...base, args }));
    }
    assert.equal(looksLikeSecretValue("a".repeat(64).replace(/a/g, "f")), false);
  });

  it("turns scripts into tool_name script with a script_hash and per-step targets", () => {
    const p = prepareIntent({
      ...base,
      tool_name: "ignored",
      targets: [],
      script: {
        steps: [
          {
            tool_name: "tool.read",
            args: { p: "/a" },
            targets: [{ kind: "path", value: "/a", operation: "read" }],
          },
          {
            tool_name: "tool.delete",
            args: {},
            targets: [{ kind: "path", value: "/b", operation: "delete" }],
          },
        ],
      },
    });
    assert.equal(p.intent.tool_name, "script");
    assert.match(p.intent.script_hash ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(
      p.intent.targets.map((t) => t.value),
      ["/a", "/b"],
    );
  });

  it("validates delegation chains", () => {
    const delegation = {
      requester_identity: "agent.c",
      chain: [
        { delegator_identity: "agent.a", delegate_identity: "agent.b" },
        { delegator_identity: "agent.b", delegate_identity: "agent.c" },
      ],
    };
    const p = prepareIntent({ ...base, delegation });
    assert.equal(p.intent.delegation?.issued_at, "0001-01-01T00:00:00Z");
    assert.throws(
      () =>
        prepareIntent({
          ...base,
          delegation: { ...delegation, chain: [delegation.chain[1], delegation.chain[0]] },
        }),
      isIntentError,
    );
  });

  it("rejects structurally bad intents with coded errors", () => {
    const bad: unknown[] = [
      null,
      [],
      { ...base, context: undefined },
      { ...base, context: { identity: "a", workspace: "/w" } },
      { ...base, targets: [{ kind: "planet", value: "x" }] },
      { ...base, targets: [{ kind: "path" }] },
      { ...base, args: [] },
      { ...base, args: { "": 1 } },
      { ...base, schema_id: "other" },
      { ...base, created_at: "yesterday" },
      { ...base, context: { ...base.context, phase: "later" } },
    ];
    for (const raw of bad) {
      assert.throws(
        () => prepareIntent(raw),
        (e: unknown) => e instanceof GaitError && e.exitCode === 6,
      );
    }
  });

  it("never crashes on arbitrary JSON: a prepared intent or a coded error", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (args, extra) => {
        const raw = { ...base, args, targets: extra };
        try {
          const p = prepareIntent(raw);
          return canonicalize(p.intent).length > 0;
        } catch (error) {
          return error instanceof GaitError && error.exitCode === 6;
        }
      }),
      { numRuns: 500 },
    );
  });
});
