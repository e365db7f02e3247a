import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { canonicalize } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { freezeWindowWarnings } from "../../src/gate/freeze.ts";
import {
  formatPolicyYaml,
  parsePolicyYaml,
  policyDigestInput,
  policyToDocument,
  yamlHasComments,
} from "../../src/gate/policy.ts";
import type { LoadedPolicy } from "../../src/gate/policy-model.ts";
import { FAIL_CLOSED_FIELDS, HIGH_RISK_FIELDS } from "../../src/gate/policy-schema.ts";
import { POLICY_TEMPLATE_NAMES, policyTemplate } from "../../src/gate/templates.ts";
import { publishedSchemaDocument, publishedSchemas } from "../../src/schemas.ts";
import { repoRoot } from "../helpers/cli.ts";
import { conformanceSkip, vectorPath } from "../helpers/conformance.ts";
import { publicSchemasSkip, validatePublicBySchemaFile } from "../helpers/public-schemas.ts";

const VECTOR_DIGEST = "07a528a879e4f0e0cd5a0e2ca801924746b47dac624862207ef21d4ec266f8f9";
const VECTOR_INPUT =
  '{"DefaultVerdict":"require_approval","FailClosed":{"Enabled":false,"RequiredFields":[],"RiskClasses":[]},"Rules":[],"SchemaID":"gait.gate.policy","SchemaVersion":"1.0.0"}';

const load = (text: string) => parsePolicyYaml(text, "test.yaml");
const policyOf = (text: string) => load(text).policy;
const ruleOf = (text: string) => policyOf(text).rules[0]!;

/** Asserts parsing fails with a coded exit-6 error whose message matches. */
function rejects(text: string, code: string, message: RegExp): GaitError {
  let caught: unknown;
  try {
    load(text);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof GaitError, `expected a GaitError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.exitCode, 6);
  assert.match(caught.message, message);
  return caught;
}

const rule = (body: string) => `rules:\n  - name: r\n    effect: allow\n${body}`;

describe("policy digest", () => {
  it("reproduces the reference vector for a policy with only default_verdict", () => {
    const loaded = load("default_verdict: require_approval\n");
    assert.equal(canonicalize(policyDigestInput(loaded.policy)), VECTOR_INPUT);
    assert.equal(loaded.policyDigest, VECTOR_DIGEST);
  });

  it("reproduces the vector from the conformance policy file", { skip: conformanceSkip }, () => {
    const text = readFileSync(vectorPath("approval-expired", "policy.yaml"), "utf8");
    assert.equal(load(text).policyDigest, VECTOR_DIGEST);
  });

  it("gives an explicit schema header and the implicit defaults the same digest", () => {
    const explicit = load(
      "schema_id: gait.gate.policy\nschema_version: 1.0.0\ndefault_verdict: REQUIRE_APPROVAL\n",
    );
    assert.equal(explicit.policyDigest, VECTOR_DIGEST);
  });

  it("always emits the seven core match lists and the rule header, other keys only when set", () => {
    const input = policyDigestInput(policyOf(rule("")));
    assert.deepEqual(input.Rules, [
      {
        Name: "r",
        Priority: 0,
        Effect: "allow",
        ReasonCodes: [],
        Violations: [],
        Match: {
          ToolNames: [],
          RiskClasses: [],
          TargetKinds: [],
          TargetValues: [],
          ProvenanceSources: [],
          Identities: [],
          WorkspacePrefixes: [],
        },
      },
    ]);
  });

  it("emits Scripts only when a script control is set, with max_steps as written", () => {
    assert.equal(policyDigestInput(policyOf("scripts: {}\n")).Scripts, undefined);
    assert.deepEqual(policyDigestInput(policyOf("scripts: {block_mixed_risk: true}\n")).Scripts, {
      MaxSteps: 0,
      RequireApprovalAbove: 0,
      BlockMixedRisk: true,
    });
  });

  it("emits RequiredHighRiskFields only when non-empty", () => {
    const input = policyDigestInput(policyOf("fail_closed: {required_high_risk_fields: [run_id]}\n"));
    assert.deepEqual(input.FailClosed, {
      Enabled: false,
      RiskClasses: [],
      RequiredFields: [],
      RequiredHighRiskFields: ["run_id"],
    });
  });

  it("renders empty sandbox path lists as null and other empty lists as []", () => {
    const input = policyDigestInput(policyOf(rule("    sandbox: {allowed_user_modes: [unprivileged]}\n")));
    const sandbox = (input.Rules as Array<Record<string, unknown>>)[0]!.Sandbox;
    assert.deepEqual(sandbox, {
      Enabled: true,
      AllowedNetworkModes: [],
      AllowedWritablePathPrefixes: null,
      RequiredReadOnlyRoots: null,
      AllowedEnvExposureModes: [],
      MaxTimeoutSeconds: 0,
      AllowedFilesystemIsolations: [],
      AllowedUserModes: ["unprivileged"],
    });
  });

  it("carries MinApprovals only when written; require_approval does not imply it at load", () => {
    const plain = policyDigestInput(policyOf("rules:\n  - name: r\n    effect: require_approval\n"));
    const rules = plain.Rules as Array<Record<string, unknown>>;
    assert.equal(rules[0]!.MinApprovals, undefined);
    assert.equal(rules[0]!.RequireDistinctApprovers, undefined);
    const two = policyDigestInput(
      policyOf("rules:\n  - name: r\n    effect: require_approval\n    min_approvals: 2\n"),
    );
    const twoRule = (two.Rules as Array<Record<string, unknown>>)[0]!;
    assert.equal(twoRule.MinApprovals, 2);
    assert.equal(twoRule.RequireDistinctApprovers, true);
  });
});

describe("policy parsing is strict", () => {
  it("rejects an unknown top-level key with its line and column", () => {
    const error = rejects(
      "default_verdict: allow\ndefault_verdit: block\n",
      "policy_unknown_field",
      /^test\.yaml:2:1: /,
    );
    assert.deepEqual(error.details, { path: "default_verdit", line: 2, column: 1, field: "default_verdit" });
    assert.match(error.hint, /did you mean "default_verdict"/);
  });

  it("rejects an unknown nested key with the YAML path, line and column", () => {
    const text =
      "rules:\n  - name: a\n    effect: allow\n  - name: b\n    effect: block\n    match:\n      tool_nmes: [x]\n";
    const error = rejects(
      text,
      "policy_unknown_field",
      /^test\.yaml:7:7: unknown field "tool_nmes" in rules\[1\]\.match/,
    );
    assert.equal(error.details?.path, "rules[1].match.tool_nmes");
  });

  it("rejects legacy draft keys with migration details", () => {
    const error = rejects(
      "version: 1\nname: demo\nboundaries: []\ndefault_verdict: allow\n",
      "policy_legacy_fields",
      /^legacy policy proposal fields are not supported \[boundaries, name, version\]/,
    );
    assert.deepEqual(error.details?.migration, {
      kind: "policy_field",
      fields: ["boundaries", "name", "version"],
    });
    for (const key of ["defaults", "trust_sources", "unknown_server"]) {
      rejects(`${key}: x\n`, "policy_legacy_fields", /legacy policy proposal fields/);
    }
  });

  it("rejects duplicate keys, bad YAML, empty documents and non-mappings", () => {
    rejects(
      "default_verdict: allow\ndefault_verdict: block\n",
      "policy_yaml_invalid",
      /^test\.yaml:2:1: .*duplicate key/,
    );
    rejects("rules: [\n", "policy_yaml_invalid", /invalid YAML/);
    rejects("", "policy_empty", /empty/);
    rejects("# only a comment\n", "policy_empty", /empty/);
    rejects("- a\n- b\n", "policy_invalid", /must be a YAML mapping/);
    rejects("a: 1\n---\nb: 2\n", "policy_yaml_invalid", /invalid YAML/);
  });

  it("names the path and position of type errors", () => {
    rejects(
      rule("    match:\n      tool_names: tool.read\n"),
      "policy_invalid",
      /^test\.yaml:5:19: rules\[0\]\.match\.tool_names: must be a list/,
    );
    rejects(
      rule("    priority: -1\n"),
      "policy_invalid",
      /rules\[0\]\.priority: must be a non-negative integer/,
    );
    rejects(rule("    priority: 1.5\n"), "policy_invalid", /rules\[0\]\.priority: must be an integer/);
    rejects(rule("    min_approvals: two\n"), "policy_invalid", /min_approvals: must be an integer/);
    rejects(rule("    require_declared_agent: yes\n"), "policy_invalid", /must be true or false/);
    rejects(rule("    match: [a]\n"), "policy_invalid", /rules\[0\]\.match: must be a mapping/);
    rejects("rules: {name: a}\n", "policy_invalid", /rules: must be a list/);
    rejects(
      rule("    match:\n      tool_names: [[a]]\n"),
      "policy_invalid",
      /tool_names\[0\]: must be a string/,
    );
  });

  it("rejects bad values with the path", () => {
    rejects("default_verdict: maybe\n", "policy_invalid", /default_verdict: unsupported value "maybe"/);
    rejects("default_verdict: allow\ndefault_action: block\n", "policy_invalid", /default_action: conflicts/);
    rejects(
      "rules:\n  - name: r\n    effect: allow\n    action: block\n",
      "policy_invalid",
      /rules\[0\]\.action: conflicts/,
    );
    rejects(
      "rules:\n  - name: r\n",
      "policy_invalid",
      /^test\.yaml:2:5: rules\[0\]: rule "r" needs an effect/,
    );
    rejects("rules:\n  - effect: allow\n", "policy_invalid", /rules\[0\]: rule name is required/);
    rejects("rules:\n  - name: '  '\n    effect: allow\n", "policy_invalid", /name is required/);
    rejects(
      "rules:\n  - name: r\n    effect: allow\n  - name: r\n    effect: block\n",
      "policy_invalid",
      /^test\.yaml:4:11: rules\[1\]\.name: duplicate rule name "r"/,
    );
    rejects("schema_id: gait.other\n", "policy_invalid", /schema_id: unsupported value/);
    rejects("schema_version: 2.0.0\n", "policy_invalid", /schema_version: unsupported value/);
    rejects(
      "fail_closed: {required_fields: [targets, agent_id]}\n",
      "policy_invalid",
      /required_fields: unsupported value\(s\) agent_id/,
    );
    rejects(
      "fail_closed: {required_high_risk_fields: [targets]}\n",
      "policy_invalid",
      /required_high_risk_fields/,
    );
    rejects("mcp_trust: {require_registry: true}\n", "policy_invalid", /mcp_trust\.snapshot: is required/);
    rejects(
      "mcp_trust: {snapshot: s.json, min_score: 1.5}\n",
      "policy_invalid",
      /min_score: must be between 0 and 1/,
    );
    rejects(
      "mcp_trust: {snapshot: s.json, max_age: soon}\n",
      "policy_invalid",
      /max_age: "soon" is not a duration/,
    );
    rejects(
      rule("    endpoint: {egress_classes: [net.http, fs.write]}\n"),
      "policy_invalid",
      /only net\.\* classes.*fs\.write/,
    );
    rejects(
      rule("    endpoint: {action: allow}\n"),
      "policy_invalid",
      /endpoint\.action: unsupported value "allow"/,
    );
    rejects(rule("    dataflow: {action: dry_run}\n"), "policy_invalid", /dataflow\.action/);
    rejects(rule("    rate_limit: {requests: 3, window: day}\n"), "policy_invalid", /rate_limit\.window/);
    rejects(
      rule("    destructive_budget: {requests: 3, scope: org}\n"),
      "policy_invalid",
      /destructive_budget\.scope/,
    );
    rejects(
      rule("    required_context_evidence_mode: best_effort\n"),
      "policy_invalid",
      /required_context_evidence_mode/,
    );
    rejects(rule("    required_agent_manifest_digest: abc\n"), "policy_invalid", /64 hex/);
    rejects(
      rule("    sandbox: {allowed_user_modes: [admin]}\n"),
      "policy_invalid",
      /allowed_user_modes: unsupported value\(s\) admin/,
    );
  });

  it("checks freeze windows: a zone is required; a bad zone or window loads with a warning", () => {
    const freeze = (body: string) => rule(`    freeze_window:\n${body}`);
    rejects(freeze("      effect: block\n"), "policy_invalid", /freeze_window\.timezone: is required/);
    // The reference loads these and blocks at evaluation (freeze_window_invalid_*); so do we.
    const warned = (text: string) => freezeWindowWarnings(policyOf(text));
    for (const zone of ["Mars/Olympus", "'+02:00'", "europe/paris"]) {
      assert.match(
        warned(freeze(`      timezone: ${zone}\n`)).join(),
        /not an IANA time zone.*freeze_window_invalid_timezone/,
      );
    }
    assert.equal(ruleOf(freeze("      timezone: US/Eastern\n")).freezeWindow?.timezone, "US/Eastern");
    assert.deepEqual(warned(freeze("      timezone: US/Eastern\n")), []);
    const window = (start: string, end: string) =>
      freeze(`      timezone: UTC\n      windows:\n        - start: "${start}"\n          end: "${end}"\n`);
    for (const [start, end] of [
      ["2026-02-30T00:00:00", "2026-03-01T00:00:00"],
      ["2026-01-01 00:00:00", "2026-03-01T00:00:00"],
      ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00"],
      ["2026-01-02T00:00:00", "2026-01-01T00:00:00"],
    ] as const) {
      assert.match(
        warned(window(start, end)).join(),
        /window "window-1" needs start and end.*freeze_window_invalid_window/,
      );
    }
    const ok = ruleOf(window("2026-01-01T00:00:00", "2026-01-01T00:00:01")).freezeWindow!;
    assert.deepEqual(ok.windows, [
      { name: "window-1", start: "2026-01-01T00:00:00", end: "2026-01-01T00:00:01" },
    ]);
    assert.equal(ok.effect, "block");
  });
});

describe("policy normalization", () => {
  it("defaults default_verdict to require_approval and accepts default_action as an alias", () => {
    assert.equal(policyOf("rules: []\n").defaultVerdict, "require_approval");
    assert.equal(policyOf("default_action: Block\n").defaultVerdict, "block");
    assert.equal(policyOf("default_verdict: allow\ndefault_action: ALLOW\n").defaultVerdict, "allow");
    assert.equal(load("default_action: require_approval\n").policyDigest, VECTOR_DIGEST);
  });

  it("accepts action as an alias of effect and merges tool_name and endpoint_class", () => {
    const r = ruleOf(
      "rules:\n  - name: r\n    action: Block\n    match:\n      tool_name: ' Tool.Write '\n      tool_names: [tool.read, tool.write]\n      endpoint_class: [FS.Write]\n      endpoint_classes: [fs.read]\n      discovery_method: [MCP]\n",
    );
    assert.equal(r.effect, "block");
    assert.deepEqual(r.match.toolNames, ["tool.read", "tool.write"]);
    assert.deepEqual(r.match.endpointClasses, ["fs.read", "fs.write"]);
    assert.deepEqual(r.match.discoveryMethods, ["mcp"]);
    const viaEffect = load(
      "rules:\n  - name: r\n    effect: block\n    match:\n      tool_names: [tool.write, tool.read]\n      endpoint_classes: [fs.write, fs.read]\n      discovery_method: [mcp]\n",
    );
    assert.equal(
      load(
        "rules:\n  - name: r\n    action: Block\n    match:\n      tool_name: ' Tool.Write '\n      tool_names: [tool.read, tool.write]\n      endpoint_class: [FS.Write]\n      endpoint_classes: [fs.read]\n      discovery_method: [MCP]\n",
      ).policyDigest,
      viaEffect.policyDigest,
    );
  });

  it("lower-cases most lists but keeps the case of identities, values, prefixes, agent ids and issuers", () => {
    const r = ruleOf(
      rule(
        [
          "    match:",
          "      risk_classes: [HIGH, high, ' Low ', '']",
          "      identities: [Alice, alice, Alice]",
          "      workspace_prefixes: [/Repo/A]",
          "      target_values: [/Tmp/X]",
          "      destination_values: [API.Example.com]",
          "      allowed_delegator_identities: [Lead]",
          "      allowed_delegate_identities: [Worker]",
          "      delegation_scopes: [WRITE]",
          "    allowed_agent_ids: [Agent-1]",
          "    denied_agent_ids: [Agent-2]",
          "    allowed_credential_issuers: [Issuer-A]",
          "    allowed_credential_sources: [GitHub_OIDC]",
          "    reason_codes: [Z_Code, a_code]",
          "",
        ].join("\n"),
      ),
    );
    assert.deepEqual(r.match.riskClasses, ["high", "low"]);
    assert.deepEqual(r.match.identities, ["Alice", "alice"]);
    assert.deepEqual(r.match.workspacePrefixes, ["/Repo/A"]);
    assert.deepEqual(r.match.targetValues, ["/Tmp/X"]);
    assert.deepEqual(r.match.destinationValues, ["API.Example.com"]);
    assert.deepEqual(r.match.allowedDelegatorIdentities, ["Lead"]);
    assert.deepEqual(r.match.allowedDelegateIdentities, ["Worker"]);
    assert.deepEqual(r.match.delegationScopes, ["write"]);
    assert.deepEqual(r.allowedAgentIds, ["Agent-1"]);
    assert.deepEqual(r.deniedAgentIds, ["Agent-2"]);
    assert.deepEqual(r.allowedCredentialIssuers, ["Issuer-A"]);
    assert.deepEqual(r.allowedCredentialSources, ["github_oidc"]);
    assert.deepEqual(r.reasonCodes, ["a_code", "z_code"]);
  });

  it("fills fail_closed, scripts and mcp_trust defaults", () => {
    const p = policyOf(
      "fail_closed: {enabled: true, required_fields: [Targets]}\nmcp_trust: {snapshot: ./s.json, max_age: 1440m}\n",
    );
    assert.deepEqual(p.failClosed, {
      enabled: true,
      riskClasses: ["critical", "high"],
      requiredFields: ["targets"],
      requiredHighRiskFields: [],
    });
    assert.equal(p.mcpTrust.enabled, true);
    assert.equal(p.mcpTrust.action, "block");
    assert.equal(p.mcpTrust.maxAge, "24h0m0s");
    assert.deepEqual(p.mcpTrust.requiredRiskClasses, ["critical", "high"]);
    assert.equal(policyOf("fail_closed: {risk_classes: [high]}\n").failClosed.enabled, false);
    assert.equal(policyOf("mcp_trust: {enabled: false}\n").mcpTrust.enabled, false);
    assert.deepEqual(policyOf("scripts: {max_steps: 0}\n").scripts, {
      maxSteps: 0,
      requireApprovalAbove: 0,
      blockMixedRisk: false,
      present: false,
    });
    assert.equal(policyOf("scripts: {max_steps: 10}\n").scripts.present, true);
  });

  it("turns constraint sections on when any sub-field is populated and fills their defaults", () => {
    const r = ruleOf(
      rule(
        "    dataflow: {destination_kinds: [Host]}\n    endpoint: {path_allowlist: ['C:\\work\\**']}\n    sandbox: {required_read_only_roots: ['/usr/', '/usr', '/a/./b/../c']}\n",
      ),
    );
    assert.deepEqual(r.dataflow, {
      enabled: true,
      taintedSources: ["external", "tool_output"],
      destinationKinds: ["host"],
      destinationValues: [],
      destinationOperations: [],
      action: "require_approval",
      reasonCode: "dataflow_tainted_destination",
      violation: "tainted_dataflow",
    });
    assert.deepEqual(r.endpoint, {
      enabled: true,
      pathAllowlist: ["C:/work/**"],
      pathDenylist: [],
      domainAllowlist: [],
      domainDenylist: [],
      egressClasses: [],
      action: "block",
      destructiveAction: "",
      reasonCode: "endpoint_constraint_violation",
      violation: "endpoint_constraint_violation",
    });
    assert.deepEqual(r.sandbox?.requiredReadOnlyRoots, ["/a/c", "/usr"]);
    assert.equal(r.sandbox?.allowedWritablePathPrefixes, null);
    const off = ruleOf(
      rule(
        "    dataflow: {enabled: false}\n    endpoint: {}\n    sandbox: {enabled: false}\n    freeze_window: {}\n",
      ),
    );
    assert.equal(off.dataflow, undefined);
    assert.equal(off.endpoint, undefined);
    assert.equal(off.sandbox, undefined);
    assert.equal(off.freezeWindow, undefined);
    assert.equal(ruleOf(rule("    dataflow: {enabled: true}\n")).dataflow?.enabled, true);
  });

  it("defaults rate limits to minute / tool_identity and forces distinct approvers above one approval", () => {
    const r = ruleOf(
      rule(
        "    rate_limit: {requests: 5}\n    destructive_budget: {requests: 2, window: HOUR, scope: tool}\n    min_approvals: 3\n",
      ),
    );
    assert.deepEqual(r.rateLimit, { requests: 5, window: "minute", scope: "tool_identity" });
    assert.deepEqual(r.destructiveBudget, { requests: 2, window: "hour", scope: "tool" });
    assert.equal(r.minApprovals, 3);
    assert.equal(r.requireDistinctApprovers, true);
    assert.equal(ruleOf(rule("    min_approvals: 1\n")).requireDistinctApprovers, false);
  });

  it("sorts rules by priority, then name in byte order", () => {
    const p = policyOf(
      [
        "rules:",
        "  - {name: b, effect: allow, priority: 2}",
        "  - {name: Z, effect: allow, priority: 1}",
        "  - {name: a, effect: allow, priority: 1}",
        "  - {name: é, effect: allow, priority: 1}",
        "  - {name: c, effect: allow}",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      p.rules.map((r) => r.name),
      ["c", "Z", "a", "é", "b"],
    );
  });

  it("reads null values as unset and plain scalars in string fields as their text", () => {
    const p = policyOf(
      "default_verdict:\nrules:\n  - name: 123\n    effect: allow\n    reason_codes: [1.50, true]\n",
    );
    assert.equal(p.defaultVerdict, "require_approval");
    assert.equal(p.rules[0]!.name, "123");
    assert.deepEqual(p.rules[0]!.reasonCodes, ["1.50", "true"]);
  });

  it("resolves YAML anchors and aliases", () => {
    const p = policyOf(
      "rules:\n  - name: a\n    effect: block\n    match: &m {tool_names: [tool.delete]}\n  - name: b\n    effect: block\n    match: *m\n",
    );
    assert.deepEqual(p.rules[1]!.match.toolNames, ["tool.delete"]);
  });
});

// ---------------------------------------------------------------------------------------------
// property tests: random valid policies

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const word = pick([
  "tool.read",
  "Tool.Write",
  "tool.delete",
  "critical",
  "HIGH",
  " low ",
  "a",
  "B",
  "x y",
  "",
  "é",
]);
const words = fc.array(word, { maxLength: 4 });
const verdict = pick(["allow", "block", "dry_run", "require_approval", "Block", "ALLOW"]);
const escalation = pick(["block", "require_approval", "BLOCK"]);
const opt = { requiredKeys: [] as never[] };

const localTime = fc
  .integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 })
  .map((seconds) => new Date(seconds * 1000).toISOString().slice(0, 19));
const window = fc
  .record({
    start: localTime,
    length: fc.integer({ min: 1, max: 10_000_000 }),
    name: fc.option(pick(["freeze", "Q4 close"]), { nil: undefined }),
  })
  .map(({ start, length, name }) => ({
    ...(name === undefined ? {} : { name }),
    start,
    end: new Date(Date.parse(`${start}Z`) + length * 1000).toISOString().slice(0, 19),
  }));
const limit = fc.record(
  {
    requests: fc.nat(10),
    window: pick(["minute", "hour", "Hour"]),
    scope: pick(["tool", "identity", "tool_identity"]),
  },
  opt,
);

const matchArb = fc.record(
  {
    tool_name: word,
    tool_names: words,
    risk_classes: words,
    target_kinds: words,
    target_values: words,
    endpoint_class: words,
    endpoint_classes: words,
    discovery_method: words,
    tool_annotations: fc.record(
      {
        readOnlyHint: fc.boolean(),
        destructiveHint: fc.boolean(),
        idempotentHint: fc.boolean(),
        openWorldHint: fc.boolean(),
      },
      opt,
    ),
    skill_publishers: words,
    data_classes: words,
    destination_values: words,
    destination_operations: words,
    provenance_sources: words,
    identities: words,
    workspace_prefixes: words,
    context_autonomy_levels: words,
    require_delegation: fc.boolean(),
    allowed_delegate_identities: words,
    delegation_scopes: words,
    max_delegation_depth: fc.nat(4),
  },
  opt,
);

const ruleBody = fc.record(
  {
    priority: fc.nat(3),
    effect: verdict,
    match: matchArb,
    reason_codes: words,
    violations: words,
    min_approvals: fc.nat(3),
    require_distinct_approvers: fc.boolean(),
    require_declared_agent: fc.boolean(),
    allowed_agent_ids: words,
    required_agent_manifest_digest: pick(["A".repeat(64), "0123456789abcdef".repeat(4)]),
    allowed_credential_issuers: words,
    max_credential_ttl_seconds: fc.nat(3600),
    required_context_evidence_mode: pick(["required", "Required"]),
    broker_reference: pick(["vault", " Vault "]),
    broker_scopes: words,
    freeze_window: fc.record(
      {
        enabled: fc.boolean(),
        timezone: pick(["UTC", "Europe/Paris", "America/New_York"]),
        effect: escalation,
        reason: pick(["change freeze", ""]),
        environments: words,
        windows: fc.array(window, { maxLength: 3 }),
      },
      { requiredKeys: ["timezone"] },
    ),
    sandbox: fc.record(
      {
        enabled: fc.boolean(),
        allowed_network_modes: fc.subarray(["disabled", "egress_allowlist", "full"]),
        allowed_writable_path_prefixes: fc.array(pick(["/tmp", "/tmp/", "/work/./a", "C:\\x"]), {
          maxLength: 3,
        }),
        max_timeout_seconds: fc.nat(600),
        allowed_user_modes: fc.subarray(["default", "root", "unprivileged"]),
      },
      opt,
    ),
    rate_limit: limit,
    destructive_budget: limit,
    dataflow: fc.record(
      {
        enabled: fc.boolean(),
        tainted_sources: words,
        destination_kinds: words,
        action: escalation,
        reason_code: word,
      },
      opt,
    ),
    endpoint: fc.record(
      {
        enabled: fc.boolean(),
        path_allowlist: words,
        domain_denylist: words,
        egress_classes: fc.subarray(["net.http", "net.dns", "NET.HTTP"]),
        action: escalation,
        destructive_action: escalation,
        violation: word,
      },
      opt,
    ),
  },
  { requiredKeys: ["effect"] },
);

const rulesArb = fc
  .uniqueArray(fc.stringMatching(/^[a-zA-Z][a-z0-9_-]{0,8}$/), { maxLength: 5 })
  .chain((names) =>
    fc
      .tuple(...names.map(() => ruleBody))
      .map((bodies) => bodies.map((body, i) => ({ name: names[i]!, ...body }))),
  );

const policyDocArb = fc.record(
  {
    schema_id: fc.constant("gait.gate.policy"),
    schema_version: fc.constant("1.0.0"),
    default_verdict: verdict,
    scripts: fc.record(
      { max_steps: fc.nat(100), require_approval_above: fc.nat(5), block_mixed_risk: fc.boolean() },
      opt,
    ),
    fail_closed: fc.record(
      {
        enabled: fc.boolean(),
        risk_classes: words,
        required_fields: fc.subarray([...FAIL_CLOSED_FIELDS]),
        required_high_risk_fields: fc.subarray([...HIGH_RISK_FIELDS]),
      },
      opt,
    ),
    mcp_trust: fc.record(
      {
        snapshot: pick(["./snapshot.json", "mcp/trust.json"]),
        action: escalation,
        required_risk_classes: words,
        min_score: fc.double({ min: 0, max: 1, noNaN: true }),
        max_age: pick(["24h", "1440m", "90m", "1h30m", "0.5h"]),
        publisher_allowlist: words,
        require_registry: fc.boolean(),
      },
      { requiredKeys: ["snapshot"] },
    ),
    rules: rulesArb,
  },
  opt,
);

/** A copy with every mapping's keys and every order-free list shuffled, duplicates and padding added. */
function reorder(value: unknown, random: () => number, key = ""): unknown {
  const shuffle = <T>(items: T[]) => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  if (Array.isArray(value)) {
    const items = value.map((item) => reorder(item, random));
    if (key === "windows") return items; // order gives default window names
    if (items.every((item) => typeof item === "string")) {
      const strings = items as string[];
      if (strings.length > 0 && random() < 0.5) strings.push(` ${strings[0]} `);
      return shuffle(strings);
    }
    return shuffle(items);
  }
  if (value !== null && typeof value === "object") {
    const entries = shuffle(Object.entries(value as Record<string, unknown>));
    return Object.fromEntries(entries.map(([k, v]) => [k, reorder(v, random, k)]));
  }
  return value;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const yamlStyle = pick(["any", "block", "flow"] as const);

describe("policy digest properties", () => {
  it("never changes when YAML keys or list items are reordered, duplicated or padded", () => {
    fc.assert(
      fc.property(policyDocArb, fc.integer(), yamlStyle, (doc, seed, style) => {
        const original = load(stringifyYaml(doc));
        const variant = load(stringifyYaml(reorder(doc, seeded(seed)), { collectionStyle: style }));
        assert.equal(variant.policyDigest, original.policyDigest);
      }),
      { numRuns: 300 },
    );
  });

  it("fmt round-trips: same digest after re-parsing, and formatting is idempotent", () => {
    fc.assert(
      fc.property(policyDocArb, (doc) => {
        const loaded = load(stringifyYaml(doc));
        const formatted = formatPolicyYaml(loaded.policy);
        const again = load(formatted);
        assert.equal(again.policyDigest, loaded.policyDigest);
        assert.deepEqual(again.policy, loaded.policy);
        assert.equal(formatPolicyYaml(again.policy), formatted);
      }),
      { numRuns: 300 },
    );
  });

  it("fmt output validates against the public policy schema and our published one", {
    skip: publicSchemasSkip,
  }, () => {
    const ours = publishedSchemas.find((entry) => entry.path === "gate/policy.schema.json");
    assert.ok(ours, "gate/policy.schema.json is registered in src/schemas.ts");
    const validateOurs = new Ajv2020({ strict: false }).compile(publishedSchemaDocument(ours));
    fc.assert(
      fc.property(policyDocArb, (doc) => {
        const document = parseYaml(formatPolicyYaml(load(stringifyYaml(doc)).policy));
        const result = validatePublicBySchemaFile("gate/policy.schema.json", document);
        assert.ok(result.ok, JSON.stringify(result));
        assert.ok(validateOurs(document), JSON.stringify(validateOurs.errors));
        assert.deepEqual(
          document,
          JSON.parse(JSON.stringify(policyToDocument(load(stringifyYaml(doc)).policy))),
        );
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// templates

describe("policy templates", () => {
  it("ships the three baselines", () => {
    assert.deepEqual(POLICY_TEMPLATE_NAMES, ["baseline-highrisk", "baseline-lowrisk", "baseline-mediumrisk"]);
    assert.throws(
      () => policyTemplate("baseline-none"),
      (e: unknown) => e instanceof GaitError && e.code === "unknown_policy_template",
    );
  });

  for (const name of POLICY_TEMPLATE_NAMES) {
    it(`${name}: the embedded text equals templates/policy/${name}.yaml`, () => {
      const onDisk = readFileSync(join(repoRoot, "templates", "policy", `${name}.yaml`), "utf8");
      assert.equal(policyTemplate(name), onDisk, "run `node scripts/gen-templates.mjs`");
    });

    it(`${name}: loads, is commented, and fmt round-trips`, () => {
      const text = policyTemplate(name);
      const loaded = load(text);
      assert.ok(loaded.policy.rules.length >= 3);
      assert.ok(yamlHasComments(text));
      assert.equal(load(formatPolicyYaml(loaded.policy)).policyDigest, loaded.policyDigest);
    });

    it(`${name}: validates against the public policy schema`, { skip: publicSchemasSkip }, () => {
      const result = validatePublicBySchemaFile("gate/policy.schema.json", parseYaml(policyTemplate(name)));
      assert.ok(result.ok, JSON.stringify(result));
    });
  }

  it("encode the documented postures", () => {
    const low = load(policyTemplate("baseline-lowrisk")).policy;
    const medium = load(policyTemplate("baseline-mediumrisk")).policy;
    const high = load(policyTemplate("baseline-highrisk")).policy;
    assert.equal(low.defaultVerdict, "allow");
    assert.equal(medium.defaultVerdict, "require_approval");
    assert.equal(high.defaultVerdict, "block");
    assert.deepEqual(high.failClosed.riskClasses, ["critical", "high"]);
    assert.equal(high.failClosed.enabled, true);
    assert.ok(high.rules.some((r) => r.effect === "block" && r.match.provenanceSources.includes("external")));
    assert.ok(high.rules.some((r) => r.destructiveBudget.requests > 0));
    assert.ok(high.rules.some((r) => r.endpoint?.enabled));
  });
});

// ---------------------------------------------------------------------------------------------
// fuzz: never anything but a policy or a coded exit-6 error

function loadOrCodedError(text: string): LoadedPolicy | GaitError {
  try {
    return load(text);
  } catch (error) {
    assert.ok(error instanceof GaitError, `uncoded error for ${JSON.stringify(text)}: ${String(error)}`);
    assert.equal(error.exitCode, 6, error.message);
    assert.match(error.code, /^policy_/);
    return error;
  }
}

const yamlChars = fc.constantFrom(..."ab01:-[]{},#&*!|>'\"% \n\t?@`~\\.".split(""));

function mutate(
  text: string,
  ops: Array<{ kind: number; at: number; length: number; char: string }>,
): string {
  let out = text;
  for (const op of ops) {
    const at = out.length === 0 ? 0 : op.at % out.length;
    const lines = out.split("\n");
    const line = lines.length === 0 ? 0 : op.at % lines.length;
    switch (op.kind) {
      case 0:
        out = out.slice(0, at) + out.slice(at + op.length);
        break;
      case 1:
        out = out.slice(0, at) + op.char + out.slice(at);
        break;
      case 2:
        lines.splice(line, 0, lines[line] ?? "");
        out = lines.join("\n");
        break;
      case 3:
        lines.splice(line, 1);
        out = lines.join("\n");
        break;
      default:
        out = out.slice(0, at) + op.char.repeat(op.length) + out.slice(at + 1);
    }
  }
  return out;
}

describe("policy fuzz", () => {
  it("random text gives a policy or a coded exit-6 error", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: yamlChars, maxLength: 200 })),
        (text) => {
          loadOrCodedError(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("mutated templates give a policy or a coded exit-6 error", () => {
    const op = fc.record({
      kind: fc.nat(4),
      at: fc.nat(100_000),
      length: fc.integer({ min: 1, max: 8 }),
      char: yamlChars,
    });
    fc.assert(
      fc.property(pick(POLICY_TEMPLATE_NAMES), fc.array(op, { minLength: 1, maxLength: 4 }), (name, ops) => {
        loadOrCodedError(mutate(policyTemplate(name), ops));
      }),
      { numRuns: 3000 },
    );
  });

  it("random values at known keys give a policy or a coded exit-6 error", () => {
    const anyValue = fc.jsonValue({ maxDepth: 2 });
    fc.assert(
      fc.property(policyDocArb, fc.nat(1000), anyValue, (doc, index, value) => {
        const paths: Array<[Record<string, unknown>, string]> = [];
        const walk = (node: unknown) => {
          if (Array.isArray(node)) node.forEach(walk);
          else if (node !== null && typeof node === "object") {
            for (const [k, v] of Object.entries(node)) {
              paths.push([node as Record<string, unknown>, k]);
              walk(v);
            }
          }
        };
        walk(doc);
        const target = paths[index % Math.max(paths.length, 1)];
        if (target) target[0][target[1]] = value;
        loadOrCodedError(stringifyYaml(doc));
      }),
      { numRuns: 1000 },
    );
  });
});
