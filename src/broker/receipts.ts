/**
 * Provider receipts (REFERENCE §3 v1.2-6): a credential helper may print what its provider
 * returned instead of the broker response shape, and the receipt is mapped onto that shape here.
 * Normalisers: AWS STS (`aws sts assume-role*` / `get-session-token`), the GitHub Actions OIDC
 * token endpoint, Vault (a dynamic secret lease, or a token from `auth`), GCP STS token exchange,
 * Azure (Entra ID) federated client credentials, and Okta / CyberArk Identity OAuth tokens.
 *
 * A receipt is printed bare (recognised by its shape: exactly one normaliser must claim it) or
 * wrapped as `{"receipt_type": "<type>", "receipt": {...}, "request_digest"?: "..."}`. Anything
 * else is refused (fail closed). The reference (`credential_ref`) is built from the provider's own
 * non-secret identifier (access key id, jti, lease id, token accessor, uti), else from the request
 * digest and the expiry, never from the secret. Providers that do not report a scope are taken to
 * have granted the scope requested: the helper's configuration (role, policy) is what scopes them.
 *
 * JWT claims are read, not verified: like a response, a receipt is only as trustworthy as the
 * helper that printed it (GAIT_CREDENTIAL_COMMAND_ALLOWLIST). Error messages name members, never
 * values.
 */
import { canonicalize, isJsonObject, type JsonObject, sha256Hex } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { verificationFailed } from "./error-codes.ts";
import { parseBrokerIssue } from "./response.ts";
import type { BrokerIssue, BrokerRequest, BrokerResponse } from "./types.ts";

export const RECEIPT_TYPES = [
  "aws_sts",
  "github_oidc",
  "vault",
  "gcp_sts",
  "azure_federated",
  "okta",
  "cyberark",
] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

export interface ReceiptContext {
  request: BrokerRequest;
  requestDigest: string;
  now: Timestamp;
}

/** What a normaliser reads out of a receipt. */
interface Reading {
  issuer: string;
  subject?: string | undefined;
  /** The scope the provider reports granting, when it reports one. */
  scope?: string[] | undefined;
  /** The provider's non-secret identifier of this credential. */
  id?: string | undefined;
  secret: string;
  issuedAt?: Timestamp | undefined;
  expiresAt: Timestamp;
}

interface Normaliser {
  type: ReceiptType;
  claims(receipt: JsonObject): boolean;
  read(receipt: JsonObject, now: Timestamp): Reading;
}

const NANOS = 1_000_000_000n;
/** Year 9999: epoch seconds past it are not times. */
const MAX_EPOCH_SECONDS = 253_402_300_799;
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const RESPONSE_MARKERS = ["issued_by", "credential_ref"];

/**
 * A credential helper's answer: the broker response shape (it names `issued_by` or
 * `credential_ref`), a wrapped receipt, or a bare receipt one normaliser recognises.
 */
export function parseHelperAnswer(value: unknown, context: ReceiptContext, source: string): BrokerIssue {
  if (!isJsonObject(value)) return parseBrokerIssue(value, source);
  if (RESPONSE_MARKERS.some((key) => key in value)) return parseBrokerIssue(value, source);
  if ("receipt_type" in value) return wrappedReceipt(value, context, source);
  const claimed = NORMALISERS.filter((normaliser) => normaliser.claims(value));
  if (claimed.length !== 1) {
    const why =
      claimed.length === 0
        ? "is neither a broker response nor a provider receipt gait knows"
        : `could be a receipt of ${claimed.map((n) => n.type).join(" or ")}`;
    throw verificationFailed("broker_receipt_unknown", `the answer of ${source} ${why}`, {
      hint: `print the broker response shape, or wrap the receipt as {"receipt_type": "<${RECEIPT_TYPES.join("|")}>", "receipt": {...}} (see docs/broker.md)`,
    });
  }
  return normalise(claimed[0]!, value, context, undefined, source);
}

function wrappedReceipt(value: JsonObject, context: ReceiptContext, source: string): BrokerIssue {
  const unknown = Object.keys(value).filter(
    (key) => !["receipt_type", "receipt", "request_digest"].includes(key),
  );
  if (unknown.length > 0) throw invalid(source, `has unknown members ${unknown.join(", ")}`);
  const normaliser = NORMALISERS.find((n) => n.type === value.receipt_type);
  if (!normaliser) {
    throw verificationFailed(
      "broker_receipt_unknown",
      `the receipt_type of ${source} is not a known provider`,
      {
        hint: `use one of ${RECEIPT_TYPES.join(", ")}`,
      },
    );
  }
  if (!isJsonObject(value.receipt)) throw invalid(source, "has no receipt object");
  const digest = value.request_digest;
  if (digest !== undefined && typeof digest !== "string")
    throw invalid(source, "request_digest must be a string");
  return normalise(normaliser, value.receipt, context, digest, source);
}

function normalise(
  normaliser: Normaliser,
  receipt: JsonObject,
  { request, requestDigest, now }: ReceiptContext,
  echoedDigest: string | undefined,
  source: string,
): BrokerIssue {
  let reading: Reading;
  try {
    reading = normaliser.read(receipt, now);
  } catch (error) {
    if (error instanceof ReceiptProblem) throw invalid(`${source} (${normaliser.type})`, error.message);
    throw error;
  }
  const issuedAt = (reading.issuedAt ?? now).utc();
  const expiresAt = reading.expiresAt.utc();
  const ttl = (expiresAt.totalNanos() - now.totalNanos()) / NANOS;
  // The helper ran for this request, so a bare receipt is bound to it; a wrapper may echo the digest.
  const digest = echoedDigest ?? requestDigest;
  const id =
    reading.id ??
    sha256Hex(
      canonicalize({
        receipt_type: normaliser.type,
        request_digest: digest,
        expires_at: expiresAt.toString(),
      }),
    ).slice(0, 24);
  const response: BrokerResponse = {
    issued_by: "command",
    source: normaliser.type,
    access_type: "jit",
    issuer: reading.issuer,
    scope: [...(reading.scope ?? request.scope ?? [])],
    credential_ref: `${normaliser.type}:${id}`,
    request_digest: digest,
    issued_at: issuedAt.toString(),
    expires_at: expiresAt.toString(),
    ttl_seconds: Number(ttl),
  };
  if (reading.subject) response.subject = reading.subject;
  return { response, secret: reading.secret };
}

/** A receipt that is not what its normaliser needs; `normalise` turns it into a coded error. */
class ReceiptProblem extends Error {}

function invalid(source: string, problem: string): Error {
  return verificationFailed("broker_receipt_invalid", `the provider receipt from ${source} ${problem}`, {
    hint: "print the provider's answer unchanged (e.g. aws sts assume-role --output json), or the broker response shape (see docs/broker.md)",
  });
}

// -- readers --------------------------------------------------------------------------------

function text(object: JsonObject, key: string): string {
  const value = object[key];
  if (typeof value !== "string" || value.trim() === "")
    throw new ReceiptProblem(`needs a non-empty string ${key}`);
  return value.trim();
}

function optionalText(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function object(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (!isJsonObject(value)) throw new ReceiptProblem(`needs an object ${key}`);
  return value;
}

function rfc3339(object: JsonObject, key: string): Timestamp {
  const value = text(object, key);
  try {
    return Timestamp.parse(value);
  } catch {
    throw new ReceiptProblem(`has a ${key} that is not an RFC 3339 time`);
  }
}

function epochSeconds(value: unknown): Timestamp | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_EPOCH_SECONDS) {
    return undefined;
  }
  return Timestamp.of(value);
}

function seconds(object: JsonObject, key: string): number | undefined {
  const value = object[key];
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_EPOCH_SECONDS
    ? value
    : undefined;
}

function after(now: Timestamp, secondsFromNow: number): Timestamp {
  return now.utc().addNanos(BigInt(secondsFromNow) * NANOS);
}

type Claims = JsonObject;

/** The payload of a compact JWS (three base64url parts), or undefined. */
function jwtClaims(token: unknown): Claims | undefined {
  if (typeof token !== "string") return undefined;
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
    return isJsonObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

function issuerHost(claims: Claims | undefined): string {
  const iss = claims?.iss;
  if (typeof iss !== "string") return "";
  try {
    return new URL(iss).hostname.toLowerCase();
  } catch {
    return "";
  }
}

function scopeList(value: unknown): string[] | undefined {
  const items = typeof value === "string" ? value.split(" ") : Array.isArray(value) ? value : undefined;
  if (!items?.every((item) => typeof item === "string")) return undefined;
  const scope = (items as string[]).map((s) => s.trim()).filter(Boolean);
  return scope.length > 0 ? scope : undefined;
}

/** The earlier of now + expires_in and the token's exp; neither fails. */
function tokenExpiry(receipt: JsonObject, claims: Claims | undefined, now: Timestamp): Timestamp {
  const candidates: Timestamp[] = [];
  const expiresIn = seconds(receipt, "expires_in");
  if (expiresIn !== undefined) candidates.push(after(now, expiresIn));
  const exp = epochSeconds(claims?.exp);
  if (exp) candidates.push(exp);
  if (candidates.length === 0) throw new ReceiptProblem("says neither expires_in nor exp");
  return candidates.reduce((a, b) => (a.compare(b) <= 0 ? a : b));
}

/** An OAuth token endpoint answer whose access token is a JWT from `hosts` (Okta, CyberArk). */
function oauthJwtNormaliser(type: ReceiptType, hosts: readonly string[]): Normaliser {
  const fromHost = (claims: Claims | undefined) => {
    const host = issuerHost(claims);
    return hosts.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
  };
  return {
    type,
    claims: (receipt) => fromHost(jwtClaims(receipt.access_token)) && !("ext_expires_in" in receipt),
    read: (receipt, now) => {
      const secret = text(receipt, "access_token");
      const claims = jwtClaims(secret);
      if (!claims) throw new ReceiptProblem("has an access_token that is not a JWT");
      return {
        issuer: text(claims, "iss"),
        subject: optionalText(claims, "sub"),
        scope: scopeList(receipt.scope) ?? scopeList(claims.scp) ?? scopeList(claims.scope),
        id: optionalText(claims, "jti"),
        secret,
        issuedAt: epochSeconds(claims.iat),
        expiresAt: tokenExpiry(receipt, claims, now),
      };
    },
  };
}

const NORMALISERS: readonly Normaliser[] = [
  {
    type: "aws_sts",
    claims: (receipt) => {
      const credentials = receipt.Credentials;
      return isJsonObject(credentials) && "AccessKeyId" in credentials && "SecretAccessKey" in credentials;
    },
    read: (receipt) => {
      const credentials = object(receipt, "Credentials");
      const keyId = text(credentials, "AccessKeyId");
      const material = {
        AccessKeyId: keyId,
        SecretAccessKey: text(credentials, "SecretAccessKey"),
        ...(optionalText(credentials, "SessionToken")
          ? { SessionToken: text(credentials, "SessionToken") }
          : {}),
      };
      const user = isJsonObject(receipt.AssumedRoleUser) ? receipt.AssumedRoleUser : {};
      return {
        issuer: "https://sts.amazonaws.com",
        subject: optionalText(user, "Arn"),
        id: keyId,
        secret: canonicalize(material),
        expiresAt: rfc3339(credentials, "Expiration"),
      };
    },
  },
  {
    type: "github_oidc",
    claims: (receipt) => jwtClaims(receipt.value)?.iss === GITHUB_ISSUER,
    read: (receipt) => {
      const secret = text(receipt, "value");
      const claims = jwtClaims(secret);
      if (!claims) throw new ReceiptProblem("has a value that is not a JWT");
      const expiresAt = epochSeconds(claims.exp);
      if (!expiresAt) throw new ReceiptProblem("has a token without an exp claim");
      return {
        issuer: text(claims, "iss"),
        subject: optionalText(claims, "sub"),
        id: optionalText(claims, "jti"),
        secret,
        issuedAt: epochSeconds(claims.iat),
        expiresAt,
      };
    },
  },
  {
    type: "vault",
    claims: (receipt) =>
      "lease_duration" in receipt && "lease_id" in receipt && ("data" in receipt || "auth" in receipt),
    read: (receipt, now) =>
      isJsonObject(receipt.auth) ? vaultToken(receipt.auth, now) : vaultLease(receipt, now),
  },
  {
    type: "gcp_sts",
    claims: (receipt) =>
      typeof receipt.access_token === "string" &&
      "issued_token_type" in receipt &&
      jwtClaims(receipt.access_token) === undefined,
    read: (receipt, now) => {
      text(receipt, "issued_token_type");
      return {
        issuer: "https://sts.googleapis.com",
        secret: text(receipt, "access_token"),
        scope: scopeList(receipt.scope),
        expiresAt: tokenExpiry(receipt, undefined, now),
      };
    },
  },
  {
    type: "azure_federated",
    claims: (receipt) => "ext_expires_in" in receipt && typeof receipt.access_token === "string",
    read: (receipt, now) => {
      const secret = text(receipt, "access_token");
      const claims = jwtClaims(secret);
      if (!claims) throw new ReceiptProblem("has an access_token that is not a JWT");
      return {
        issuer: text(claims, "iss"),
        subject: optionalText(claims, "oid") ?? optionalText(claims, "sub"),
        scope: scopeList(claims.roles) ?? scopeList(claims.scp),
        id: optionalText(claims, "uti") ?? optionalText(claims, "jti"),
        secret,
        issuedAt: epochSeconds(claims.iat),
        expiresAt: tokenExpiry(receipt, claims, now),
      };
    },
  },
  oauthJwtNormaliser("okta", ["okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com"]),
  oauthJwtNormaliser("cyberark", ["cyberark.cloud", "idaptive.app"]),
];

/** A dynamic secret lease (`vault read database/creds/...`): the secret is the lease's data, as JSON. */
function vaultLease(receipt: JsonObject, now: Timestamp): Reading {
  const data = object(receipt, "data");
  if (Object.keys(data).length === 0) throw new ReceiptProblem("has an empty data object");
  const ttl = seconds(receipt, "lease_duration");
  if (ttl === undefined) throw new ReceiptProblem("needs a whole number lease_duration");
  return {
    issuer: "vault",
    subject: optionalText(data, "username"),
    id: text(receipt, "lease_id"),
    secret: canonicalize(data),
    expiresAt: after(now, ttl),
  };
}

/** A token (`vault token create`, a login): the secret is the client token, named by its accessor. */
function vaultToken(auth: JsonObject, now: Timestamp): Reading {
  const ttl = seconds(auth, "lease_duration");
  if (ttl === undefined) throw new ReceiptProblem("needs a whole number auth.lease_duration");
  const accessor = text(auth, "accessor");
  return {
    issuer: "vault",
    subject: optionalText(auth, "entity_id"),
    scope: scopeList(auth.policies),
    id: `accessor:${accessor}`,
    secret: text(auth, "client_token"),
    expiresAt: after(now, ttl),
  };
}
