/**
 * The ticket footer (REFERENCE.md §1.6): the one line people paste into tickets, and
 * `gait run receipt`, which re-verifies a runpack before printing it.
 */
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { type VerifyOptions, verifyRunpack } from "./verify.ts";

const footerPattern =
  /^GAIT run_id=([A-Za-z0-9_-]+) manifest=sha256:[0-9a-f]{64} verify="gait verify ([A-Za-z0-9_-]+)"$/;

/** `GAIT run_id=<id> manifest=sha256:<64 hex> verify="gait verify <id>"`, checked before use. */
export function ticketFooter(runId: string, manifestDigest: string): string {
  const footer = `GAIT run_id=${runId} manifest=sha256:${manifestDigest} verify="gait verify ${runId}"`;
  const match = footerPattern.exec(footer);
  if (!match || match[1] !== match[2]) {
    throw invalidInput(
      "ticket_footer_invalid",
      `cannot build a ticket footer for run_id ${JSON.stringify(runId)}`,
      {
        hint: "run ids in a ticket footer use only letters, digits, _ and -",
      },
    );
  }
  return footer;
}

export interface RunReceipt {
  runId: string;
  path: string;
  manifestDigest: string;
  ticketFooter: string;
}

/** Re-verifies the runpack `ref` names and returns its footer; a failed check is exit 2. */
export async function runReceipt(
  ref: string,
  context: ResolveContext,
  options: VerifyOptions = {},
): Promise<RunReceipt> {
  const path = resolveRunpackPath(ref, context);
  const verification = await verifyRunpack(path, options);
  if (!verification.ok) {
    throw verificationFailed("runpack_verify_failed", `runpack ${path} failed verification`, {
      hint: `run gait verify ${ref} for the full report`,
      details: { missing_files: verification.missing_files, hash_mismatches: verification.hash_mismatches },
    });
  }
  return {
    runId: verification.run_id,
    path,
    manifestDigest: verification.manifest_digest,
    ticketFooter: ticketFooter(verification.run_id, verification.manifest_digest.toLowerCase()),
  };
}
