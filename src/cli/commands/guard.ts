/**
 * `gait guard pack|verify`: Guard evidence packs (CONTRACTS.md §7.2), one signed zip per run with
 * the summaries an auditor or an incident review needs, derived from the runpack, the traces,
 * the regress results, the approval audits and the inventory snapshots given. The module
 * (src/guard) does the work.
 */
import { resolve } from "node:path";
import { exitForCheck } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import {
  type BuiltEvidencePack,
  buildEvidencePack,
  type GuardVerification,
  verifyEvidencePack,
} from "../../guard/index.ts";
import { command, group, listOption, pathArgument, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { verifyKeyOptions } from "../keyflags.ts";
import { identityOptions } from "../store-flags.ts";
import {
  keysFrom,
  packHeadline,
  packIdentityOutput,
  packOutputOptions,
  readPackOutputRequest,
  signatureOutput,
  signatureText,
  templateLines,
  templateOutput,
} from "./audit-flags.ts";
import { guardStoreCommands } from "./guard-store.ts";

const inputList = (name: string, what: string) => ({
  name,
  value: "paths",
  repeatable: true,
  description: `${what} (comma-separated or repeated)`,
});

// ---------------------------------------------------------------------------------------------
// pack

const guardPackCommand = command({
  name: "pack",
  explain:
    "Build a signed, deterministic Guard evidence pack (evidence_pack_<pack_id>.zip) for a run: summaries derived from its runpack, traces, regress results, approval audits and inventory snapshots.",
  args: [{ name: "run", description: "run_id or runpack path (alternative to --run)" }],
  options: [
    {
      name: "run",
      value: "ref",
      description: "run_id (looked up in ./gait-out, then ~/.gait/runpacks) or runpack path",
    },
    inputList("trace", "gate trace files (gait.gate.trace), counted by verdict, reason code and tool"),
    inputList("regress", "regress results (gait.regress.result), counted pass/fail per grader"),
    inputList(
      "inventory",
      "scout inventory snapshots (gait.scout.inventory_snapshot), copied in, with coverage",
    ),
    inputList("approval-audit", "approval audit records (gait.gate.approval_audit_record), copied in"),
    inputList(
      "credential-evidence",
      "broker credential records (gait.gate.broker_credential_record), copied in",
    ),
    inputList("delegation-audit", "delegation audit records (gait.gate.delegation_audit_record), copied in"),
    ...packOutputOptions({ out: "output zip (default: evidence_pack_<pack_id>.zip beside the runpack)" }),
  ],
  examples: [
    "gait guard pack --run run_demo --regress regress_result.json --trace trace_<trace_id>.json",
    "gait guard pack run_demo --inventory snapshot.json --approval-audit approval_audit_<trace_id>.json --case-id INC-42",
    "gait guard pack --run run_demo --key-mode prod --private-key gait-out/keys/gait_private.key",
    "gait guard pack run_demo --template soc2 --approval-audit approval_audit_<trace_id>.json --render pdf,html",
  ],
  run: async (args, options, ctx) => {
    const run = stringOption(options, "run") ?? args[0];
    if (!run) {
      throw invalidInput("usage", "a run is required: --run <run_id|path>", {
        hint: "e.g. gait guard pack --run run_demo --regress regress_result.json",
      });
    }
    if (args.length > (stringOption(options, "run") ? 0 : 1)) {
      throw invalidInput("usage", `unexpected positional arguments: ${args.join(" ")}`, {
        hint: "name the run once, with --run or as the only argument",
      });
    }
    const built = await buildEvidencePack({
      run,
      traces: listOption(options, "trace"),
      regress: listOption(options, "regress"),
      inventories: listOption(options, "inventory"),
      approvalAudits: listOption(options, "approval-audit"),
      credentialEvidence: listOption(options, "credential-evidence"),
      delegationAudits: listOption(options, "delegation-audit"),
      ...(await readPackOutputRequest(options, ctx)),
    });
    return { output: packOutput(built), human: packLines(built) };
  },
});

function packOutput(built: BuiltEvidencePack): Record<string, unknown> {
  const { manifest, documents } = built;
  const { traces, regress, coverage } = documents;
  return {
    ...packIdentityOutput(built),
    manifest_path: `${built.shownPath}#pack_manifest.json`,
    files: manifest.contents.map((entry) => entry.path),
    controls: documents.controls.map((control) => control.control_id),
    ...templateOutput(built),
    ...signatureOutput(built),
    summary: {
      intents: documents.runpack.intents_total,
      traces: traces.traces_total,
      verdicts: traces.by_verdict,
      reason_codes: traces.by_reason_code,
      approvals: traces.approvals_total,
      approvals_granted: traces.approvals_granted,
      regress_status: regress.status,
      graders: regress.graders_total,
      graders_failed: regress.failed,
      ...(coverage
        ? { inventory_coverage_percent: coverage.coverage_percent, tools_missing: coverage.tools_missing }
        : {}),
    },
    next_commands: [`gait guard verify ${built.shownPath}`, `gait pack view ${built.shownPath}`],
  };
}

function packLines(built: BuiltEvidencePack): string[] {
  const { manifest, documents } = built;
  const { traces, regress, coverage } = documents;
  const verdicts = Object.entries(traces.by_verdict)
    .map(([verdict, n]) => `${verdict}=${n}`)
    .join(" ");
  return [
    packHeadline("guard", built),
    `path=${built.shownPath} files=${manifest.contents.length} ${signatureText(built)}`,
    `intents=${documents.runpack.intents_total} traces=${traces.traces_total} (${verdicts}) approvals=${traces.approvals_granted}/${traces.approvals_total} granted`,
    `regress=${regress.status} graders=${regress.graders_total} failed=${regress.failed}`,
    ...templateLines(built),
    ...(coverage
      ? [
          `inventory coverage=${coverage.coverage_percent}% of ${coverage.tools_used.length} tool(s) used${coverage.tools_missing.length > 0 ? ` (not inventoried: ${coverage.tools_missing.join(", ")})` : ""}`,
        ]
      : []),
    ...(built.signatureStatus === "missing"
      ? [
          "unsigned: sign it with --key-mode prod --private-key <path> (or build it in a project made by gait init)",
        ]
      : []),
    `next: gait guard verify ${built.shownPath}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// verify

const guardVerifyCommand = command({
  name: "verify",
  explain:
    "Verify a Guard evidence pack offline: every declared file present and hashed, duplicate entries refused, and signatures; undeclared files are reported, not rejected.",
  args: [{ name: "pack", description: "evidence pack zip" }],
  options: [
    { name: "path", value: "path", description: "evidence pack zip (alternative to the positional)" },
    { name: "require-signature", description: "fail unless a signature verifies (needs a public key)" },
    {
      name: "profile",
      value: "profile",
      choices: ["standard", "strict"],
      description: "strict = --require-signature",
    },
    ...verifyKeyOptions,
    ...identityOptions,
  ],
  examples: [
    "gait guard verify ./gait-out/evidence_pack_<pack_id>.zip",
    "gait guard verify evidence.zip --require-signature --public-key gait-out/keys/gait_public.key",
  ],
  run: async (args, options, ctx) => {
    const path = resolve(
      ctx.cwd,
      pathArgument(
        args,
        options,
        "an evidence pack zip path",
        "gait guard verify ./gait-out/evidence_pack_<pack_id>.zip",
      ),
    );
    const result = await verifyEvidencePack(path, {
      requireSignature:
        options["require-signature"] === true || stringOption(options, "profile") === "strict",
      ...(await keysFrom(options, ctx)),
    });
    for (const warning of result.warnings) ctx.warn(warning);
    const shown = showPath(ctx.cwd, path);
    const output = verifyOutput(shown, result);
    return { exitCode: exitForCheck(result.ok), output, human: verifyLines(shown, result) };
  },
});

function verifyOutput(path: string, result: GuardVerification): Record<string, unknown> {
  const listed = <T>(key: string, list: readonly T[]) => (list.length > 0 ? { [key]: list } : {});
  const output: Record<string, unknown> = {
    ok: result.ok,
    path,
    pack_id: result.pack_id,
    run_id: result.run_id,
    ...(result.case_id ? { case_id: result.case_id } : {}),
    files_checked: result.files_checked,
    ...listed("missing_files", result.missing_files),
    ...listed("hash_mismatches", result.hash_mismatches),
    ...listed("undeclared_files", result.undeclared_files),
    signature_status: result.signature_status,
    ...listed("signature_errors", result.signature_errors),
    signatures_total: result.signatures_total,
    signatures_valid: result.signatures_valid,
    signature_note: result.signature_note,
  };
  if (result.ok) return output;
  const altered = [...result.missing_files, ...result.hash_mismatches.map((m) => m.path)];
  output.error =
    altered.length > 0
      ? `evidence pack ${result.pack_id} failed verification: ${[
          ...result.missing_files.map((file) => `${file} is missing`),
          ...result.hash_mismatches.map((m) => `${m.path} was modified`),
        ].join("; ")}`
      : `evidence pack ${result.pack_id} failed verification: signature ${result.signature_status}${result.signature_errors.length > 0 ? ` (${result.signature_errors.join("; ")})` : ""}`;
  output.hint =
    altered.length > 0
      ? `${path} is not the pack its manifest describes: get the original file, or rebuild it with gait guard pack`
      : `${path} has no signature that verifies: check it with the signer's public key (--public-key), or verify without --require-signature`;
  return output;
}

function verifyLines(path: string, result: GuardVerification): string[] {
  return [
    `guard verify: ${result.ok ? "ok" : "FAILED"} pack_id=${result.pack_id} run_id=${result.run_id}`,
    `path=${path} files_checked=${result.files_checked} signature_status=${result.signature_status} (${result.signature_note})`,
    ...result.missing_files.map((file) => `missing: ${file}`),
    ...result.hash_mismatches.map((m) => `modified: ${m.path} expected=${m.expected} actual=${m.actual}`),
    ...result.undeclared_files.map((file) => `undeclared (accepted, not covered): ${file}`),
    ...result.signature_errors.map((e) => `signature: ${e}`),
  ];
}

export const guardGroup = group({
  name: "guard",
  explain:
    "Guard evidence packs: build and verify signed, offline-verifiable evidence zips for audits and incidents; encrypt, decrypt and retain artifacts.",
  commands: [guardPackCommand, guardVerifyCommand, ...guardStoreCommands],
});
