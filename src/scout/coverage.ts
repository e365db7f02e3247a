/**
 * Coverage of a snapshot by policies (REFERENCE.md §3 v1.1-2): a discovered tool is gated when a
 * rule of a listed policy names it in `match.tool_names` (names compared trimmed, lower case, as
 * the gate normalises them). Pure: the policies come loaded.
 */
import { sortedUnique } from "../contract/bytes.ts";
import type { LoadedPolicy } from "../gate/index.ts";
import { SNAPSHOT_CREATED_AT } from "./snapshot.ts";
import {
  type CoverageReport,
  type InventorySnapshot,
  SCOUT_SCHEMA_VERSION,
  ScoutSchemaIds,
} from "./types.ts";

const toolKey = (name: string) => name.trim().toLowerCase();

export function coverageReport(
  snapshot: InventorySnapshot,
  policies: readonly LoadedPolicy[],
): CoverageReport {
  const named = new Set<string>();
  for (const { policy } of policies) {
    for (const rule of policy.rules) for (const name of rule.match.toolNames) named.add(toolKey(name));
  }
  const tools = snapshot.items.filter((item) => item.kind === "tool");
  const discovered = sortedUnique(tools.map((t) => toolKey(t.name)));
  const gated = discovered.filter((name) => named.has(name));
  const ungated = discovered.filter((name) => !named.has(name));
  const highRiskUngated = sortedUnique(
    tools
      .filter((t) => (t.risk_level === "high" || t.risk_level === "critical") && !named.has(toolKey(t.name)))
      .map((t) => t.id),
  );
  return {
    schema_id: ScoutSchemaIds.coverage,
    schema_version: SCOUT_SCHEMA_VERSION,
    created_at: SNAPSHOT_CREATED_AT,
    producer_version: snapshot.producer_version,
    snapshot_id: snapshot.snapshot_id,
    discovered_tools: discovered.length,
    gated_tools: gated.length,
    high_risk_ungated_tools: highRiskUngated.length,
    coverage_percent:
      discovered.length === 0 ? 100 : Math.round((gated.length / discovered.length) * 10000) / 100,
    policy_digests: policies.map((p) => p.policyDigest),
    discovered_tool_names: discovered,
    gated_tool_names: gated,
    ungated_tool_names: ungated,
    high_risk_ungated_tool_ids: highRiskUngated,
  };
}
