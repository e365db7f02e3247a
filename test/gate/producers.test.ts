/**
 * Producer tests: every artifact the gate emits validates against the public v1 schema for its
 * schema_id and against ours (src/gate/wire.ts, published under schemas/v1/gate/), including the
 * optional parts (scripts, approvals, freeze windows, sandbox). That each published schema mirrors
 * its public counterpart is test/schemas-public.test.ts.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SignatureSchema } from "../../src/contract/artifact-schemas.ts";
import { createSchemaRegistry } from "../../src/contract/schema.ts";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import {
  buildGateResult,
  buildPolicyExplain,
  compilePolicy,
  mintApprovalToken,
  parsePolicyYaml,
  singleKeyVerifier,
} from "../../src/gate/index.ts";
import { gateWireSchemas } from "../../src/gate/wire.ts";
import {
  publishedSchemaDocument,
  publishedSchemaId,
  publishedSchemas,
  SCHEMA_ID_BASE,
} from "../../src/schemas.ts";
import { repoRoot } from "../helpers/cli.ts";
import { signedDecision } from "../helpers/gate.ts";
import { assertPublicValid, publicSchemaFileById, publicSchemasSkip } from "../helpers/public-schemas.ts";

/** Our published schemas, registered as they are written to schemas/v1. */
const ours = await createSchemaRegistry(publishedSchemas.map(publishedSchemaDocument)).load();
const _publishedGateSchemas = publishedSchemas.filter((entry) => entry.path.startsWith("gate/"));
const _wireSchemaPaths = new Set(Object.keys(gateWireSchemas).map((name) => `${name}.schema.json`));

/** Valid against the public schema for its schema_id and against ours at the same path. */
function assertValid(doc: unknown, what: string): void {
  assertPublicValid(doc, what);
  const file = publicSchemaFileById[(doc as { schema_id: string }).schema_id]!;
  const result = ours.validate(SCHEMA_ID_BASE + file, doc);
  assert.deepEqual(result, { ok: true }, `${what} does not validate against our schemas/v1/${file}`);
}

/** The envelope Gait writes is the strict one (contract/signature.schema.json), not just the v1 member. */
function assertStrictSignature(doc: { signature?: unknown }, what: string): void {
  const signatureId = publishedSchemaId(publishedSchemas.find((entry) => entry.schema === SignatureSchema)!);
  assert.deepEqual(ours.validate(signatureId, doc.signature), { ok: true }, `${what} signature`);
}

const now = Timestamp.parse("2026-03-02T10:00:00Z");
const key = generateSigningKey();

const policy = compilePolicy(
  parsePolicyYaml(
    `default_verdict: block
scripts: { require_approval_above: 1 }
rules:
  - name: approve-writes
    priority: 1
    effect: require_approval
    min_approvals: 1
    match: { tool_names: [tool.write, script] }
  - name: freeze-deploys
    priority: 2
    effect: allow
    match: { tool_names: [tool.deploy] }
    freeze_window:
      timezone: UTC
      windows: [{ start: "2026-03-01T00:00:00", end: "2026-03-03T00:00:00" }]
  - name: sandboxed-exec
    priority: 3
    effect: allow
    match: { tool_names: [tool.exec] }
    sandbox: { allowed_network_modes: [disabled], max_timeout_seconds: 60 }
`,
    "producers.yaml",
  ),
);

const context = {
  identity: "agent.a",
  workspace: "/w",
  risk_class: "high",
  session_id: "s1",
  agent_id: "agent.a",
};
const intents: Record<string, Record<string, unknown>> = {
  write: {
    tool_name: "tool.write",
    args: { path: "/w/a" },
    targets: [{ kind: "path", value: "/w/a", operation: "write" }],
    context,
  },
  deploy: {
    tool_name: "tool.deploy",
    args: {},
    targets: [{ kind: "url", value: "https://deploy.example/x" }],
    context,
  },
  exec: {
    tool_name: "tool.exec",
    args: { cmd: "ls" },
    targets: [{ kind: "other", value: "ls", operation: "exec" }],
    context: {
      ...context,
      sandbox: { network_mode: "disabled", timeout_seconds: 30, evidence_ref: "sbx/1" },
    },
  },
  script: {
    tool_name: "script",
    args: {},
    script: {
      steps: [
        { tool_name: "tool.read", args: {}, targets: [{ kind: "path", value: "/w/a", operation: "read" }] },
        { tool_name: "tool.write", args: {}, targets: [{ kind: "path", value: "/w/b", operation: "write" }] },
      ],
    },
    context,
  },
};

async function evaluateWithToken(name: string) {
  const first = await signedDecision(
    {
      compiled: policy,
      intent: intents[name],
      now: now,
    },
    key,
  );
  const token = mintApprovalToken(
    {
      intentDigest: first.prepared.intentDigest,
      policyDigest: policy.policyDigest,
      approver: "alice",
      reasonCode: "change_1",
      scope: ["*"],
      ttlNanos: parseGoDuration("1h"),
      maxTargets: 5,
      now,
    },
    key,
  );
  const granted = await signedDecision(
    {
      compiled: policy,
      intent: intents[name],
      now: now,
      approvalVerifier: singleKeyVerifier(verifyKeyFor(key)),
      approvalTokens: [token, { schema_id: "gait.gate.approval_token" }],
    },
    key,
  );
  return { first, token, granted };
}

describe("gate producers validate against the public v1 schemas", { skip: publicSchemasSkip }, () => {
  it("traces, gate results and explain objects for every kind of decision", async () => {
    for (const [name, intent] of Object.entries(intents)) {
      const result = await signedDecision(
        {
          compiled: policy,
          intent,
          now: now,
        },
        key,
      );
      assertValid(result.trace, `trace for ${name}`);
      assertStrictSignature(result.trace, `trace for ${name}`);
      assertValid(buildGateResult(result), `gate result for ${name}`);
      assertValid(
        buildPolicyExplain(result, result.trace.trace_id, { trace_path: "t.json" }),
        `explain for ${name}`,
      );
    }
  });

  it("approval tokens and approval audit records (valid and invalid tokens)", async () => {
    for (const name of ["write", "script"]) {
      const { token, granted } = await evaluateWithToken(name);
      assertValid(token, `approval token for ${name}`);
      assertStrictSignature(token, `approval token for ${name}`);
      assertValid(granted.trace, `granted trace for ${name}`);
      if (!granted.approvalAudit) throw new Error("expected an approval audit");
      assertValid(granted.approvalAudit, `approval audit for ${name}`);
    }
  });

  it("the example intents are valid intent requests", () => {
    const dir = join(repoRoot, "examples", "policy", "intents");
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      assertValid(JSON.parse(readFileSync(join(dir, file), "utf8")), file);
    }
  });
});
