/**
 * One decision, one JSON shape: `gait gate eval --json`, the sidecar's POST /v1/evaluate and the
 * SDK (decisionToJson, as a refusal carries it) give byte-equal decisions for the same intent,
 * once the members that legitimately differ are removed (envelope members and file paths).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { canonicalize } from "../../src/contract/canonical.ts";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  verifyKeyFor,
} from "../../src/contract/signing.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import { mintApprovalToken, parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";
import { publishedSchemaDocument, publishedSchemas } from "../../src/schemas.ts";
import { createGate, decisionToJson, type Gate } from "../../src/sdk/index.ts";
import { runGait, tempDir } from "../helpers/cli.ts";
import { call, type ServeProcess, startServe } from "../sidecar/support.ts";

const POLICY = `default_verdict: block
rules:
  - name: allow-read
    effect: allow
    match: { tool_names: [tool.read] }
  - name: approve-write
    effect: require_approval
    match: { tool_names: [tool.write, script] }
  - name: plan-deploys
    effect: dry_run
    match: { tool_names: [tool.deploy] }
  - name: limited-search
    effect: allow
    match: { tool_names: [tool.search] }
    rate_limit: { requests: 5, window: hour, scope: tool }
`;

const intent = (tool: string, extra: Record<string, unknown> = {}) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-03-01T12:00:00Z",
  producer_version: "test/1.0.0",
  tool_name: tool,
  args: { path: "/work/a.txt" },
  targets: [{ kind: "path", value: "/work/a.txt", operation: tool === "tool.read" ? "read" : "write" }],
  context: { identity: "agent.test", workspace: "/work", risk_class: "low" },
  ...extra,
});

const script = intent("script", {
  script: {
    steps: [
      { tool_name: "tool.read", args: {}, targets: [{ kind: "path", value: "/w/a", operation: "read" }] },
      { tool_name: "tool.write", args: {}, targets: [{ kind: "path", value: "/w/b", operation: "write" }] },
    ],
  },
});

const validDecision = new Ajv2020({ strict: false }).compile(
  publishedSchemaDocument(publishedSchemas.find((entry) => entry.path === "gate/decision.schema.json")!),
);

/** What may differ between emitters: envelope members and where files went. */
const VARYING = ["ok", "correlation_id", "warnings", "trace_path", "approval_audit_path"];
const comparable = (json: Record<string, unknown>) =>
  canonicalize(Object.fromEntries(Object.entries(json).filter(([key]) => !VARYING.includes(key))));

describe("the CLI, the sidecar and the SDK emit the same decision JSON", () => {
  let dir: string;
  let cleanup: () => void;
  let server: ServeProcess;
  let gate: Gate;
  const signingKey = generateSigningKey();
  const approver = generateSigningKey();

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-decision-json-"));
    writeFileSync(join(dir, "policy.yaml"), POLICY);
    writeFileSync(join(dir, "gait_private.key"), `${encodePrivateKey(signingKey)}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "approver_public.key"), `${encodePublicKey(approver)}\n`);
    const keys = ["--key-mode", "prod", "--private-key", "gait_private.key"];
    const approval = ["--approval-public-key", "approver_public.key"];
    server = await startServe(["--policy", "policy.yaml", "--listen", "127.0.0.1:0", ...keys, ...approval], {
      cwd: dir,
    });
    gate = await createGate({
      policy: "policy.yaml",
      signingKey,
      approvalPublicKey: verifyKeyFor(approver),
      traceDir: "sdk-traces",
      cwd: dir,
    });
  });
  after(async () => {
    await gate.close();
    await server.stop("SIGKILL");
    cleanup();
  });

  it("for allow, block, require_approval, approval granted, dry_run, scripts and rate limits", async () => {
    const policyDigest = parsePolicyYaml(POLICY, "policy.yaml").policyDigest;
    const token = mintApprovalToken(
      {
        intentDigest: prepareIntent(intent("tool.write")).intentDigest,
        policyDigest,
        approver: "alice",
        reasonCode: "change_1",
        scope: ["tool:tool.write"],
        ttlNanos: parseGoDuration("1h"),
        now: Timestamp.fromEpochMs(Date.now()),
      },
      approver,
    );
    writeFileSync(join(dir, "token.json"), JSON.stringify(token));
    const cases: Array<[string, Record<string, unknown>, unknown[]]> = [
      ["allow", intent("tool.read"), []],
      ["block", intent("tool.delete"), []],
      ["require_approval", intent("tool.write"), []],
      ["approval granted", intent("tool.write"), [token]],
      ["dry_run", intent("tool.deploy"), []],
      ["script", script, []],
      ["rate limited", intent("tool.search"), []],
    ];
    for (const [name, request, tokens] of cases) {
      const file = `${name.replaceAll(" ", "_")}.json`;
      writeFileSync(join(dir, file), JSON.stringify(request));
      const cli = await runGait(
        [
          ...["gate", "eval", "--policy", "policy.yaml", "--intent", file, "--json", "--no-config"],
          ...["--key-mode", "prod", "--private-key", "gait_private.key"],
          ...["--approval-public-key", "approver_public.key", "--rate-limit-state", `${name}-limits.json`],
          ...(tokens.length > 0 ? ["--approval-token", "token.json"] : []),
        ],
        { cwd: dir },
      );
      assert.ok(cli.json, `${name}: ${cli.stdout}${cli.stderr}`);
      const sidecar = await call(server.url, "/v1/evaluate", {
        body: { intent: request, approval_tokens: tokens },
        token: server.token,
      });
      const sdk = decisionToJson(await gate.evaluateAsync(request as never, { approvalTokens: tokens }));
      for (const [emitter, json] of [
        ["CLI", cli.json],
        ["sidecar", sidecar.json],
        ["SDK", sdk],
      ] as const) {
        const { ok: _ok, correlation_id: _id, warnings: _w, ...decision } = json as Record<string, unknown>;
        assert.ok(
          validDecision(decision),
          `${name}: ${emitter} output fits gate/decision.schema.json: ${JSON.stringify(validDecision.errors)}`,
        );
      }
      const expected = comparable(sdk as Record<string, unknown>);
      assert.equal(comparable(cli.json), expected, `${name}: CLI vs SDK`);
      assert.equal(comparable(sidecar.json), expected, `${name}: sidecar vs SDK`);
    }
  });
});
