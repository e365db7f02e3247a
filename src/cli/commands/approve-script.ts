/** `gait approve-script` and `gait list-scripts`: the signed approved-script registry. */
import { resolve } from "node:path";
import { resolveSigningKey } from "../../contract/keys.ts";
import { parseGoDuration } from "../../contract/time.ts";
import {
  addApprovedScript,
  listApprovedScripts,
  mintApprovedScriptEntry,
  readApprovedScriptRegistry,
} from "../../gate/approved-scripts.ts";
import { compilePolicy, loadPolicyFile, MAX_INTENT_BYTES, prepareIntent } from "../../gate/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
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

const APPROVE_SCRIPT_EXAMPLE =
  "gait approve-script --policy gait.policy.yaml --intent deploy_script.json --registry approved_scripts.json --approver alice --key-mode prod --private-key alice.key";

export const approveScriptCommand = command({
  name: "approve-script",
  explain:
    "Pre-approve one script intent under one policy: add a signed entry (policy digest, script hash, tool sequence, scope, expiry) to an approved-script registry that gate eval --approved-script-registry reads.",
  options: [
    { name: "policy", value: "path", description: "policy YAML the approval is bound to" },
    { name: "intent", value: "path", description: "script intent request JSON (with script.steps)" },
    {
      name: "registry",
      value: "path",
      description: "registry file to add the entry to (created if missing)",
    },
    { name: "approver", value: "identity", description: "who approves" },
    {
      name: "pattern-id",
      value: "id",
      description: "entry name (default script_<16 hex>); replaces an entry of that name",
    },
    { name: "ttl", value: "duration", description: "how long the entry is valid", default: "168h" },
    {
      name: "scope",
      value: "csv",
      description: "narrow the entry: risk:<class>, tool:<name>, workspace_prefix:<path>, endpoint:<class>",
    },
    ...signingKeyOptions,
  ],
  examples: [APPROVE_SCRIPT_EXAMPLE],
  run: async (_args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> => {
    requireOptions(options, ["policy", "intent", "registry", "approver"], APPROVE_SCRIPT_EXAMPLE);
    const policyPath = stringOption(options, "policy")!;
    const registry = stringOption(options, "registry")!;
    const compiled = compilePolicy(await loadPolicyFile(resolve(ctx.cwd, policyPath), policyPath));
    const intent = await readJsonInput(stringOption(options, "intent")!, ctx.cwd, "intent", {
      maxBytes: MAX_INTENT_BYTES,
    });
    const signing = await resolveSigningKey(await readProjectSigningKeyRequest(options, ctx.cwd), ctx);
    const entry = mintApprovedScriptEntry(
      {
        prepared: prepareIntent(intent),
        policyDigest: compiled.policyDigest,
        approver: stringOption(options, "approver")!,
        patternId: stringOption(options, "pattern-id"),
        scope: listOption(options, "scope"),
        ttlNanos: parseGoDuration(stringOption(options, "ttl") ?? "168h", "--ttl"),
        now: ctx.clock(),
      },
      signing.key,
    );
    const count = await addApprovedScript(resolve(ctx.cwd, registry), entry, registry);
    for (const warning of signing.warnings) ctx.warn(warning);
    return {
      output: {
        registry,
        pattern_id: entry.pattern_id,
        policy_digest: entry.policy_digest,
        script_hash: entry.script_hash,
        tool_sequence: entry.tool_sequence,
        scope: entry.scope ?? [],
        approver_identity: entry.approver_identity,
        expires_at: entry.expires_at,
        entry_count: count,
        key_id: signing.key.keyId,
      },
      human: [
        `pattern_id=${entry.pattern_id}`,
        `script_hash=${entry.script_hash}`,
        `tool_sequence=${entry.tool_sequence.join(",")}`,
        `expires_at=${entry.expires_at}`,
        `registry=${registry} (${count} entries)`,
      ],
    };
  },
});

export const listScriptsCommand = command({
  name: "list-scripts",
  explain:
    "List the entries of an approved-script registry, sorted, with expired flags; with a public key, whether each entry's signature verifies.",
  options: [
    { name: "registry", value: "path", description: "approved-script registry file" },
    ...verifyKeyOptions,
  ],
  examples: ["gait list-scripts --registry approved_scripts.json --public-key alice.pub --json"],
  run: async (_args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> => {
    const registry = stringOption(options, "registry");
    if (!registry) {
      throw invalidInput("usage", "--registry is required", {
        hint: "e.g. gait list-scripts --registry approved_scripts.json --public-key alice.pub --json",
      });
    }
    const key = await readVerifyKey(options, ctx);
    const entries = listApprovedScripts(
      await readApprovedScriptRegistry(resolve(ctx.cwd, registry), registry),
      ctx.clock(),
      key,
    );
    return {
      output: { registry, count: entries.length, entries },
      human:
        entries.length === 0
          ? [`${registry}: no entries`]
          : entries.map(
              (e) =>
                `${e.pattern_id} tools=${e.tool_sequence.join(",")} expires_at=${e.expires_at}${e.expired ? " (expired)" : ""}${
                  e.verified === undefined ? "" : e.verified ? " verified" : ` NOT VERIFIED: ${e.error}`
                }`,
            ),
    };
  },
});
