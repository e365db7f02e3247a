/**
 * The credential broker flags `gate eval` and `gate serve` share (REFERENCE §2.4), read into a
 * BrokerConfig. Only the names and the config shape are here; the broker code is loaded by the
 * Gate, and only when a broker other than `off` is chosen.
 */
import type { BrokerConfig } from "../broker/config.ts";
import { type OptionSpec, type Options, stringOption } from "./command.ts";
import { invalidInput } from "./error-codes.ts";

const KINDS = ["off", "stub", "env", "command", "oauth2"] as const;

export const brokerOptions: OptionSpec[] = [
  {
    name: "credential-broker",
    value: "off|stub|env|command|oauth2",
    description:
      "issue a just-in-time credential for rules with require_broker_credential (default off: those rules block)",
  },
  {
    name: "credential-env-prefix",
    value: "prefix",
    description: "env broker: variable prefix (default GAIT_BROKER_TOKEN_)",
  },
  {
    name: "credential-ref",
    value: "ref",
    description: "broker reference when the rule names none (the rule's broker_reference wins)",
  },
  {
    name: "credential-scopes",
    value: "csv",
    description: "scopes to request when the rule names none (the rule's broker_scopes win)",
  },
  { name: "credential-command", value: "program", description: "command broker: the credential helper" },
  {
    name: "credential-command-args",
    value: "csv",
    description: "command broker: the helper's arguments, comma-separated",
  },
  {
    name: "credential-evidence-out",
    value: "path",
    description:
      "credential evidence record path (default credential_evidence_<trace_id>.json beside the trace)",
  },
  {
    name: "oauth2-issuer",
    value: "url",
    description: "oauth2 broker: the issuer (discovery via .well-known)",
  },
  { name: "oauth2-client-id", value: "id", description: "oauth2 broker: the client id" },
  {
    name: "oauth2-client-secret-env",
    value: "VAR",
    description: "oauth2 broker: NAME of the variable holding the client secret",
  },
  {
    name: "oauth2-audience",
    value: "aud",
    description: "oauth2 broker: the audience (resource) the token is for",
  },
  {
    name: "oauth2-subject-token-env",
    value: "VAR",
    description: "oauth2 broker: NAME of the variable holding a subject token (RFC 8693 token exchange)",
  },
];

/** The Gate's (or sidecar's) broker option, when the flags (or config) choose one. */
export function withBroker(broker: BrokerConfig | undefined): { broker?: BrokerConfig } {
  return broker ? { broker } : {};
}

/** The broker the flags choose; undefined for none (or `off`). */
export function readBrokerFlags(options: Options): BrokerConfig | undefined {
  const kind = stringOption(options, "credential-broker") ?? "off";
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw invalidInput("usage", `--credential-broker ${JSON.stringify(kind)} is not a broker`, {
      hint: `use one of ${KINDS.join(", ")}`,
    });
  }
  if (kind === "off") return undefined;
  const csv = (name: string) =>
    stringOption(options, name)
      ?.split(",")
      .map((part) => part.trim())
      .filter(Boolean);
  return {
    kind: kind as BrokerConfig["kind"],
    envPrefix: stringOption(options, "credential-env-prefix"),
    defaultReference: stringOption(options, "credential-ref"),
    defaultScopes: csv("credential-scopes"),
    command: stringOption(options, "credential-command"),
    commandArgs: csv("credential-command-args"),
    oauth2Issuer: stringOption(options, "oauth2-issuer"),
    oauth2ClientId: stringOption(options, "oauth2-client-id"),
    oauth2ClientSecretEnv: stringOption(options, "oauth2-client-secret-env"),
    oauth2Audience: stringOption(options, "oauth2-audience"),
    oauth2SubjectTokenEnv: stringOption(options, "oauth2-subject-token-env"),
  };
}
