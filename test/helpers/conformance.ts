/**
 * Access to ../shared/conformance (public v1 schemas, samples and vectors). When the folder is
 * absent (a lone clone), conformance tests skip with a visible message instead of failing.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "./cli.ts";

export const conformanceDir = resolve(
  process.env.GAIT_CONFORMANCE_DIR ?? join(repoRoot, "..", "shared", "conformance"),
);
export const conformanceAvailable = existsSync(join(conformanceDir, "index.json"));
export const conformanceSkip: string | false = conformanceAvailable
  ? false
  : `conformance corpus not found at ${conformanceDir} (set GAIT_CONFORMANCE_DIR); skipping`;

if (!conformanceAvailable) {
  process.stderr.write(`SKIP: ${conformanceSkip}\n`);
}

export function vectorPath(...parts: string[]): string {
  return join(conformanceDir, "vectors", ...parts);
}
