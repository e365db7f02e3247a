/** `gait delegate mint|verify`: signed delegation tokens (CONTRACTS.md §5.12). */
import { resolve } from "node:path";
import { exitForCheck } from "../../contract/exit.ts";
import { writeFileAtomic } from "../../contract/files.ts";
import { resolveSigningKey } from "../../contract/keys.ts";
import { parseGoDuration, Timestamp } from "../../contract/time.ts";
import {
  checkDelegationToken,
  type DelegationExpectation,
  mintDelegationToken,
  parseDelegationToken,
} from "../../gate/delegation.ts";
import { MAX_TOKEN_BYTES, prettyJson } from "../../gate/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  listOption,
  type Options,
  requireOptions,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readJsonInput } from "../io.ts";
import {
  readProjectSigningKeyRequest,
  readVerifyKey,
  signingKeyOptions,
  verifyKeyOptions,
} from "../keyflags.ts";

const MINT_EXAMPLE =
  "gait delegate mint --delegator human.lead --delegate agent.worker --scope tool:tool.write --scope-class write --ttl 1h --key-mode prod --private-key lead.key";

const mintCommand = command({
  name: "mint",
  explain:
    "Mint a signed, time-limited delegation token: the delegator lets the delegate act within a scope, optionally bound to one intent and one policy.",
  options: [
    {
      name: "delegator",
      value: "identity",
      description: "who delegates (the chain link's delegator_identity)",
    },
    { name: "delegate", value: "identity", description: "who may act (the link's delegate_identity)" },
    { name: "scope", value: "csv", description: "granted scope, e.g. tool:tool.write or * for any" },
    { name: "scope-class", value: "class", description: "the scope class granted, e.g. write" },
    { name: "ttl", value: "duration", description: "how long the token is valid, e.g. 1h", default: "1h" },
    { name: "intent-digest", value: "sha256", description: "bind the token to this intent_digest (64 hex)" },
    { name: "policy-digest", value: "sha256", description: "bind the token to this policy_digest (64 hex)" },
    { name: "out", value: "path", description: "token path (default delegation_<token_id>.json)" },
    ...signingKeyOptions,
  ],
  examples: [MINT_EXAMPLE],
  run: async (_args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> => {
    requireOptions(options, ["delegator", "delegate", "scope"], MINT_EXAMPLE);
    const signing = await resolveSigningKey(await readProjectSigningKeyRequest(options, ctx.cwd), ctx);
    const token = mintDelegationToken(
      {
        delegator: stringOption(options, "delegator")!,
        delegate: stringOption(options, "delegate")!,
        scope: listOption(options, "scope"),
        scopeClass: stringOption(options, "scope-class"),
        intentDigest: stringOption(options, "intent-digest"),
        policyDigest: stringOption(options, "policy-digest"),
        ttlNanos: parseGoDuration(stringOption(options, "ttl") ?? "1h", "--ttl"),
        now: ctx.clock(),
      },
      signing.key,
    );
    const out = stringOption(options, "out") ?? `delegation_${token.token_id}.json`;
    await writeFileAtomic(resolve(ctx.cwd, out), prettyJson(token));
    for (const warning of signing.warnings) ctx.warn(warning);
    return {
      output: {
        token_id: token.token_id,
        token_path: out,
        delegator_identity: token.delegator_identity,
        delegate_identity: token.delegate_identity,
        scope: token.scope,
        ...(token.scope_class ? { scope_class: token.scope_class } : {}),
        expires_at: token.expires_at,
        key_id: signing.key.keyId,
      },
      human: [
        `token_id=${token.token_id}`,
        `token_path=${out}`,
        `delegator=${token.delegator_identity} delegate=${token.delegate_identity}`,
        `expires_at=${token.expires_at}`,
        `key_id=${signing.key.keyId}`,
      ],
    };
  },
});

const verifyCommand = command({
  name: "verify",
  explain:
    "Verify a delegation token's signature, expiry and, when given, the delegator, delegate, scope and intent/policy binding it must have; exit 2 when it does not hold.",
  args: [{ name: "token", description: "delegation token file (or use --token)" }],
  options: [
    { name: "token", value: "path", description: "delegation token file" },
    { name: "delegator", value: "identity", description: "expected delegator_identity" },
    { name: "delegate", value: "identity", description: "expected delegate_identity" },
    { name: "scope", value: "csv", description: "scope the token must grant (every entry)" },
    {
      name: "intent-digest",
      value: "sha256",
      description: "intent the token must be bound to, if it is bound",
    },
    {
      name: "policy-digest",
      value: "sha256",
      description: "policy the token must be bound to, if it is bound",
    },
    { name: "at", value: "rfc3339", description: "check expiry at this time as well as now" },
    ...verifyKeyOptions,
  ],
  examples: [
    "gait delegate verify delegation_3f2a.json --public-key lead.pub --delegate agent.worker --scope tool:tool.write",
  ],
  run: async (args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> => {
    const path = args[0] ?? stringOption(options, "token");
    if (!path) throw invalidInput("usage", "a token path is required (positional or --token)");
    const key = await readVerifyKey(options, ctx);
    if (!key) {
      throw invalidInput("usage", "delegate verify needs a public key", {
        hint: "pass --public-key PATH or --public-key-env VAR (the delegator's key)",
      });
    }
    const raw = await readJsonInput(path, ctx.cwd, "delegation token", { maxBytes: MAX_TOKEN_BYTES });
    const at = stringOption(options, "at");
    const expect: DelegationExpectation = {
      key,
      clock: { now: ctx.clock(), ...(at ? { evaluationTime: Timestamp.parse(at, "--at") } : {}) },
      delegator: stringOption(options, "delegator") ?? "",
      delegate: stringOption(options, "delegate") ?? "",
      intentDigest: (stringOption(options, "intent-digest") ?? "").toLowerCase(),
      policyDigest: (stringOption(options, "policy-digest") ?? "").toLowerCase(),
      allScope: listOption(options, "scope").map((s) => s.trim().toLowerCase()),
    };
    const check = checkDelegationToken(raw, expect);
    const token = parseDelegationToken(raw);
    const output: Record<string, unknown> = {
      ok: check.valid,
      valid: check.valid,
      path,
      token_id: check.tokenId,
      delegator_identity: check.delegator,
      delegate_identity: check.delegate,
      scope: check.scope,
      ...(token?.scope_class ? { scope_class: token.scope_class } : {}),
      expires_at: check.expiresAt,
      key_id: key.keyId,
    };
    if (check.errorCode) {
      output.error_code = check.errorCode;
      output.error = `delegation token does not hold: ${check.errorCode}`;
    }
    return {
      exitCode: exitForCheck(check.valid),
      output,
      human: check.valid
        ? [`delegation token ${check.tokenId}: valid (${check.delegator} -> ${check.delegate})`]
        : [`delegation token ${check.tokenId || path}: ${check.errorCode}`],
    };
  },
});

export const delegateGroup = group({
  name: "delegate",
  explain:
    "Mint and verify signed delegation tokens, which `gait gate eval --delegation-token` checks for rules with require_delegation.",
  commands: [mintCommand, verifyCommand],
});
