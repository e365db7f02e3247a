/**
 * The gate's error codes (policy, intent, approvals, limits), each with the category it is raised
 * with, and the factories that accept only these and the contract's codes. The policy and approver
 * key list codes of the strict YAML reader are listed here too (checked below).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";
import type { StrictYamlErrorCode } from "../contract/yaml-strict.ts";

export const GATE_ERROR_CODES = {
  approval_ledger_invalid: "invalid_input",
  approver_keys_empty: "invalid_input",
  approver_keys_invalid: "invalid_input",
  approver_keys_too_large: "invalid_input",
  approver_keys_unknown_field: "invalid_input",
  approver_keys_yaml_invalid: "invalid_input",
  approved_script_registry_invalid: "invalid_input",
  approved_script_registry_unavailable: "policy_blocked",
  delegation_checker_missing: "invalid_input",
  intent_invalid: "invalid_input",
  kill_switch_entry_invalid: "invalid_input",
  kill_switch_entry_not_found: "invalid_input",
  kill_switch_state_invalid: "invalid_input",
  kill_switch_state_unavailable: "invalid_input",
  policy_empty: "invalid_input",
  policy_invalid: "invalid_input",
  policy_legacy_fields: "invalid_input",
  policy_too_large: "invalid_input",
  policy_unknown_field: "invalid_input",
  policy_yaml_invalid: "invalid_input",
  profile_refused: "invalid_input",
  rate_limit_state_invalid: "invalid_input",
  unknown_policy_template: "invalid_input",
  wrkr_inventory_invalid: "invalid_input",
  wrkr_inventory_unavailable: "policy_blocked",
} as const satisfies ErrorCodeTable;

export type GateErrorCode = keyof typeof GATE_ERROR_CODES;

/** Fails to compile if the YAML reader can raise a policy or approver key list code not listed above. */
export type GateYamlErrorCode = Listed<StrictYamlErrorCode<"policy" | "approver_keys">>;
type Listed<Code extends GateErrorCode> = Code;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<GateErrorCode>();
