/**
 * `gait job submit|status|checkpoint add|list|show|pause|resume|stop|approve|cancel|inspect`:
 * durable jobs under `--job-root` (default ./gait-out/jobs), REFERENCE.md §4. Each subcommand
 * reads its flags and calls one job runtime operation (src/job); refused transitions are exit 6,
 * a resume waiting for an approval exit 4, a resume that fails closed exit 3 (the job is then
 * blocked), a job another process is changing exit 1 (state_contention).
 */
import { showPath } from "../../contract/paths.ts";
import {
  addCheckpoint,
  CHECKPOINT_TYPES,
  type CheckpointType,
  DEFAULT_JOB_ROOT,
  findCheckpoint,
  type JobChange,
  type JobCheckpoint,
  type JobContext,
  type JobState,
  jobFiles,
  noteJob,
  readJobIn,
  resumeJob,
  submitJob,
} from "../../job/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  type CommandSpec,
  command,
  group,
  type OptionSpec,
  type Options,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";

const jobOptions: OptionSpec[] = [
  { name: "id", value: "job_id", description: "the job's id (letters, digits, '.', '_', '-')" },
  { name: "job-root", value: "dir", description: "where jobs live", default: DEFAULT_JOB_ROOT },
];
const actorOption: OptionSpec = {
  name: "actor",
  value: "name",
  description: "who asks for the change (recorded in the event)",
};
const reasonOption: OptionSpec = {
  name: "reason",
  value: "text",
  description: "why (recorded in the event)",
};
const identityOption: OptionSpec = {
  name: "identity",
  value: "agent",
  description: "the agent identity the job is bound to (required)",
};

function required(options: Options, name: string, example: string): string {
  const value = stringOption(options, name);
  if (value === undefined) throw invalidInput("usage", `--${name} is required`, { hint: example });
  return value;
}

function jobContext(options: Options, ctx: CommandContext): JobContext {
  return { root: stringOption(options, "job-root") ?? DEFAULT_JOB_ROOT, cwd: ctx.cwd, clock: ctx.clock };
}

/** The fields every job answer carries: where the job is and what it is bound to. */
function jobSummary(state: JobState, ctx: CommandContext, options: Options): Record<string, unknown> {
  return {
    job_id: state.job_id,
    status: state.status,
    stop_reason: state.stop_reason,
    status_reason_code: state.status_reason_code,
    awaiting_approval: state.awaiting_approval,
    identity: state.identity,
    policy_digest: state.policy_digest,
    policy_ref: state.policy_ref,
    environment_fingerprint: state.environment_fingerprint,
    checkpoint_count: state.checkpoints.length,
    approval_count: state.approvals.length,
    created_at: state.created_at,
    updated_at: state.updated_at,
    revision: state.revision,
    job_dir: jobDir(options, ctx, state.job_id),
  };
}

/** The job's directory as a user would type it. */
function jobDir(options: Options, ctx: CommandContext, jobId: string): string {
  const { root, cwd } = jobContext(options, ctx);
  return showPath(ctx.cwd, jobFiles(root, jobId, cwd).dir);
}

/** What the job is waiting for, as the next command to run. */
function nextCommands(state: JobState): string[] {
  const id = state.job_id;
  switch (state.status) {
    case "running":
      return [`gait job checkpoint add --id ${id} --type progress --summary <what happened>`];
    case "paused":
      return [`gait job resume --id ${id} --identity ${state.identity}`];
    case "decision_needed":
    case "blocked":
      return state.awaiting_approval
        ? [`gait job approve --id ${id} --actor <your name> --reason <why>`]
        : [`gait job resume --id ${id} --identity ${state.identity}`];
    default:
      return [`gait job inspect --id ${id}`];
  }
}

function nextLines(next: readonly string[]): string[] {
  return ["next:", ...next.map((c) => `  ${c}`)];
}

function changeOutcome(
  operation: string,
  change: JobChange,
  ctx: CommandContext,
  options: Options,
  extra: Record<string, unknown> = {},
  extraHuman: string[] = [],
): CommandOutcome {
  const { state, event } = change;
  const next = nextCommands(state);
  return {
    output: {
      operation,
      ...jobSummary(state, ctx, options),
      event_type: event.type,
      event_seq: event.seq,
      ...extra,
      next_commands: next,
    },
    human: [
      `job ${state.job_id}: ${state.status} (${state.status_reason_code})`,
      ...extraHuman,
      ...nextLines(next),
    ],
  };
}

const submitCommand = command({
  name: "submit",
  explain:
    "Start a durable job bound to an agent identity, this environment and optionally a policy's digest; it starts running.",
  options: [
    ...jobOptions,
    identityOption,
    {
      name: "policy",
      value: "path",
      description: "bind this policy: a resume fails closed if its digest has changed",
    },
    actorOption,
  ],
  examples: [
    "gait job submit --id job_1 --identity agent.export",
    "gait job submit --id job_1 --identity agent.export --policy gait.policy.yaml --json",
  ],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job submit --id job_1 --identity agent.export");
    const change = await submitJob(jobContext(options, ctx), id, {
      identity: required(options, "identity", `gait job submit --id ${id} --identity agent.export`),
      policyPath: stringOption(options, "policy"),
      actor: stringOption(options, "actor"),
    });
    return changeOutcome("submit", change, ctx, options, {}, [
      `identity=${change.state.identity}`,
      `environment_fingerprint=${change.state.environment_fingerprint}`,
      ...(change.state.policy_digest ? [`policy_digest=${change.state.policy_digest}`] : []),
    ]);
  },
});

const statusCommand = command({
  name: "status",
  explain: "Show a job's status, stop reason, bindings and counts.",
  options: jobOptions,
  examples: ["gait job status --id job_1 --json"],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job status --id job_1");
    const record = await readJobIn(jobContext(options, ctx), id);
    const { state } = record;
    const last = state.checkpoints.at(-1);
    const next = nextCommands(state);
    return {
      output: {
        ...jobSummary(state, ctx, options),
        ...(last ? { last_checkpoint: last } : {}),
        state_file: record.state_file,
        next_commands: next,
      },
      human: [
        `job ${state.job_id}: ${state.status} (stop_reason=${state.stop_reason}, status_reason_code=${state.status_reason_code})`,
        `identity=${state.identity}`,
        ...(state.policy_digest ? [`policy=${state.policy_ref} (${state.policy_digest})`] : []),
        `checkpoints=${state.checkpoints.length} approvals=${state.approvals.length}`,
        ...(last ? [`last checkpoint ${last.checkpoint_id} (${last.type}): ${last.summary}`] : []),
        ...(state.awaiting_approval ? ["waiting for an approval"] : []),
        ...nextLines(next),
      ],
    };
  },
});

const checkpointAddCommand = command({
  name: "add",
  explain:
    "Record a checkpoint of a running job: plan or progress keep it running; decision_needed, blocked and completed move it to that status.",
  options: [
    ...jobOptions,
    { name: "type", value: "type", description: "what it says about the job", choices: CHECKPOINT_TYPES },
    { name: "summary", value: "text", description: "what happened (required)" },
    {
      name: "required-action",
      value: "text",
      description: "the decision asked of a person (required for decision_needed)",
    },
    actorOption,
  ],
  examples: [
    "gait job checkpoint add --id job_1 --type progress --summary 'exported 3 of 5 tables'",
    "gait job checkpoint add --id job_1 --type decision_needed --summary 'table 4 failed' --required-action 'retry with a smaller batch?'",
  ],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job checkpoint add --id job_1 --type progress --summary ...");
    const change = await addCheckpoint(jobContext(options, ctx), id, {
      type: required(options, "type", `gait job checkpoint add --id ${id} --type progress`) as CheckpointType,
      summary: required(options, "summary", `gait job checkpoint add --id ${id} --summary 'what happened'`),
      requiredAction: stringOption(options, "required-action"),
      actor: stringOption(options, "actor"),
    });
    const checkpoint = change.state.checkpoints.at(-1)!;
    return changeOutcome("checkpoint_add", change, ctx, options, { checkpoint }, [
      `checkpoint ${checkpoint.checkpoint_id} (${checkpoint.type}): ${checkpoint.summary}`,
    ]);
  },
});

const checkpointListCommand = command({
  name: "list",
  explain: "List a job's checkpoints in the order they were recorded.",
  options: jobOptions,
  examples: ["gait job checkpoint list --id job_1 --json"],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job checkpoint list --id job_1");
    const { state } = await readJobIn(jobContext(options, ctx), id);
    return {
      output: { job_id: id, status: state.status, checkpoints: state.checkpoints },
      human:
        state.checkpoints.length === 0
          ? [`job ${id} has no checkpoints`]
          : state.checkpoints.map(checkpointLine),
    };
  },
});

const checkpointShowCommand = command({
  name: "show",
  explain: "Show one checkpoint of a job.",
  options: [
    ...jobOptions,
    { name: "checkpoint", value: "checkpoint_id", description: "e.g. cp_0001 (required)" },
  ],
  examples: ["gait job checkpoint show --id job_1 --checkpoint cp_0002"],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job checkpoint show --id job_1 --checkpoint cp_0001");
    const checkpointId = required(
      options,
      "checkpoint",
      `gait job checkpoint show --id ${id} --checkpoint cp_0001`,
    );
    const { state } = await readJobIn(jobContext(options, ctx), id);
    const checkpoint = findCheckpoint(state, checkpointId);
    return {
      output: { job_id: id, checkpoint },
      human: [
        checkpointLine(checkpoint),
        ...(checkpoint.required_action ? [`required action: ${checkpoint.required_action}`] : []),
        `recorded at ${checkpoint.created_at}${checkpoint.actor ? ` by ${checkpoint.actor}` : ""} (event ${checkpoint.seq})`,
      ],
    };
  },
});

function checkpointLine(checkpoint: JobCheckpoint): string {
  return `${checkpoint.checkpoint_id} ${checkpoint.type}: ${checkpoint.summary}`;
}

const checkpointGroup = group({
  name: "checkpoint",
  explain: "Record, list and show a job's checkpoints: `gait job checkpoint add|list|show`.",
  commands: [checkpointAddCommand, checkpointListCommand, checkpointShowCommand],
});

/** pause, stop, approve, cancel: one change with an actor and a reason. */
function noteCommand(
  kind: "pause" | "approve" | "cancel" | "stop",
  explain: string,
  example: string,
  actorRequired = false,
): CommandSpec {
  return command({
    name: kind,
    explain,
    options: [
      ...jobOptions,
      actorRequired
        ? { ...actorOption, description: "who approves (required; recorded in the approval)" }
        : actorOption,
      reasonOption,
    ],
    examples: [example],
    async run(_args, options, ctx) {
      const id = required(options, "id", example);
      const change = await noteJob(jobContext(options, ctx), id, kind, {
        actor: actorRequired ? required(options, "actor", example) : stringOption(options, "actor"),
        reason: stringOption(options, "reason"),
      });
      const approval = kind === "approve" ? change.state.approvals.at(-1) : undefined;
      return changeOutcome(
        kind,
        change,
        ctx,
        options,
        approval ? { approval } : {},
        approval ? [`approval ${approval.approval_id} by ${approval.actor}`] : [],
      );
    },
  });
}

const resumeCommand = command({
  name: "resume",
  explain:
    "Resume a paused job, or an approved decision_needed or blocked one; fails closed (job blocked, exit 3) unless the identity, the bound policy's digest and the environment still match.",
  options: [
    ...jobOptions,
    { ...identityOption, description: "the identity the job was submitted with (required)" },
    {
      name: "policy",
      value: "path",
      description: "the policy to check against the bound digest (default: the path given at submit)",
    },
    {
      name: "allow-env-mismatch",
      description: "resume in another environment (recorded as resumed_with_env_override)",
    },
    actorOption,
  ],
  examples: [
    "gait job resume --id job_1 --identity agent.export",
    "gait job resume --id job_1 --identity agent.export --json",
  ],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job resume --id job_1 --identity agent.export");
    const change = await resumeJob(jobContext(options, ctx), id, {
      identity: required(
        options,
        "identity",
        `gait job resume --id ${id} --identity <the identity given at submit>`,
      ),
      policyPath: stringOption(options, "policy"),
      allowEnvironmentMismatch: options["allow-env-mismatch"] === true,
      actor: stringOption(options, "actor"),
    });
    return changeOutcome("resume", change, ctx, options);
  },
});

const inspectCommand = command({
  name: "inspect",
  explain:
    "Print a job's full state and every event, and whether state.json agrees with what the events replay to.",
  options: jobOptions,
  examples: ["gait job inspect --id job_1 --json"],
  async run(_args, options, ctx) {
    const id = required(options, "id", "gait job inspect --id job_1");
    const record = await readJobIn(jobContext(options, ctx), id);
    const { state, events } = record;
    return {
      output: {
        job_id: id,
        job_dir: jobDir(options, ctx, id),
        state_file: record.state_file,
        state,
        events,
      },
      human: [
        `job ${id}: ${state.status} (${state.status_reason_code}), ${events.length} events, state.json ${record.state_file}`,
        ...events.map(
          (e) =>
            `  ${e.seq} ${e.created_at} ${e.type}${e.actor ? ` by ${e.actor}` : ""}: ${e.from_status || "-"} -> ${e.to_status} (${e.status_reason_code})`,
        ),
      ],
    };
  },
});

export const jobGroup = group({
  name: "job",
  explain:
    "Durable jobs: a local state machine with checkpoints, approvals, pause/resume/cancel/emergency stop and a fail-closed resume (gait job submit|status|checkpoint|pause|resume|stop|approve|cancel|inspect).",
  commands: [
    submitCommand,
    statusCommand,
    checkpointGroup,
    noteCommand(
      "pause",
      "Pause a running job (stop_reason paused_by_user); resume it with gait job resume.",
      "gait job pause --id job_1 --actor alice --reason 'maintenance window'",
    ),
    resumeCommand,
    noteCommand(
      "stop",
      "Emergency-stop a job that has not ended (status emergency_stopped, final).",
      "gait job stop --id job_1 --actor oncall --reason 'runaway deletes'",
    ),
    noteCommand(
      "approve",
      "Record a person's approval of a decision_needed or blocked job, which lets it resume.",
      "gait job approve --id job_1 --actor alice --reason 'retry approved'",
      true,
    ),
    noteCommand(
      "cancel",
      "Cancel a job that has not ended (status cancelled, final).",
      "gait job cancel --id job_1 --actor alice --reason 'no longer needed'",
    ),
    inspectCommand,
  ],
});
