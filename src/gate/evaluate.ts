/**
 * Policy evaluation (CONTRACTS.md §5.6): a pure function of a compiled policy, a normalized intent
 * and the evaluation time. Compilation turns list selectors into sets and patterns into
 * predicates once, so evaluating does no parsing, no regex construction and no I/O.
 */

import { sortedUnique } from "../contract/bytes.ts";
import { digestJcs, exceedsJsonDepth, isJsonObject, type JsonValue } from "../contract/canonical.ts";
import { isGaitError } from "../contract/errors.ts";
import { lowerCase, trimLower, trimSpace, withoutInvisibleCharacters } from "../contract/text.ts";
import { EPOCH_1980, Timestamp } from "../contract/time.ts";
import type { CredentialPosture, Decision, StepVerdict } from "./decision.ts";
import { applyFreezeWindow, type CompiledFreeze, compileFreeze } from "./freeze.ts";
import { type PrepareOptions, prepareIntent } from "./intent.ts";
import type { NormalizedIntent, PreparedIntent, Target } from "./intent-model.ts";
import { anyMatcher, compileDomainPattern, compilePathPattern, type Matcher } from "./patterns.ts";
import {
  type EndpointConstraint,
  type LoadedPolicy,
  type Policy,
  type PolicyRule,
  type SandboxConstraint,
  stricterVerdict,
  type Verdict,
} from "./policy-model.ts";

export interface EvaluateOptions {
  now: Timestamp;
}

interface CompiledRule {
  rule: PolicyRule;
  /** Position in evaluation order. */
  order: number;
  matches: (intent: NormalizedIntent) => boolean;
  endpoint?: CompiledEndpoint;
  freeze?: CompiledFreeze;
}

export interface CompiledPolicy {
  policy: Policy;
  policyDigest: string;
  /** Every rule, in evaluation order. */
  rules: CompiledRule[];
  /**
   * The only rules that can match a tool, in evaluation order: a rule that names tools matches
   * no other tool, so evaluation visits the tool's own rules and the rules that name none.
   */
  rulesByTool: Map<string, CompiledRule[]>;
  rulesForAnyTool: CompiledRule[];
  failClosedRisk: Set<string>;
}

export function compilePolicy(loaded: LoadedPolicy): CompiledPolicy {
  const { policy } = loaded;
  const rules = policy.rules.map(compileRule);
  const rulesByTool = new Map<string, CompiledRule[]>();
  const rulesForAnyTool: CompiledRule[] = [];
  for (const rule of rules) {
    const tools = rule.rule.match.toolNames;
    if (tools.length === 0) rulesForAnyTool.push(rule);
    for (const tool of new Set(tools)) {
      const list = rulesByTool.get(tool);
      if (list) list.push(rule);
      else rulesByTool.set(tool, [rule]);
    }
  }
  return {
    policy,
    policyDigest: loaded.policyDigest,
    rules,
    rulesByTool,
    rulesForAnyTool,
    failClosedRisk: new Set(policy.failClosed.enabled ? policy.failClosed.riskClasses : []),
  };
}

/** Normalizes a raw intent request, then evaluates it; normalization failures fail closed when configured. */
export function evaluateRequest(
  compiled: CompiledPolicy,
  raw: unknown,
  options: EvaluateOptions & PrepareOptions,
): { prepared: PreparedIntent; decision: Decision } {
  let prepared: PreparedIntent;
  try {
    prepared = prepareIntent(raw, options);
  } catch (error) {
    if (isGaitError(error) && compiled.failClosedRisk.has(rawRiskClass(raw))) {
      return {
        prepared: unevaluableIntent(raw),
        decision: failClosedDecision(["fail_closed_intent_invalid"], ["intent_not_evaluable"], []),
      };
    }
    throw error;
  }
  return { prepared, decision: evaluate(compiled, prepared.intent, options) };
}

/** What can be read from a request that failed normalization, so a block can still be traced. */
function unevaluableIntent(raw: unknown): PreparedIntent {
  const request = isJsonObject(raw) ? raw : {};
  const context = isJsonObject(request.context) ? request.context : {};
  const text = (value: unknown) => (typeof value === "string" ? trimSpace(value) : "");
  const intent: NormalizedIntent = {
    tool_name: lowerCase(text(request.tool_name)) || "unknown",
    args: {},
    targets: [],
    context: {
      identity: text(context.identity),
      workspace: text(context.workspace),
      risk_class: rawRiskClass(raw),
      phase: "apply",
    },
  };
  // A request too deep to canonicalize is identified by what could be read of it.
  const tooDeep = exceedsJsonDepth(raw);
  return {
    intent,
    intentDigest: digestJcs(tooDeep ? intent : raw),
    argsDigest: digestJcs(isJsonObject(request.args) && !tooDeep ? request.args : {}),
    createdAt: rawCreatedAt(request.created_at),
    producerVersion: text(request.producer_version),
    unevaluable: true,
  };
}

/** The request's created_at in UTC when it parses, else the 1980 epoch (as for a normalized intent). */
function rawCreatedAt(value: unknown): string {
  if (typeof value !== "string" || trimSpace(value) === "") return EPOCH_1980.toString();
  try {
    const at = Timestamp.parse(value).utc();
    return (at.isZero() ? EPOCH_1980 : at).toString();
  } catch {
    return EPOCH_1980.toString();
  }
}

/**
 * The risk class a request that failed normalization claims, for deciding whether to fail closed.
 * Invisible characters are dropped, so `high\u200b` fails closed like `high` rather than escaping.
 */
function rawRiskClass(raw: unknown): string {
  if (!isJsonObject(raw) || !isJsonObject(raw.context)) return "";
  const risk = raw.context.risk_class;
  return typeof risk === "string" ? trimLower(withoutInvisibleCharacters(risk)) : "";
}

export function evaluate(
  compiled: CompiledPolicy,
  intent: NormalizedIntent,
  options: EvaluateOptions,
): Decision {
  const failClosed = checkFailClosed(compiled, intent);
  if (failClosed) return failClosed;
  if (intent.script) return evaluateScript(compiled, intent, options);
  return evaluateSingle(compiled, intent, options);
}

// ---------------------------------------------------------------------------------------------
// fail closed

function checkFailClosed(compiled: CompiledPolicy, intent: NormalizedIntent): Decision | undefined {
  const { failClosed } = compiled.policy;
  if (!compiled.failClosedRisk.has(intent.context.risk_class)) return undefined;
  const reasons: string[] = [];
  const violations: string[] = [];
  const missing: string[] = [];
  const miss = (field: string, reason = `fail_closed_missing_${field}`, violation = `missing_${field}`) => {
    missing.push(field);
    reasons.push(reason);
    violations.push(violation);
  };
  for (const field of failClosed.requiredFields) {
    if (field === "targets" && intent.targets.length === 0) miss("targets");
    if (field === "arg_provenance" && !intent.arg_provenance) miss("arg_provenance");
    if (
      field === "endpoint_class" &&
      (intent.targets.length === 0 || intent.targets.some((t) => !t.endpoint_class))
    ) {
      miss("endpoint_class");
    }
    if (field === "delegation" && !intent.delegation) miss("delegation");
    if (field === "context_evidence" && !intent.context.context_set_digest) {
      miss("context_evidence", "context_evidence_missing", "missing_context_evidence");
    }
  }
  for (const field of failClosed.requiredHighRiskFields) {
    const value = (intent.context as unknown as Record<string, unknown>)[field];
    if (value === undefined || value === "" || value === 0) miss(field);
  }
  if (intent.targets.some((t) => !t.endpoint_class || t.endpoint_class === "other")) {
    reasons.push("fail_closed_endpoint_class_unknown");
    violations.push("endpoint_class_unknown");
  }
  if (reasons.length === 0) return undefined;
  return failClosedDecision(reasons, violations, missing);
}

function failClosedDecision(reasons: string[], violations: string[], missing: string[]): Decision {
  const decision = emptyDecision("block");
  decision.reasonCodes = sortedUnique(reasons);
  decision.violations = sortedUnique(violations);
  decision.missingFields = sortedUnique(missing);
  decision.failClosedReasonCodes = decision.reasonCodes;
  return decision;
}

function emptyDecision(verdict: Verdict): Decision {
  return {
    verdict,
    reasonCodes: [],
    violations: [],
    matchedRule: "",
    matchedRules: [],
    minApprovals: 0,
    requireDistinctApprovers: false,
    requireBrokerCredential: false,
    brokerReference: "",
    brokerScopes: [],
    brokerPostures: [],
    requireDelegation: false,
    delegationScopes: [],
    rateLimits: [],
    destructiveBudgets: [],
    missingFields: [],
    failClosedReasonCodes: [],
  };
}

// ---------------------------------------------------------------------------------------------
// single intents: priority tier, per-rule constraints, most restrictive wins

interface RuleOutcome {
  compiled: CompiledRule;
  effect: Verdict;
  reasons: string[];
  violations: string[];
  minApprovals: number;
  freeze?: Decision["freezeWindow"];
  sandbox?: Decision["sandbox"];
}

function evaluateSingle(
  compiled: CompiledPolicy,
  intent: NormalizedIntent,
  options: EvaluateOptions,
): Decision {
  const tier = matchingTier(compiled, intent);
  if (tier.length === 0) return defaultDecision(compiled.policy.defaultVerdict);
  const outcomes = tier.map((rule) => evaluateRule(rule, intent, options));
  return mergeTier(outcomes, intent);
}

/**
 * The first matching rule fixes the priority; every other matching rule of that priority joins.
 * Only the tool's candidate rules are visited (merged back into evaluation order); skipping the
 * others changes nothing, since they cannot match.
 */
function matchingTier(compiled: CompiledPolicy, intent: NormalizedIntent): CompiledRule[] {
  const named = compiled.rulesByTool.get(intent.tool_name) ?? noRules;
  const any = compiled.rulesForAnyTool;
  const tier: CompiledRule[] = [];
  let i = 0;
  let j = 0;
  while (i < named.length || j < any.length) {
    const takeNamed = j >= any.length || (i < named.length && named[i]!.order < any[j]!.order);
    const rule = takeNamed ? named[i++]! : any[j++]!;
    if (tier.length > 0 && rule.rule.priority !== tier[0]!.rule.priority) break;
    if (rule.matches(intent)) tier.push(rule);
  }
  return tier;
}

const noRules: CompiledRule[] = [];

function defaultDecision(verdict: Verdict): Decision {
  const decision = emptyDecision(verdict);
  decision.reasonCodes = [`default_${verdict}`];
  if (verdict === "require_approval") decision.minApprovals = 1;
  return decision;
}

function evaluateRule(
  compiled: CompiledRule,
  intent: NormalizedIntent,
  options: EvaluateOptions,
): RuleOutcome {
  const { rule } = compiled;
  const out: RuleOutcome = {
    compiled,
    effect: rule.effect,
    reasons:
      rule.reasonCodes.length > 0 ? [...rule.reasonCodes] : [`matched_rule_${sanitizeRuleName(rule.name)}`],
    violations: [...rule.violations],
    minApprovals: rule.minApprovals,
  };
  const raise = (effect: Verdict, reasons: string[], violations: string[]) => {
    out.effect = stricterVerdict(out.effect, effect);
    out.reasons.push(...reasons);
    out.violations.push(...violations);
  };
  applyDataflow(rule, intent, raise);
  if (compiled.endpoint) applyEndpoint(compiled.endpoint, intent, raise);
  applyContextEvidence(rule, intent, raise);
  applyAgentIdentity(rule, intent, options.now, raise);
  applyCredentials(rule, intent, raise);
  if (compiled.freeze) out.freeze = applyFreezeWindow(compiled.freeze, intent, options.now, raise);
  let sandboxCancelsDestructive = false;
  if (rule.sandbox?.enabled) {
    const sandboxViolations = sandboxCheck(rule.sandbox, intent);
    out.sandbox = { valid: sandboxViolations.length === 0, violations: sandboxViolations };
    if (sandboxViolations.length > 0) raise("block", sandboxViolations, sandboxViolations);
    else
      sandboxCancelsDestructive =
        intent.targets.length > 0 && intent.targets.every((t) => t.endpoint_class === "proc.exec");
  }
  if (!sandboxCancelsDestructive && intent.targets.some((t) => t.destructive)) {
    if (intent.context.phase === "plan") raise("dry_run", ["plan_phase_non_destructive"], []);
    else raise("require_approval", ["destructive_apply_requires_approval"], []);
  }
  if (out.effect === "require_approval" && out.minApprovals < 1) out.minApprovals = 1;
  return out;
}

function sanitizeRuleName(name: string): string {
  return lowerCase(name).replace(/[ -]/g, "_");
}

/**
 * The tier's decision: the most restrictive effect wins, and the rules that produced it (the
 * deciding ones) contribute their reasons and requirements. Plain loops over the outcomes, not
 * chains of array callbacks: this runs on every decision, and a server compiles it for as long
 * as it warms up (docs/performance.md, fifth pass).
 */
function mergeTier(outcomes: RuleOutcome[], intent: NormalizedIntent): Decision {
  const decision = emptyDecision(strictestEffect(outcomes));
  const names: string[] = [];
  const deciding: RuleOutcome[] = [];
  for (const outcome of outcomes) {
    const { rule } = outcome.compiled;
    decision.matchedRules.push({ name: rule.name, priority: rule.priority, effect: outcome.effect });
    names.push(rule.name);
    if (outcome.effect === decision.verdict) deciding.push(outcome);
  }
  decision.matchedRule = sortedUnique(names).join(",");
  const destructive = intent.targets.some((t) => t.destructive);
  mergeDeciding(decision, deciding, destructive);
  const freeze = engagedFreeze(deciding) ?? firstFreeze(outcomes);
  if (freeze) decision.freezeWindow = freeze;
  const sandbox = firstSandbox(deciding);
  if (sandbox) decision.sandbox = sandbox;
  return decision;
}

function strictestEffect(outcomes: RuleOutcome[]): Verdict {
  let verdict: Verdict = "allow";
  for (const outcome of outcomes) verdict = stricterVerdict(verdict, outcome.effect);
  return verdict;
}

/** What the deciding rules require, merged into `decision` (whose verdict they share). */
function mergeDeciding(decision: Decision, deciding: RuleOutcome[], destructive: boolean): void {
  const reasons: string[] = [];
  const violations: string[] = [];
  const brokerScopes: string[] = [];
  const delegationScopes: string[] = [];
  let minApprovals = 1;
  let distinctApprovers = false;
  for (const outcome of deciding) {
    const { rule } = outcome.compiled;
    appendAll(reasons, outcome.reasons);
    appendAll(violations, outcome.violations);
    if (outcome.minApprovals > minApprovals) minApprovals = outcome.minApprovals;
    if (rule.requireDistinctApprovers) distinctApprovers = true;
    if (rule.requireBrokerCredential) {
      decision.requireBrokerCredential = true;
      decision.brokerPostures.push(credentialPostureOf(rule));
    }
    if (decision.brokerReference === "" && rule.brokerReference)
      decision.brokerReference = rule.brokerReference;
    appendAll(brokerScopes, rule.brokerScopes);
    if (rule.match.requireDelegation) decision.requireDelegation = true;
    appendAll(delegationScopes, rule.match.delegationScopes);
    if (rule.rateLimit.requests > 0) decision.rateLimits.push({ rule: rule.name, limit: rule.rateLimit });
    if (destructive && rule.destructiveBudget.requests > 0) {
      decision.destructiveBudgets.push({ rule: rule.name, limit: rule.destructiveBudget });
    }
  }
  decision.reasonCodes = sortedUnique(reasons);
  decision.violations = sortedUnique(violations);
  decision.brokerScopes = sortedUnique(brokerScopes);
  decision.delegationScopes = sortedUnique(delegationScopes);
  if (decision.verdict === "require_approval") {
    decision.minApprovals = minApprovals;
    decision.requireDistinctApprovers = minApprovals > 1 || distinctApprovers;
  }
}

function appendAll(into: string[], values: readonly string[]): void {
  for (const value of values) into.push(value);
}

/** A deciding rule's freeze window that is in force (or pending), if any. */
function engagedFreeze(deciding: RuleOutcome[]): Decision["freezeWindow"] {
  for (const outcome of deciding)
    if (outcome.freeze && outcome.freeze.status !== "inactive") return outcome.freeze;
  return undefined;
}

function firstFreeze(outcomes: RuleOutcome[]): Decision["freezeWindow"] {
  for (const outcome of outcomes) if (outcome.freeze) return outcome.freeze;
  return undefined;
}

function firstSandbox(deciding: RuleOutcome[]): Decision["sandbox"] {
  for (const outcome of deciding) if (outcome.sandbox) return outcome.sandbox;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// scripts

type StepRisk = "low" | "medium" | "high";
const RISK_RANK: Record<StepRisk, number> = { low: 0, medium: 1, high: 2 };

function stepRisk(targets: Target[]): StepRisk {
  if (
    targets.some((t) => t.destructive || t.endpoint_class === "fs.delete" || t.endpoint_class === "proc.exec")
  ) {
    return "high";
  }
  if (targets.some((t) => ["fs.write", "net.http", "net.dns"].includes(t.endpoint_class ?? "")))
    return "medium";
  return "low";
}

function evaluateScript(
  compiled: CompiledPolicy,
  intent: NormalizedIntent,
  options: EvaluateOptions,
): Decision {
  const steps = intent.script!.steps;
  const stepDecisions = steps.map((step) => {
    const single: NormalizedIntent = {
      tool_name: step.tool_name,
      args: step.args,
      targets: step.targets ?? [],
      context: intent.context,
    };
    if (step.arg_provenance) single.arg_provenance = step.arg_provenance;
    if (intent.skill_provenance) single.skill_provenance = intent.skill_provenance;
    if (intent.delegation) single.delegation = intent.delegation;
    return evaluateSingle(compiled, single, options);
  });

  let verdict: Verdict = "allow";
  for (const d of stepDecisions) verdict = stricterVerdict(verdict, d.verdict);
  const reasons = stepDecisions.flatMap((d) => d.reasonCodes);
  const violations = stepDecisions.flatMap((d) => d.violations);
  const raise = (effect: Verdict, reason: string, violation?: string) => {
    verdict = stricterVerdict(verdict, effect);
    reasons.push(reason);
    if (violation) violations.push(violation);
  };
  const controls = compiled.policy.scripts;
  const maxSteps = controls.maxSteps > 0 ? controls.maxSteps : 64;
  if (steps.length > maxSteps) raise("block", "script_max_steps_exceeded", "script_max_steps_exceeded");
  if (controls.requireApprovalAbove > 0 && steps.length > controls.requireApprovalAbove) {
    raise("require_approval", "script_step_threshold_approval");
  }
  const risks = steps.map((s) => stepRisk(s.targets ?? []));
  if (controls.blockMixedRisk && new Set(risks).size > 1) {
    raise("block", "script_mixed_risk_blocked", "script_mixed_risk");
  }

  const decision = emptyDecision(verdict);
  decision.reasonCodes = sortedUnique(reasons);
  decision.violations = sortedUnique(violations);
  decision.matchedRules = stepDecisions.flatMap((d) => d.matchedRules);
  const ruleIds = sortedUnique(decision.matchedRules.map((r) => r.name));
  decision.matchedRule = ruleIds.join(",");
  if (verdict === "require_approval") {
    decision.minApprovals = Math.max(1, ...stepDecisions.map((d) => d.minApprovals));
    decision.requireDistinctApprovers =
      decision.minApprovals > 1 || stepDecisions.some((d) => d.requireDistinctApprovers);
  }
  const deciding = stepDecisions.filter((d) => d.verdict === verdict);
  decision.requireBrokerCredential = deciding.some((d) => d.requireBrokerCredential);
  decision.brokerReference = deciding.find((d) => d.brokerReference)?.brokerReference ?? "";
  decision.brokerScopes = sortedUnique(deciding.flatMap((d) => d.brokerScopes));
  decision.brokerPostures = deciding.flatMap((d) => d.brokerPostures);
  decision.requireDelegation = deciding.some((d) => d.requireDelegation);
  decision.delegationScopes = sortedUnique(deciding.flatMap((d) => d.delegationScopes));
  decision.rateLimits = stepDecisions.flatMap((d) => d.rateLimits);
  decision.destructiveBudgets = stepDecisions.flatMap((d) => d.destructiveBudgets);
  decision.script = {
    stepCount: steps.length,
    stepVerdicts: stepDecisions.map((d, index): StepVerdict => {
      const sv: StepVerdict = {
        index,
        tool_name: steps[index]!.tool_name,
        verdict: d.verdict,
        reason_codes: d.reasonCodes,
        violations: d.violations,
      };
      if (d.matchedRule) sv.matched_rule = d.matchedRule;
      return sv;
    }),
    compositeRiskClass: risks.reduce<StepRisk>((a, r) => (RISK_RANK[r] > RISK_RANK[a] ? r : a), "low"),
    matchedRuleIds: ruleIds,
  };
  return decision;
}

// ---------------------------------------------------------------------------------------------
// rule matching

function compileRule(rule: PolicyRule, order: number): CompiledRule {
  const compiled: CompiledRule = { rule, order, matches: compileMatch(rule) };
  if (rule.endpoint?.enabled) compiled.endpoint = compileEndpoint(rule.endpoint);
  if (rule.freezeWindow?.enabled) compiled.freeze = compileFreeze(rule.freezeWindow);
  return compiled;
}

type Predicate = (intent: NormalizedIntent) => boolean;

function compileMatch(rule: PolicyRule): Predicate {
  const m = rule.match;
  const checks: Predicate[] = [];
  const set = (values: string[]) => new Set(values);
  const anyTarget = (values: string[], pick: (t: Target) => string | undefined) => {
    const allowed = set(values);
    checks.push((i) => i.targets.some((t) => allowed.has(pick(t) ?? "")));
  };
  if (m.toolNames.length) {
    const s = set(m.toolNames);
    checks.push((i) => s.has(i.tool_name));
  }
  if (m.riskClasses.length) {
    const s = set(m.riskClasses);
    checks.push((i) => s.has(i.context.risk_class));
  }
  if (m.identities.length) {
    const s = set(m.identities);
    checks.push((i) => s.has(i.context.identity));
  }
  if (m.workspacePrefixes.length) {
    const prefixes = m.workspacePrefixes;
    checks.push((i) => prefixes.some((p) => i.context.workspace.startsWith(p)));
  }
  if (m.targetKinds.length) anyTarget(m.targetKinds, (t) => t.kind);
  if (m.targetValues.length) anyTarget(m.targetValues, (t) => t.value);
  if (m.endpointClasses.length) anyTarget(m.endpointClasses, (t) => t.endpoint_class);
  if (m.discoveryMethods.length) anyTarget(m.discoveryMethods, (t) => t.discovery_method);
  if (m.dataClasses.length) anyTarget(m.dataClasses, (t) => t.sensitivity);
  if (m.destinationKinds.length) anyTarget(m.destinationKinds, (t) => t.kind);
  if (m.destinationValues.length) anyTarget(m.destinationValues, (t) => t.value);
  if (m.destinationOperations.length) anyTarget(m.destinationOperations, (t) => t.operation);
  if (m.toolAnnotations) {
    const wanted: Array<[keyof Target, boolean]> = [];
    const a = m.toolAnnotations;
    if (a.readOnlyHint !== undefined) wanted.push(["read_only_hint", a.readOnlyHint]);
    if (a.destructiveHint !== undefined) wanted.push(["destructive_hint", a.destructiveHint]);
    if (a.idempotentHint !== undefined) wanted.push(["idempotent_hint", a.idempotentHint]);
    if (a.openWorldHint !== undefined) wanted.push(["open_world_hint", a.openWorldHint]);
    checks.push((i) => wanted.every(([key, value]) => i.targets.some((t) => (t[key] === true) === value)));
  }
  if (m.skillPublishers.length) {
    const s = set(m.skillPublishers);
    checks.push((i) => s.has(lowerCase(i.skill_provenance?.publisher ?? "")));
  }
  if (m.skillSources.length) {
    const s = set(m.skillSources);
    checks.push((i) => s.has(i.skill_provenance?.source ?? ""));
  }
  if (m.provenanceSources.length) {
    const s = set(m.provenanceSources);
    checks.push((i) => (i.arg_provenance ?? []).some((p) => s.has(p.source)));
  }
  const wrkr = (values: string[], key: string) => {
    if (!values.length) return;
    const s = set(values);
    checks.push((i) => {
      const value: JsonValue | undefined = i.context.auth_context?.[key];
      return typeof value === "string" && s.has(lowerCase(value));
    });
  };
  wrkr(m.contextToolNames, "wrkr.tool_name");
  wrkr(m.contextDataClasses, "wrkr.data_class");
  wrkr(m.contextEndpointClasses, "wrkr.endpoint_class");
  wrkr(m.contextAutonomyLevels, "wrkr.autonomy_level");
  compileDelegationMatch(rule, checks);
  return (intent) => {
    for (const check of checks) if (!check(intent)) return false;
    return true;
  };
}

function compileDelegationMatch(rule: PolicyRule, checks: Predicate[]): void {
  const m = rule.match;
  const anySelector =
    m.requireDelegation ||
    m.allowedDelegatorIdentities.length > 0 ||
    m.allowedDelegateIdentities.length > 0 ||
    m.delegationScopes.length > 0 ||
    m.maxDelegationDepth > 0;
  if (!anySelector) return;
  checks.push((i) => i.delegation !== undefined);
  if (m.allowedDelegatorIdentities.length) {
    const s = new Set(m.allowedDelegatorIdentities);
    checks.push((i) => (i.delegation?.chain ?? []).some((l) => s.has(l.delegator_identity)));
  }
  if (m.allowedDelegateIdentities.length) {
    const s = new Set(m.allowedDelegateIdentities);
    checks.push(
      (i) =>
        s.has(i.delegation?.requester_identity ?? "") ||
        (i.delegation?.chain ?? []).some((l) => s.has(l.delegate_identity)),
    );
  }
  if (m.delegationScopes.length) {
    const s = new Set(m.delegationScopes);
    checks.push(
      (i) =>
        s.has(i.delegation?.scope_class ?? "") ||
        (i.delegation?.chain ?? []).some((l) => s.has(l.scope_class ?? "")),
    );
  }
  if (m.maxDelegationDepth > 0) {
    const max = m.maxDelegationDepth;
    checks.push((i) => (i.delegation?.chain ?? []).length <= max);
  }
}

// ---------------------------------------------------------------------------------------------
// per-rule constraints

type Raise = (effect: Verdict, reasons: string[], violations: string[]) => void;

const defaultDestinationKinds = new Set(["host", "url", "bucket", "queue", "topic"]);

function applyDataflow(rule: PolicyRule, intent: NormalizedIntent, raise: Raise): void {
  const flow = rule.dataflow;
  if (!flow?.enabled) return;
  const tainted = (intent.arg_provenance ?? []).some((p) => flow.taintedSources.includes(p.source));
  if (!tainted) return;
  const filtered =
    flow.destinationKinds.length + flow.destinationValues.length + flow.destinationOperations.length > 0;
  const isDestination = (t: Target) =>
    filtered
      ? (flow.destinationKinds.length === 0 || flow.destinationKinds.includes(t.kind)) &&
        (flow.destinationValues.length === 0 || flow.destinationValues.includes(t.value)) &&
        (flow.destinationOperations.length === 0 || flow.destinationOperations.includes(t.operation ?? ""))
      : defaultDestinationKinds.has(t.kind);
  if (intent.targets.some(isDestination)) raise(flow.action, [flow.reasonCode], [flow.violation]);
}

interface CompiledEndpoint {
  spec: EndpointConstraint;
  pathAllowed?: Matcher;
  pathDenied?: Matcher;
  domainAllowed?: Matcher;
  domainDenied?: Matcher;
  egress: Set<string>;
}

function compileEndpoint(spec: EndpointConstraint): CompiledEndpoint {
  const compiled: CompiledEndpoint = { spec, egress: new Set(spec.egressClasses) };
  if (spec.pathAllowlist.length) compiled.pathAllowed = anyMatcher(spec.pathAllowlist, compilePathPattern);
  if (spec.pathDenylist.length) compiled.pathDenied = anyMatcher(spec.pathDenylist, compilePathPattern);
  if (spec.domainAllowlist.length)
    compiled.domainAllowed = anyMatcher(spec.domainAllowlist, compileDomainPattern);
  if (spec.domainDenylist.length)
    compiled.domainDenied = anyMatcher(spec.domainDenylist, compileDomainPattern);
  return compiled;
}

function applyEndpoint(endpoint: CompiledEndpoint, intent: NormalizedIntent, raise: Raise): void {
  const codes: string[] = [];
  for (const t of intent.targets) {
    if (t.kind === "path") {
      const path = t.value.replace(/\\/g, "/");
      if (endpoint.pathDenied?.(path)) codes.push("endpoint_path_denied");
      else if (endpoint.pathAllowed && !endpoint.pathAllowed(path))
        codes.push("endpoint_path_not_allowlisted");
    }
    const domain = t.endpoint_domain ?? "";
    if (domain) {
      if (endpoint.domainDenied?.(domain)) codes.push("endpoint_domain_denied");
      else if (endpoint.domainAllowed && !endpoint.domainAllowed(domain))
        codes.push("endpoint_domain_not_allowlisted");
    }
    const cls = t.endpoint_class ?? "";
    if (endpoint.egress.size > 0 && cls.startsWith("net.") && !endpoint.egress.has(cls)) {
      codes.push("endpoint_egress_class_not_allowed");
    }
  }
  const { spec } = endpoint;
  if (codes.length > 0) raise(spec.action, [...codes, spec.reasonCode], [...codes, spec.violation]);
  if (spec.destructiveAction && intent.targets.some((t) => t.destructive)) {
    raise(spec.destructiveAction, ["endpoint_destructive_operation"], ["destructive_operation"]);
  }
}

function applyContextEvidence(rule: PolicyRule, intent: NormalizedIntent, raise: Raise): void {
  const requiresMode = rule.requiredContextEvidenceMode === "required";
  if (!rule.requireContextEvidence && !requiresMode && rule.maxContextAgeSeconds <= 0) return;
  const ctx = intent.context;
  if (!ctx.context_set_digest) {
    raise("block", ["context_evidence_missing", "context_set_digest_missing"], ["missing_context_evidence"]);
    return;
  }
  if (requiresMode && ctx.context_evidence_mode !== "required") {
    raise("block", ["context_evidence_mode_mismatch"], ["context_evidence_mode_violation"]);
  }
  if (rule.maxContextAgeSeconds > 0) {
    const age = ctx.auth_context?.context_age_seconds;
    if (typeof age !== "number" || age > rule.maxContextAgeSeconds) {
      raise("block", ["context_freshness_exceeded"], ["context_freshness_violation"]);
    }
  }
}

function applyAgentIdentity(rule: PolicyRule, intent: NormalizedIntent, now: Timestamp, raise: Raise): void {
  const ctx = intent.context;
  const agentId = ctx.agent_id ?? "";
  const reasons: string[] = [];
  const violations: string[] = [];
  const fail = (reason: string, violation = reason) => {
    reasons.push(reason);
    violations.push(violation);
  };
  if ((rule.requireDeclaredAgent || rule.allowedAgentIds.length > 0) && !agentId) {
    fail("agent_unknown", "agent_not_declared");
  } else if (rule.allowedAgentIds.length > 0 && !rule.allowedAgentIds.includes(agentId)) {
    fail("agent_unknown", "agent_not_declared");
  }
  if (agentId && rule.deniedAgentIds.includes(agentId)) fail("agent_revoked");
  const needsIdentity =
    rule.requiredAgentManifestDigest !== "" ||
    rule.allowedAgentManifestPublishers.length > 0 ||
    rule.allowedAgentManifestSources.length > 0 ||
    rule.requiredAgentLifecycleStates.length > 0 ||
    rule.requireAgentOwner ||
    rule.requireUnexpiredAgent;
  const identity = ctx.agent_identity;
  if (needsIdentity && !identity) fail("agent_unknown", "agent_identity_missing");
  if (needsIdentity && identity) {
    if (identity.revoked) fail("agent_revoked");
    const manifest = identity.manifest_digest ?? "";
    if (rule.requiredAgentManifestDigest && manifest !== rule.requiredAgentManifestDigest) {
      fail("agent_manifest_mismatch");
    }
    const publisher = lowerCase(identity.publisher ?? "");
    if (
      rule.allowedAgentManifestPublishers.length &&
      !rule.allowedAgentManifestPublishers.includes(publisher)
    ) {
      fail("agent_manifest_mismatch");
    }
    const source = lowerCase(identity.source ?? "");
    if (rule.allowedAgentManifestSources.length && !rule.allowedAgentManifestSources.includes(source)) {
      fail("agent_manifest_mismatch");
    }
    const states = (identity.lifecycle_states ?? []).map((s) => lowerCase(s));
    if (rule.requiredAgentLifecycleStates.some((s) => !states.includes(s)))
      fail("agent_lifecycle_state_invalid");
    if (rule.requireAgentOwner && !identity.owner) fail("agent_owner_missing");
    if (rule.requireUnexpiredAgent && isExpired(identity.expires_at, now)) fail("agent_expired");
  }
  if (reasons.length > 0) raise("block", reasons, violations);
}

function isExpired(expiresAt: string, now: Timestamp): boolean {
  if (expiresAt.startsWith("0001-01-01")) return false;
  return Date.parse(expiresAt) <= now.epochMs();
}

const standingAccessTypes = new Set(["standing", "static", "inherited", "cloud_admin"]);

function credentialPostureOf(rule: PolicyRule): CredentialPosture {
  return {
    allowedSources: rule.allowedCredentialSources,
    allowedIssuers: rule.allowedCredentialIssuers,
    allowedAccessTypes: rule.allowedCredentialAccessTypes,
    maxTtlSeconds: rule.maxCredentialTtlSeconds,
    requireJit: rule.requireJitCredential,
    blockStanding: rule.blockStandingCredentials,
  };
}

function applyCredentials(rule: PolicyRule, intent: NormalizedIntent, raise: Raise): void {
  const anyControl =
    rule.blockStandingCredentials ||
    rule.allowedCredentialSources.length > 0 ||
    rule.allowedCredentialIssuers.length > 0 ||
    rule.allowedCredentialAccessTypes.length > 0 ||
    rule.maxCredentialTtlSeconds > 0 ||
    rule.requireJitCredential;
  if (!anyControl) return;
  const ctx = intent.context;
  const codes: string[] = [];
  const source = ctx.credential_source ?? "";
  const accessType = ctx.credential_access_type ?? "";
  if (!ctx.credential_ref && !source && !accessType) codes.push("credential_evidence_missing");
  if (rule.blockStandingCredentials && standingAccessTypes.has(accessType))
    codes.push("standing_credential_disallowed");
  if (rule.allowedCredentialSources.length) {
    if (!source || source === "unknown") codes.push("credential_source_unknown");
    else if (!rule.allowedCredentialSources.includes(source)) codes.push("credential_source_disallowed");
  }
  if (
    rule.allowedCredentialIssuers.length &&
    !rule.allowedCredentialIssuers.includes(ctx.credential_issuer ?? "")
  ) {
    codes.push("credential_issuer_disallowed");
  }
  if (rule.allowedCredentialAccessTypes.length) {
    if (!accessType || accessType === "unknown") codes.push("credential_access_type_unknown");
    else if (!rule.allowedCredentialAccessTypes.includes(accessType))
      codes.push("credential_access_type_disallowed");
  }
  if (rule.requireJitCredential && accessType !== "jit") codes.push("credential_not_jit");
  if (rule.maxCredentialTtlSeconds > 0) {
    const ttl = ctx.credential_ttl_seconds ?? 0;
    if (ttl === 0 || ttl > rule.maxCredentialTtlSeconds) codes.push("credential_ttl_exceeded");
  }
  if (
    ctx.credential_target_binding &&
    !intent.targets.some((t) => t.value === ctx.credential_target_binding)
  ) {
    codes.push("credential_target_binding_mismatch");
  }
  if (ctx.credential_run_binding && ctx.credential_run_binding !== (ctx.run_id ?? "")) {
    codes.push("credential_run_binding_mismatch");
  }
  if (ctx.credential_job_binding && ctx.credential_job_binding !== (ctx.job_id ?? "")) {
    codes.push("credential_job_binding_mismatch");
  }
  if (codes.length > 0) raise("block", codes, codes);
}

function sandboxCheck(spec: SandboxConstraint, intent: NormalizedIntent): string[] {
  const sandbox = intent.context.sandbox;
  if (!sandbox) return ["sandbox_metadata_missing"];
  const codes: string[] = [];
  if (!sandbox.evidence_ref && !sandbox.evidence_digest) codes.push("sandbox_evidence_missing");
  const enumCheck = (allowed: string[], value: string | undefined, name: string) => {
    if (!allowed.length) return;
    if (!value) codes.push(`sandbox_${name}_missing`);
    else if (!allowed.includes(value)) codes.push(`sandbox_${name}_disallowed`);
  };
  enumCheck(spec.allowedNetworkModes, sandbox.network_mode, "network_mode");
  enumCheck(spec.allowedEnvExposureModes, sandbox.env_exposure_mode, "env_exposure_mode");
  enumCheck(spec.allowedFilesystemIsolations, sandbox.filesystem_isolation, "filesystem_isolation");
  enumCheck(spec.allowedUserModes, sandbox.user_mode, "user_mode");
  if (spec.maxTimeoutSeconds > 0) {
    if (!sandbox.timeout_seconds) codes.push("sandbox_timeout_missing");
    else if (sandbox.timeout_seconds > spec.maxTimeoutSeconds) codes.push("sandbox_timeout_exceeded");
  }
  const prefixes = spec.allowedWritablePathPrefixes ?? [];
  if (prefixes.length) {
    const outside = (sandbox.writable_paths ?? []).some(
      (p) =>
        !prefixes.some(
          (prefix) => p === prefix || p.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`),
        ),
    );
    if (outside) codes.push("sandbox_writable_path_disallowed");
  }
  const roots = sandbox.read_only_roots ?? [];
  if ((spec.requiredReadOnlyRoots ?? []).some((r) => !roots.includes(r)))
    codes.push("sandbox_read_only_root_missing");
  return sortedUnique(codes);
}
