/**
 * How a Gate is set up: which key signs its traces, and its profile — `standard`, or `oss-prod`,
 * the hardened one (CONTRACTS.md §5.13). The rules live here, in the gate core, so `gait gate
 * eval`, `gait gate serve` and `createGate` choose keys and refuse things exactly alike: a Gate is
 * checked once when it is set up, and each decision when it is made.
 */
import type { GaitError } from "../contract/errors.ts";
import { type KeyIo, type KeyMode, type KeySource, keyModeFor, resolveSigningKey } from "../contract/keys.ts";
import type { SigningKey } from "../contract/signing.ts";
import { invalidInput } from "./error-codes.ts";
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

/**
 * Everything oss-prod refuses in a setup: an ephemeral (dev) signing key, simulation, a
 * default-allow policy. Empty for the standard profile. `gait doctor --production-readiness`
 * reports exactly these, so it fails exactly when a Gate under oss-prod would refuse to start.
 */
export function gateSetupProblems(setup: GateSetup): GaitError[] {
  if (setup.profile !== "oss-prod") return [];
  const problems: GaitError[] = [];
  if (setup.keyMode !== "prod") {
    problems.push(
      profileError("the oss-prod profile requires a prod signing key", {
        hint: 'pass --key-mode prod with --private-key (SDK: keyMode "prod" with privateKey)',
      }),
    );
  }
  if (setup.simulate) {
    problems.push(
      profileError("the oss-prod profile does not allow simulation", {
        hint: "drop --simulate (SDK: simulate), or use the standard profile to observe",
      }),
    );
  }
  if (setup.defaultVerdict === "allow") {
    problems.push(
      invalidInput("policy_invalid", "the oss-prod profile refuses a policy whose default_verdict is allow", {
        hint: "set default_verdict to block or require_approval",
      }),
    );
  }
  return problems;
}

/** Throws the first of gateSetupProblems. */
export function checkGateSetup(setup: GateSetup): void {
  const [first] = gateSetupProblems(setup);
  if (first) throw first;
}

export interface DecisionSetup {
  profile: GateProfile;
  /** The decision is evaluated at another time than now (a replay). */
  replay: boolean;
  /** Approval tokens were presented. */
  hasTokens: boolean;
  /** Approvals are verified with a key or key list given for that purpose (not the trace key). */
  explicitApprovalKeys: boolean;
  /** Delegation tokens were presented. */
  hasDelegationTokens?: boolean;
  /** Delegation tokens are verified with a key given for that purpose (not the trace key). */
  explicitDelegationKey?: boolean;
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
  if (setup.hasDelegationTokens && !setup.explicitDelegationKey) {
    throw profileError("the oss-prod profile requires an explicit delegation verify key", {
      hint: "pass --delegation-public-key (SDK: delegationPublicKey)",
    });
  }
}

function profileError(message: string, options: { hint: string }) {
  return invalidInput("profile_refused", message, options);
}

export interface SigningKeyChoice {
  /** A key the caller already holds. */
  signingKey?: SigningKey | undefined;
  /** dev: an ephemeral key; prod: an explicit one. Default: prod when a key is given, else dev. */
  keyMode?: KeyMode | undefined;
  privateKey?: KeySource | undefined;
  /** When given with `privateKey`, must be its public half. */
  publicKey?: KeySource | undefined;
  /** A persistent dev key (the project's), signing in dev mode instead of an ephemeral one. */
  devKey?: { key: SigningKey; origin: string } | undefined;
}

/**
 * The trace signing key and how it was chosen (the profile checks the mode). Giving a key means
 * prod unless dev is asked for explicitly, which is an error with a key (dev keys are ephemeral).
 */
export async function chooseSigningKey(
  choice: SigningKeyChoice,
  io: KeyIo,
): Promise<{ key: SigningKey; mode: KeyMode; warnings: string[] }> {
  if (choice.signingKey) return { key: choice.signingKey, mode: choice.keyMode ?? "prod", warnings: [] };
  const mode = keyModeFor(choice.keyMode, choice.privateKey);
  const resolved = await resolveSigningKey(
    { mode, privateKey: choice.privateKey, publicKey: choice.publicKey, devKey: choice.devKey },
    io,
  );
  return { key: resolved.key, mode, warnings: resolved.warnings };
}
