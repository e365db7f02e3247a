/**
 * Building packs: the pure assembly (payload entries → proof records → manifest with pack_id and
 * signature), then the I/O edge that reads the source, signs, writes `pack_<pack_id>.zip`
 * atomically and re-verifies the written file. Same inputs and key → byte-identical zip (fixed
 * times, sorted entries, deterministic Ed25519).
 */
import { resolve } from "node:path";
import { canonicalize, sha256Hex } from "../contract/canonical.ts";
import { type KeyIo, resolveSigningKey, type SigningKeyRequest } from "../contract/keys.ts";
import { showPath } from "../contract/paths.ts";
import { type SigningKey, signJson, verifyKeyFor } from "../contract/signing.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { readRunpack, resolveRunpackPath, runpackZip } from "../runpack/index.ts";
import { writeArtifactAtomic } from "../store/index.ts";
import { packZip } from "./archive.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { buildPackManifest } from "./manifest.ts";
import { type JobPackSource, jobPackFiles, runPackFiles } from "./payload.ts";
import { buildProofRecords } from "./proof.ts";
import { type PackFile, PackFiles, type PackManifest, type PackType } from "./types.ts";
import { verifyPack } from "./verify.ts";

export interface PackSubject {
  packType: PackType;
  sourceRef: string;
  /** Default: this build's version. */
  producerVersion?: string;
}

export interface AssembledPack {
  manifest: PackManifest;
  /** Every entry of the zip, the manifest included. */
  files: PackFile[];
}

/** Pure: adds the proof records and the (signed, when a key is given) manifest to the payload entries. */
export function assemblePack(
  subject: PackSubject,
  payload: readonly PackFile[],
  key?: SigningKey,
): AssembledPack {
  const producerVersion = subject.producerVersion ?? PRODUCER_VERSION;
  const proof = buildProofRecords(
    { packType: subject.packType, sourceRef: subject.sourceRef, producerVersion },
    payload.map((file) => ({ path: file.path, sha256: sha256Hex(file.data), size: file.data.length })),
    key,
  );
  const files = [...payload, { path: PackFiles.proofRecords, data: Buffer.from(proof, "utf8") }];
  const manifest = buildPackManifest(
    { packType: subject.packType, sourceRef: subject.sourceRef, producerVersion, files },
    key ? (signable) => signJson(key, signable) : undefined,
  );
  return {
    manifest,
    files: [...files, { path: PackFiles.manifest, data: Buffer.from(canonicalize(manifest), "utf8") }],
  };
}

// ---------------------------------------------------------------------------------------------
// The I/O edge

export interface BuildPackOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Output path; default `./gait-out/pack_<pack_id>.zip` (relative to cwd). */
  out?: string | undefined;
  /** Key mode and sources; omitted → unsigned. */
  signing?: SigningKeyRequest | undefined;
}

export interface BuiltPack {
  /** Absolute path of the written zip. */
  path: string;
  /** The path as the user would type it. */
  shownPath: string;
  manifest: PackManifest;
  signatureStatus: "signed" | "missing";
  signatureKeyId?: string;
  warnings: string[];
}

/** Builds a run pack from a runpack (`<run_id|path>`, verified first). */
export async function buildRunPack(ref: string, options: BuildPackOptions): Promise<BuiltPack> {
  const source = resolveRunpackPath(ref, options);
  const { runpack, entries } = await readRunpack(source);
  const payload = runPackFiles(runpack, await runpackZip(entries));
  return writePack({ packType: "run", sourceRef: runpack.run.run_id }, payload, options, source);
}

/** Builds a job pack from a job's state and events (see JobPackSource). */
export async function buildJobPack(source: JobPackSource, options: BuildPackOptions): Promise<BuiltPack> {
  return writePack({ packType: "job", sourceRef: source.job_id }, jobPackFiles(source), options);
}

async function writePack(
  subject: PackSubject,
  payload: readonly PackFile[],
  options: BuildPackOptions,
  inputPath?: string,
): Promise<BuiltPack> {
  const io: KeyIo = { env: options.env, cwd: options.cwd };
  const signing = options.signing ? await resolveSigningKey(options.signing, io) : undefined;
  const key = signing?.key;
  const { manifest, files } = assemblePack(subject, payload, key);
  const path = resolve(options.cwd, options.out ?? `gait-out/pack_${manifest.pack_id}.zip`);
  if (inputPath !== undefined && resolve(inputPath) === path) {
    throw invalidInput("pack_output_is_input", `--out ${showPath(options.cwd, path)} is the input runpack`, {
      hint: "write the pack to another path (default ./gait-out/pack_<pack_id>.zip)",
    });
  }
  const zip = await packZip(files);
  const written = await writeArtifactAtomic(path, zip, { mode: 0o600 });
  // An encrypted store holds only the recipients' public keys: the bytes encrypted are checked.
  const check = await verifyPack(
    written === path ? path : zip,
    key ? { verifyKey: verifyKeyFor(key), requireSignature: true } : {},
  );
  if (!check.ok) {
    throw verificationFailed("pack_verify_failed", `written pack ${path} failed re-verification`, {
      hint: "the written file does not match what was built; check the disk and retry",
    });
  }
  return {
    path: written,
    shownPath: showPath(options.cwd, written),
    manifest,
    signatureStatus: key ? "signed" : "missing",
    ...(key ? { signatureKeyId: key.keyId } : {}),
    warnings: signing?.warnings ?? [],
  };
}
