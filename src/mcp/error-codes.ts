/**
 * The MCP module's error codes, each with the category it is raised with. A blocked tool call is
 * never an error: the client sees an MCP tool error result carrying the verdict. These are for
 * what cannot start or cannot be read (the upstream server, a pin store, a call file, a config).
 */
import type { ErrorCodeTable } from "../contract/error-codes.ts";
import { errorsFor } from "../contract/errors.ts";

export const MCP_ERROR_CODES = {
  mcp_call_invalid: "invalid_input",
  mcp_client_config_invalid: "invalid_input",
  mcp_pin_not_found: "invalid_input",
  mcp_pins_invalid: "invalid_input",
  mcp_trust_snapshot_invalid: "invalid_input",
  mcp_upstream_header_invalid: "invalid_input",
  mcp_upstream_unavailable: "dependency_missing",
} as const satisfies ErrorCodeTable;

export type McpErrorCode = keyof typeof MCP_ERROR_CODES;

export const { gaitError, invalidInput, verificationFailed, ioFailure, internalFailure } =
  errorsFor<McpErrorCode>();
