/**
 * What the gate's signed grants share: approval tokens (approval.ts), delegation tokens
 * (delegation.ts) and approved-script entries (approved-scripts.ts). One reading of a mint
 * request's identities, digests and scope, and one rule for when a token is valid in time, so the
 * three cannot drift apart.
 */
import { isSha256Hex, sortedUnique } from "../contract/bytes.ts";
import type { GaitError } from "../contract/errors.ts";
import { findInvisibleCharacter, trimLower, trimSpace } from "../contract/text.ts";
import { Timestamp } from "../contract/time.ts";

/** Builds the usage error of the command that mints the grant (its hint names that command). */
export type UsageError = (message: string) => GaitError;

/** Scope entries trimmed, lower-cased, without empties, sorted and unique. */
export function normalizeScope(scope: readonly string[]): string[] {
  return sortedUnique(scope.map((s) => trimLower(s)).filter((s) => s !== ""));
}

/** A trimmed identity to sign (approver, delegator, delegate); empty or invisible characters are refused. */
export function requireIdentity(value: string, flag: string, usage: UsageError): string {
  const identity = trimSpace(value);
  if (!identity) throw usage(`${flag} is required`);
  const invisible = findInvisibleCharacter(identity);
  if (invisible) throw usage(`${flag} contains an invisible character (${invisible.codePoint})`);
  return identity;
}

/** A sha256 digest to bind the grant to, lower-cased. */
export function requireDigest(value: string, flag: string, usage: UsageError): string {
  const digest = trimLower(value);
  if (!isSha256Hex(digest)) throw usage(`${flag} must be 64 hex characters`);
  return digest;
}

/** As requireDigest, but an absent or empty value binds nothing (""). */
export function optionalDigest(value: string | undefined, flag: string, usage: UsageError): string {
  const digest = trimLower(value ?? "");
  return digest === "" ? "" : requireDigest(digest, flag, usage);
}

/**
 * When a token must be valid. A live decision checks the real clock. A replay or simulation at
 * another `--evaluation-time` checks that time *and* the real clock, so moving the evaluation
 * time can never revive an expired token, nor accept a token before it was created.
 */
export interface ApprovalClock {
  /** The real clock at decision time. */
  now: Timestamp;
  /** The time the decision is evaluated at, when it is not now. */
  evaluationTime?: Timestamp | undefined;
}

/** A token's expires_at in UTC, or undefined when expires_at or created_at is not a readable time. */
export function readTokenExpiry(token: { expires_at: string; created_at: string }): string | undefined {
  try {
    const expiresAt = Timestamp.parse(trimSpace(token.expires_at)).utc().toString();
    Timestamp.parse(trimSpace(token.created_at));
    return expiresAt;
  } catch {
    return undefined;
  }
}

/**
 * `expired` when past expiry at the evaluation time or now; `not_yet_valid` before created_at at
 * the evaluation time. The token's times must have been read by readTokenExpiry.
 */
export function tokenTiming(
  token: { expires_at: string; created_at: string },
  clock: ApprovalClock,
): "expired" | "not_yet_valid" | undefined {
  const expiresAt = Timestamp.parse(token.expires_at);
  const at = clock.evaluationTime ?? clock.now;
  if (at.compare(expiresAt) >= 0 || clock.now.compare(expiresAt) >= 0) return "expired";
  if (clock.evaluationTime && clock.evaluationTime.compare(Timestamp.parse(token.created_at)) < 0) {
    return "not_yet_valid";
  }
  return undefined;
}
