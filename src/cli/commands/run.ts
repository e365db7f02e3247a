/** `gait run record|inspect|replay|diff|receipt`: runpacks, the shareable evidence of one agent run. */
import { exitForCheck } from "../../contract/exit.ts";
import { resolveVerifyKey, type SigningKeyRequest } from "../../contract/keys.ts";
import { showPath } from "../../contract/paths.ts";
import {
  CAPTURE_MODES,
  type CaptureMode,
  CONTEXT_EVIDENCE_MODES,
  type ContextEvidenceMode,
  diffRunpackRefs,
  inspectRunpackRef,
  PRIVACY_MODES,
  type Privacy,
  REAL_REPLAY_ENV,
  type RunpackInspection,
  recordRunpack,
  replayRunpack,
  runReceipt,
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
import { readJsonInput } from "../io.ts";
import {
  readKeySource,
  readSigningKeyRequest,
  readVerifyKeySources,
  signingKeyOptions,
  verifyKeyOptions,
} from "../keyflags.ts";

/** The runpack named by the positional or by `--from`; exactly one is needed. */
function runpackRef(args: string[], options: Options, name = "from"): string {
  const ref = args[0] ?? stringOption(options, name);
  if (!ref) throw invalidInput("usage", "a runpack run_id or path is required", { hint: "e.g. run_demo" });
  return ref;
}

const fromOption = {
  name: "from",
  value: "run",
  description: "run_id or runpack path (alternative to the positional)",
};
const runArg = {
  name: "run",
  description: "run_id (looked up in ./gait-out, then ~/.gait/runpacks) or runpack path",
};

/** Unsigned unless a key mode or a private key is given (then prod, as the reference does). */
function signingRequest(options: Options): SigningKeyRequest | undefined {
  if (stringOption(options, "key-mode")) return readSigningKeyRequest(options);
  if (readKeySource(options, "private-key")) return readSigningKeyRequest(options);
  return undefined;
}

const runRecordCommand = command({
  name: "record",
  explain: "Record a run (intents, results, reference receipts) into a verifiable runpack zip.",
  args: [{ name: "input", description: "run record JSON ({run, intents[], results[], refs}); - for stdin" }],
  options: [
    { name: "input", value: "path", description: "run record JSON (alternative to the positional)" },
    { name: "run-id", value: "id", description: "run id (overrides run.run_id; copied into every record)" },
    {
      name: "out-dir",
      value: "dir",
      description: "where runpack_<run_id>.zip is written",
      default: "./gait-out",
    },
    {
      name: "capture-mode",
      value: "mode",
      choices: CAPTURE_MODES,
      description: "reference (default: digests only) or raw (keeps raw args and results)",
    },
    {
      name: "context-evidence-mode",
      value: "mode",
      choices: CONTEXT_EVIDENCE_MODES,
      description: "refs context evidence mode when the input sets none (default best_effort)",
    },
    { name: "unsafe-context-raw", description: "allow receipts with redaction_mode raw" },
    ...signingKeyOptions,
  ],
  examples: [
    "gait run record run.json",
    "gait run record --input run.json --key-mode prod --private-key gait-out/keys/gait_private.key",
  ],
  run: async (args, options, ctx) => {
    const inputPath = args[0] ?? stringOption(options, "input");
    if (!inputPath)
      throw invalidInput("usage", "a run record input is required (--input <file> or a positional)");
    const input = await readJsonInput(inputPath, ctx.cwd, "run record input");
    const runId = stringOption(options, "run-id");
    const captureMode = stringOption(options, "capture-mode") as CaptureMode | undefined;
    const evidenceMode = stringOption(options, "context-evidence-mode") as ContextEvidenceMode | undefined;
    const signing = signingRequest(options);
    const recorded = await recordRunpack(input, {
      cwd: ctx.cwd,
      env: ctx.env,
      clock: ctx.clock,
      outDir: stringOption(options, "out-dir") ?? "./gait-out",
      unsafeContextRaw: options["unsafe-context-raw"] === true,
      ...(runId ? { runId } : {}),
      ...(captureMode ? { captureMode } : {}),
      ...(evidenceMode ? { contextEvidenceMode: evidenceMode } : {}),
      ...(signing ? { signing } : {}),
    });
    for (const warning of recorded.warnings) ctx.warn(warning);
    return {
      output: {
        run_id: recorded.runId,
        bundle: recorded.bundle,
        manifest_digest: recorded.manifestDigest,
        signature_status: recorded.signatureStatus,
        ...(recorded.signatureKeyId ? { signature_key_id: recorded.signatureKeyId } : {}),
        warnings: recorded.warnings,
        ticket_footer: recorded.ticketFooter,
      },
      human: [
        `run_id=${recorded.runId}`,
        `bundle=${recorded.bundle}`,
        `manifest_digest=${recorded.manifestDigest}`,
        `signature_status=${recorded.signatureStatus}`,
        recorded.ticketFooter,
      ],
    };
  },
});

const runInspectCommand = command({
  name: "inspect",
  explain: "Show a runpack's timeline: each intent with its tool, status and digests.",
  args: [runArg],
  options: [fromOption],
  examples: ["gait run inspect run_demo"],
  run: async (args, options, ctx) => {
    const inspection = await inspectRunpackRef(runpackRef(args, options), ctx);
    for (const warning of inspection.warnings) ctx.warn(warning);
    return { output: { ...inspection }, human: renderInspection(inspection) };
  },
});

function renderInspection(inspection: RunpackInspection): string[] {
  const short = (digest: string) => (digest === "" ? "-" : digest.slice(0, 12));
  const width = Math.max(4, ...inspection.entries.map((e) => e.tool_name.length));
  return [
    `run_id=${inspection.run_id} capture_mode=${inspection.capture_mode} intents=${inspection.intents_total} results=${inspection.results_total} receipts=${inspection.receipts_total}`,
    ...inspection.entries.map(
      (e) =>
        `${String(e.index).padStart(3)}  ${e.tool_name.padEnd(width)}  ${e.status.padEnd(7)}  ${e.intent_id}  args=${short(e.args_digest)}  result=${short(e.result_digest)}`,
    ),
    ...(inspection.unmatched_results.length > 0
      ? [`unmatched results: ${inspection.unmatched_results.join(", ")}`]
      : []),
  ];
}

const runReplayCommand = command({
  name: "replay",
  explain:
    "Replay a runpack with recorded results and deterministic stubs; real tools only behind explicit interlocks.",
  args: [runArg],
  options: [
    fromOption,
    { name: "real-tools", description: "run allow-listed tools for real (needs every interlock below)" },
    { name: "unsafe-real-tools", description: "acknowledge that real tools will run" },
    { name: "allow-tools", value: "csv", description: "tool names that may run for real", repeatable: true },
  ],
  examples: [
    "gait run replay run_demo",
    `${REAL_REPLAY_ENV}=1 gait run replay run_x --real-tools --unsafe-real-tools --allow-tools file.write`,
  ],
  run: async (args, options, ctx) => {
    const report = await replayRunpack({
      ref: runpackRef(args, options),
      cwd: ctx.cwd,
      env: ctx.env,
      realTools: options["real-tools"] === true,
      unsafeRealTools: options["unsafe-real-tools"] === true,
      allowTools: listOption(options, "allow-tools"),
    });
    for (const warning of report.warnings) ctx.warn(warning);
    const missing = report.missing_results;
    const output: Record<string, unknown> = { ...report };
    if (missing.length > 0) {
      output.ok = false;
      output.error = `replay has no result for ${missing.length} intent(s): ${missing.join(", ")}`;
    }
    return {
      exitCode: exitForCheck(missing.length === 0),
      output,
      human: [
        `replay ${report.mode} run_id=${report.run_id} steps=${report.steps.length} missing=${missing.length}`,
        ...report.steps.map(
          (s) =>
            `  ${s.intent_id} ${s.tool_name} ${s.execution}${s.stub_type ? `(${s.stub_type})` : ""} ${s.status}`,
        ),
      ],
    };
  },
});

const runDiffCommand = command({
  name: "diff",
  explain: "Compare two runpacks deterministically; exit 0 when they match, 2 when they differ.",
  args: [
    { name: "left", description: "run_id or runpack path", required: true },
    { name: "right", description: "run_id or runpack path", required: true },
  ],
  options: [
    {
      name: "privacy",
      value: "mode",
      choices: PRIVACY_MODES,
      default: "full",
      description: "full, or metadata (no payload values compared, only receipt counts for refs)",
    },
    { name: "output", value: "path", description: "also write the diff JSON here" },
  ],
  examples: ["gait run diff run_a run_b", "gait run diff a.zip b.zip --privacy metadata --output diff.json"],
  run: async (args, options, ctx) => {
    const [left, right] = args;
    if (!left || !right) throw invalidInput("usage", "run diff needs two runpacks");
    const output = stringOption(options, "output");
    const diff = await diffRunpackRefs({
      left,
      right,
      cwd: ctx.cwd,
      env: ctx.env,
      privacy: (stringOption(options, "privacy") ?? "full") as Privacy,
      ...(output ? { output } : {}),
    });
    const s = diff.summary;
    return {
      exitCode: exitForCheck(diff.identical),
      output: {
        privacy: diff.privacy,
        identical: diff.identical,
        summary: s,
        ...(diff.outputPath ? { output: showPath(ctx.cwd, diff.outputPath) } : {}),
      },
      human: diff.identical
        ? [`no differences (${s.run_id_left} vs ${s.run_id_right}, privacy=${diff.privacy})`]
        : [
            `runpacks differ (${s.run_id_left} vs ${s.run_id_right}, privacy=${diff.privacy})`,
            `files_changed=${s.files_changed.join(",") || "-"}`,
            ...(s.manifest_changed ? ["manifest changed (capture mode or file set)"] : []),
            ...listLine("left_only_intents", s.left_only_intents),
            ...listLine("right_only_intents", s.right_only_intents),
            ...listLine("changed_intents", s.changed_intents),
            ...listLine("left_only_results", s.left_only_results),
            ...listLine("right_only_results", s.right_only_results),
            ...listLine("changed_results", s.changed_results),
            ...(s.refs_changed ? ["refs changed"] : []),
          ],
    };
  },
});

function listLine(name: string, values: string[]): string[] {
  return values.length > 0 ? [`${name}=${values.join(",")}`] : [];
}

const runReceiptCommand = command({
  name: "receipt",
  explain: "Re-verify a runpack and print its ticket footer.",
  args: [runArg],
  options: [fromOption, ...verifyKeyOptions],
  examples: ["gait run receipt run_demo"],
  run: async (args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> => {
    const verifyKey = await resolveVerifyKey(readVerifyKeySources(options), ctx);
    const receipt = await runReceipt(runpackRef(args, options), ctx, verifyKey ? { verifyKey } : {});
    return {
      output: {
        run_id: receipt.runId,
        path: showPath(ctx.cwd, receipt.path),
        manifest_digest: receipt.manifestDigest,
        ticket_footer: receipt.ticketFooter,
      },
      human: receipt.ticketFooter,
    };
  },
});

export const runGroup = group({
  name: "run",
  explain: "Record, inspect, replay and diff runpacks (signed, offline-verifiable zips of agent runs).",
  commands: [runRecordCommand, runInspectCommand, runReplayCommand, runDiffCommand, runReceiptCommand],
});
