/**
 * Broker configuration as flags, config keys and SDK options give it, and the broker it makes.
 * Each broker's code is imported only when that broker is chosen (openid-client only for oauth2).
 */
import { resolve } from "node:path";
import { invalidInput } from "./error-codes.ts";
import { BROKER_KINDS, type BrokerKind, type CredentialBroker } from "./types.ts";

export interface BrokerConfig {
  kind: BrokerKind;
  /** env: variable prefix (default GAIT_BROKER_TOKEN_). */
  envPrefix?: string | undefined;
  /** command: the helper program and its arguments. */
  command?: string | undefined;
  commandArgs?: readonly string[] | undefined;
  /** oauth2 */
  oauth2Issuer?: string | undefined;
  oauth2ClientId?: string | undefined;
  oauth2ClientSecretEnv?: string | undefined;
  oauth2Audience?: string | undefined;
  oauth2SubjectTokenEnv?: string | undefined;
  /** Reference and scopes to request when the deciding rules name none. */
  defaultReference?: string | undefined;
  defaultScopes?: readonly string[] | undefined;
}

export interface BrokerIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export function isBrokerKind(value: string): value is BrokerKind {
  return (BROKER_KINDS as readonly string[]).includes(value);
}

export function parseBrokerKind(value: string, what = "--credential-broker"): BrokerKind {
  if (isBrokerKind(value)) return value;
  throw invalidInput("broker_config_invalid", `${what} ${JSON.stringify(value)} is not a broker`, {
    hint: `use one of ${BROKER_KINDS.join(", ")}`,
  });
}

/** The broker `config` names; undefined for `off`. Checks the options the kind needs. */
export async function createBroker(
  config: BrokerConfig,
  io: BrokerIo,
): Promise<CredentialBroker | undefined> {
  const broker = await brokerOfKind(config, io);
  if (broker && (config.defaultReference || config.defaultScopes?.length)) {
    broker.defaults = { reference: config.defaultReference, scopes: config.defaultScopes };
  }
  return broker;
}

async function brokerOfKind(config: BrokerConfig, io: BrokerIo): Promise<CredentialBroker | undefined> {
  switch (config.kind) {
    case "off":
      return undefined;
    case "stub":
      return (await import("./stub.ts")).stubBroker();
    case "env":
      return (await import("./env.ts")).envBroker({ prefix: config.envPrefix, env: io.env });
    case "command": {
      const command = required(config.command, "--credential-command", "the credential helper program");
      // A relative helper path is relative to the working directory, like every other path flag.
      const program = command.includes("/") ? resolve(io.cwd, command) : command;
      return (await import("./command.ts")).commandBroker({
        command: program,
        args: config.commandArgs ?? [],
        cwd: io.cwd,
        env: io.env,
      });
    }
    case "oauth2":
      return (await import("./oauth2.ts")).oauth2Broker({
        issuer: required(config.oauth2Issuer, "--oauth2-issuer", "the issuer URL"),
        clientId: required(config.oauth2ClientId, "--oauth2-client-id", "the client id"),
        clientSecretEnv: required(
          config.oauth2ClientSecretEnv,
          "--oauth2-client-secret-env",
          "the NAME of the variable holding the client secret",
        ),
        ...(config.oauth2Audience ? { audience: config.oauth2Audience } : {}),
        ...(config.oauth2SubjectTokenEnv ? { subjectTokenEnv: config.oauth2SubjectTokenEnv } : {}),
        env: io.env,
      });
  }
}

function required(value: string | undefined, flag: string, what: string): string {
  if (value?.trim()) return value.trim();
  throw invalidInput("broker_config_invalid", `this credential broker needs ${flag} (${what})`, {
    hint: `pass ${flag}, or set it in .gait/config.yaml (gate.credential_*/oauth2_*)`,
  });
}
