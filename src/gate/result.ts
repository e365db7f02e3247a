/** The decision as a `gait.gate.result` artifact (CONTRACTS.md §5.7), for evidence and audits. */
import { PRODUCER_VERSION } from "../contract/version.ts";
import type { GateOutcome } from "./gate-eval.ts";
import type { GateResult } from "./wire.ts";
import { GATE_RESULT_SCHEMA_ID, GATE_SCHEMA_VERSION } from "./wire-ids.ts";

export function buildGateResult(outcome: GateOutcome): GateResult {
  return {
    schema_id: GATE_RESULT_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: outcome.prepared.createdAt,
    producer_version: PRODUCER_VERSION,
    verdict: outcome.verdict,
    reason_codes: outcome.reasonCodes,
    violations: outcome.violations,
  };
}
