/**
 * The HTTP headers sent to a remote upstream on every request (`--upstream-header 'Name: value'`,
 * `--upstream-header-env 'Name=VAR'`). They typically carry a bearer token, so nothing here ever
 * puts a value in an error message: errors name the header or the variable, never what it holds.
 */
import { invalidInput } from "./error-codes.ts";

/** An RFC 9110 field name (a token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Field values may not break the header block (RFC 9110 §5.5). */
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;
/** Set by the Streamable HTTP transport or by fetch itself: a second value would break the protocol. */
const RESERVED = new Set([
  "accept",
  "connection",
  "content-length",
  "content-type",
  "host",
  "last-event-id",
  "mcp-protocol-version",
  "mcp-session-id",
  "transfer-encoding",
]);

/**
 * The headers from both flags, by name as given. Pure: `env` is where `--upstream-header-env`
 * variables are read.
 */
export function upstreamHeaders(
  literal: readonly string[],
  fromEnv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  /** `which` says which flag and which of them, e.g. `--upstream-header #2`. */
  const add = (name: string, value: string, which: string) => {
    checkName(name, which);
    if (FORBIDDEN_IN_VALUE.test(value)) {
      throw invalidInput(
        "mcp_upstream_header_invalid",
        `${which} (${name}): the value has a line break or NUL`,
        {
          hint: "a header value is one line",
        },
      );
    }
    const lower = name.toLowerCase();
    if (Object.keys(headers).some((known) => known.toLowerCase() === lower)) {
      throw invalidInput("mcp_upstream_header_invalid", `the upstream header ${name} is given twice`, {
        hint: "give each header once, with --upstream-header or --upstream-header-env",
      });
    }
    headers[name] = value;
  };
  literal.forEach((given, i) => {
    const colon = given.indexOf(":");
    if (colon <= 0) {
      // The text may be a secret in the wrong shape: say which one, not what it says.
      throw invalidInput("mcp_upstream_header_invalid", `--upstream-header #${i + 1} is not "Name: value"`, {
        hint: "e.g. --upstream-header 'X-Tenant: acme' (secrets: --upstream-header-env 'Authorization=VAR')",
      });
    }
    add(given.slice(0, colon).trim(), given.slice(colon + 1).trim(), `--upstream-header #${i + 1}`);
  });
  fromEnv.forEach((given, i) => {
    const equals = given.indexOf("=");
    const name = equals > 0 ? given.slice(0, equals).trim() : "";
    const variable = equals > 0 ? given.slice(equals + 1).trim() : "";
    if (!name || !variable) {
      throw invalidInput(
        "mcp_upstream_header_invalid",
        `--upstream-header-env #${i + 1} is not "Name=VARIABLE"`,
        {
          hint: "e.g. --upstream-header-env 'Authorization=MCP_AUTHORIZATION' with MCP_AUTHORIZATION='Bearer …'",
        },
      );
    }
    const value = env[variable]?.trim() ?? "";
    if (value === "") {
      throw invalidInput(
        "mcp_upstream_header_invalid",
        `environment variable ${variable} (for the upstream header ${name}) is not set or empty`,
        { hint: `export ${variable}=<the header's value>` },
      );
    }
    add(name, value, `--upstream-header-env #${i + 1}`);
  });
  return headers;
}

/** A name that is not a token is not echoed: it may be part of a secret given in the wrong shape. */
function checkName(name: string, which: string): void {
  if (!FIELD_NAME.test(name)) {
    throw invalidInput("mcp_upstream_header_invalid", `${which}: the header name is not a token`, {
      hint: "a header name is letters, digits and - (e.g. Authorization, X-Api-Key)",
    });
  }
  if (RESERVED.has(name.toLowerCase())) {
    throw invalidInput(
      "mcp_upstream_header_invalid",
      `${which}: ${name} is set by the MCP transport itself`,
      {
        hint: "leave the protocol's own headers to the proxy",
      },
    );
  }
}
