/**
 * Gate profiles: `standard`, and `oss-prod`, the hardened one (CONTRACTS.md §5.13). The rules live
 * here, in the gate core, so `gait gate eval`, `gait gate serve` and `createGate` refuse exactly
 * the same things: a Gate is checked once when it is set up, and each decision when it is made.
 */
import { invalidInput } from "../contract/errors.ts";
import type { KeyMode } from "../contract/keys.ts";
import type { Verdict } from "./policy-model.ts";

export const GATE_PROFILES = ["standard", "oss-prod"] as const;
export type GateProfile = (typeof GATE_PROFILES)[number];

export interface GateSetup {
  profile: GateProfile;
  /** How the trace signing key was chosen: dev (ephemeral) or prod (an explicit key). */
  keyMode: KeyMode;
  simulate: boolean;
  defaultVerdict: Verdict;
}

/** oss-prod refuses ephemeral keys, simulation and default-allow policies. */
export function checkGateSetup(setup: GateSetup): void {
  if (setup.profile !== "oss-prod") return;
  if (setup.keyMode !== "prod") {
    throw profileError("the oss-prod profile requires a prod signing key", {
      hint: 'pass --key-mode prod with --private-key (SDK: keyMode "prod" with privateKey)',
    });
  }
  if (setup.simulate) {
    throw profileError("the oss-prod profile does not allow simulation", {
      hint: "drop --simulate (SDK: simulate), or use the standard profile to observe",
    });
  }
  if (setup.defaultVerdict === "allow") {
    throw invalidInput(
      "policy_invalid",
      "the oss-prod profile refuses a policy whose default_verdict is allow",
      {
        hint: "set default_verdict to block or require_approval",
      },
    );
  }
}

export interface DecisionSetup {
  profile: GateProfile;
  /** The decision is evaluated at another time than now (a replay). */
  replay: boolean;
  /** Approval tokens were presented. */
  hasTokens: boolean;
  /** Approvals are verified with a key or key list given for that purpose (not the trace key). */
  explicitApprovalKeys: boolean;
}

/** oss-prod decides at the real time only, and checks tokens only against explicit approval keys. */
export function checkDecisionSetup(setup: DecisionSetup): void {
  if (setup.profile !== "oss-prod") return;
  if (setup.replay) {
    throw profileError(
      "the oss-prod profile does not allow an evaluation time other than now (--evaluation-time)",
      {
        hint: "replay at another time with the standard profile; enforcement always uses the real clock",
      },
    );
  }
  if (setup.hasTokens && !setup.explicitApprovalKeys) {
    throw profileError("the oss-prod profile requires an explicit approval verify key", {
      hint: "pass --approval-public-key or --approver-keys (SDK: approvalPublicKey or approvers)",
    });
  }
}

function profileError(message: string, options: { hint: string }) {
  return invalidInput("profile_refused", message, options);
}
