/** `gait gate eval`: the CLI shell over the SDK's Gate, one decision per process. */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { isJsonObject } from "../../contract/canonical.ts";
import { exitForVerdict } from "../../contract/exit.ts";
import { writeFileAtomic } from "../../contract/files.ts";
import { Timestamp } from "../../contract/time.ts";
import {
  buildGateResult,
  buildPolicyExplain,
  DEFAULT_RATE_LIMIT_STATE,
  type GateProfile,
  loadPolicyFileWithCache,
  MAX_INTENT_BYTES,
  MAX_TOKEN_BYTES,
  parsePolicyYaml,
  prettyJson,
} from "../../gate/index.ts";
// The Gate and the decision JSON, not the whole SDK face: its index also carries the recorder
// (runpack) and the trace worker's bundled thread source, which a one-shot CLI call never needs
// and would pay for at start-up.
import { decisionErrorToGaitError, decisionToJson, type GateDecisionJson } from "../../sdk/decision.ts";
import { createGate, type EvaluateOptions } from "../../sdk/gate.ts";
import type { IntentRequest } from "../../sdk/intent-request.ts";
import { approvalOptions, readApprovalFlags } from "../approval-flags.ts";
import { brokerOptions, readBrokerFlags, withBroker } from "../broker-flags.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  listOption,
  type Options,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { gateInputOptions, killSwitchStatePath, readGateInputs } from "../gate-input-flags.ts";
import {
  grantOptions,
  readApprovedScripts,
  readDelegationKey,
  readDelegationOptions,
} from "../grant-flags.ts";
import { readJsonInput, showPath } from "../io.ts";
import { profileOption, readProjectSigningKeyRequest, signingKeyOptions } from "../keyflags.ts";
import { projectConfigOptions, withGateDefaults } from "../project-defaults.ts";
import { gateLimitsGroup } from "./gate-limits.ts";
import { gateServeCommand } from "./gate-serve.ts";

const gateEvalCommand = command({
  name: "eval",
  explain:
    "Evaluate one tool-call intent against a policy, sign a trace of the decision, and exit 0 (allow/dry_run), 3 (block) or 4 (approval required).",
  structuredExplain: true,
  options: [
    { name: "policy", value: "path", description: "policy YAML file (default: gate.policy from the config)" },
    {
      name: "intent",
      value: "path",
      description: "intent request JSON file (gait.gate.intent_request), or - for stdin",
    },
    {
      name: "simulate",
      description: "report what would have been blocked without enforcing (always exit 0)",
    },
    {
      name: "evaluation-time",
      value: "rfc3339",
      description:
        "replay or simulate as of this time (freeze windows, limit buckets); approvals must also be valid now, no state is written; refused under oss-prod",
    },
    {
      name: "approval-token",
      value: "path",
      description: "approval token file (repeatable)",
      repeatable: true,
    },
    {
      name: "approval-token-chain",
      value: "paths",
      description: "comma-separated approval token files for multi-party approval",
    },
    {
      name: "approval-token-ref",
      value: "ref",
      description:
        "approval token by reference: a token id (resolved to approval_<token_id>.json in the current directory, where gait approve writes it) or a token file path; repeatable, comma-separated",
      repeatable: true,
    },
    ...approvalOptions,
    {
      name: "approval-audit-out",
      value: "path",
      description: "approval audit path (default approval_audit_<trace_id>.json)",
    },
    ...grantOptions,
    ...gateInputOptions,
    ...brokerOptions,
    {
      name: "trace-out",
      value: "path",
      description:
        "trace path, which must not exist (default: trace_<trace_id>.json in --trace-dir, or the next free trace_<trace_id>.<n>.json)",
    },
    {
      name: "result-out",
      value: "path",
      description: "also write the decision as a gait.gate.result artifact to this path",
    },
    {
      name: "trace-dir",
      value: "dir",
      description: "directory for trace_<trace_id>.json (default: the current directory)",
    },
    {
      name: "rate-limit-state",
      value: "path",
      description: `rate-limit counter file (default ${DEFAULT_RATE_LIMIT_STATE})`,
    },
    profileOption,
    ...signingKeyOptions,
    ...projectConfigOptions,
  ],
  examples: [
    "gait gate eval --policy gait.policy.yaml --intent intent.json --json",
    "gait gate eval --policy p.yaml --intent i.json --approval-token approval_abc.json --approval-public-key approver.pub",
    "gait gate eval --policy p.yaml --intent i.json --approval-token-ref b68a3c0bd5a7af6eb3c47cea --approval-public-key approver.pub",
    "gait gate eval --policy p.yaml --intent i.json --key-mode prod --private-key gait-out/keys/gait_private.key",
    "gait gate eval --policy p.yaml --intent i.json --credential-broker oauth2 --oauth2-issuer https://login.example.com --oauth2-client-id gait --oauth2-client-secret-env GAIT_OAUTH2_SECRET --oauth2-audience https://api.example.com",
    "gait gate eval --policy p.yaml --intent i.json --delegation-token delegation_abc.json --delegation-public-key lead.pub",
    "gait gate eval --policy p.yaml --intent script.json --approved-script-registry scripts.json --approved-script-public-key approver.pub",
    "gait gate eval --policy p.yaml --intent i.json --kill-switch-state .gait-out/kill_switch_state.json --json",
    "gait gate eval --policy p.yaml --intent i.json --context-envelope context_envelope.json --wrkr-inventory wrkr_inventory.json",
  ],
  run: runEval,
});

async function runEval(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const { options } = await withGateDefaults(flags, ctx);
  const policyPath = stringOption(options, "policy");
  const intentPath = stringOption(options, "intent");
  if (!intentPath) throw invalidInput("usage", "--intent is required");
  if (!policyPath) {
    throw invalidInput("usage", "--policy is required (or gate.policy in .gait/config.yaml)", {
      hint: "pass --policy PATH, or run `gait init` to write .gait.yaml and .gait/config.yaml",
    });
  }
  // `pack:<name>/<file>`: a policy file of an installed registry pack, checked against gait.lock.
  const packPolicy = policyPath.startsWith("pack:")
    ? await (await import("../../registry/index.ts")).readPackPolicy(policyPath, ctx.cwd)
    : undefined;
  const io = { env: ctx.env, cwd: ctx.cwd, warn: ctx.warn };
  const keyWarnings: string[] = [];
  const keys = await readProjectSigningKeyRequest(options, ctx.cwd);
  const approvals = await readApprovalFlags(options, io);
  const delegationKey = await readDelegationKey(options, io);
  const profile = (stringOption(options, "profile") ?? "standard") as GateProfile;
  const gate = await createGate({
    policy: packPolicy
      ? { ...parsePolicyYaml(packPolicy.bytes.toString("utf8"), policyPath), path: packPolicy.path }
      : await loadPolicyFileWithCache(resolve(ctx.cwd, policyPath), policyPath, ctx.env),
    profile,
    keyMode: keys.mode,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    ...(keys.devKey ? { devKey: keys.devKey } : {}),
    ...(approvals.approvers ? { approvers: approvals.approvers } : {}),
    ...(approvals.approvalKey ? { approvalPublicKey: approvals.approvalKey } : {}),
    ...(approvals.ledgerPath ? { approvalLedgerPath: approvals.ledgerPath } : {}),
    ...(delegationKey ? { delegationPublicKey: delegationKey } : {}),
    rateLimitStatePath: stringOption(options, "rate-limit-state") ?? DEFAULT_RATE_LIMIT_STATE,
    killSwitchState: killSwitchStatePath(options, ctx.cwd),
    ...withBroker(readBrokerFlags(options)),
    traceDir: stringOption(options, "trace-dir") ?? "",
    // One shot: the trace is on disk before the verdict is printed (a failure is the answer).
    traceDurability: "durable",
    onError: () => {},
    simulate: options.simulate === true,
    clock: ctx.clock,
    cwd: ctx.cwd,
    env: ctx.env,
    // Key warnings (dev mode) are said only once something was signed.
    onWarning: (message) => keyWarnings.push(message),
  });
  // Any JSON is accepted here and checked by the gate: only a valid IntentRequest is evaluated.
  const intent = (await readJsonInput(intentPath, ctx.cwd, "intent", {
    maxBytes: MAX_INTENT_BYTES,
  })) as unknown as IntentRequest;
  const approvedScripts = await readApprovedScripts(options, ctx, intent, profile);
  const decision = await gate.evaluateAsync(intent, {
    ...(await evaluateOptions(options, ctx)),
    ...(await readDelegationOptions(options, ctx.cwd)),
    ...(approvedScripts ? { approvedScripts } : {}),
    ...(await readGateInputs(options, ctx, intent, profile)),
  });
  await gate.close();
  if (decision.error) throw decisionErrorToGaitError(decision.error);
  for (const warning of keyWarnings) ctx.warn(warning);
  const outcome = decision.outcome!;
  const resultOut = stringOption(options, "result-out");
  if (resultOut) await writeFileAtomic(resolve(ctx.cwd, resultOut), prettyJson(buildGateResult(outcome)));
  const show = (path: string) => showPath(ctx.cwd, path);
  const exitCode = exitForVerdict(decision.verdict);
  if (ctx.explain) {
    const proofRefs = {
      ...(decision.tracePath ? { trace_path: show(decision.tracePath) } : {}),
      ...(decision.approvalAuditPath ? { approval_audit_path: show(decision.approvalAuditPath) } : {}),
      ...(decision.delegationAuditPath ? { delegation_audit_path: show(decision.delegationAuditPath) } : {}),
      ...(decision.credentialEvidencePath
        ? { credential_evidence_path: show(decision.credentialEvidencePath) }
        : {}),
    };
    return { exitCode, output: buildPolicyExplain(outcome, decision.traceId, proofRefs) };
  }
  const output = decisionToJson(decision, { showPath: show });
  if (!packPolicy) return { exitCode, output, human: humanLines(output) };
  const { pack } = packPolicy;
  return {
    exitCode,
    output: { ...output, policy_pack: pack },
    human: humanLines(output).toSpliced(
      1,
      0,
      `policy_pack=${pack.name}@${pack.version} sha256:${pack.digest} file=${pack.file}`,
    ),
  };
}

/** Per-decision options: tokens, replay time, exact evidence paths. */
async function evaluateOptions(options: Options, ctx: CommandContext): Promise<EvaluateOptions> {
  const refs = listOption(options, "approval-token-ref").map((ref) => resolveTokenRef(ref, ctx.cwd));
  const tokenPaths = [
    ...new Set([
      ...listOption(options, "approval-token"),
      ...listOption(options, "approval-token-chain"),
      ...refs.map((ref) => ref.path),
    ]),
  ].sort();
  const approvalTokens = await Promise.all(
    tokenPaths.map((p) => readJsonInput(p, ctx.cwd, "approval token", { maxBytes: MAX_TOKEN_BYTES })),
  );
  for (const ref of refs) {
    if (ref.tokenId === undefined) continue;
    const token = approvalTokens[tokenPaths.indexOf(ref.path)];
    const found = isJsonObject(token) ? token.token_id : undefined;
    if (found !== ref.tokenId) {
      throw invalidInput(
        "approval_token_ref_mismatch",
        `--approval-token-ref ${ref.tokenId}: ${ref.path} holds token_id ${JSON.stringify(found ?? null)}`,
        { hint: `pass the token file itself with --approval-token ${ref.path}, or the token id it holds` },
      );
    }
  }
  const evaluation: EvaluateOptions = { approvalTokens, correlationId: ctx.correlationId };
  const evaluationTime = stringOption(options, "evaluation-time");
  if (evaluationTime !== undefined) {
    evaluation.evaluationTime = Timestamp.parse(evaluationTime, "--evaluation-time");
  }
  const traceOut = stringOption(options, "trace-out");
  if (traceOut !== undefined) evaluation.tracePath = traceOut;
  const auditOut = stringOption(options, "approval-audit-out");
  if (auditOut !== undefined) evaluation.approvalAuditPath = auditOut;
  const evidenceOut = stringOption(options, "credential-evidence-out");
  if (evidenceOut !== undefined) evaluation.credentialEvidencePath = evidenceOut;
  return evaluation;
}

/** A token id: the first 24 hex of a sha256, as `gait approve` mints it (CONTRACTS.md §5.10). */
const TOKEN_ID = /^[0-9a-f]{24}$/i;

/**
 * An approval token reference: a token id names `approval_<token_id>.json` in the current
 * directory (where `gait approve` writes tokens by default); anything else is a token file path.
 */
function resolveTokenRef(ref: string, cwd: string): { path: string; tokenId?: string } {
  const tokenId = TOKEN_ID.test(ref) ? ref.toLowerCase() : undefined;
  const path = tokenId ? `approval_${tokenId}.json` : ref;
  if (!existsSync(resolve(cwd, path))) {
    throw invalidInput(
      "approval_token_ref_not_found",
      tokenId
        ? `--approval-token-ref ${ref}: no token file approval_${tokenId}.json in the current directory`
        : `--approval-token-ref ${ref}: not a token id (24 hex characters) and no such token file`,
      {
        hint: "give the token_id gait approve printed (run gait gate eval where the token file is) or the token file's path",
      },
    );
  }
  return tokenId ? { path, tokenId } : { path };
}

function humanLines(decision: GateDecisionJson): string[] {
  const lines = [
    `verdict=${decision.verdict}`,
    `reason_codes=${decision.reason_codes.join(",") || "none"}`,
    `violations=${decision.violations.join(",") || "none"}`,
  ];
  if (decision.matched_rule) lines.push(`matched_rule=${decision.matched_rule}`);
  if (decision.would_have_blocked)
    lines.push(`simulated_verdict=${decision.simulated_verdict} (not enforced)`);
  if (decision.trace_path) lines.push(`trace=${decision.trace_path}`);
  if (decision.approval_audit_path) lines.push(`approval_audit=${decision.approval_audit_path}`);
  if (decision.delegation_audit_path) lines.push(`delegation_audit=${decision.delegation_audit_path}`);
  if (decision.credential_ref)
    lines.push(`credential=${decision.credential_ref} (${decision.credential_source})`);
  if (decision.credential_evidence_path)
    lines.push(`credential_evidence=${decision.credential_evidence_path}`);
  if (decision.credential_error) {
    lines.push(`credential_error=${decision.credential_error.code}: ${decision.credential_error.message}`);
  }
  if (decision.pattern_id)
    lines.push(`approved_script=${decision.pattern_id} pre_approved=${decision.pre_approved === true}`);
  const request = decision.verdict === "require_approval" ? decision.approval_request : undefined;
  if (request) {
    // What an approver needs: the two digests a token binds to, and the command that mints it.
    lines.push(
      `intent_digest=${request.intent_digest}`,
      `policy_digest=${request.policy_digest}`,
      `approvals=${decision.valid_approvals ?? 0} of ${request.min_approvals}`,
      "to approve, an approver runs (fill in the <...> values):",
      `  ${request.command}`,
      "then re-run this command with --approval-token <token file> --approval-public-key <approver public key>",
    );
  }
  if (decision.verdict !== "allow") lines.push("do not execute the tool call unless the verdict is allow");
  return lines;
}

export const gateGroup = group({
  name: "gate",
  explain: "Evaluate tool-call intents against a policy before any side effect happens.",
  commands: [gateEvalCommand, gateServeCommand, gateLimitsGroup],
});
