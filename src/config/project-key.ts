/**
 * A project's dev key: evidence verifiable by default. In a project (a directory with `.gait/`,
 * made by `gait init`), commands that sign in dev mode use one persistent key pair under
 * `.gait/keys/` instead of a throwaway key, and commands that verify find its public half by
 * themselves, so a trace or token made here verifies here with no key flags. The private key is
 * mode 0600 and ignored by git (`.gait/.gitignore`). It is a dev key: for evidence others must
 * trust, sign with your own key in prod mode.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromFsError } from "../contract/errors.ts";
import { writeFileNew } from "../contract/files.ts";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  parsePrivateKey,
  parsePublicKey,
  type SigningKey,
  type VerifyKey,
} from "../contract/signing.ts";

export const PROJECT_DIR = ".gait";
export const PROJECT_PRIVATE_KEY = ".gait/keys/dev_private.key";
export const PROJECT_PUBLIC_KEY = ".gait/keys/dev_public.key";
const GITIGNORE = ".gait/.gitignore";
const GITIGNORE_TEXT =
  "# Written by gait: the project's dev signing key never goes into git.\nkeys/*_private.key\n";

/** True when `cwd` is a Gait project (has `.gait/`). */
export function isProject(cwd: string): boolean {
  return existsSync(join(cwd, PROJECT_DIR));
}

export interface ProjectKey {
  key: SigningKey;
  /** The private key's path as shown to users (relative to the project). */
  origin: string;
  /** True when this call created the pair. */
  created: boolean;
}

/**
 * The project's dev signing key, created on first use (atomically, never replacing a key another
 * process wrote first). Undefined outside a project.
 */
export async function projectDevKey(cwd: string): Promise<ProjectKey | undefined> {
  if (!isProject(cwd)) return undefined;
  const existing = await readPrivate(cwd);
  if (existing) return { key: existing, origin: PROJECT_PRIVATE_KEY, created: false };
  return createProjectKey(cwd);
}

/** Creates the project's dev key pair and its .gitignore (`gait init`); keeps a pair that exists. */
export async function createProjectKey(cwd: string): Promise<ProjectKey> {
  await ensureGitignore(cwd);
  const key = generateSigningKey();
  try {
    await writeFileNew(resolve(cwd, PROJECT_PRIVATE_KEY), `${encodePrivateKey(key)}\n`, { mode: 0o600 });
  } catch (error) {
    const other = await readPrivate(cwd);
    if (other) return { key: other, origin: PROJECT_PRIVATE_KEY, created: false };
    throw error;
  }
  await writeFileNew(resolve(cwd, PROJECT_PUBLIC_KEY), `${encodePublicKey(key)}\n`, { mode: 0o644 }).catch(
    () => undefined, // a public half already there is checked when it is read
  );
  return { key, origin: PROJECT_PRIVATE_KEY, created: true };
}

/** The project's dev public key, when the project has one (what verifiers use by default). */
export async function projectVerifyKey(cwd: string): Promise<{ key: VerifyKey; origin: string } | undefined> {
  const text = await readOptional(resolve(cwd, PROJECT_PUBLIC_KEY));
  if (text === undefined) return undefined;
  return { key: parsePublicKey(text, PROJECT_PUBLIC_KEY), origin: PROJECT_PUBLIC_KEY };
}

async function readPrivate(cwd: string): Promise<SigningKey | undefined> {
  const text = await readOptional(resolve(cwd, PROJECT_PRIVATE_KEY));
  return text === undefined ? undefined : parsePrivateKey(text, PROJECT_PRIVATE_KEY);
}

async function ensureGitignore(cwd: string): Promise<void> {
  await writeFileNew(resolve(cwd, GITIGNORE), GITIGNORE_TEXT, { mode: 0o644 }).catch(() => undefined);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, "utf8").trim(); // a small file: no thread-pool round trip
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fromFsError(error, "read the project dev key", path);
  }
}
