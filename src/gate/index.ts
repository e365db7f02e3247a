/** The gate module's public face: intents, policies, evaluation, approvals, traces, rate limits. */
export * from "./approval.ts";
export * from "./approval-ledger.ts";
export * from "./approvers.ts";
export * from "./credential.ts";
export type * from "./decision.ts";
// Delegation and approved-script checks (delegation.ts, approved-scripts.ts) are not exported
// here: callers import them when tokens or a registry are given, so a plain decision never loads them.
export * from "./delegation-outcome.ts";
export {
  type CompiledPolicy,
  compilePolicy,
  evaluate,
  evaluateRequest,
} from "./evaluate.ts";
export * from "./explain.ts";
export { freezeWindowWarnings } from "./freeze.ts";
export * from "./gate-eval.ts";
export * from "./gate-grants.ts";
export { carriesCredential, type IntentInputs, isPreparedIntent, prepareIntent } from "./intent.ts";
export type * from "./intent-model.ts";
export * from "./limits.ts";
export { formatPolicyYaml, loadPolicyFile, parsePolicyYaml, yamlHasComments } from "./policy.ts";
export { loadPolicyFileWithCache } from "./policy-cache.ts";
export * from "./policy-model.ts";
export * from "./ratelimit.ts";
export * from "./result.ts";
export * from "./setup.ts";
export { POLICY_TEMPLATE_NAMES, policyTemplate } from "./templates.ts";
export * from "./trace.ts";
export * from "./trace-file.ts";
// The wire types, ids and runtime guards; the TypeBox schemas themselves are imported from
// wire.ts by the few that need them (schema publishing, tests), so the decision path never builds them.
export type * from "./wire.ts";
export * from "./wire-ids.ts";
export * from "./wire-runtime.ts";
