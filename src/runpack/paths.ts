/** Where runpacks live: file names, `<run_id|path>` resolution, and how paths are shown. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ENCRYPTED_SUFFIX } from "../store/index.ts";
import { invalidInput } from "./error-codes.ts";

export interface ResolveContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

export function runpackFileName(runId: string): string {
  return `runpack_${runId}.zip`;
}

/** Anything with a slash or backslash, or ending in `.zip` (or `.zip.age`), is a path; otherwise a run_id. */
function isPathReference(ref: string): boolean {
  const lower = ref.toLowerCase();
  return ref.includes("/") || ref.includes("\\") || lower.endsWith(".zip") || lower.endsWith(".zip.age");
}

/**
 * Resolves `<run_id|path>`: a path against the cwd, a run_id to `./gait-out/runpack_<id>.zip`
 * and then `~/.gait/runpacks/runpack_<id>.zip` (HOME from the given environment), each also as
 * the encrypted `runpack_<id>.zip.age`.
 */
export function resolveRunpackPath(ref: string, context: ResolveContext): string {
  const trimmed = ref.trim();
  if (trimmed === "") {
    throw invalidInput("usage", "a runpack run_id or path is required", {
      hint: "e.g. gait verify run_demo",
    });
  }
  if (isPathReference(trimmed)) return resolve(context.cwd, trimmed);
  const candidates = [resolve(context.cwd, "gait-out", runpackFileName(trimmed))];
  const home = context.env.HOME?.trim() || context.env.USERPROFILE?.trim();
  if (home) candidates.push(join(home, ".gait", "runpacks", runpackFileName(trimmed)));
  // An encrypted store keeps the same name plus `.age` (docs/encryption.md).
  const found = candidates
    .flatMap((candidate) => [candidate, `${candidate}${ENCRYPTED_SUFFIX}`])
    .find((candidate) => existsSync(candidate));
  if (found) return found;
  throw invalidInput("runpack_not_found", `no runpack found for run_id ${JSON.stringify(trimmed)}`, {
    hint: `looked in ${candidates.join(" and ")}; pass a path to the runpack zip instead`,
    details: { searched: candidates },
  });
}
