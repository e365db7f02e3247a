/** `gait approve`: mint a signed approval token bound to one intent and policy. */
import { resolve } from "node:path";
import { writeFileAtomic } from "../../contract/files.ts";
import { resolveSigningKey } from "../../contract/keys.ts";
import { parseGoDuration } from "../../contract/time.ts";
import { mintApprovalToken, prettyJson } from "../../gate/index.ts";
import {
  type CommandContext,
  command,
  listOption,
  type Options,
  requireOptions,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readProjectSigningKeyRequest, signingKeyOptions } from "../keyflags.ts";

const APPROVE_EXAMPLE =
  "gait approve --intent-digest <hex> --policy-digest <hex> --ttl 1h --scope tool:tool.write --approver alice --reason-code change_ticket_42 --key-mode prod --private-key approver.key";

export const approveCommand = command({
  name: "approve",
  explain: "Mint a signed, time-limited approval token bound to one intent digest and one policy digest.",
  options: [
    { name: "intent-digest", value: "sha256", description: "intent_digest from gate eval (64 hex)" },
    { name: "policy-digest", value: "sha256", description: "policy_digest from gate eval (64 hex)" },
    {
      name: "ttl",
      value: "duration",
      description: "how long the token is valid, e.g. 30m or 1h",
      default: "1h",
    },
    {
      name: "scope",
      value: "csv",
      description: "granted scope, e.g. tool:tool.write,phase:apply,destructive:apply",
    },
    { name: "approver", value: "identity", description: "who approves" },
    { name: "reason-code", value: "code", description: "why, e.g. incident_hotfix" },
    { name: "max-targets", value: "n", description: "refuse intents with more targets than this" },
    { name: "max-ops", value: "n", description: "refuse intents with more operations than this" },
    {
      name: "delegation-binding-digest",
      value: "sha256",
      description: "bind the token to a delegation chain digest",
    },
    { name: "out", value: "path", description: "token path (default approval_<token_id>.json)" },
    ...signingKeyOptions,
  ],
  examples: [APPROVE_EXAMPLE],
  run: async (_args: string[], options: Options, ctx: CommandContext) => {
    requireOptions(
      options,
      ["intent-digest", "policy-digest", "scope", "approver", "reason-code"],
      APPROVE_EXAMPLE,
    );
    const signing = await resolveSigningKey(await readProjectSigningKeyRequest(options, ctx.cwd), {
      env: ctx.env,
      cwd: ctx.cwd,
      warn: ctx.warn,
    });
    const token = mintApprovalToken(
      {
        intentDigest: stringOption(options, "intent-digest")!,
        policyDigest: stringOption(options, "policy-digest")!,
        approver: stringOption(options, "approver")!,
        reasonCode: stringOption(options, "reason-code")!,
        scope: listOption(options, "scope"),
        ttlNanos: parseGoDuration(stringOption(options, "ttl") ?? "1h", "--ttl"),
        maxTargets: intOption(options, "max-targets"),
        maxOps: intOption(options, "max-ops"),
        delegationBindingDigest: stringOption(options, "delegation-binding-digest"),
        now: ctx.clock(),
      },
      signing.key,
    );
    const out = stringOption(options, "out") ?? `approval_${token.token_id}.json`;
    await writeFileAtomic(resolve(ctx.cwd, out), prettyJson(token));
    for (const warning of signing.warnings) ctx.warn(warning);
    return {
      output: {
        token_id: token.token_id,
        token_path: out,
        expires_at: token.expires_at,
        reason_code: token.reason_code,
        scope: token.scope,
        max_targets: token.max_targets ?? 0,
        max_ops: token.max_ops ?? 0,
        key_id: signing.key.keyId,
      },
      human: [
        `token_id=${token.token_id}`,
        `token_path=${out}`,
        `expires_at=${token.expires_at}`,
        `key_id=${signing.key.keyId}`,
      ],
    };
  },
});

function intOption(options: Options, name: string): number | undefined {
  const text = stringOption(options, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw invalidInput("usage", `--${name} must be a non-negative integer`);
  return value;
}
