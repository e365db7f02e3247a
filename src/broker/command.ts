/**
 * The command broker: runs a credential helper with the request JSON (plus `request_digest`) on
 * stdin and reads one JSON object from its stdout: a broker response (response.ts) or a provider
 * receipt (receipts.ts), with the reference's limits: 5 s timeout (the helper's process group is
 * killed), 16 KiB of output, a command without whitespace (a program, not a shell line; arguments
 * go in `args`), and, when GAIT_CREDENTIAL_COMMAND_ALLOWLIST is set, only a command it lists
 * (comma-separated).
 */
import { parseJsonStrict } from "../contract/canonical.ts";
import { type HelperFailure, runHelper } from "../contract/process.ts";
import { invalidInput, ioFailure } from "./error-codes.ts";
import { parseHelperAnswer } from "./receipts.ts";
import type { BrokerIssue, BrokerRequest, CredentialBroker, IssueContext } from "./types.ts";

export const COMMAND_TIMEOUT_MS = 5_000;
export const COMMAND_MAX_OUTPUT_BYTES = 16 * 1024;
export const COMMAND_ALLOWLIST_ENV = "GAIT_CREDENTIAL_COMMAND_ALLOWLIST";

const FAILURE_CODES = {
  spawn: "broker_command_failed",
  timeout: "broker_command_timeout",
  too_large: "broker_command_output_too_large",
  exit: "broker_command_failed",
} as const satisfies Record<HelperFailure["kind"], string>;

export interface CommandBrokerOptions {
  command: string;
  args?: readonly string[];
  cwd?: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
}

export function commandBroker(options: CommandBrokerOptions): CredentialBroker {
  checkCommand(options);
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  return {
    kind: "command",
    issue: async (request: BrokerRequest, { requestDigest, now }: IssueContext): Promise<BrokerIssue> => {
      const name = `credential command ${options.command}`;
      const answer = await runHelper(options.command, options.args ?? [], {
        ...(options.cwd ? { cwd: options.cwd } : {}),
        env: options.env,
        input: JSON.stringify({ ...request, request_digest: requestDigest }),
        timeoutMs,
        maxOutputBytes: COMMAND_MAX_OUTPUT_BYTES,
      });
      if ("failure" in answer) {
        const { kind, why } = answer.failure;
        throw ioFailure(FAILURE_CODES[kind], `${name} ${why}`);
      }
      let parsed: unknown;
      try {
        parsed = parseJsonStrict(answer.stdout, name);
      } catch {
        parsed = undefined;
      }
      return parseHelperAnswer(parsed, { request, requestDigest, now }, name);
    },
  };
}

function checkCommand({ command, env }: CommandBrokerOptions): void {
  if (!command || /\s/.test(command)) {
    throw invalidInput(
      "broker_config_invalid",
      `credential command ${JSON.stringify(command)} must be one program without whitespace`,
      {
        hint: "name the helper program alone and pass its arguments with --credential-command-args",
      },
    );
  }
  const allowlist = env[COMMAND_ALLOWLIST_ENV];
  if (allowlist === undefined || allowlist.trim() === "") return;
  const allowed = allowlist
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!allowed.includes(command)) {
    throw invalidInput(
      "broker_command_not_allowed",
      `credential command ${command} is not in ${COMMAND_ALLOWLIST_ENV}`,
      {
        hint: `add it to ${COMMAND_ALLOWLIST_ENV} (comma-separated), or use a listed helper`,
      },
    );
  }
}
