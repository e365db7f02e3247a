/**
 * `gait verify <run_id|path>`: offline integrity check of a runpack (hashes, manifest digest,
 * signatures); `gait verify chain` and `gait verify session-chain` are in verify-chain.ts.
 */
import { exitForCheck } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import { type RunpackVerification, resolveRunpackPath, verifyRunpack } from "../../runpack/index.ts";
import { command, group, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readProjectVerifyKey, verifyKeyOptions } from "../keyflags.ts";
import { identityOptions } from "../store-flags.ts";
import { failureParts, findingLines } from "../verify-report.ts";
import { operationExportOptions, runExported } from "./export-flags.ts";
import { verifyChainCommand, verifySessionChainCommand } from "./verify-chain.ts";

const verifyRunpackCommand = command({
  name: "verify",
  explain:
    "Verify a runpack offline: every file hash, the manifest digest, duplicate or undeclared entries and signatures.",
  args: [
    { name: "run", description: "run_id (looked up in ./gait-out, then ~/.gait/runpacks) or runpack path" },
  ],
  options: [
    { name: "require-signature", description: "fail unless a signature verifies (needs a public key)" },
    {
      name: "profile",
      value: "profile",
      choices: ["standard", "strict"],
      description: "strict = --require-signature",
    },
    ...verifyKeyOptions,
    ...identityOptions,
    ...operationExportOptions,
  ],
  examples: [
    "gait verify run_demo",
    "gait verify ./gait-out/runpack_run_demo.zip.age --identity key.txt",
    "gait verify ./gait-out/runpack_run_x.zip --require-signature --public-key gait_public.key",
    "gait verify run_demo --otlp-endpoint http://127.0.0.1:4318",
  ],
  run: async (args, options, ctx) => {
    const ref = args[0];
    if (!ref)
      throw invalidInput("usage", "a runpack run_id or path is required", {
        hint: "e.g. gait verify run_demo",
      });
    const requireSignature =
      options["require-signature"] === true || stringOption(options, "profile") === "strict";
    // A key given by flag checks every signature; the project's dev key only those it made.
    const found = await readProjectVerifyKey(options, ctx);
    const path = resolveRunpackPath(ref, ctx);
    const result = await runExported(
      options,
      ctx,
      () =>
        verifyRunpack(path, {
          requireSignature,
          ...(found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {}),
        }),
      (done, at, operations) => (done.ok ? [operations.runpackVerifyEvent(done.value, at)] : []),
    );
    const output: Record<string, unknown> = {
      ...result,
      path: showPath(ctx.cwd, path),
      next_commands: nextCommands(ref, result),
    };
    if (!result.ok) {
      output.error = failureSummary(result);
      output.hint = failureHint(String(output.path), result);
    }
    return { exitCode: exitForCheck(result.ok), output, human: humanLines(output.path as string, result) };
  },
});

function nextCommands(ref: string, result: RunpackVerification): string[] {
  if (!result.ok) return [];
  const commands = [`gait run inspect ${ref}`, `gait run replay ${ref}`, `gait run receipt ${ref}`];
  if (result.signature_status === "skipped") commands.unshift(`gait verify ${ref} --public-key <public.key>`);
  return commands;
}

/** What to do next, naming the file that was checked: its content, or only its signature, failed. */
function failureHint(path: string, result: RunpackVerification): string {
  const contentFailed =
    result.missing_files.length > 0 ||
    result.hash_mismatches.length > 0 ||
    result.undeclared_files.length > 0;
  if (contentFailed) {
    return `${path} is not the runpack its manifest describes: get the original file, or re-record the run`;
  }
  return `${path} has no signature that verifies (${result.signature_status}): check it with the signer's public key (--public-key), or verify without --require-signature`;
}

function failureSummary(result: RunpackVerification): string {
  return `runpack ${result.run_id} failed verification (${failureParts(result).join("; ")})`;
}

function humanLines(path: string, result: RunpackVerification): string[] {
  return [
    `verify: ${result.ok ? "ok" : "FAILED"} run_id=${result.run_id} path=${path}`,
    `files_checked=${result.files_checked} manifest_digest=${result.manifest_digest}`,
    `signature_status=${result.signature_status} (${result.signature_note})`,
    ...findingLines(result),
  ];
}

export const verifyCommand = group({
  name: "verify",
  explain:
    "Verify evidence offline: a runpack (`gait verify <run>`), a run with its trace and pack (`verify chain`), or a session chain (`verify session-chain`).",
  commands: [verifyChainCommand, verifySessionChainCommand],
  defaultCommand: verifyRunpackCommand,
});
