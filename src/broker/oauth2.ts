/**
 * The OAuth 2.0 broker, on openid-client: the issuer's metadata by discovery (`.well-known`), then
 * a client_credentials grant for the rule's scopes (and the audience as an RFC 8707 resource), or,
 * with a subject token, an RFC 8693 token exchange for them. Tokens are cached until shortly
 * before they expire. http is allowed only for a loopback issuer.
 *
 * A JWT access token's claims are read (not verified: the token came straight from the issuer's
 * token endpoint, as trusted as the response around it) to hold it to the audience asked for and
 * to the earlier of `exp` and `expires_in`; they can only make the gate stricter.
 */
import * as oidc from "openid-client";
import { sha256Hex } from "../contract/canonical.ts";
import { Timestamp } from "../contract/time.ts";
import { invalidInput, ioFailure, verificationFailed } from "./error-codes.ts";
import type { BrokerIssue, BrokerRequest, CredentialBroker, IssueContext } from "./types.ts";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
/** A cached token is reused only while it has at least this long left. */
const CACHE_MARGIN_SECONDS = 30;
const REQUEST_TIMEOUT_SECONDS = 10;
const NANOS = 1_000_000_000n;

export interface OAuth2BrokerOptions {
  issuer: string;
  clientId: string;
  /** NAME of the environment variable holding the client secret. */
  clientSecretEnv: string;
  audience?: string;
  /** NAME of the environment variable holding the subject token; switches to token exchange. */
  subjectTokenEnv?: string;
  env: Readonly<Record<string, string | undefined>>;
}

interface CachedToken {
  token: string;
  issuedAt: Timestamp;
  expiresAt: Timestamp;
  scope: string[];
  subject: string;
  issuer: string;
}

export function oauth2Broker(options: OAuth2BrokerOptions): CredentialBroker {
  const issuerUrl = checkedIssuer(options.issuer);
  const secret = options.env[options.clientSecretEnv];
  if (!secret) {
    throw invalidInput(
      "oauth2_secret_missing",
      `the OAuth 2.0 client secret variable ${options.clientSecretEnv} is not set`,
      {
        hint: "export the client secret in that variable (--oauth2-client-secret-env names it)",
      },
    );
  }
  let configuration: Promise<oidc.Configuration> | undefined;
  const cache = new Map<string, CachedToken>();
  const discover = () => {
    configuration ??= oidc
      .discovery(issuerUrl, options.clientId, undefined, oidc.ClientSecretBasic(secret), {
        timeout: REQUEST_TIMEOUT_SECONDS,
        ...(isLoopback(issuerUrl) ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined; // try again on the next decision
        throw ioFailure(
          "oauth2_unavailable",
          `OAuth 2.0 discovery at ${issuerUrl.href} failed: ${describe(error)}`,
          {
            hint: "check --oauth2-issuer and that the issuer is reachable",
          },
        );
      });
    return configuration;
  };
  return {
    kind: "oauth2",
    issue: async (request: BrokerRequest, { requestDigest, now }: IssueContext): Promise<BrokerIssue> => {
      const scope = request.scope ?? [];
      const subjectToken = options.subjectTokenEnv ? options.env[options.subjectTokenEnv] : undefined;
      if (options.subjectTokenEnv && !subjectToken) {
        throw ioFailure(
          "oauth2_grant_refused",
          `the subject token variable ${options.subjectTokenEnv} is not set`,
        );
      }
      const key = JSON.stringify([
        scope,
        options.audience ?? "",
        subjectToken ? sha256Hex(subjectToken) : "",
      ]);
      let cached = cache.get(key);
      if (!cached || !usable(cached, now)) {
        const config = await discover();
        cached = await grant(config, scope, options.audience, subjectToken, now);
        cache.set(key, cached);
      }
      const ttl = Number((cached.expiresAt.totalNanos() - now.totalNanos()) / NANOS);
      return {
        secret: cached.token,
        response: {
          issued_by: "oauth2",
          source: "oauth2",
          access_type: "jit",
          issuer: cached.issuer,
          subject: cached.subject,
          scope: cached.scope,
          credential_ref: `oauth2:${sha256Hex(cached.token).slice(0, 24)}`,
          request_digest: requestDigest,
          issued_at: cached.issuedAt.toString(),
          expires_at: cached.expiresAt.toString(),
          ttl_seconds: ttl,
        },
      };
    },
  };
}

async function grant(
  config: oidc.Configuration,
  scope: string[],
  audience: string | undefined,
  subjectToken: string | undefined,
  now: Timestamp,
): Promise<CachedToken> {
  const parameters: Record<string, string> = {};
  if (scope.length > 0) parameters.scope = scope.join(" ");
  let response: oidc.TokenEndpointResponse;
  try {
    if (subjectToken) {
      parameters.subject_token = subjectToken;
      parameters.subject_token_type = ACCESS_TOKEN_TYPE;
      parameters.requested_token_type = ACCESS_TOKEN_TYPE;
      if (audience) parameters.audience = audience;
      response = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, parameters);
    } else {
      if (audience) parameters.resource = audience;
      response = await oidc.clientCredentialsGrant(config, parameters);
    }
  } catch (error) {
    throw ioFailure("oauth2_grant_refused", `the token endpoint refused the grant: ${describe(error)}`);
  }
  const issuer = config.serverMetadata().issuer;
  const claims = jwtClaims(response.access_token);
  if (audience && claims && !audiences(claims).includes(audience)) {
    throw verificationFailed(
      "oauth2_audience_mismatch",
      `the issued token is not for the audience ${audience}`,
    );
  }
  const expiresAt = expiryOf(response, claims, now);
  // RFC 6749 §5.1: without `scope` in the response, the granted scope is the one requested.
  const granted = response.scope !== undefined ? response.scope.split(" ").filter(Boolean) : scope;
  return {
    token: response.access_token,
    issuedAt: now.utc(),
    expiresAt,
    scope: granted,
    subject: typeof claims?.sub === "string" ? claims.sub : config.clientMetadata().client_id,
    issuer,
  };
}

function usable(cached: CachedToken, now: Timestamp): boolean {
  const margin = now.addNanos(BigInt(CACHE_MARGIN_SECONDS) * NANOS);
  return cached.expiresAt.compare(margin) > 0;
}

/** The earlier of now + expires_in and the JWT's exp; neither known fails closed. */
function expiryOf(
  response: oidc.TokenEndpointResponse,
  claims: JwtClaims | undefined,
  now: Timestamp,
): Timestamp {
  const candidates: Timestamp[] = [];
  if (typeof response.expires_in === "number") {
    candidates.push(now.utc().addNanos(BigInt(Math.trunc(response.expires_in)) * NANOS));
  }
  if (typeof claims?.exp === "number") candidates.push(Timestamp.of(Math.trunc(claims.exp)));
  if (candidates.length === 0) {
    throw verificationFailed(
      "oauth2_expiry_unknown",
      "the issued token has neither expires_in nor an exp claim",
      {
        hint: "a just-in-time credential must say when it expires; configure the issuer to return expires_in",
      },
    );
  }
  return candidates.reduce((a, b) => (a.compare(b) <= 0 ? a : b)).utc();
}

type JwtClaims = Record<string, unknown>;

function jwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    return claims && typeof claims === "object" && !Array.isArray(claims) ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

function audiences(claims: JwtClaims): string[] {
  const aud = claims.aud;
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
}

function checkedIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw invalidInput("broker_config_invalid", `--oauth2-issuer ${JSON.stringify(issuer)} is not a URL`, {
      hint: "give the issuer's base URL, e.g. https://login.example.com/",
    });
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url))) {
    throw invalidInput("broker_config_invalid", `--oauth2-issuer ${issuer} must use https`, {
      hint: "plain http is accepted only for a loopback issuer (127.0.0.1, ::1, localhost)",
    });
  }
  return url;
}

function isLoopback(url: URL): boolean {
  return ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
}

/** An error's message and OAuth error code, never a token (openid-client puts none in either). */
function describe(error: unknown): string {
  const oauthError = (error as { error?: unknown })?.error;
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { message?: string } })?.cause?.message;
  const parts = [typeof oauthError === "string" ? oauthError : "", message, cause ?? ""].filter(Boolean);
  return parts.join(": ");
}
