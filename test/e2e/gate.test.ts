import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";
import { conformanceSkip, vectorPath } from "../helpers/conformance.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const intent = (overrides: Record<string, unknown> = {}) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "tool.write",
  args: { path: "/tmp/out.txt" },
  targets: [{ kind: "path", value: "/tmp/out.txt", operation: "write" }],
  arg_provenance: [{ arg_path: "$.path", source: "user" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "high" },
  ...overrides,
});

const policyYaml = `default_verdict: block
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match:
      tool_names: [tool.read]
  - name: approve-write
    priority: 20
    effect: require_approval
    match:
      tool_names: [tool.write]
  - name: limited-search
    priority: 30
    effect: allow
    match:
      tool_names: [tool.search]
    rate_limit:
      requests: 5
      window: hour
      scope: tool
`;

describe("gait gate eval (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, "policy.yaml"), policyYaml);
    writeFileSync(join(dir, "write.json"), JSON.stringify(intent()));
    writeFileSync(join(dir, "read.json"), JSON.stringify(intent({ tool_name: "tool.read" })));
    writeFileSync(join(dir, "delete.json"), JSON.stringify(intent({ tool_name: "tool.delete" })));
    writeFileSync(
      join(dir, "search.json"),
      JSON.stringify(intent({ tool_name: "tool.search", targets: [] })),
    );
  });
  after(() => cleanup());

  it("exits 0 allow, 3 block, 4 require_approval and writes a signed trace every time", async () => {
    const expectations: Array<[string, number, string]> = [
      ["read.json", 0, "allow"],
      ["delete.json", 3, "block"],
      ["write.json", 4, "require_approval"],
    ];
    for (const [file, code, verdict] of expectations) {
      const r = await runGait(["gate", "eval", "--policy", "policy.yaml", "--intent", file, "--json"], {
        cwd: dir,
      });
      assert.equal(r.code, code, r.stdout + r.stderr);
      assert.equal(r.json?.verdict, verdict);
      assert.equal(r.json?.ok, true);
      const trace = JSON.parse(readFileSync(join(dir, String(r.json?.trace_path)), "utf8"));
      assert.equal(trace.verdict, verdict);
      assert.equal(trace.signature.alg, "ed25519");
    }
  });

  it("emits traces and approval audits that validate against the public schemas", {
    skip: publicSchemasSkip,
  }, async () => {
    const r = await runGait(["gate", "eval", "--policy", "policy.yaml", "--intent", "write.json", "--json"], {
      cwd: dir,
    });
    assertPublicValid(JSON.parse(readFileSync(join(dir, String(r.json?.trace_path)), "utf8")), "trace");
    assertPublicValid(
      JSON.parse(readFileSync(join(dir, String(r.json?.approval_audit_path)), "utf8")),
      "audit",
    );
  });

  it("approve then gate eval with the token allows; a prod trace verifies with gait trace verify", async () => {
    assert.equal((await runGait(["keys", "init", "--out-dir", "keys"], { cwd: dir })).code, 0);
    const prod = ["--key-mode", "prod", "--private-key", "keys/gait_private.key"];
    const first = await runGait(
      ["gate", "eval", "--policy", "policy.yaml", "--intent", "write.json", "--json", ...prod],
      {
        cwd: dir,
      },
    );
    assert.equal(first.code, 4);
    const approve = await runGait(
      [
        "approve",
        "--intent-digest",
        String(first.json?.intent_digest),
        "--policy-digest",
        String(first.json?.policy_digest),
        "--ttl",
        "1h",
        "--scope",
        "tool:tool.write",
        "--approver",
        "alice",
        "--reason-code",
        "ticket_42",
        "--out",
        "token.json",
        "--json",
        ...prod,
      ],
      { cwd: dir },
    );
    assert.equal(approve.code, 0, approve.stdout + approve.stderr);
    const granted = await runGait(
      [
        "gate",
        "eval",
        "--policy",
        "policy.yaml",
        "--intent",
        "write.json",
        "--approval-token",
        "token.json",
        "--json",
        ...prod,
      ],
      { cwd: dir },
    );
    assert.equal(granted.code, 0, granted.stdout);
    assert.equal(granted.json?.verdict, "allow");
    assert.ok((granted.json?.reason_codes as string[] | undefined)?.includes("approval_granted"));
    const verify = await runGait(
      ["trace", "verify", String(granted.json?.trace_path), "--public-key", "keys/gait_public.key", "--json"],
      { cwd: dir },
    );
    assert.equal(verify.code, 0);
    assert.equal(verify.json?.signature_status, "verified");
    const tracePath = join(dir, String(granted.json?.trace_path));
    const tampered = readFileSync(tracePath, "utf8").replace('"allow"', '"block"');
    writeFileSync(join(dir, "tampered.json"), tampered);
    const bad = await runGait(
      ["trace", "verify", "tampered.json", "--public-key", "keys/gait_public.key", "--json"],
      {
        cwd: dir,
      },
    );
    assert.equal(bad.code, 2);
  });

  it("--simulate reports what would have been blocked and exits 0", async () => {
    const r = await runGait(
      ["gate", "eval", "--policy", "policy.yaml", "--intent", "delete.json", "--simulate", "--json"],
      {
        cwd: dir,
      },
    );
    assert.equal(r.code, 0);
    assert.equal(r.json?.verdict, "allow");
    assert.equal(r.json?.would_have_blocked, true);
    assert.equal(r.json?.simulated_verdict, "block");
  });

  it("10 concurrent gate eval processes on one rate-limited rule count exactly", async () => {
    const state = "limits.json";
    const runs = await Promise.all(
      Array.from({ length: 10 }, () =>
        runGait(
          [
            "gate",
            "eval",
            "--policy",
            "policy.yaml",
            "--intent",
            "search.json",
            "--rate-limit-state",
            state,
            "--json",
          ],
          {
            cwd: dir,
          },
        ),
      ),
    );
    const verdicts = runs.map((r) => r.json?.verdict);
    assert.equal(
      verdicts.filter((v) => v === "allow").length,
      5,
      JSON.stringify(runs.map((r) => r.stdout + r.stderr)),
    );
    assert.equal(verdicts.filter((v) => v === "block").length, 5);
    const counters = JSON.parse(readFileSync(join(dir, state), "utf8")).counters;
    assert.equal(counters.length, 1);
    assert.equal(counters[0].count, 5);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith(".lock")));
  });

  it("an unnormalizable intent blocks (exit 3) when the policy fails closed for its risk class", async () => {
    writeFileSync(
      join(dir, "failclosed.yaml"),
      "default_verdict: allow\nfail_closed:\n  enabled: true\nrules:\n  - name: allow-all\n    effect: allow\n",
    );
    writeFileSync(join(dir, "bad-args.json"), JSON.stringify(intent({ args: "not-an-object" })));
    const r = await runGait(
      ["gate", "eval", "--policy", "failclosed.yaml", "--intent", "bad-args.json", "--json"],
      {
        cwd: dir,
      },
    );
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.deepEqual(r.json?.reason_codes, ["fail_closed_intent_invalid"]);
    assert.ok(readFileSync(join(dir, String(r.json?.trace_path)), "utf8").includes('"verdict": "block"'));
    const low = await runGait(["gate", "eval", "--policy", "failclosed.yaml", "--intent", "-", "--json"], {
      cwd: dir,
      input: JSON.stringify(
        intent({ args: "x", context: { identity: "a", workspace: "/w", risk_class: "low" } }),
      ),
    });
    assert.equal(low.code, 6, "outside the fail-closed risk classes a bad intent is an input error");
  });

  it("bad input exits 6 with the envelope", async () => {
    writeFileSync(join(dir, "broken.json"), "{not json");
    const r = await runGait(
      ["gate", "eval", "--policy", "policy.yaml", "--intent", "broken.json", "--json"],
      { cwd: dir },
    );
    assert.equal(r.code, 6);
    assert.equal(r.json?.ok, false);
    assert.equal(r.json?.error_code, "invalid_input");
    assert.equal(r.json?.detail_code, "invalid_json");
    const missing = await runGait(["gate", "eval", "--intent", "write.json", "--json"], { cwd: dir });
    assert.equal(missing.code, 6);
  });

  it("--explain --json returns a policy_explain object", { skip: publicSchemasSkip }, async () => {
    const r = await runGait(
      ["gate", "eval", "--policy", "policy.yaml", "--intent", "delete.json", "--explain", "--json"],
      {
        cwd: dir,
      },
    );
    assert.equal(r.code, 3);
    assert.equal(r.json?.schema_id, "gait.gate.policy_explain");
    // The CLI writer adds correlation_id (and warnings) to every JSON output; the rest is the artifact.
    const { correlation_id: _c, warnings: _w, ...explain } = r.json as Record<string, unknown>;
    assertPublicValid(explain, "explain");
  });
});

describe("approval-expired vector (e2e)", () => {
  it("gate eval exits 4 with approval_token_expired", { skip: conformanceSkip }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const f of ["approval-token.json", "approval_public.key", "intent.json", "policy.yaml"]) {
        copyFileSync(vectorPath("approval-expired", f), join(dir, f));
      }
      const r = await runGait(
        [
          "gate",
          "eval",
          "--policy",
          "policy.yaml",
          "--intent",
          "intent.json",
          "--approval-token",
          "approval-token.json",
          "--approval-public-key",
          "approval_public.key",
          "--json",
        ],
        { cwd: dir },
      );
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.equal(r.json?.verdict, "require_approval");
      assert.equal(r.json?.intent_digest, "5560b84bd90ae0b84079bd0125a27d74750fb25f55a62a12a6b718eaca3dca51");
      assert.equal(r.json?.policy_digest, "07a528a879e4f0e0cd5a0e2ca801924746b47dac624862207ef21d4ec266f8f9");
      assert.ok((r.json?.reason_codes as string[] | undefined)?.includes("approval_token_expired"));
    } finally {
      cleanup();
    }
  });
});
