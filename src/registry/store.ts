/**
 * Where installed packs live, and the one way a pack gets there: a staging folder written in
 * full, then renamed into place (a previous install is moved aside first and removed after), so a
 * failure leaves either the old install or the new one, never half of one.
 *
 *   <project>/.gait/packs/<name>/<version>/registry_pack.json + artifacts
 *   <cache>/<name>/<version>/<digest>/registry_pack.json + artifacts
 *   <cache>/pins/<name>.pin                       sha256:<digest>\n
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { canonicalize } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { METADATA_FILE } from "./publish.ts";
import type { RegistryPack } from "./types.ts";

export const PROJECT_PACKS_DIR = ".gait/packs";

export function defaultCacheDir(): string {
  return join(homedir(), ".gait", "registry");
}

export function projectPackDir(cwd: string, name: string, version: string): string {
  return join(cwd, PROJECT_PACKS_DIR, name, version);
}

export function cachePackDir(cacheDir: string, name: string, version: string, digest: string): string {
  return join(cacheDir, name, version, digest);
}

export function pinPath(cacheDir: string, name: string): string {
  return join(cacheDir, "pins", `${name}.pin`);
}

/** The digest a pin file holds, or undefined when there is none (or it is not a pin). */
export async function readPin(cacheDir: string, name: string): Promise<string | undefined> {
  const text = await readFile(pinPath(cacheDir, name), "utf8").catch(() => undefined);
  const match = text === undefined ? null : /^sha256:([a-f0-9]{64})\s*$/.exec(text);
  return match ? match[1] : undefined;
}

export async function writePin(cacheDir: string, name: string, digest: string): Promise<void> {
  await writeFileAtomic(pinPath(cacheDir, name), `sha256:${digest}\n`, { mode: 0o644 });
}

/** A pack written in full under a staging name beside its final folder, ready to be committed. */
export interface StagedPack {
  readonly target: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export async function stagePack(
  target: string,
  pack: RegistryPack,
  files: ReadonlyMap<string, Buffer>,
): Promise<StagedPack> {
  const parent = dirname(target);
  const staging = join(parent, `.staging-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(staging, { recursive: true, mode: 0o755 });
    await writeFile(join(staging, METADATA_FILE), canonicalize(pack), { mode: 0o644 });
    for (const [path, bytes] of files) {
      await mkdir(dirname(join(staging, path)), { recursive: true, mode: 0o755 });
      await writeFile(join(staging, path), bytes, { mode: 0o644, flag: "wx" });
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw fromFsError(error, "stage pack", staging);
  }
  return {
    target,
    async commit() {
      const aside = join(parent, `.old-${randomBytes(6).toString("hex")}`);
      let moved = false;
      try {
        try {
          await rename(target, aside);
          moved = true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
        await rename(staging, target);
      } catch (error) {
        if (moved) await rename(aside, target).catch(() => undefined);
        await rm(staging, { recursive: true, force: true });
        throw fromFsError(error, "install pack", target);
      }
      if (moved) await rm(aside, { recursive: true, force: true });
    },
    async discard() {
      await rm(staging, { recursive: true, force: true });
    },
  };
}
