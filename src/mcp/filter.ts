/**
 * `tools/list` filtering: hide the tools a policy blocks whatever the call. A tool is hidden only
 * when that is certain from the policy alone: some `block` rule names it and has no other
 * selector (so it matches every call of the tool), and no rule that runs before it (a lower
 * priority number) could match the tool at all. Within a tier the most restrictive verdict wins,
 * so rules of the same priority cannot rescue it. Anything less certain stays listed and is
 * decided per call.
 */
import type { Policy, PolicyRule, RuleMatch } from "../gate/index.ts";

/** The names (as the server declares them) of the tools the policy always blocks. */
export function alwaysBlockedTools(policy: Policy, toolNames: readonly string[]): Set<string> {
  const hidden = new Set<string>();
  for (const name of toolNames) {
    const tool = name.trim().toLowerCase();
    const blocker = policy.rules.find((rule) => blocksEveryCall(rule, tool));
    if (!blocker) continue;
    const earlier = policy.rules.some(
      (rule) => rule.priority < blocker.priority && couldMatch(rule.match, tool),
    );
    if (!earlier) hidden.add(name);
  }
  return hidden;
}

/** A block rule selecting the tool by name and by nothing else. */
function blocksEveryCall(rule: PolicyRule, tool: string): boolean {
  const { toolNames, toolAnnotations, requireDelegation, maxDelegationDepth, ...lists } = rule.match;
  return (
    rule.effect === "block" &&
    toolNames.includes(tool) &&
    toolAnnotations === undefined &&
    !requireDelegation &&
    maxDelegationDepth === 0 &&
    Object.values(lists).every((list) => list.length === 0)
  );
}

/** Whether the rule's tool names leave room for this tool (an empty list matches every tool). */
function couldMatch(match: RuleMatch, tool: string): boolean {
  return match.toolNames.length === 0 || match.toolNames.includes(tool);
}
