/** The decision as a `gait.gate.result` artifact (CONTRACTS.md §5.7), for evidence and audits. */
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { GateOutcome } from "./gate-eval.ts";
import type { Verdict } from "./policy-model.ts";

export const GATE_RESULT_SCHEMA_ID = "gait.gate.result";

export interface GateResult {
  schema_id: typeof GATE_RESULT_SCHEMA_ID;
  schema_version: "1.0.0";
  /** The intent's created_at in UTC (1980-01-01 when absent), never the wall clock. */
  created_at: string;
  producer_version: string;
  verdict: Verdict;
  reason_codes: string[];
  violations: string[];
}

export function buildGateResult(outcome: GateOutcome): GateResult {
  return {
    schema_id: GATE_RESULT_SCHEMA_ID,
    schema_version: "1.0.0",
    created_at: outcome.prepared.createdAt,
    producer_version: PRODUCER_VERSION,
    verdict: outcome.verdict,
    reason_codes: outcome.reasonCodes,
    violations: outcome.violations,
  };
}
