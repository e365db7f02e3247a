/**
 * Reads a broker response that came from outside the process (a credential helper's stdout):
 * every member checked, unknown members refused, the secret taken apart from the response.
 */
import { isJsonObject, type JsonObject } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { verificationFailed } from "./error-codes.ts";
import type { BrokerIssue, BrokerResponse } from "./types.ts";

const REQUIRED_TEXT = [
  "issued_by",
  "source",
  "access_type",
  "issuer",
  "credential_ref",
  "request_digest",
] as const;
const OPTIONAL_TEXT = ["subject", "owner", "target_binding", "run_binding", "job_binding"] as const;
const KNOWN = new Set<string>([
  ...REQUIRED_TEXT,
  ...OPTIONAL_TEXT,
  "scope",
  "issued_at",
  "expires_at",
  "ttl_seconds",
  "secret",
]);

/** A response object, with an optional `secret` member holding the credential itself. */
export function parseBrokerIssue(value: unknown, source: string): BrokerIssue {
  if (!isJsonObject(value)) throw invalid(source, "is not a JSON object");
  const unknown = Object.keys(value).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw invalid(source, `has unknown members ${unknown.join(", ")}`);
  const response = {} as BrokerResponse;
  for (const key of REQUIRED_TEXT) response[key] = text(value, key, source, true)!;
  for (const key of OPTIONAL_TEXT) {
    const found = text(value, key, source, false);
    if (found) response[key] = found;
  }
  const scope = value.scope ?? [];
  if (!Array.isArray(scope) || scope.some((s) => typeof s !== "string" || s.trim() === "")) {
    throw invalid(source, "scope must be a list of non-empty strings");
  }
  response.scope = scope as string[];
  response.issued_at = time(value, "issued_at", source);
  response.expires_at = time(value, "expires_at", source);
  const ttl = value.ttl_seconds;
  if (typeof ttl !== "number" || !Number.isInteger(ttl))
    throw invalid(source, "ttl_seconds must be an integer");
  response.ttl_seconds = ttl;
  const secret = text(value, "secret", source, false);
  return secret ? { response, secret } : { response };
}

function text(value: JsonObject, key: string, source: string, required: boolean): string | undefined {
  const found = value[key];
  if (found === undefined && !required) return undefined;
  if (typeof found !== "string" || found.trim() === "") {
    throw invalid(source, `${key} must be a non-empty string`);
  }
  return found.trim();
}

function time(value: JsonObject, key: string, source: string): string {
  const found = text(value, key, source, true)!;
  try {
    return Timestamp.parse(found).utc().toString();
  } catch {
    throw invalid(source, `${key} is not an RFC 3339 time`);
  }
}

function invalid(source: string, problem: string): Error {
  return verificationFailed("broker_response_invalid", `the broker response from ${source} ${problem}`, {
    hint: "a credential helper prints one JSON object: issued_by, source, access_type, issuer, scope, credential_ref, request_digest, issued_at, expires_at, ttl_seconds, optional secret (see docs/broker.md)",
  });
}
