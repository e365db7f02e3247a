/**
 * The gate's wire definitions in use: the approval token guard agrees with the published schema
 * and drives token validation, the intent request's members come from its schema, and a trace
 * lists the context members it copies in a fixed order (its file bytes depend on it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createSchemaRegistry } from "../../src/contract/schema.ts";
import { generateSigningKey, signJson, verifyKeyFor, withoutSignature } from "../../src/contract/signing.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import {
  approvalExpectationFor,
  buildApprovalAudit,
  checkApprovalToken,
  compilePolicy,
  evaluateApprovals,
  isApprovalToken,
  mintApprovalToken,
  parsePolicyYaml,
  prepareIntent,
  singleKeyVerifier,
  TRACED_CONTEXT_FIELDS,
} from "../../src/gate/index.ts";
import { ApprovalTokenSchema } from "../../src/gate/wire.ts";
import { publishedSchemaDocument, publishedSchemaId, publishedSchemas } from "../../src/schemas.ts";
import { conformanceDir, conformanceSkip } from "../helpers/conformance.ts";
import { signedDecision } from "../helpers/gate.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const key = generateSigningKey();
const compiled = compilePolicy(
  parsePolicyYaml(
    `default_verdict: block
rules:
  - name: approve-writes
    priority: 1
    effect: require_approval
    match: { tool_names: [tool.write] }
`,
    "wire.yaml",
  ),
);
const request = {
  tool_name: "tool.write",
  args: { path: "/w/a" },
  targets: [{ kind: "path", value: "/w/a", operation: "write" }],
  context: { identity: "agent.a", workspace: "/w", risk_class: "high" },
};
const prepared = prepareIntent(request);
const expectation = approvalExpectationFor(
  prepared,
  compiled.policyDigest,
  { now: NOW },
  singleKeyVerifier(verifyKeyFor(key)),
);
const token = mintApprovalToken(
  {
    intentDigest: prepared.intentDigest,
    policyDigest: compiled.policyDigest,
    approver: "alice",
    reasonCode: "change_1",
    scope: ["tool:tool.write"],
    ttlNanos: parseGoDuration("1h"),
    maxOps: 2,
    now: NOW,
  },
  key,
);
/** `body` (a token without its signature), signed with the approval key. */
const signed = (body: Record<string, unknown>) => ({ ...body, signature: signJson(key, body) });

const ours = await createSchemaRegistry(publishedSchemas.map(publishedSchemaDocument)).load();
const tokenSchemaId = publishedSchemaId(publishedSchemas.find((e) => e.schema === ApprovalTokenSchema)!);

describe("isApprovalToken", () => {
  const unsigned = withoutSignature(token);
  const cases: Array<[string, unknown, boolean]> = [
    ["a minted token", token, true],
    ["a token without its signature", unsigned, true],
    ["upper-case digests (the schema allows either case)", { ...token, intent_digest: "A".repeat(64) }, true],
    ["an unknown member", { ...token, note: "x" }, false],
    ["an empty scope", { ...token, scope: [] }, false],
    ["an empty scope entry", { ...token, scope: [""] }, false],
    ["a short digest", { ...token, policy_digest: "abc" }, false],
    ["a fractional max_ops", { ...token, max_ops: 1.5 }, false],
    ["a negative max_targets", { ...token, max_targets: -1 }, false],
    ["another schema_id", { ...token, schema_id: "gait.gate.delegation_token" }, false],
    ["no producer_version", withoutSignature(unsigned, "producer_version"), false],
    ["a signature with an unknown member", { ...token, signature: { ...token.signature, x: 1 } }, false],
    ["a null signature", { ...token, signature: null }, false],
    ["not an object", "token", false],
  ];

  for (const [label, value, expected] of cases) {
    it(`${expected ? "accepts" : "rejects"} ${label}, as the published schema does`, () => {
      assert.equal(isApprovalToken(value), expected);
      assert.equal(ours.validate(tokenSchemaId, value).ok, expected);
    });
  }

  it("agrees with the public schema on its samples", { skip: conformanceSkip }, () => {
    for (const [file, expected] of [
      ["gate_approval_token_valid.json", true],
      ["gate_approval_token_invalid.json", false],
    ] as const) {
      const doc = JSON.parse(readFileSync(join(conformanceDir, "testdata", file), "utf8"));
      assert.equal(isApprovalToken(doc), expected, file);
    }
  });
});

describe("approval token validation reads tokens through the guard", () => {
  it("a token the schema refuses is approval_token_invalid, even when signed", () => {
    const { signature: _signature, ...body } = token;
    const check = checkApprovalToken(signed({ ...body, note: "x" }), expectation);
    assert.equal(check.errorCode, "approval_token_invalid");
  });

  it("signature problems keep their own codes: missing (absent or null) and invalid (malformed)", () => {
    const { signature, ...body } = token;
    assert.equal(checkApprovalToken(body, expectation).errorCode, "approval_token_signature_missing");
    assert.equal(
      checkApprovalToken({ ...body, signature: null }, expectation).errorCode,
      "approval_token_signature_missing",
    );
    assert.equal(
      checkApprovalToken({ ...body, signature: { ...signature, x: 1 } }, expectation).errorCode,
      "approval_token_signature_invalid",
    );
    assert.equal(checkApprovalToken(token, expectation).valid, true);
  });

  it("blank scope entries are dropped, so the audit record stays within its schema", {
    skip: publicSchemasSkip,
  }, () => {
    const { signature: _signature, ...body } = token;
    const padded = signed({ ...body, scope: ["tool:tool.write", " "] });
    const check = checkApprovalToken(padded, expectation);
    assert.equal(check.valid, true);
    assert.deepEqual(check.scope, ["tool:tool.write"]);
    const audit = buildApprovalAudit({
      createdAt: prepared.createdAt,
      traceId: "0123456789abcdef01234567",
      toolName: prepared.intent.tool_name,
      intentDigest: prepared.intentDigest,
      policyDigest: compiled.policyDigest,
      outcome: evaluateApprovals([padded], 1, false, expectation),
    });
    assertPublicValid(audit, "approval audit");
  });
});

describe("intent request members", () => {
  it("accepts the schema's members and names the ones it does not know", () => {
    const full = {
      schema_id: "gait.gate.intent_request",
      schema_version: "1.0.0",
      created_at: "2026-03-01T12:00:00Z",
      producer_version: "1.2.3",
      ...request,
      args_digest: "0".repeat(64),
      intent_digest: "0".repeat(64),
      script_hash: "0".repeat(64),
      arg_provenance: [{ arg_path: "$.path", source: "user" }],
      skill_provenance: { skill_name: "s", source: "registry", publisher: "acme" },
      delegation: { requester_identity: "agent.a" },
      relationship: { parent_ref: { kind: "session", id: "s1" } },
    };
    assert.equal(prepareIntent(full).intentDigest, prepareIntent({ ...full, relationship: {} }).intentDigest);
    assert.throws(() => prepareIntent({ ...full, extra: 1 }), /unknown intent request field\(s\) "extra"/);
  });
});

describe("trace records", () => {
  it("copy the context members in the reference's order", async () => {
    const context = {
      agent_action_bom_ref: "bom",
      wrkr_inventory_ref: "wi",
      approval_ref: "ctx-approval",
      credential_ttl_seconds: 300,
      credential_job_binding: "j",
      credential_run_binding: "r1",
      credential_target_binding: "t",
      credential_owner: "o",
      credential_subject: "s",
      credential_issuer: "gh",
      credential_access_type: "jit",
      credential_source: "github_oidc",
      credential_ref: "env:TOKEN_REF",
      environment: "prod",
      repo: "org/repo",
      workflow_id: "wf",
      run_id: "r1",
      agent_id: "agent.b",
      identity: "agent.b",
      workspace: "/w",
      risk_class: "high",
    };
    const { trace } = await signedDecision(
      {
        compiled,
        intent: { ...request, context },
        now: NOW,
      },
      key,
      "c0ffee",
    );
    const copied = Object.keys(trace).filter((k) => (TRACED_CONTEXT_FIELDS as string[]).includes(k));
    assert.deepEqual(copied, [
      "agent_id",
      "run_id",
      "workflow_id",
      "repo",
      "environment",
      "credential_ref",
      "credential_source",
      "credential_access_type",
      "credential_issuer",
      "credential_subject",
      "credential_owner",
      "credential_target_binding",
      "credential_run_binding",
      "credential_job_binding",
      "credential_ttl_seconds",
      "approval_ref",
      "wrkr_inventory_ref",
      "agent_action_bom_ref",
    ]);
    assert.equal(Object.keys(trace).indexOf("agent_id"), Object.keys(trace).indexOf("correlation_id") + 1);
  });
});
