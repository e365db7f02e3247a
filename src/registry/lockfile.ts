/**
 * `gait.lock`: the packs a project installed (name, version, metadata digest, source, artifact
 * digests), sorted by name, canonical JSON pretty-printed so diffs stay readable. Written
 * atomically on install; `--frozen` installs exactly what it says.
 */
import { readFile } from "node:fs/promises";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { invalidInput } from "./error-codes.ts";
import { PACK_NAME, PACK_VERSION } from "./manifest.ts";
import { LOCK_SCHEMA_ID, type LockEntry, type Lockfile, SCHEMA_VERSION } from "./types.ts";

export const LOCKFILE_NAME = "gait.lock";
const MAX_LOCK_BYTES = 4 * 1024 * 1024;
const HEX = /^[a-f0-9]{64}$/;

export function emptyLockfile(): Lockfile {
  return { schema_id: LOCK_SCHEMA_ID, schema_version: SCHEMA_VERSION, packs: [] };
}

function lockError(path: string, message: string) {
  return invalidInput("registry_lockfile_invalid", `${path}: ${message}`, {
    hint: "restore gait.lock from version control, or delete it and install again",
  });
}

/** The lockfile at `path`, or an empty one when it does not exist. */
export async function readLockfile(path: string): Promise<{ lock: Lockfile; found: boolean }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { lock: emptyLockfile(), found: false };
    throw fromFsError(error, "read lockfile", path);
  }
  if (text.length > MAX_LOCK_BYTES) throw lockError(path, "is too large");
  return { lock: parseLockfile(text, path), found: true };
}

export function parseLockfile(text: string, path: string): Lockfile {
  let doc: unknown;
  try {
    doc = parseJsonStrict(text, path);
  } catch (error) {
    throw lockError(path, (error as Error).message);
  }
  if (!isJsonObject(doc) || doc.schema_id !== LOCK_SCHEMA_ID || doc.schema_version !== SCHEMA_VERSION) {
    throw lockError(path, `is not a ${LOCK_SCHEMA_ID} ${SCHEMA_VERSION} document`);
  }
  if (!Array.isArray(doc.packs)) throw lockError(path, "packs must be a list");
  const names = new Set<string>();
  const packs = doc.packs.map((entry): LockEntry => {
    if (!isJsonObject(entry)) throw lockError(path, "an entry is not an object");
    const { pack_name: name, pack_version: version, digest, source, publisher, artifacts } = entry;
    if (typeof name !== "string" || !PACK_NAME.test(name))
      throw lockError(path, "an entry has no valid pack_name");
    if (typeof version !== "string" || !PACK_VERSION.test(version))
      throw lockError(path, `${name}: bad pack_version`);
    if (typeof digest !== "string" || !HEX.test(digest)) throw lockError(path, `${name}: bad digest`);
    if (typeof source !== "string") throw lockError(path, `${name}: source is required`);
    if (names.has(name)) throw lockError(path, `${name} is listed twice`);
    names.add(name);
    if (!Array.isArray(artifacts)) throw lockError(path, `${name}: artifacts must be a list`);
    const out: LockEntry = {
      pack_name: name,
      pack_version: version,
      digest,
      source,
      artifacts: artifacts.map((a) => {
        if (
          !isJsonObject(a) ||
          typeof a.path !== "string" ||
          typeof a.sha256 !== "string" ||
          !HEX.test(a.sha256)
        ) {
          throw lockError(path, `${name}: every artifact needs a path and a sha256`);
        }
        return { path: a.path, sha256: a.sha256 };
      }),
    };
    if (typeof publisher === "string") out.publisher = publisher;
    return out;
  });
  return { schema_id: LOCK_SCHEMA_ID, schema_version: SCHEMA_VERSION, packs };
}

export function withLockEntry(lock: Lockfile, entry: LockEntry): Lockfile {
  const packs = lock.packs.filter((p) => p.pack_name !== entry.pack_name);
  packs.push(entry);
  packs.sort((a, b) => (a.pack_name < b.pack_name ? -1 : a.pack_name > b.pack_name ? 1 : 0));
  return { ...lock, packs };
}

export async function writeLockfile(path: string, lock: Lockfile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(lock, null, 2)}\n`, { mode: 0o644 });
}
