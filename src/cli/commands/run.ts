/** `gait run record|inspect|view|replay|diff|receipt|reduce|session`: runpacks, the shareable evidence of one agent run. */

import { PROJECT_PUBLIC_KEY } from "../../config/index.ts";
import type { ContextEnvelope } from "../../context/index.ts";
import { canonicalize } from "../../contract/canonical.ts";
import { exitForCheck } from "../../contract/exit.ts";
import { type KeySource, resolveVerifyKey } from "../../contract/keys.ts";
import { showPath } from "../../contract/paths.ts";
import { DEFAULT_MAX_EVALUATIONS, reduceRunpackRef } from "../../reduce/index.ts";
import {
  CAPTURE_MODES,
  type CaptureMode,
  CONTEXT_EVIDENCE_MODES,
  type ContextEvidenceMode,
  type DiffChange,
  diffRunpackRefs,
  inspectRunpackRef,
  loadStubSelection,
  PRIVACY_MODES,
  type Privacy,
  REAL_REPLAY_ENV,
  type RunpackInspection,
  recordRunpack,
  replayRunpack,
  runReceipt,
  viewRunpack,
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
  readOptionalSigningRequest,
  readProjectVerifyKey,
  readVerifyKeySources,
  signingKeyOptions,
  verifyKeyOptions,
} from "../keyflags.ts";
import { operationExportOptions, runExported } from "./export-flags.ts";
import { recordSpans } from "./run-record-export.ts";
import { runSessionGroup } from "./session.ts";

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
    {
      name: "redact",
      value: "json-paths",
      repeatable: true,
      description:
        "input values replaced by sha256:<digest> before anything is written, e.g. intents[*].args.password (comma-separated or repeated)",
    },
    {
      name: "context-envelope",
      value: "path",
      description:
        "verified context envelope (gait.context.envelope) to bind into refs: its records become receipts, its context set digest and evidence mode the runpack's",
    },
    ...signingKeyOptions,
    ...operationExportOptions,
  ],
  examples: [
    "gait run record run.json",
    "gait run record --input run.json --key-mode prod --private-key gait-out/keys/gait_private.key",
    "gait run record run.json --capture-mode raw --redact 'intents[*].args.password,results[*].result.token'",
  ],
  run: async (args, options, ctx) => {
    const envelopePath = stringOption(options, "context-envelope");
    const inputPath = args[0] ?? stringOption(options, "input");
    if (!inputPath)
      throw invalidInput("usage", "a run record input is required (--input <file> or a positional)");
    const input = await readJsonInput(inputPath, ctx.cwd, "run record input");
    const runId = stringOption(options, "run-id");
    const captureMode = stringOption(options, "capture-mode") as CaptureMode | undefined;
    const evidenceMode = stringOption(options, "context-evidence-mode") as ContextEvidenceMode | undefined;
    const contextEnvelope = envelopePath
      ? await readContextEnvelope(envelopePath, evidenceMode, ctx)
      : undefined;
    const signing = await readOptionalSigningRequest(options, ctx.cwd);
    const record = () =>
      recordRunpack(input, {
        cwd: ctx.cwd,
        env: ctx.env,
        clock: ctx.clock,
        outDir: stringOption(options, "out-dir") ?? "./gait-out",
        unsafeContextRaw: options["unsafe-context-raw"] === true,
        ...(runId ? { runId } : {}),
        ...(captureMode ? { captureMode } : {}),
        // The reference CLI defaults the mode (the library does not): CONTRACTS.md §3.2.
        contextEvidenceMode: evidenceMode ?? "best_effort",
        ...(signing ? { signing } : {}),
        ...(contextEnvelope ? { contextEnvelope } : {}),
        redact: listOption(options, "redact"),
      });
    const recorded = await runExported(options, ctx, record, recordSpans(input, runId, ctx));
    for (const warning of recorded.warnings) ctx.warn(warning);
    return {
      output: {
        run_id: recorded.runId,
        bundle: recorded.bundle,
        manifest_digest: recorded.manifestDigest,
        signature_status: recorded.signatureStatus,
        ...(recorded.signatureKeyId ? { signature_key_id: recorded.signatureKeyId } : {}),
        ...(recorded.redactedValues > 0 ? { redacted_values: recorded.redactedValues } : {}),
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
    {
      name: "unsafe-real-tools-env",
      value: "name",
      description: `the environment variable that must be set to 1 for real tools to run (default ${REAL_REPLAY_ENV})`,
    },
    {
      name: "stub",
      value: "tool=kind",
      description:
        "replay this tool with a deterministic stub (kind http, file, db or queue) instead of its recorded result, or never stub it (none)",
      repeatable: true,
    },
    {
      name: "stub-file",
      value: "path",
      description: 'the same choices as a JSON object {"tool.name": "kind"}',
    },
  ],
  examples: [
    "gait run replay run_demo",
    "gait run replay run_demo --stub tool.fetch=http --stub tool.summarize=none",
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
      stubs: await loadStubSelection(
        listOption(options, "stub"),
        stringOption(options, "stub-file"),
        ctx.cwd,
      ),
      ...interlockEnv(options),
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
            `  ${s.intent_id} ${s.tool_name} ${s.execution}${s.stub_type ? `(${s.stub_type} stub, ${s.stub_source})` : ""} ${s.status}`,
        ),
      ],
    };
  },
});

function interlockEnv(options: Options): { interlockEnv?: string } {
  const value = options["unsafe-real-tools-env"];
  return typeof value === "string" ? { interlockEnv: value.trim() } : {};
}

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
    {
      name: "html",
      description:
        "also write the diff as a self-contained HTML page (changed fields side by side; works offline)",
    },
    {
      name: "out",
      value: "path",
      description:
        "where --html writes the page (default ./gait-out/diff_<left>_<right>.html; an existing page there is replaced)",
    },
  ],
  examples: [
    "gait run diff run_a run_b",
    "gait run diff a.zip b.zip --privacy metadata --output diff.json",
    "gait run diff run_a run_b --html --out diff.html",
  ],
  run: async (args, options, ctx) => {
    const [left, right] = args;
    if (!left || !right) throw invalidInput("usage", "run diff needs two runpacks");
    const output = stringOption(options, "output");
    const htmlOut = stringOption(options, "out");
    const html = options.html === true;
    if (htmlOut && !html) {
      throw invalidInput("usage", "--out names the HTML page and needs --html", {
        hint: "add --html, or use --output <path> to write the diff JSON",
      });
    }
    const diff = await diffRunpackRefs({
      left,
      right,
      cwd: ctx.cwd,
      env: ctx.env,
      privacy: (stringOption(options, "privacy") ?? "full") as Privacy,
      ...(output ? { output } : {}),
      ...(html ? { html } : {}),
      ...(htmlOut ? { htmlOut } : {}),
    });
    const s = diff.summary;
    const htmlLine = diff.htmlPath ? [`html=${showPath(ctx.cwd, diff.htmlPath)}`] : [];
    return {
      exitCode: exitForCheck(diff.identical),
      output: {
        privacy: diff.privacy,
        identical: diff.identical,
        summary: s,
        changes: diff.changes,
        ...(diff.outputPath ? { output: showPath(ctx.cwd, diff.outputPath) } : {}),
        ...(diff.htmlPath ? { html: showPath(ctx.cwd, diff.htmlPath) } : {}),
      },
      human: diff.identical
        ? [`no differences (${s.run_id_left} vs ${s.run_id_right}, privacy=${diff.privacy})`, ...htmlLine]
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
            ...changeLines(diff.changes),
            ...htmlLine,
          ],
    };
  },
});

function listLine(name: string, values: string[]): string[] {
  return values.length > 0 ? [`${name}=${values.join(",")}`] : [];
}

/** `  ~ path: before -> after` per changed field (`+` added, `-` removed), values cut to a line. */
function changeLines(changes: readonly DiffChange[]): string[] {
  if (changes.length === 0) return [];
  const show = (value: unknown) => {
    const text = canonicalize(value);
    return text.length > 100 ? `${text.slice(0, 100)}...` : text;
  };
  return [
    "changes:",
    ...changes.map((c) =>
      c.kind === "added"
        ? `  + ${c.path}: ${show(c.after)}`
        : c.kind === "removed"
          ? `  - ${c.path}: ${show(c.before)}`
          : `  ~ ${c.path}: ${show(c.before)} -> ${show(c.after)}`,
    ),
  ];
}

/** How a verify key was given, for the page: `--public-key keys/x.pub`, `--public-key-env VAR`. */
function keySourceLabel(options: Options): string | undefined {
  const label = (flag: string, source: KeySource | undefined) =>
    source === undefined
      ? []
      : [source.path !== undefined ? `--${flag} ${source.path}` : `--${flag}-env ${source.env}`];
  const sources = readVerifyKeySources(options);
  const parts = [...label("public-key", sources.publicKey), ...label("private-key", sources.privateKey)];
  return parts.length > 0 ? parts.join(", ") : undefined;
}

const runViewCommand = command({
  name: "view",
  explain:
    "Render a runpack as one self-contained HTML page (timeline of intents, verdicts, results and refs, with a verified badge) that works offline.",
  args: [runArg],
  options: [
    fromOption,
    {
      name: "out",
      value: "path",
      description:
        "where the page goes (default ./gait-out/view_<run_id>.html; must end in .html; a page already there is replaced, since a view is not evidence)",
    },
    ...verifyKeyOptions,
  ],
  examples: [
    "gait run view run_demo",
    "gait run view ./gait-out/runpack_run_x.zip --out run.html --public-key gait_public.key",
  ],
  run: async (args, options, ctx) => {
    // As gait verify: a key given by flag checks every signature; the project's dev key only its own.
    const found = await readProjectVerifyKey(options, ctx);
    const out = stringOption(options, "out");
    const keySource = found?.given
      ? keySourceLabel(options)
      : found
        ? `the project's dev key, ${PROJECT_PUBLIC_KEY}`
        : undefined;
    const viewed = await viewRunpack({
      ref: runpackRef(args, options),
      cwd: ctx.cwd,
      env: ctx.env,
      ...(out ? { out } : {}),
      ...(found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {}),
      ...(keySource ? { keySource } : {}),
    });
    const v = viewed.view.verification;
    const path = showPath(ctx.cwd, viewed.path);
    const output: Record<string, unknown> = {
      path,
      run_id: viewed.view.run_id,
      verified: v.verified,
      intents: viewed.view.intents_total,
      results: viewed.view.results_total,
      manifest_digest: viewed.view.manifest_digest,
      capture_mode: viewed.view.capture_mode,
      signature_status: v.signature_status,
      ...(v.key_id ? { signature_key_id: v.key_id } : {}),
      runpack: showPath(ctx.cwd, viewed.runpackPath),
      replaced: viewed.replaced,
    };
    if (!v.verified) {
      output.ok = false;
      output.error = `runpack ${viewed.view.run_id} did not verify (${v.note}); the page was written with an unverified badge`;
      output.hint = `run gait verify ${viewed.view.run_id} with the same key for the full report`;
    }
    return {
      exitCode: exitForCheck(v.verified),
      output,
      human: [
        `view: ${v.verified ? "verified" : "UNVERIFIED"} run_id=${viewed.view.run_id} intents=${viewed.view.intents_total} results=${viewed.view.results_total}`,
        `wrote ${path}${viewed.replaced ? " (replaced the previous page)" : ""}; open it in a browser, it works offline`,
        ...(v.verified ? [] : [`unverified: ${v.note}`]),
      ],
    };
  },
});

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

const runReduceCommand = command({
  name: "reduce",
  explain:
    "Shrink a failing runpack to the smallest run that still fails (delta debugging over steps, then refs and events), as a verified runpack.",
  args: [runArg],
  options: [
    fromOption,
    {
      name: "predicate",
      value: "p",
      description:
        "what failing means: missing_result, non_ok_status, verdict:<allow|block|require_approval|dry_run> (with --policy), regress:<fixture>[/<grader>] or command:<cmd> (gets the candidate path last; exit 0 = still fails)",
      default: "missing_result",
    },
    { name: "policy", value: "path", description: "policy for verdict: predicates" },
    {
      name: "config",
      value: "path",
      description: "regress config for regress: predicates (default gait.yaml)",
    },
    {
      name: "out",
      value: "path",
      description: "reduced runpack (default runpack_<run_id>_reduced_<predicate>.zip next to the input)",
    },
    { name: "report-out", value: "path", description: "reduce report (default <out>.reduce_report.json)" },
    {
      name: "max-evaluations",
      value: "n",
      description: `predicate evaluations allowed; when reached, the best result so far is written (default ${DEFAULT_MAX_EVALUATIONS})`,
    },
  ],
  examples: [
    "gait run reduce --from run_x --predicate missing_result",
    "gait run reduce --from run_x --predicate verdict:block --policy policy.yaml",
    "gait run reduce --from run_x --predicate 'command:node check.mjs' --report-out reduce.json",
  ],
  run: async (args, options, ctx) => {
    const max = stringOption(options, "max-evaluations");
    const policy = stringOption(options, "policy");
    const config = stringOption(options, "config");
    const out = stringOption(options, "out");
    const reportOut = stringOption(options, "report-out");
    const reduced = await reduceRunpackRef({
      from: runpackRef(args, options),
      predicate: stringOption(options, "predicate") ?? "missing_result",
      cwd: ctx.cwd,
      env: ctx.env,
      ...(max !== undefined ? { maxEvaluations: /^\d+$/.test(max.trim()) ? Number(max) : Number.NaN } : {}),
      ...(policy ? { policy } : {}),
      ...(config ? { config } : {}),
      ...(out ? { out } : {}),
      ...(reportOut ? { reportOut } : {}),
      // Progress only where someone watches: a terminal.
      ...(process.stderr.isTTY ? { onProgress: (message: string) => ctx.progress(message) } : {}),
    });
    const r = reduced.report;
    const path = showPath(ctx.cwd, reduced.path);
    const reportPath = showPath(ctx.cwd, reduced.reportPath);
    return {
      output: { ...r, path, report: reportPath },
      human: [
        `reduced ${r.run_id} -> ${r.reduced_run_id} (${r.predicate})`,
        `intents ${r.original_intent_count} -> ${r.reduced_intent_count}, results ${r.original_result_count} -> ${r.reduced_result_count}, refs ${r.original_ref_count} -> ${r.reduced_ref_count}`,
        `kept intents: ${r.kept_intent_ids.join(", ") || "-"}`,
        `evaluations=${r.evaluations} (bound ${r.evaluation_bound}, max ${r.max_evaluations}) elapsed_ms=${r.elapsed_ms}`,
        ...(r.max_evaluations_reached
          ? ["max evaluations reached: this is the best result found, perhaps not minimal"]
          : []),
        ...(r.deterministic
          ? []
          : ["non-deterministic predicate (command:): another run may reduce differently"]),
        `wrote ${path} (verified, still failing)`,
        `report ${reportPath}`,
      ],
    };
  },
});

export const runGroup = group({
  name: "run",
  explain: "Record, inspect, view, replay and diff runpacks (signed, offline-verifiable zips of agent runs).",
  commands: [
    runRecordCommand,
    runInspectCommand,
    runViewCommand,
    runReplayCommand,
    runDiffCommand,
    runReceiptCommand,
    runReduceCommand,
    runSessionGroup,
  ],
});

/**
 * Reads and verifies `--context-envelope` (read before anything is written: a runpack without
 * the envelope it was asked to carry would be evidence of something else). `--context-evidence-mode`,
 * when given, must be the envelope's own.
 */
async function readContextEnvelope(
  path: string,
  mode: ContextEvidenceMode | undefined,
  ctx: CommandContext,
): Promise<ContextEnvelope> {
  const { parseContextEnvelope } = await import("../../context/index.ts");
  const envelope = parseContextEnvelope(await readJsonInput(path, ctx.cwd, "context envelope"), path);
  if (mode !== undefined && mode !== envelope.evidence_mode) {
    throw invalidInput(
      "usage",
      `--context-evidence-mode ${mode} contradicts the context envelope's evidence_mode ${envelope.evidence_mode}`,
      { hint: "drop --context-evidence-mode: the envelope's mode is recorded" },
    );
  }
  return envelope;
}
