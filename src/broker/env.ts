/**
 * The env broker: the credential is an environment variable, `<prefix><REF>` where REF is the
 * rule's broker_reference (else the tool name) upper-cased with every other character as `_`
 * (default prefix GAIT_BROKER_TOKEN_). Optional `<key>_EXPIRES_AT`, `_ISSUED_AT` (RFC 3339) and
 * `_TTL_SECONDS` say how long it lives; with none of them it counts as a static credential with
 * the default TTL, which a rule requiring a just-in-time credential refuses.
 */
import { sha256Hex } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { invalidInput, ioFailure } from "./error-codes.ts";
import type { BrokerIssue, BrokerRequest, CredentialBroker, IssueContext } from "./types.ts";

export const DEFAULT_ENV_PREFIX = "GAIT_BROKER_TOKEN_";
const DEFAULT_TTL_SECONDS = 300;
const NANOS = 1_000_000_000n;

export interface EnvBrokerOptions {
  prefix?: string;
  env: Readonly<Record<string, string | undefined>>;
}

export function envCredentialKey(prefix: string, request: BrokerRequest): string {
  const name = (request.reference || request.tool_name).toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return prefix + name;
}

export function envBroker(options: EnvBrokerOptions): CredentialBroker {
  const prefix = options.prefix ?? DEFAULT_ENV_PREFIX;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw invalidInput(
      "broker_config_invalid",
      `credential env prefix ${JSON.stringify(prefix)} is not a variable name prefix`,
      {
        hint: "use letters, digits and _ (default GAIT_BROKER_TOKEN_)",
      },
    );
  }
  return {
    kind: "env",
    issue: async (request: BrokerRequest, { requestDigest, now }: IssueContext): Promise<BrokerIssue> => {
      const key = envCredentialKey(prefix, request);
      const secret = options.env[key]?.trim();
      if (!secret) {
        throw ioFailure("broker_env_credential_missing", `no credential in the environment variable ${key}`, {
          hint: `set ${key} (and ${key}_EXPIRES_AT or ${key}_TTL_SECONDS for a short-lived one)`,
        });
      }
      const { issuedAt, expiresAt, bounded } = lifetime(options.env, key, now);
      const ttl = Number((expiresAt.totalNanos() - now.totalNanos()) / NANOS);
      return {
        secret,
        response: {
          issued_by: "env",
          source: "env",
          access_type: bounded ? "jit" : "static",
          issuer: "env",
          subject: request.identity,
          scope: request.scope ?? [],
          credential_ref: `env:${key}:${sha256Hex(secret).slice(0, 8)}`,
          request_digest: requestDigest,
          issued_at: issuedAt.toString(),
          expires_at: expiresAt.toString(),
          ttl_seconds: ttl,
        },
      };
    },
  };
}

function lifetime(
  env: EnvBrokerOptions["env"],
  key: string,
  now: Timestamp,
): { issuedAt: Timestamp; expiresAt: Timestamp; bounded: boolean } {
  const read = (suffix: string) => env[`${key}${suffix}`]?.trim() || undefined;
  const parse = (suffix: string) => {
    const text = read(suffix);
    if (text === undefined) return undefined;
    try {
      return Timestamp.parse(text).utc();
    } catch {
      throw ioFailure("broker_env_credential_missing", `${key}${suffix} is not an RFC 3339 time`);
    }
  };
  const issuedAt = parse("_ISSUED_AT") ?? now.utc();
  const expiresAt = parse("_EXPIRES_AT");
  if (expiresAt) return { issuedAt, expiresAt, bounded: true };
  const ttlText = read("_TTL_SECONDS");
  if (ttlText !== undefined && !/^\d+$/.test(ttlText)) {
    throw ioFailure("broker_env_credential_missing", `${key}_TTL_SECONDS is not a whole number of seconds`);
  }
  const ttl = ttlText === undefined ? DEFAULT_TTL_SECONDS : Number(ttlText);
  return { issuedAt, expiresAt: issuedAt.addNanos(BigInt(ttl) * NANOS), bounded: ttlText !== undefined };
}
