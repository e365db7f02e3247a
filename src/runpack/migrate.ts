/**
 * Migrate (REFERENCE.md §2.14): re-records an older or non-canonical runpack in the current v1
 * form (canonical bytes, current defaults and digests, same capture mode, signatures dropped),
 * verifies the result, and never overwrites the input.
 */
import { realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../contract/files.ts";
import { showPath } from "../contract/paths.ts";
import { EPOCH_1980, fixedClock, Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { entryName, runpackZip } from "./archive.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { type ResolveContext, resolveRunpackPath } from "./paths.ts";
import { type LoadedRunpack, readRunpack } from "./read.ts";
import { type BuiltRunpack, buildRunpack } from "./record.ts";
import type { RunpackEntry } from "./types.ts";
import { verifyRunpack } from "./verify.ts";

export const MIGRATE_TARGETS = ["v1"] as const;

export interface MigrateRequest extends ResolveContext {
  ref: string;
  /** Output path; default `runpack_<run_id>_migrated.zip` next to the input. */
  out?: string;
  target?: string;
}

export interface MigrateOutcome {
  artifact: "runpack";
  input: string;
  output: string;
  status: "migrated" | "no_change";
  run_id: string;
  manifest_digest: string;
  warnings: string[];
}

/** The current-form entries for a loaded runpack (pure). */
function remigrate(loaded: LoadedRunpack): BuiltRunpack {
  const { manifest } = loaded.runpack;
  const created = manifest.created_at ? Timestamp.parse(manifest.created_at) : EPOCH_1980;
  return buildRunpack(
    { ...loaded.documents, capture_mode: manifest.capture_mode },
    {
      // Fallbacks come from the runpack itself, never from this machine or this moment.
      clock: fixedClock(created),
      producerVersion: manifest.producer_version || PRODUCER_VERSION,
      environment: { os: "", arch: "", runtime: "" },
      captureMode: manifest.capture_mode,
      // Raw context already recorded in the runpack is carried over, not newly exposed.
      unsafeContextRaw: true,
    },
  );
}

function sameEntries(before: readonly RunpackEntry[], after: readonly RunpackEntry[]): boolean {
  if (before.length !== after.length) return false;
  const old = new Map(before.map((e) => [entryName(e.path), e.data]));
  return after.every((e) => old.get(e.path)?.equals(e.data) === true);
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

export async function migrateRunpack(request: MigrateRequest): Promise<MigrateOutcome> {
  const target = request.target ?? "v1";
  if (!(MIGRATE_TARGETS as readonly string[]).includes(target)) {
    throw invalidInput(
      "migrate_target_unsupported",
      `unsupported migration target ${JSON.stringify(target)}`,
      {
        hint: "the only target is v1 (--target v1)",
      },
    );
  }
  const inputPath = resolveRunpackPath(request.ref, request);
  const loaded = await readRunpack(inputPath, { allowNonCanonicalManifest: true });
  const built = remigrate(loaded);
  const runId = built.runpack.run.run_id;
  const outputPath = request.out
    ? resolve(request.cwd, request.out)
    : join(dirname(inputPath), `runpack_${runId}_migrated.zip`);
  if (samePath(inputPath, outputPath)) {
    throw invalidInput("migrate_output_is_input", "migrate never overwrites its input", {
      hint: "pass --out with a different path",
    });
  }
  await writeFileAtomic(outputPath, await runpackZip(built.entries), { mode: 0o600 });
  const verification = await verifyRunpack(outputPath);
  if (!verification.ok) {
    throw verificationFailed("runpack_verify_failed", `migrated runpack ${outputPath} failed verification`);
  }
  return {
    artifact: "runpack",
    input: showPath(request.cwd, inputPath),
    output: showPath(request.cwd, outputPath),
    status: sameEntries(loaded.entries, built.entries) ? "no_change" : "migrated",
    run_id: runId,
    manifest_digest: built.manifestDigest,
    warnings: built.warnings,
  };
}
