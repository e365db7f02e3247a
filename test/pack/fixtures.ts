/** Shared inputs for the pack tests: packs built in memory from the runpack fixtures and a job. */
import type { JsonObject } from "../../src/contract/canonical.ts";
import type { SigningKey } from "../../src/contract/signing.ts";
import { readZip } from "../../src/contract/zip.ts";
import {
  type AssembledPack,
  assemblePack,
  type JobPackSource,
  jobPackFiles,
  type PackFile,
  packZip,
  runPackFiles,
} from "../../src/pack/index.ts";
import { parseRunpackEntries, runpackZip } from "../../src/runpack/index.ts";
import { build, sampleInput } from "../runpack/fixtures.ts";

export const PRODUCER = "0.0.0-test";

/** A run pack of the runpack fixture (three intents, two results, two receipts). */
export async function runPackOf(
  input: unknown = sampleInput(),
  key?: SigningKey,
): Promise<AssembledPack & { zip: Buffer }> {
  const built = build(input);
  const { runpack } = parseRunpackEntries(built.entries);
  const payload = runPackFiles(runpack, await runpackZip(built.entries));
  const assembled = assemblePack(
    { packType: "run", sourceRef: runpack.run.run_id, producerVersion: PRODUCER },
    payload,
    key,
  );
  return { ...assembled, zip: await packZip(assembled.files) };
}

export function jobSource(overrides: Partial<JsonObject> = {}): JobPackSource {
  return {
    job_id: "job_demo",
    state: {
      schema_id: "gait.job.state",
      job_id: "job_demo",
      created_at: "2026-02-14T00:00:00.5Z",
      status: "paused",
      stop_reason: "paused_by_user",
      status_reason_code: "paused",
      environment_fingerprint: `envfp:${"a".repeat(64)}`,
      checkpoints: [{ checkpoint_id: "cp_0001" }, { checkpoint_id: "cp_0002" }],
      approvals: [{ approval_id: "ap_0001" }],
      ...overrides,
    },
    events: [
      { type: "submitted" },
      { type: "checkpoint_added" },
      { type: "checkpoint_added" },
      { type: "paused" },
    ],
  };
}

export async function jobPackOf(
  source = jobSource(),
  key?: SigningKey,
): Promise<AssembledPack & { zip: Buffer }> {
  const assembled = assemblePack(
    { packType: "job", sourceRef: source.job_id, producerVersion: PRODUCER },
    jobPackFiles(source),
    key,
  );
  return { ...assembled, zip: await packZip(assembled.files) };
}

/** The entries of a zip, by path. */
export async function filesOf(zip: Buffer): Promise<Map<string, Buffer>> {
  const { entries } = await readZip(zip);
  return new Map(entries.map((entry) => [entry.path, entry.data]));
}

/** A zip of `files` with some replaced, added or removed (undefined = removed). */
export async function rezip(files: ReadonlyMap<string, Buffer>, changes: Record<string, Buffer | undefined>) {
  const next = new Map(files);
  for (const [path, data] of Object.entries(changes)) {
    if (data === undefined) next.delete(path);
    else next.set(path, data);
  }
  const list: PackFile[] = [...next].map(([path, data]) => ({ path, data }));
  return packZip(list);
}
