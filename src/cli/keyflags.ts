/**
 * The key flags every signing or verifying command shares, so they read the same everywhere:
 * `--key-mode`, `--private-key[-env]`, `--public-key[-env]`, and prefixed variants such as
 * `--approval-public-key[-env]` for commands that verify a second kind of signature.
 */

import { projectDevKey, projectVerifyKey } from "../config/index.ts";
import {
  KEY_MODES,
  type KeyIo,
  type KeyMode,
  type KeySource,
  keyModeFor,
  resolveVerifyKey,
  type SigningKeyRequest,
  type VerifyKeyRequest,
} from "../contract/keys.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { GATE_PROFILES } from "../gate/index.ts";
import { type OptionSpec, type Options, stringOption } from "./command.ts";
import { invalidInput } from "./error-codes.ts";

function flagName(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}-${name}` : name;
}

/**
 * Verify-key flags, optionally prefixed: keyOptions("approval") gives --approval-public-key,
 * --approval-public-key-env, --approval-private-key and --approval-private-key-env.
 */
export function keyOptions(prefix?: string): OptionSpec[] {
  const what = prefix ? `${prefix} ` : "";
  return [
    {
      name: flagName(prefix, "public-key"),
      value: "path",
      description: `${what}public key file (base64 of the raw 32-byte Ed25519 key)`,
    },
    {
      name: flagName(prefix, "public-key-env"),
      value: "var",
      description: `name of the environment variable holding the base64 ${what}public key`,
    },
    {
      name: flagName(prefix, "private-key"),
      value: "path",
      description: `${what}private key file; its public half is used`,
    },
    {
      name: flagName(prefix, "private-key-env"),
      value: "var",
      description: `name of the environment variable holding the base64 ${what}private key`,
    },
  ];
}

export const verifyKeyOptions: OptionSpec[] = keyOptions();

/** `--profile standard|oss-prod` (the rules are the gate core's, src/gate/setup.ts). */
export const profileOption: OptionSpec = {
  name: "profile",
  value: "name",
  choices: GATE_PROFILES,
  description:
    "standard (default) or oss-prod, which refuses dev keys, default-allow policies, --simulate, --evaluation-time and approval tokens without explicit approval keys",
};

export const signingKeyOptions: OptionSpec[] = [
  {
    name: "key-mode",
    value: "mode",
    choices: KEY_MODES,
    description:
      "dev (ephemeral key, with a warning) or prod (explicit key); the default depends on the command",
  },
  {
    name: "private-key",
    value: "path",
    description: "signing key file (base64 of the 64-byte seed+public key); implies --key-mode prod",
  },
  {
    name: "private-key-env",
    value: "var",
    description: "name of the environment variable holding the base64 signing key",
  },
  {
    name: "public-key",
    value: "path",
    description: "public key file; when given it must match the signing key",
  },
  {
    name: "public-key-env",
    value: "var",
    description: "name of the environment variable holding the base64 public key",
  },
];

/** Reads `--<name>` / `--<name>-env` into a key source, or undefined when neither is given. */
export function readKeySource(options: Options, name: string): KeySource | undefined {
  const path = stringOption(options, name);
  const env = stringOption(options, `${name}-env`);
  if (path === undefined && env === undefined) return undefined;
  return { ...(path !== undefined && { path }), ...(env !== undefined && { env }) };
}

/** Mode and sources from the signing flags: without --key-mode, a key flag means prod (keyModeFor). */
export function readSigningKeyRequest(options: Options): SigningKeyRequest {
  const given = stringOption(options, "key-mode");
  if (given !== undefined && !(KEY_MODES as readonly string[]).includes(given)) {
    throw invalidInput("usage", `--key-mode must be dev or prod, not ${JSON.stringify(given)}`, {
      hint: "use --key-mode dev or --key-mode prod",
    });
  }
  const privateKey = readKeySource(options, "private-key");
  return {
    mode: keyModeFor(given as KeyMode | undefined, privateKey),
    privateKey,
    publicKey: readKeySource(options, "public-key"),
  };
}

/**
 * The signing request with the project's dev key (config/project-key.ts) for dev mode: in a
 * project, dev-mode signatures use its persistent key (created on first use) instead of a
 * throwaway one, so they verify later without key flags.
 */
export async function readProjectSigningKeyRequest(
  options: Options,
  cwd: string,
): Promise<SigningKeyRequest> {
  const request = readSigningKeyRequest(options);
  if (request.mode !== "dev" || request.privateKey || request.publicKey) return request;
  const devKey = await projectDevKey(cwd);
  return devKey ? { ...request, devKey } : request;
}

/**
 * For commands that sign only when asked (run record, pack build): signed as asked (a key mode or
 * a private key; a key means prod, as the reference does), else with the project's dev key in a
 * project (so the artifact verifies there), else unsigned (undefined).
 */
export async function readOptionalSigningRequest(
  options: Options,
  cwd: string,
): Promise<SigningKeyRequest | undefined> {
  if (stringOption(options, "key-mode") || readKeySource(options, "private-key")) {
    return readProjectSigningKeyRequest(options, cwd);
  }
  const devKey = await projectDevKey(cwd);
  return devKey ? { mode: "dev", devKey } : undefined;
}

/**
 * The key to verify with: the flags', else the project's dev public key (marked as found rather
 * than given, so a verifier can use it only for signatures that name it).
 */
export async function readProjectVerifyKey(
  options: Options,
  io: KeyIo,
  prefix?: string,
): Promise<{ key: VerifyKey; given: boolean } | undefined> {
  const given = await readVerifyKey(options, io, prefix);
  if (given) return { key: given, given: true };
  const found = await projectVerifyKey(io.cwd);
  return found ? { key: found.key, given: false } : undefined;
}

/** The key the keyOptions(prefix) flags give (unprefixed when `prefix` is omitted), or undefined. */
export function readVerifyKey(options: Options, io: KeyIo, prefix?: string): Promise<VerifyKey | undefined> {
  return resolveVerifyKey(readVerifyKeySources(options, prefix), io);
}

/** Sources from keyOptions(prefix) flags (unprefixed when `prefix` is omitted). */
export function readVerifyKeySources(options: Options, prefix?: string): VerifyKeyRequest {
  return {
    publicKey: readKeySource(options, flagName(prefix, "public-key")),
    privateKey: readKeySource(options, flagName(prefix, "private-key")),
  };
}
