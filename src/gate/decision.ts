/** What `evaluate` returns: a verdict and everything that explains or constrains it. */
import type { FreezeOutcome } from "./freeze.ts";
import type { RateLimit, Verdict } from "./policy-model.ts";

export interface MatchedRule {
  name: string;
  priority: number;
  effect: Verdict;
}

export interface StepVerdict {
  index: number;
  tool_name: string;
  verdict: Verdict;
  reason_codes: string[];
  violations: string[];
  matched_rule?: string;
}

/** A rule's credential controls (empty lists and 0 mean unconstrained). */
export interface CredentialPosture {
  allowedSources: string[];
  allowedIssuers: string[];
  allowedAccessTypes: string[];
  maxTtlSeconds: number;
  requireJit: boolean;
  blockStanding: boolean;
}

/** A kill-switch check of one decision (kill-switch.ts); rendered as the trace's `kill_switch`. */
export interface KillSwitchOutcome {
  /** `active`: an entry matched and the decision blocks; `unavailable`: the state was unreadable and it blocks too. */
  status: "active" | "inactive" | "unavailable";
  /** `kill_switch_active` and the selector codes, or `kill_switch_state_unavailable`; empty when inactive. */
  reasonCodes: string[];
  matchedEntryIds: string[];
  evaluatedAt: string;
}

export interface LimitRequirement {
  rule: string;
  limit: RateLimit;
}

export interface Decision {
  verdict: Verdict;
  reasonCodes: string[];
  violations: string[];
  /** Sorted unique names of the matched rules of the deciding tier, joined by ",". */
  matchedRule: string;
  matchedRules: MatchedRule[];
  /** Approvals needed when the verdict is require_approval (>= 1 then), else 0. */
  minApprovals: number;
  requireDistinctApprovers: boolean;
  requireBrokerCredential: boolean;
  brokerReference: string;
  brokerScopes: string[];
  /**
   * The credential posture of each deciding rule that requires a broker credential: the issued
   * credential must meet every one (source, issuer, access type, TTL).
   */
  brokerPostures: CredentialPosture[];
  requireDelegation: boolean;
  delegationScopes: string[];
  rateLimits: LimitRequirement[];
  destructiveBudgets: LimitRequirement[];
  /** Missing fields that made a fail-closed policy block (for explain). */
  missingFields: string[];
  failClosedReasonCodes: string[];
  /** Present for script intents. */
  script?: {
    stepCount: number;
    stepVerdicts: StepVerdict[];
    compositeRiskClass: "low" | "medium" | "high";
    matchedRuleIds: string[];
  };
  freezeWindow?: FreezeOutcome;
  sandbox?: { valid: boolean; violations: string[] };
  /** Present when a kill-switch state was checked. */
  killSwitch?: KillSwitchOutcome;
}
