/**
 * `gait run session start|append|status|checkpoint|compact`: runs too long to record in one go,
 * journaled call by call and cut into checkpoint runpacks linked by digest (docs/sessions.md).
 */
import { showPath } from "../../contract/paths.ts";
import {
  appendSessionEvent,
  checkpointSession,
  compactSession,
  readSessionStatus,
  type SessionEventInput,
  type SessionOutcome,
  type SessionStatus,
  startSession,
} from "../../runpack/index.ts";
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
import { readOptionalSigningRequest, signingKeyOptions } from "../keyflags.ts";

const journalArg = { name: "journal", description: "the session journal (.jsonl)" };
const journalOption = {
  name: "journal",
  value: "path",
  description: "the session journal (alternative to the positional)",
};

function journalPath(args: string[], options: Options): string {
  const journal = args[0] ?? stringOption(options, "journal");
  if (!journal)
    throw invalidInput("usage", "a session journal is required", {
      hint: "pass --journal ./gait-out/sessions/<name>.jsonl",
    });
  return journal;
}

function required(options: Options, name: string, example: string): string {
  const value = stringOption(options, name);
  if (!value) throw invalidInput("usage", `--${name} is required`, { hint: `e.g. --${name} ${example}` });
  return value;
}

/** The fields every session command reports, then the operation's own. */
function sessionOutput(
  operation: string,
  outcome: SessionOutcome,
  ctx: CommandContext,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const warning of outcome.warnings) ctx.warn(warning);
  return {
    operation,
    journal: showPath(ctx.cwd, outcome.journal),
    session_id: outcome.status.session_id,
    run_id: outcome.status.run_id,
    ...extra,
    status: outcome.status,
  };
}

function statusLine(status: SessionStatus): string {
  return `session_id=${status.session_id} run_id=${status.run_id} last_sequence=${status.last_sequence} pending_events=${status.pending_events} checkpoints=${status.checkpoint_count}`;
}

const startCommand = command({
  name: "start",
  explain: "Start a session: create its append-only journal (never replacing one that exists).",
  args: [journalArg],
  options: [
    journalOption,
    { name: "session-id", value: "id", description: "the session's id (required)" },
    {
      name: "run-id",
      value: "id",
      description: "the run's id, run_...; checkpoint runpacks are <run_id>_cp_NNNN (required)",
    },
  ],
  examples: [
    "gait run session start --journal gait-out/sessions/agent.jsonl --session-id sess_agent --run-id run_agent",
  ],
  run: async (args, options, ctx): Promise<CommandOutcome> => {
    const outcome = await startSession(
      {
        journal: journalPath(args, options),
        sessionId: required(options, "session-id", "sess_agent"),
        runId: required(options, "run-id", "run_agent"),
      },
      ctx,
    );
    const journal = showPath(ctx.cwd, outcome.journal);
    return {
      output: {
        ...sessionOutput("start", outcome, ctx),
        next_commands: [`gait run session append --journal ${journal} --tool <tool> --verdict allow`],
      },
      human: [`started ${journal}`, statusLine(outcome.status)],
    };
  },
});

const appendCommand = command({
  name: "append",
  explain: "Append one tool call to a session journal (under its lock; durable before it returns).",
  args: [journalArg],
  options: [
    journalOption,
    { name: "tool", value: "name", description: "the tool called (required)" },
    {
      name: "verdict",
      value: "verdict",
      choices: ["allow", "block", "dry_run", "require_approval"],
      description: "the gate's verdict",
    },
    { name: "intent-id", value: "id", description: "the intent's id" },
    { name: "intent-digest", value: "hex", description: "the intent digest (64 hex)" },
    { name: "policy-digest", value: "hex", description: "the policy digest (64 hex)" },
    { name: "policy-id", value: "id", description: "the policy's id" },
    { name: "policy-version", value: "version", description: "the policy's version" },
    { name: "matched-rule-ids", value: "csv", description: "rules that matched", repeatable: true },
    { name: "trace-id", value: "id", description: "the gate trace's id" },
    { name: "trace-path", value: "path", description: "the gate trace file" },
    { name: "reason-codes", value: "csv", description: "the decision's reason codes", repeatable: true },
    { name: "violations", value: "csv", description: "the decision's violations", repeatable: true },
    { name: "safety-invariant-version", value: "version", description: "safety invariant set version" },
    { name: "safety-invariant-hash", value: "hex", description: "safety invariant set digest (64 hex)" },
  ],
  examples: [
    "gait run session append --journal gait-out/sessions/agent.jsonl --tool tool.write --verdict allow --trace-id trace_0a1b",
  ],
  run: async (args, options, ctx) => {
    const verdict = stringOption(options, "verdict");
    const outcome = await appendSessionEvent(
      {
        journal: journalPath(args, options),
        event: {
          tool_name: required(options, "tool", "tool.write"),
          ...optionalFields(options),
          matched_rule_ids: listOption(options, "matched-rule-ids"),
          reason_codes: listOption(options, "reason-codes"),
          violations: listOption(options, "violations"),
          ...(verdict ? { verdict } : {}),
        },
      },
      ctx,
    );
    const event = outcome.event;
    return {
      output: sessionOutput("append", outcome, ctx, { event }),
      human: [
        `appended sequence=${event.sequence} tool=${event.tool_name}${event.verdict ? ` verdict=${event.verdict}` : ""}`,
        statusLine(outcome.status),
      ],
    };
  },
});

const OPTIONAL_EVENT_FLAGS = {
  "intent-id": "intent_id",
  "intent-digest": "intent_digest",
  "policy-digest": "policy_digest",
  "policy-id": "policy_id",
  "policy-version": "policy_version",
  "trace-id": "trace_id",
  "trace-path": "trace_path",
  "safety-invariant-version": "safety_invariant_version",
  "safety-invariant-hash": "safety_invariant_hash",
} as const;

function optionalFields(options: Options): Partial<SessionEventInput> {
  const fields: Record<string, string> = {};
  for (const [flag, key] of Object.entries(OPTIONAL_EVENT_FLAGS)) {
    const value = stringOption(options, flag);
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

const statusCommand = command({
  name: "status",
  explain: "Read a session journal and report its sequence, pending events and checkpoints.",
  args: [journalArg],
  options: [journalOption],
  examples: ["gait run session status --journal gait-out/sessions/agent.jsonl"],
  run: async (args, options, ctx) => {
    const outcome = await readSessionStatus({ journal: journalPath(args, options) }, ctx);
    return { output: sessionOutput("status", outcome, ctx), human: [statusLine(outcome.status)] };
  },
});

const checkpointCommand = command({
  name: "checkpoint",
  explain:
    "Cut the events since the last checkpoint into a runpack and link it into the session chain by digest.",
  args: [journalArg],
  options: [
    journalOption,
    {
      name: "out",
      value: "path",
      description:
        "the checkpoint runpack (default <journal dir>/runpack_<run_id>_cp_NNNN.zip; never overwritten)",
    },
    ...signingKeyOptions,
  ],
  examples: [
    "gait run session checkpoint --journal gait-out/sessions/agent.jsonl",
    "gait run session checkpoint --journal gait-out/sessions/agent.jsonl --key-mode prod --private-key gait-out/keys/gait_private.key",
  ],
  run: async (args, options, ctx) => {
    const signing = await readOptionalSigningRequest(options, ctx.cwd);
    const out = stringOption(options, "out");
    const outcome = await checkpointSession(
      { journal: journalPath(args, options), ...(out ? { out } : {}), ...(signing ? { signing } : {}) },
      ctx,
    );
    const chain = showPath(ctx.cwd, outcome.chainPath);
    const cp = outcome.checkpoint;
    return {
      output: sessionOutput("checkpoint", outcome, ctx, {
        checkpoint: cp,
        runpack: showPath(ctx.cwd, outcome.runpackPath),
        chain_path: chain,
        signature_status: outcome.signatureStatus,
        ...(outcome.signatureKeyId ? { signature_key_id: outcome.signatureKeyId } : {}),
        next_commands: [`gait verify session-chain --chain ${chain}`],
      }),
      human: [
        `checkpoint ${cp.checkpoint_index}: sequences ${cp.sequence_start}-${cp.sequence_end} -> ${showPath(ctx.cwd, outcome.runpackPath)}`,
        `checkpoint_digest=${cp.checkpoint_digest}`,
        `chain=${chain}`,
      ],
    };
  },
});

const compactCommand = command({
  name: "compact",
  explain:
    "Drop the journal's event lines that checkpoint runpacks already hold (sequences and checkpoints stay).",
  args: [journalArg],
  options: [journalOption, { name: "dry-run", description: "report what would be dropped, change nothing" }],
  examples: ["gait run session compact --journal gait-out/sessions/agent.jsonl --dry-run"],
  run: async (args, options, ctx) => {
    const outcome = await compactSession(
      { journal: journalPath(args, options), dryRun: options["dry-run"] === true },
      ctx,
    );
    const c = outcome.compaction;
    const summary = c.compacted
      ? `dropped ${c.events_dropped} event line(s) held by checkpoints (${c.bytes_before} -> ${c.bytes_after} bytes)`
      : c.events_dropped > 0
        ? `would drop ${c.events_dropped} event line(s) held by checkpoints (${c.bytes_before} -> ${c.bytes_after} bytes)`
        : "nothing to drop: no event line is held by a checkpoint yet";
    return {
      output: sessionOutput("compact", outcome, ctx, { compaction: c }),
      human: [summary, statusLine(outcome.status)],
    };
  },
});

export const runSessionGroup = group({
  name: "session",
  explain: "Journal a long run call by call and cut it into checkpoint runpacks linked by digest.",
  commands: [startCommand, appendCommand, statusCommand, checkpointCommand, compactCommand],
});
