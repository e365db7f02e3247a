/** `gait gate eval`: the CLI shell over runGateEval. */

import { relative, resolve } from "node:path";
import { invalidInput } from "../../contract/errors.ts";
import { exitForVerdict } from "../../contract/exit.ts";
import { writeFileAtomic } from "../../contract/files.ts";
import { resolveSigningKey } from "../../contract/keys.ts";
import { verifyKeyFor } from "../../contract/signing.ts";
import { Timestamp } from "../../contract/time.ts";
import {
  approverKeyVerifier,
  buildGateResult,
  buildPolicyExplain,
  compilePolicy,
  DEFAULT_RATE_LIMIT_STATE,
  enforceLimits,
  fileApprovalLedger,
  type GateEvalResult,
  loadPolicyFile,
  MAX_INTENT_BYTES,
  MAX_TOKEN_BYTES,
  prettyJson,
  previewLimits,
  runGateEval,
  singleKeyVerifier,
  writeApprovalAuditFileNew,
  writeTraceFileNew,
} from "../../gate/index.ts";
import { approvalOptions, readApprovalFlags } from "../approval-flags.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  listOption,
  type Options,
  stringOption,
} from "../command.ts";
import { readJsonInput } from "../io.ts";
import { readSigningKeyRequest, signingKeyOptions } from "../keyflags.ts";
import { projectConfigOptions, withGateDefaults } from "../project-defaults.ts";
import { gateServeCommand } from "./gate-serve.ts";

export const gateEvalCommand = command({
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
    ...approvalOptions,
    {
      name: "approval-audit-out",
      value: "path",
      description: "approval audit path (default approval_audit_<trace_id>.json)",
    },
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
    {
      name: "profile",
      value: "name",
      choices: ["standard", "oss-prod"],
      description:
        "standard (default) or oss-prod, which refuses dev keys, default-allow policies and --simulate",
    },
    ...signingKeyOptions,
    ...projectConfigOptions,
  ],
  examples: [
    "gait gate eval --policy gait.policy.yaml --intent intent.json --json",
    "gait gate eval --policy p.yaml --intent i.json --approval-token approval_abc.json --approval-public-key approver.pub",
    "gait gate eval --policy p.yaml --intent i.json --key-mode prod --private-key gait-out/keys/gait_private.key",
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
  const profile = stringOption(options, "profile") ?? "standard";
  const simulate = options.simulate === true;
  const evaluationTime = parseEvaluationTime(stringOption(options, "evaluation-time"));
  const keyRequest = readSigningKeyRequest(options, "dev");
  const loaded = await loadPolicyFile(resolve(ctx.cwd, policyPath), policyPath);
  if (profile === "oss-prod") {
    checkOssProd(keyRequest.mode, simulate, evaluationTime !== undefined, loaded.policy.defaultVerdict);
  }

  const io = { env: ctx.env, cwd: ctx.cwd, warn: ctx.warn };
  const signing = await resolveSigningKey(keyRequest, io);
  for (const w of signing.warnings) ctx.warn(w);
  const tokenPaths = [
    ...new Set([...listOption(options, "approval-token"), ...listOption(options, "approval-token-chain")]),
  ].sort();
  const approvalTokens = await Promise.all(
    tokenPaths.map((p) => readJsonInput(p, ctx.cwd, "approval token", { maxBytes: MAX_TOKEN_BYTES })),
  );
  const approvals = await readApprovalFlags(options, io);
  if (profile === "oss-prod" && tokenPaths.length > 0 && !approvals.approvers && !approvals.approvalKey) {
    throw invalidInput("usage", "oss-prod requires an explicit approval verify key", {
      hint: "pass --approval-public-key or --approver-keys",
    });
  }
  const statePath = resolve(ctx.cwd, stringOption(options, "rate-limit-state") ?? DEFAULT_RATE_LIMIT_STATE);

  const result = await runGateEval({
    compiled: compilePolicy(loaded),
    intent: await readJsonInput(intentPath, ctx.cwd, "intent", { maxBytes: MAX_INTENT_BYTES }),
    now: ctx.clock(),
    evaluationTime,
    signingKey: signing.key,
    approvalVerifier: approvals.approvers
      ? approverKeyVerifier(approvals.approvers)
      : singleKeyVerifier(approvals.approvalKey ?? verifyKeyFor(signing.key)),
    approvalTokens,
    ...(approvals.ledgerPath ? { approvalLedger: fileApprovalLedger(approvals.ledgerPath, ctx.clock) } : {}),
    enforceLimits: (requirements, intent, at, access) =>
      access.persist
        ? enforceLimits(statePath, requirements, intent, at)
        : previewLimits(statePath, requirements, intent, at),
    simulate,
    correlationId: ctx.correlationId,
  });

  // Evidence is never replaced: a repeated decision (same trace id) takes the next free name.
  const traceOut = stringOption(options, "trace-out");
  const trace = await writeTraceFileNew(
    traceOut
      ? { path: resolve(ctx.cwd, traceOut) }
      : { dir: resolve(ctx.cwd, stringOption(options, "trace-dir") ?? "") },
    result.trace,
  );
  const resultOut = stringOption(options, "result-out");
  if (resultOut) await writeFileAtomic(resolve(ctx.cwd, resultOut), prettyJson(buildGateResult(result)));
  let auditPath: string | undefined;
  if (result.approvalAudit) {
    const auditOut = stringOption(options, "approval-audit-out");
    const audit = await writeApprovalAuditFileNew(
      auditOut ? { path: resolve(ctx.cwd, auditOut) } : { dir: ctx.cwd },
      result.approvalAudit,
      { from: trace.sequence },
    );
    auditPath = audit.path;
  }
  const tracePath = trace.path;
  const paths = { trace: display(ctx.cwd, tracePath), audit: auditPath && display(ctx.cwd, auditPath) };
  if (ctx.explain) {
    const proofRefs = {
      trace_path: paths.trace,
      ...(paths.audit ? { approval_audit_path: paths.audit } : {}),
    };
    return { exitCode: exitForVerdict(result.verdict), output: buildPolicyExplain(result, proofRefs) };
  }
  return {
    exitCode: exitForVerdict(result.verdict),
    output: evalOutput(result, profile, paths),
    human: humanLines(result, paths),
  };
}

function checkOssProd(mode: string, simulate: boolean, replay: boolean, defaultVerdict: string): void {
  if (mode !== "prod")
    throw invalidInput("usage", "oss-prod profile requires --key-mode prod with a private key");
  if (simulate) throw invalidInput("usage", "oss-prod profile does not allow --simulate");
  if (replay) {
    throw invalidInput("usage", "oss-prod profile does not allow --evaluation-time", {
      hint: "replay at another time with the standard profile; enforcement always uses the real clock",
    });
  }
  if (defaultVerdict === "allow") {
    throw invalidInput("policy_invalid", "oss-prod profile refuses a policy whose default_verdict is allow", {
      hint: "set default_verdict to block or require_approval",
    });
  }
}

function parseEvaluationTime(text: string | undefined): Timestamp | undefined {
  return text === undefined ? undefined : Timestamp.parse(text, "--evaluation-time");
}

function display(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith("..") ? path : rel;
}

function evalOutput(
  result: GateEvalResult,
  profile: string,
  paths: { trace: string; audit?: string | undefined },
) {
  const { decision, prepared } = result;
  const out: Record<string, unknown> = {
    profile,
    verdict: result.verdict,
    reason_codes: result.reasonCodes,
    violations: result.violations,
    trace_id: result.trace.trace_id,
    trace_path: paths.trace,
    policy_digest: result.trace.policy_digest,
    intent_digest: prepared.intentDigest,
    phase: prepared.intent.context.phase,
  };
  if (decision.matchedRule) out.matched_rule = decision.matchedRule;
  if (result.approval) {
    out.required_approvals = result.approval.required;
    out.valid_approvals = result.approval.valid;
    if (result.approval.approvalRef) out.approval_ref = result.approval.approvalRef;
  }
  if (paths.audit) out.approval_audit_path = paths.audit;
  if (decision.script) {
    out.script = true;
    out.step_count = decision.script.stepCount;
    out.script_hash = prepared.intent.script_hash;
    out.composite_risk_class = decision.script.compositeRiskClass;
    out.step_verdicts = decision.script.stepVerdicts;
  }
  for (const limit of result.limits) {
    const prefix = limit.kind;
    out[`${prefix}_scope`] = limit.scope;
    out[`${prefix}_key`] = limit.key;
    out[`${prefix}_used`] = limit.used;
    out[`${prefix}_remaining`] = limit.remaining;
  }
  if (result.simulated) {
    out.simulate_mode = true;
    out.would_have_blocked = result.simulated.wouldHaveBlocked;
    out.simulated_verdict = result.simulated.verdict;
    out.simulated_reason_codes = result.simulated.reasonCodes;
  }
  return out;
}

function humanLines(result: GateEvalResult, paths: { trace: string; audit?: string | undefined }): string[] {
  const lines = [
    `verdict=${result.verdict}`,
    `reason_codes=${result.reasonCodes.join(",") || "none"}`,
    `violations=${result.violations.join(",") || "none"}`,
  ];
  if (result.decision.matchedRule) lines.push(`matched_rule=${result.decision.matchedRule}`);
  if (result.simulated?.wouldHaveBlocked)
    lines.push(`simulated_verdict=${result.simulated.verdict} (not enforced)`);
  lines.push(`trace=${paths.trace}`);
  if (paths.audit) lines.push(`approval_audit=${paths.audit}`);
  if (result.verdict !== "allow") lines.push("do not execute the tool call unless the verdict is allow");
  return lines;
}

export const gateGroup = group({
  name: "gate",
  explain: "Evaluate tool-call intents against a policy before any side effect happens.",
  commands: [gateEvalCommand, gateServeCommand],
});
