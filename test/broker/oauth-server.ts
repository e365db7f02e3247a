/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 for the OAuth 2.0 broker tests: discovery,
 * client_credentials with resource indicators (JWT access tokens whose `aud` is the resource),
 * and RFC 8693 token exchange registered as a custom grant type.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export const CLIENT_ID = "gait-broker";
export const CLIENT_SECRET = "test-client-secret-9f2c1e7a";
/** Scopes the resource servers know; the client may ask only for CLIENT_SCOPES. */
const SERVER_SCOPES = "deploy:write repo:read admin";
const CLIENT_SCOPES = "deploy:write repo:read";

export interface OAuthServerOptions {
  /** Issue JWT access tokens whose `exp` is already past (the response still says expires_in 300). */
  expiredTokens?: boolean;
}

export interface OAuthServer {
  issuer: string;
  /** Access tokens the provider issued, as returned to the client. */
  issued: string[];
  /** Token exchange grants the provider answered with a token. */
  readonly exchanges: number;
  close(): Promise<void>;
}

/** Starts the provider on an ephemeral loopback port. */
export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const { default: Provider, errors } = await import("oidc-provider");
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ttl = 300;
  const issued: string[] = [];
  let exchanges = 0;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ["client_credentials", TOKEN_EXCHANGE],
        response_types: [],
        redirect_uris: [],
        scope: CLIENT_SCOPES,
      },
    ],
    scopes: SERVER_SCOPES.split(" "),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: SERVER_SCOPES,
          audience: resource,
          accessTokenFormat: "jwt",
          accessTokenTTL: ttl,
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    formats: {
      customizers: {
        // The provider refuses a non-positive TTL; an already expired token is made by moving `exp`.
        jwt: (_ctx: unknown, _token: unknown, jwt: { payload: { iat: number; exp: number } }) => {
          if (options.expiredTokens) jwt.payload.exp = jwt.payload.iat - 60;
        },
      },
    },
  } as never);
  provider.on("server_error", (_ctx: unknown, error: Error) => console.error("oidc-provider:", error));
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx: any) => {
      await tokenExchange(provider, errors, ctx);
      exchanges++;
    },
    ["subject_token", "subject_token_type", "audience", "resource", "scope", "requested_token_type"],
  );
  const callback = provider.callback();
  server.on("request", (req, res) => {
    // Record every access token the provider hands out, to look for it in Gait's files.
    const end = res.end.bind(res);
    res.end = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk && req.url?.startsWith("/token")) {
        const body = JSON.parse(String(chunk)) as { access_token?: string };
        if (body.access_token) issued.push(body.access_token);
      }
      return end(chunk as never, ...(rest as []));
    }) as typeof res.end;
    callback(req, res);
  });
  return {
    issuer,
    issued,
    get exchanges() {
      return exchanges;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * RFC 8693 §2.1-2.2: the subject token must be an access token this provider issued (opaque, from
 * client_credentials without a resource); the new token is for `audience` with the requested scope.
 */
async function tokenExchange(provider: any, errors: any, ctx: any): Promise<void> {
  const params = ctx.oidc.params;
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest("unsupported subject_token_type");
  }
  const subject = await provider.ClientCredentials.find(params.subject_token);
  if (!subject || subject.isExpired) throw new errors.InvalidGrant("subject_token is not valid");
  const audience = params.audience ?? params.resource;
  if (!audience) throw new errors.InvalidTarget("audience is required");
  const allowed = new Set(CLIENT_SCOPES.split(" "));
  const scopes = String(params.scope ?? "")
    .split(" ")
    .filter(Boolean);
  if (scopes.some((s) => !allowed.has(s)))
    throw new errors.InvalidScope("requested scope is not allowed", params.scope);
  const resourceServer = new provider.ResourceServer(audience, {
    scope: SERVER_SCOPES,
    audience,
    accessTokenFormat: "jwt",
    accessTokenTTL: 300,
    jwt: { sign: { alg: "RS256" } },
  });
  const token = new provider.ClientCredentials({
    client: ctx.oidc.client,
    scope: scopes.join(" ") || undefined,
  });
  token.resourceServer = resourceServer;
  const value = await token.save();
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: "Bearer",
    expires_in: token.expiration,
    scope: token.scope,
  };
}
