/**
 * The project config's error codes, each with the category it is raised with, and the factories
 * that accept only these and the contract's codes. The `config_*` codes of the strict YAML reader
 * (contract/yaml-strict.ts) are listed here too (checked below).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";
import type { StrictYamlErrorCode } from "../contract/yaml-strict.ts";

export const CONFIG_ERROR_CODES = {
  config_empty: "invalid_input",
  config_invalid: "invalid_input",
  config_not_found: "invalid_input",
  config_too_large: "invalid_input",
  config_unknown_field: "invalid_input",
  config_yaml_invalid: "invalid_input",
} as const satisfies ErrorCodeTable;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

/** Fails to compile if the YAML reader can raise a config code not listed above. */
export type ConfigYamlErrorCode = Listed<StrictYamlErrorCode<"config">>;
type Listed<Code extends ConfigErrorCode> = Code;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<ConfigErrorCode>();
