/**
 * `gait pack build|verify|inspect|diff`: PackSpec v1 packs (CONTRACTS.md §7.1), one signed zip
 * per run or job that anyone can verify offline. Every JSON output is a `gait.pack.output`
 * object naming its operation; the module (src/pack) does the work.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { canonicalize } from "../../contract/canonical.ts";
import { exitForCheck } from "../../contract/exit.ts";
import { writeFileAtomic } from "../../contract/files.ts";
import { showPath } from "../../contract/paths.ts";
import { verifyEvidencePack } from "../../guard/index.ts";
import { DEFAULT_JOB_ROOT, readJobForPack } from "../../job/index.ts";
import {
  BUILD_TYPES,
  type BuildType,
  type BuiltPack,
  buildJobPack,
  buildRunPack,
  diffPacks,
  type GuardPackVerifier,
  inspectPack,
  type JobPackSource,
  PACK_SCHEMA_VERSION,
  type PackBuildFields,
  type PackDiff,
  type PackInspection,
  PackSchemaIds,
  type PackVerification,
  type PackVerifyFields,
  type PackVerifyOptions,
  type PackViewOutcome,
  parseJobPackSource,
  verifyPack,
  viewPack,
} from "../../pack/index.ts";
import { type CommandContext, command, group, type Options, pathArgument, stringOption } from "../command.ts";

const PACK_EXAMPLE = "gait pack verify ./gait-out/pack_<pack_id>.zip";

import { invalidInput } from "../error-codes.ts";
import { readJsonInput } from "../io.ts";
import {
  readOptionalSigningRequest,
  readProjectVerifyKey,
  signingKeyOptions,
  verifyKeyOptions,
} from "../keyflags.ts";
import { identityOptions } from "../store-flags.ts";
import { failureParts, findingLines } from "../verify-report.ts";
import { operationExportOptions, runExported } from "./export-flags.ts";

/**
 * GUARD HOOK: the verifier of Guard evidence packs (`gait.guard.pack_manifest`), which `pack
 * verify` dispatches to (src/guard: declared files present and hashed, undeclared ones reported
 * but accepted, signatures).
 */
const guardVerifier: GuardPackVerifier = verifyEvidencePack;

/** The common head of every pack output. */
function packOutput(operation: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { schema_id: PackSchemaIds.output, schema_version: PACK_SCHEMA_VERSION, operation, ...fields };
}

async function verifyOptions(options: Options, ctx: CommandContext): Promise<PackVerifyOptions> {
  const requireSignature =
    options["require-signature"] === true || stringOption(options, "profile") === "strict";
  // A key given by flag checks every signature; the project's dev key only those it made.
  const found = await readProjectVerifyKey(options, ctx);
  return {
    requireSignature,
    ...(found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {}),
    guardVerifier,
  };
}

const strictOptions = [
  { name: "require-signature", description: "fail unless a signature verifies (needs a public key)" },
  {
    name: "profile",
    value: "profile",
    choices: ["standard", "strict"],
    description: "strict = --require-signature",
  },
];

// ---------------------------------------------------------------------------------------------
// build

/**
 * `--from` for `--type job`: a job id, read from the job runtime's store under --job-root; or a
 * JSON file (`-` for stdin) holding `{job_id, state, events}` (a JobPackSource).
 */
async function jobSource(ref: string, options: Options, ctx: CommandContext): Promise<JobPackSource> {
  const file = resolve(ctx.cwd, ref);
  if (ref === "-" || (existsSync(file) && statSync(file).isFile())) {
    return parseJobPackSource(await readJsonInput(ref, ctx.cwd, "job pack source"), ref);
  }
  const root = stringOption(options, "job-root") ?? DEFAULT_JOB_ROOT;
  return readJobForPack(resolve(ctx.cwd, root), ref);
}

const packBuildCommand = command({
  name: "build",
  explain: "Build a signed, deterministic PackSpec pack (pack_<pack_id>.zip) from a runpack or a job.",
  options: [
    { name: "type", value: "type", choices: BUILD_TYPES, description: "run (from a runpack) or job" },
    {
      name: "from",
      value: "ref",
      description:
        "run: run_id or runpack path; job: job_id (under --job-root) or a JSON file {job_id, state, events}",
    },
    {
      name: "job-root",
      value: "dir",
      description: `where jobs live (--type job; default ${DEFAULT_JOB_ROOT})`,
    },
    { name: "out", value: "path", description: "output zip (default ./gait-out/pack_<pack_id>.zip)" },
    ...signingKeyOptions,
  ],
  examples: [
    "gait pack build --type run --from run_demo",
    "gait pack build --type job --from job_1",
    "gait pack build --type run --from run_demo --key-mode prod --private-key gait-out/keys/gait_private.key",
  ],
  run: async (_args, options, ctx) => {
    const type = stringOption(options, "type") as BuildType | undefined;
    const from = stringOption(options, "from");
    if (!type)
      throw invalidInput("usage", "--type run|job is required", {
        hint: "e.g. gait pack build --type run --from run_demo",
      });
    if (!from)
      throw invalidInput("usage", "--from is required", {
        hint: "e.g. gait pack build --type run --from run_demo",
      });
    const buildOptions = {
      cwd: ctx.cwd,
      env: ctx.env,
      out: stringOption(options, "out"),
      signing: await readOptionalSigningRequest(options, ctx.cwd),
    };
    const built =
      type === "run"
        ? await buildRunPack(from, buildOptions)
        : await buildJobPack(await jobSource(from, options, ctx), buildOptions);
    for (const warning of built.warnings) ctx.warn(warning);
    return { output: buildOutput(built), human: buildLines(built) };
  },
});

function buildOutput(built: BuiltPack): Record<string, unknown> {
  const { manifest } = built;
  const summary: PackBuildFields = {
    path: built.shownPath,
    pack_id: manifest.pack_id,
    pack_type: manifest.pack_type as BuildType,
    source_ref: manifest.source_ref,
    files: manifest.contents.length,
    signature_status: built.signatureStatus,
    ...(built.signatureKeyId ? { signature_key_id: built.signatureKeyId } : {}),
  };
  return packOutput("build", {
    path: built.shownPath,
    pack_id: manifest.pack_id,
    pack_type: manifest.pack_type,
    source_ref: manifest.source_ref,
    build: summary,
    next_commands: [`gait pack verify ${built.shownPath}`, `gait pack inspect ${built.shownPath}`],
  });
}

function buildLines(built: BuiltPack): string[] {
  const { manifest } = built;
  return [
    `pack build: ok pack_id=${manifest.pack_id} pack_type=${manifest.pack_type} source_ref=${manifest.source_ref}`,
    `path=${built.shownPath}`,
    `files=${manifest.contents.length} signature_status=${built.signatureStatus}${built.signatureKeyId ? ` key_id=${built.signatureKeyId}` : ""}`,
    `next: gait pack verify ${built.shownPath}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// verify

const packVerifyCommand = command({
  name: "verify",
  explain:
    "Verify a pack offline: manifest, pack_id, every file hash, undeclared files, proof records, payload and signatures.",
  args: [{ name: "pack", description: "pack zip (a runpack zip is verified as a runpack)" }],
  options: [
    { name: "path", value: "path", description: "pack zip (alternative to the positional)" },
    ...strictOptions,
    ...verifyKeyOptions,
    ...identityOptions,
    ...operationExportOptions,
  ],
  examples: [
    "gait pack verify ./gait-out/pack_<pack_id>.zip",
    "gait pack verify pack.zip --require-signature --public-key gait-out/keys/gait_public.key",
  ],
  run: async (args, options, ctx) => {
    const path = resolve(ctx.cwd, pathArgument(args, options, "a pack zip path", PACK_EXAMPLE));
    const packOptions = await verifyOptions(options, ctx);
    const result = await runExported(
      options,
      ctx,
      () => verifyPack(path, packOptions),
      (done, at, operations) =>
        done.ok ? [operations.packVerifyEvent(done.value, at, operations.packRunId(done.value))] : [],
    );
    const shown = showPath(ctx.cwd, path);
    const output = packOutput("verify", {
      ok: result.ok,
      path: shown,
      pack_id: result.pack_id,
      pack_type: result.pack_type,
      source_ref: result.source_ref,
      verify: verifyFields(result),
    });
    if (!result.ok) {
      output.error = failureSummary(result);
      output.hint = contentFailed(result)
        ? `${shown} is not the pack its manifest describes: get the original file, or rebuild it from its source`
        : `${shown} has no signature that verifies (${result.signature_status}): check it with the signer's public key (--public-key), or verify without --require-signature`;
    }
    return { exitCode: exitForCheck(result.ok), output, human: verifyLines(shown, result) };
  },
});

/** The `verify` object of §7.1: empty lists and zero counts left out, as the reference does. */
function verifyFields(result: PackVerification): PackVerifyFields {
  const nonEmpty = <K extends string, T>(key: K, list: readonly T[]) =>
    (list.length > 0 ? { [key]: [...list] } : {}) as { [k in K]?: T[] };
  return {
    pack_id: result.pack_id,
    pack_type: result.pack_type,
    source_ref: result.source_ref,
    files_checked: result.files_checked,
    ...(result.proof_records_verified !== undefined
      ? { proof_records_verified: result.proof_records_verified }
      : {}),
    ...nonEmpty("missing_files", result.missing_files),
    ...nonEmpty("hash_mismatches", result.hash_mismatches),
    ...nonEmpty("undeclared_files", result.undeclared_files),
    signature_status: result.signature_status,
    ...nonEmpty("signature_errors", result.signature_errors),
    ...(result.signatures_total > 0 ? { signatures_total: result.signatures_total } : {}),
    ...(result.signatures_valid > 0 ? { signatures_valid: result.signatures_valid } : {}),
    signature_note: result.signature_note,
    ...(result.legacy_type ? { legacy_type: result.legacy_type } : {}),
  };
}

/** Undeclared files fail a PackSpec pack; a Guard evidence pack reports them without failing (§7.2). */
function contentFailed(result: PackVerification): boolean {
  const undeclaredFails = result.legacy_type !== "evidence_pack" && result.undeclared_files.length > 0;
  return result.missing_files.length > 0 || result.hash_mismatches.length > 0 || undeclaredFails;
}

function failureSummary(result: PackVerification): string {
  return `pack ${result.pack_id} failed verification (${failureParts(result).join("; ")})`;
}

function verifyLines(path: string, result: PackVerification): string[] {
  return [
    `pack verify: ${result.ok ? "ok" : "FAILED"} pack_id=${result.pack_id} pack_type=${result.pack_type} source_ref=${result.source_ref}${result.legacy_type ? ` legacy_type=${result.legacy_type}` : ""}`,
    `path=${path} files_checked=${result.files_checked}${result.proof_records_verified !== undefined ? ` proof_records_verified=${result.proof_records_verified}` : ""}`,
    `signature_status=${result.signature_status} (${result.signature_note})`,
    ...findingLines(result),
  ];
}

// ---------------------------------------------------------------------------------------------
// inspect

const packInspectCommand = command({
  name: "inspect",
  explain: "Show what a verified pack holds: its entries, payload and counts derived from its sources.",
  args: [{ name: "pack", description: "pack zip (or a runpack zip)" }],
  options: [
    { name: "path", value: "path", description: "pack zip (alternative to the positional)" },
    ...strictOptions,
    ...verifyKeyOptions,
    ...identityOptions,
  ],
  examples: ["gait pack inspect ./gait-out/pack_<pack_id>.zip --json"],
  run: async (args, options, ctx) => {
    const path = resolve(ctx.cwd, pathArgument(args, options, "a pack zip path", PACK_EXAMPLE));
    const inspection = await inspectPack(path, await verifyOptions(options, ctx));
    const shown = showPath(ctx.cwd, path);
    return {
      output: packOutput("inspect", {
        path: shown,
        pack_id: inspection.pack_id,
        pack_type: inspection.pack_type,
        source_ref: inspection.source_ref,
        inspect: inspection,
      }),
      human: inspectLines(shown, inspection),
    };
  },
});

function countsText(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([key, n]) => `${key}=${n}`);
  return parts.length > 0 ? parts.join(" ") : "-";
}

function inspectLines(path: string, inspection: PackInspection): string[] {
  const lines = [
    `pack_id=${inspection.pack_id} pack_type=${inspection.pack_type} source_ref=${inspection.source_ref}${inspection.legacy_type ? ` legacy_type=${inspection.legacy_type}` : ""}`,
    `path=${path} signature_status=${inspection.signature_status}`,
    ...inspection.contents.map(
      (entry) =>
        `  ${entry.path.padEnd(24)} ${entry.type.padEnd(5)} ${String(entry.size_bytes).padStart(10)} B  ${entry.sha256.slice(0, 12)}`,
    ),
  ];
  const { run, job } = inspection;
  if (run) {
    lines.push(
      `run_id=${run.run_id} capture_mode=${run.capture_mode} intents=${run.intents_total} results=${run.results_total} receipts=${run.receipts_total}`,
      `intents by status: ${countsText(run.intents_by_status)}`,
      `intents by tool: ${countsText(run.intents_by_tool)}`,
    );
  }
  if (job) {
    lines.push(
      `job_id=${job.job_id} status=${job.status} stop_reason=${job.stop_reason} checkpoints=${job.checkpoints_total} approvals=${job.approvals_total} events=${job.events_total}`,
      `events by type: ${countsText(job.events_by_type)}`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// diff

const packDiffCommand = command({
  name: "diff",
  explain:
    "Compare two verified packs (entries added, removed, changed; manifest; context drift): exit 0 same, 2 changed.",
  args: [
    { name: "left", description: "pack zip", required: true },
    { name: "right", description: "pack zip", required: true },
  ],
  options: [
    { name: "output", value: "path", description: "also write the gait.pack.diff JSON here" },
    ...verifyKeyOptions,
  ],
  examples: ["gait pack diff a.zip b.zip", "gait pack diff a.zip b.zip --output diff.json --json"],
  run: async (args, options, ctx) => {
    const [left, right] = args;
    if (!left || !right) throw invalidInput("usage", "pack diff needs two pack zips");
    const diff = await diffPacks(
      resolve(ctx.cwd, left),
      resolve(ctx.cwd, right),
      await verifyOptions(options, ctx),
    );
    const output = stringOption(options, "output");
    if (output) await writeFileAtomic(resolve(ctx.cwd, output), `${canonicalize(diff)}\n`, { mode: 0o644 });
    return {
      exitCode: exitForCheck(!diff.summary.changed),
      output: packOutput("diff", {
        left_path: showPath(ctx.cwd, resolve(ctx.cwd, left)),
        right_path: showPath(ctx.cwd, resolve(ctx.cwd, right)),
        diff,
        ...(output ? { output: showPath(ctx.cwd, resolve(ctx.cwd, output)) } : {}),
      }),
      human: diffLines(diff),
    };
  },
});

function diffLines(diff: PackDiff): string[] {
  const s = diff.summary;
  const list = (name: string, files: readonly string[] | undefined) =>
    files && files.length > 0 ? [`${name}: ${files.join(", ")}`] : [];
  return [
    `${s.changed ? "packs differ" : "no differences"} (${diff.left_pack_id.slice(0, 12)} ${diff.left_pack_type} vs ${diff.right_pack_id.slice(0, 12)} ${diff.right_pack_type})`,
    ...list("added", s.added_files),
    ...list("removed", s.removed_files),
    ...list("changed", s.changed_files),
    ...(s.context_drift_classification ? [`context drift: ${s.context_drift_classification}`] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// view

const packViewCommand = command({
  name: "view",
  explain:
    "Write one self-contained HTML page that verifies a pack in the browser (file hashes, pack_id, Ed25519 signature) and shows its contents, summaries and control index; works offline, and checks any pack file chosen in it.",
  args: [{ name: "pack", description: "pack zip (PackSpec or Guard evidence pack)" }],
  options: [
    { name: "path", value: "path", description: "pack zip (alternative to the positional)" },
    {
      name: "out",
      value: "path",
      description:
        "where the page goes (default ./gait-out/view_<zip name>.html; must end in .html; a page already there is replaced)",
    },
    ...verifyKeyOptions,
  ],
  examples: [
    "gait pack view ./gait-out/pack_<pack_id>.zip",
    "gait pack view pack.zip --out report.html --public-key gait-out/keys/gait_public.key",
  ],
  run: async (args, options, ctx) => {
    // The key goes into the page's key field, so a reader can check the signature without typing
    // it. As pack verify: a key given by flag checks every signature; the project's dev key only its own.
    const found = await readProjectVerifyKey(options, ctx);
    const out = stringOption(options, "out");
    const viewed = await viewPack({
      pack: pathArgument(args, options, "a pack zip path", PACK_EXAMPLE),
      cwd: ctx.cwd,
      ...(out ? { out } : {}),
      ...(found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {}),
    });
    const output = packOutput("view", viewFields(viewed, ctx));
    const { report } = viewed;
    if (report.status !== "verified") {
      output.error = `${output.pack} is ${report.status === "invalid" ? "not a pack" : "tampered"}: ${report.problems
        .slice(0, 3)
        .map((p) => (p.path ? `${p.path}: ${p.message}` : p.message))
        .join("; ")}; the page was written and shows the same`;
      output.hint = "check it with gait pack verify for the full report";
    }
    return { exitCode: exitForCheck(report.status === "verified"), output, human: viewLines(output, viewed) };
  },
});

function viewFields(viewed: PackViewOutcome, ctx: CommandContext): Record<string, unknown> {
  const { report } = viewed;
  const manifest = report.manifest ?? {};
  return {
    ok: report.status === "verified",
    path: showPath(ctx.cwd, viewed.path),
    pack: showPath(ctx.cwd, viewed.packPath),
    ...(report.pack_id ? { pack_id: report.pack_id.declared } : {}),
    ...(report.kind ? { kind: report.kind } : {}),
    ...(typeof manifest.pack_type === "string" ? { pack_type: manifest.pack_type } : {}),
    ...(typeof manifest.source_ref === "string" ? { source_ref: manifest.source_ref } : {}),
    ...(typeof manifest.run_id === "string" ? { run_id: manifest.run_id } : {}),
    view: {
      status: report.status,
      files_checked: report.files_checked,
      ...(report.signature ? { signature_status: report.signature.status } : {}),
      ...(report.signature?.key_id ? { signature_key_id: report.signature.key_id } : {}),
      ...(report.offending.length > 0 ? { offending_files: report.offending } : {}),
      ...(report.problems.length > 0 ? { problems: report.problems } : {}),
      ...(report.warnings.length > 0 ? { warnings: report.warnings } : {}),
    },
    replaced: viewed.replaced,
  };
}

function viewLines(output: Record<string, unknown>, viewed: PackViewOutcome): string[] {
  const { report } = viewed;
  return [
    `pack view: ${report.status === "verified" ? "verified" : report.status === "invalid" ? "NOT A PACK" : "TAMPERED"}${report.pack_id ? ` pack_id=${report.pack_id.declared}` : ""} files_checked=${report.files_checked}${report.signature ? ` signature_status=${report.signature.status}` : ""}`,
    ...report.problems.map((p) => `problem: ${p.path ? `${p.path}: ` : ""}${p.message}`),
    `wrote ${output.path}${viewed.replaced ? " (replaced the previous page)" : ""}; open it in a browser: it verifies the pack itself, offline`,
  ];
}

export const packGroup = group({
  name: "pack",
  explain:
    "PackSpec v1 packs: build, verify, inspect, diff and view signed, offline-verifiable evidence zips.",
  commands: [packBuildCommand, packVerifyCommand, packInspectCommand, packDiffCommand, packViewCommand],
});
