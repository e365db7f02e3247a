/**
 * `--policy pack:<name>/<file>`: a policy from an installed pack. The file must be an artifact
 * gait.lock records for the pack, and its bytes must have the locked sha256; the caller parses
 * exactly the bytes checked here (no second read). Fails closed: anything else is an error.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../contract/canonical.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { LOCKFILE_NAME, readLockfile } from "./lockfile.ts";
import { artifactPathProblem, PACK_NAME } from "./manifest.ts";
import { projectPackDir } from "./store.ts";

export const PACK_POLICY_PREFIX = "pack:";

export interface PackPolicyFile {
  bytes: Buffer;
  path: string;
  pack: { name: string; version: string; digest: string; file: string; sha256: string };
}

export function isPackPolicyRef(ref: string): boolean {
  return ref.startsWith(PACK_POLICY_PREFIX);
}

export async function readPackPolicy(ref: string, cwd: string): Promise<PackPolicyFile> {
  const rest = ref.slice(PACK_POLICY_PREFIX.length);
  const slash = rest.indexOf("/");
  const name = slash > 0 ? rest.slice(0, slash) : "";
  const file = slash > 0 ? rest.slice(slash + 1) : "";
  if (!PACK_NAME.test(name) || artifactPathProblem(file) !== undefined) {
    throw invalidInput("registry_policy_ref_invalid", `--policy ${ref} is not pack:<name>/<file>`, {
      hint: "e.g. --policy pack:baseline-safety/policy.yaml (see gait registry list)",
    });
  }
  const { lock } = await readLockfile(join(cwd, LOCKFILE_NAME));
  const entry = lock.packs.find((p) => p.pack_name === name);
  if (!entry) {
    throw invalidInput("registry_not_installed", `--policy ${ref}: pack ${name} is not in ${LOCKFILE_NAME}`, {
      hint: "install it with gait registry install, or run gait registry list",
    });
  }
  const artifact = entry.artifacts.find((a) => a.path === file);
  if (!artifact) {
    throw invalidInput(
      "registry_policy_ref_invalid",
      `--policy ${ref}: ${name}@${entry.pack_version} has no file ${file}`,
      {
        details: { files: entry.artifacts.map((a) => a.path) },
      },
    );
  }
  const path = join(projectPackDir(cwd, name, entry.pack_version), file);
  const bytes = await readFile(path).catch(() => {
    throw verificationFailed("registry_artifact_missing", `--policy ${ref}: ${path} is missing`, {
      hint: "run gait registry install --frozen to restore the installed packs",
    });
  });
  if (sha256Hex(bytes) !== artifact.sha256) {
    throw verificationFailed(
      "registry_artifact_digest_mismatch",
      `--policy ${ref}: ${file} does not match its sha256 in ${LOCKFILE_NAME}`,
      {
        hint: "the installed policy was changed; run gait registry verify, then gait registry install --frozen",
      },
    );
  }
  return {
    bytes,
    path,
    pack: { name, version: entry.pack_version, digest: entry.digest, file, sha256: artifact.sha256 },
  };
}
