/**
 * `gait demo [--policy|--durable]`, offline and without keys (REFERENCE.md §2.1).
 * - standard: record and verify the deterministic three-tool-call runpack `run_demo`;
 * - `--policy`: write a high-risk policy and a destructive intent into ./gait-out and show the
 *   gate blocking it (the demo fails, exit 2, if it does not);
 * - `--durable`: run the durable job `job_demo_durable` through a simulated failure, a decision,
 *   an approval and a resume to completion under ./gait-out/jobs, and pack it into
 *   ./gait-out/pack_job_demo_durable.zip (unsigned, verified after writing).
 */

import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "../../contract/files.ts";
import { showPath } from "../../contract/paths.ts";
import { Timestamp } from "../../contract/time.ts";
import { compilePolicy, loadPolicyFile } from "../../gate/index.ts";
import { DEMO_JOB_ID, readJobForPack, runDurableJobDemo } from "../../job/index.ts";
import { buildJobPack } from "../../pack/index.ts";
import { runPolicyTest } from "../../policytest/index.ts";
import { runDemo } from "../../runpack/index.ts";
import { type CommandContext, type CommandOutcome, command, type Options } from "../command.ts";
import { invalidInput, verificationFailed } from "../error-codes.ts";

/**
 * The reference's demo output names how to opt in to its local usage metrics. Gait keeps none
 * and sends none, so the field (kept for scripts that read it) says exactly that.
 */
const METRICS_OPT_IN = "none: gait records no usage metrics and sends no telemetry";

const DEMO_DIR = "gait-out";
const POLICY_FILE = "policy_demo_high_risk.yaml";
const INTENT_FILE = "intent_demo_delete.json";
const DEMO_TIME = "2026-02-05T00:00:00Z";
const DURABLE_PACK = `./${DEMO_DIR}/pack_${DEMO_JOB_ID}.zip`;

/** A high-risk policy: destructive deletes by a high-risk agent are blocked outright. */
const DEMO_POLICY = `# gait demo --policy: a high-risk policy. Deleting is blocked outright for high and
# critical risk; reads are allowed; anything else waits for a human approval.
#
#   gait policy test ./gait-out/${POLICY_FILE} ./gait-out/${INTENT_FILE}
schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: require_approval
fail_closed:
  enabled: true
  risk_classes: [critical, high]
  required_fields: [targets]
rules:
  - name: block-high-risk-delete
    priority: 10
    effect: block
    match:
      tool_names: [tool.delete]
      risk_classes: [critical, high]
    reason_codes: [destructive_delete_blocked]
    violations: [destructive_action]
  - name: allow-read
    priority: 20
    effect: allow
    match:
      tool_names: [tool.read]
    reason_codes: [read_allowed]
`;

/** An agent asking to delete a directory, at high risk. */
const DEMO_INTENT = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: DEMO_TIME,
  producer_version: "0.0.0-demo",
  tool_name: "tool.delete",
  args: { path: "/workspace/customer-data" },
  targets: [{ kind: "path", value: "/workspace/customer-data", operation: "delete" }],
  arg_provenance: [{ arg_path: "$.path", source: "user" }],
  context: { identity: "agent.demo", workspace: "/workspace", risk_class: "high" },
};

export const demoCommand = command({
  name: "demo",
  explain:
    "Record a deterministic demo run (run_demo) into ./gait-out, verify it and print its ticket footer; --policy shows the gate blocking a destructive call, --durable a durable job surviving a failed step.",
  options: [
    {
      name: "policy",
      description: `write a high-risk policy and a delete intent into ./${DEMO_DIR} and show the gate blocking it (exit 2 if it does not)`,
    },
    {
      name: "durable",
      description: `run the durable job ${DEMO_JOB_ID} through a simulated failure, an approval and a resume to completion, and pack it into ${DURABLE_PACK}`,
    },
  ],
  examples: ["gait demo", "gait verify run_demo", "gait demo --policy --json", "gait demo --durable"],
  run: async (_args, options, ctx) => {
    const started = performance.now();
    const outcome = await runMode(options, ctx);
    outcome.output.metrics_opt_in = METRICS_OPT_IN;
    outcome.output.duration_ms = Math.round(performance.now() - started);
    return outcome;
  },
});

function runMode(options: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const policy = options.policy === true;
  const durable = options.durable === true;
  if (policy && durable) {
    throw invalidInput("usage", "--policy and --durable are two different demos; give one", {
      hint: "gait demo --policy",
    });
  }
  if (durable) return durableDemo(ctx);
  return policy ? policyDemo(ctx) : standardDemo(ctx);
}

/** Runs the demo job through its lifecycle, then packs it as `gait pack build --type job` would. */
async function durableDemo(ctx: CommandContext): Promise<CommandOutcome> {
  const demo = await runDurableJobDemo(ctx.cwd);
  const pack = await buildJobPack(await readJobForPack(resolve(ctx.cwd, DEMO_DIR, "jobs"), DEMO_JOB_ID), {
    cwd: ctx.cwd,
    env: ctx.env,
    out: DURABLE_PACK,
  });
  const { state } = demo;
  const failure = state.checkpoints.find((c) => c.checkpoint_id === demo.failure_checkpoint_id)!;
  const approval = state.approvals.find((a) => a.approval_id === demo.approval_id)!;
  const nextCommands = [
    `gait job inspect --id ${DEMO_JOB_ID}`,
    `gait pack verify ${pack.shownPath}`,
    `gait pack inspect ${pack.shownPath}`,
    "gait demo",
  ];
  return {
    output: {
      mode: "durable",
      job_id: state.job_id,
      job_status: state.status,
      stop_reason: state.stop_reason,
      status_reason_code: state.status_reason_code,
      simulated_failure: true,
      failure_checkpoint: failure,
      approval,
      checkpoint_count: state.checkpoints.length,
      approval_count: state.approvals.length,
      job_dir: `./${DEMO_DIR}/jobs/${DEMO_JOB_ID}`,
      pack_path: pack.shownPath,
      pack_id: pack.manifest.pack_id,
      next_commands: nextCommands,
    },
    human: [
      `job_id=${state.job_id}`,
      `simulated_failure=true: ${failure.checkpoint_id} ${failure.summary}`,
      `  decision_needed: ${failure.required_action}`,
      `  ${approval.approval_id} approved by ${approval.actor}; resumed as ${state.identity}`,
      `job_status=${state.status} (checkpoints=${state.checkpoints.length}, approvals=${state.approvals.length})`,
      `pack_path=${pack.shownPath}`,
      `pack_id=${pack.manifest.pack_id}`,
      "next:",
      ...nextCommands.map((c) => `  ${c}`),
    ],
  };
}

async function standardDemo(ctx: CommandContext): Promise<CommandOutcome> {
  const demo = await runDemo(ctx);
  return {
    output: { ...demo },
    human: [
      `run_id=${demo.run_id}`,
      `bundle=${demo.bundle}`,
      `verify=${demo.verify}`,
      demo.ticket_footer,
      "next:",
      ...demo.next_commands.map((c) => `  ${c}`),
    ],
  };
}

/** Writes the demo policy and intent, then evaluates them as `gait policy test` does (no trace). */
async function policyDemo(ctx: CommandContext): Promise<CommandOutcome> {
  const policyPath = resolve(ctx.cwd, DEMO_DIR, POLICY_FILE);
  const intentPath = resolve(ctx.cwd, DEMO_DIR, INTENT_FILE);
  await writeFileAtomic(policyPath, DEMO_POLICY, { mode: 0o644 });
  await writeFileAtomic(intentPath, `${JSON.stringify(DEMO_INTENT, null, 2)}\n`, { mode: 0o644 });
  const shownPolicy = showPath(ctx.cwd, policyPath);
  const shownIntent = showPath(ctx.cwd, intentPath);
  const compiled = compilePolicy(await loadPolicyFile(policyPath, shownPolicy));
  const result = runPolicyTest(compiled, DEMO_INTENT, { now: Timestamp.parse(DEMO_TIME) });
  if (result.verdict !== "block") {
    throw verificationFailed(
      "demo_policy_not_blocked",
      `the demo policy gave ${result.verdict} instead of block for ${DEMO_INTENT.tool_name}`,
      { hint: `inspect it with: gait policy test ${shownPolicy} ${shownIntent}` },
    );
  }
  const nextCommands = [
    `gait policy test ${shownPolicy} ${shownIntent}`,
    `gait gate eval --policy ${shownPolicy} --intent ${shownIntent} --json`,
    "gait demo",
  ];
  return {
    output: {
      mode: "policy",
      policy_path: shownPolicy,
      intent_path: shownIntent,
      tool_name: DEMO_INTENT.tool_name,
      policy_verdict: result.verdict,
      matched_rule: result.matched_rule ?? "",
      reason_codes: result.reason_codes,
      violations: result.violations,
      policy_digest: result.policy_digest,
      intent_digest: result.intent_digest,
      next_commands: nextCommands,
    },
    human: [
      `policy=${shownPolicy}`,
      `intent=${shownIntent} (${DEMO_INTENT.tool_name} of ${DEMO_INTENT.targets[0]!.value}, risk high)`,
      `policy_verdict=${result.verdict}`,
      `matched_rule=${result.matched_rule ?? ""}`,
      `reason_codes=${result.reason_codes.join(",")}`,
      "the agent must not run this call: the gate blocked it before any side effect",
      "next:",
      ...nextCommands.map((c) => `  ${c}`),
    ],
  };
}
