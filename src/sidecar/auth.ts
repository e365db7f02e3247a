/**
 * The sidecar's bearer token: generated per start unless the operator supplies one through an
 * environment variable (never a flag value, which would show in `ps`). Compared in constant time.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { sha256Bytes } from "../contract/canonical.ts";
import { invalidInput } from "./error-codes.ts";

/** Shorter supplied tokens are refused: the token is the only thing between a caller and `allow`. */
const MIN_TOKEN_LENGTH = 16;

/** Whether the token was generated at start or supplied by the operator. */
export type TokenSource = "generated" | "given";

/** 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Reads the token from the environment variable NAMED `name`. */
export function tokenFromEnv(name: string, env: Readonly<Record<string, string | undefined>>): string {
  const token = env[name]?.trim() ?? "";
  if (token === "") {
    throw invalidInput("sidecar_token_missing", `environment variable ${name} is not set or empty`, {
      hint: `export ${name}=<a long random token> (e.g. $(openssl rand -base64 32)), or drop --token-env to generate one`,
    });
  }
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw invalidInput(
      "sidecar_token_weak",
      `the token in ${name} must be at least ${MIN_TOKEN_LENGTH} characters without whitespace`,
      { hint: "use e.g. $(openssl rand -base64 32)" },
    );
  }
  return token;
}

/**
 * Returns a checker for `Authorization` header values. Both sides are hashed first so the
 * comparison takes the same time whatever the length or content of the guess.
 */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = sha256Bytes(token);
  return (authorization) => {
    if (authorization === undefined) return false;
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) return false;
    return timingSafeEqual(sha256Bytes(match[1]!), expected);
  };
}
