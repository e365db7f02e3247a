/**
 * `gait verify session-chain`: offline verification of a session chain (`gait.runpack.session_chain`).
 * Links: checkpoint indexes 1, 2, 3..., sequences contiguous from 1, each `prev_checkpoint_digest`
 * naming the previous checkpoint's digest and each `checkpoint_digest` recomputed from its fields
 * (CONTRACTS.md §8). Checkpoints: each runpack verifies (hashes, manifest digest, signatures), its
 * manifest digest is the one the checkpoint names, its run id is `<run_id>_cp_NNNN` and it holds
 * one intent per sequence number of the range. Any finding makes the chain fail (exit 2).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError, isGaitError } from "../contract/errors.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { type ErrorFactory, FieldReader } from "./input.ts";
import { readRunpack } from "./read.ts";
import { checkpointRunId, digestOf, parseCheckpoint } from "./session-journal.ts";
import { type SessionChain, type SessionCheckpoint, SessionSchemaIds } from "./session-types.ts";
import { RUNPACK_SCHEMA_VERSION } from "./types.ts";
import { type SignatureStatus, type VerifyOptions, verifyRunpack } from "./verify.ts";

export interface CheckpointCheck {
  checkpoint_index: number;
  runpack_path: string;
  ok: boolean;
  signature_status?: SignatureStatus;
}

export interface SessionChainVerification {
  ok: boolean;
  session_id: string;
  run_id: string;
  checkpoints_checked: number;
  linkage_errors: string[];
  checkpoint_errors: string[];
  checkpoints: CheckpointCheck[];
}

/** Reads a chain file strictly; anything that is not a session chain is invalid input (exit 6). */
export async function readSessionChain(path: string, shown: string): Promise<SessionChain> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw fromFsError(error, "read session chain", path);
  }
  return parseSessionChain(text, shown);
}

export function parseSessionChain(text: string, where: string): SessionChain {
  const fail: ErrorFactory = (code, message) =>
    invalidInput(
      code === "runpack_input_invalid" || code === "invalid_json" || code === "session_journal_invalid"
        ? "session_chain_invalid"
        : code,
      message,
      {
        hint: "pass the <journal>_chain.json written by gait run session checkpoint",
      },
    );
  let value: unknown;
  try {
    value = parseJsonStrict(text, where);
  } catch (error) {
    throw fail("session_chain_invalid", error instanceof Error ? error.message : String(error));
  }
  if (!isJsonObject(value)) throw fail("session_chain_invalid", `${where}: expected a JSON object`);
  const reader = new FieldReader(value, where, fail);
  for (const key of Object.keys(value)) {
    if (!CHAIN_KEYS.includes(key))
      throw reader.error("session_chain_invalid", `unknown member ${JSON.stringify(key)}`);
  }
  if (reader.string("schema_id") !== SessionSchemaIds.chain)
    throw reader.error("session_chain_invalid", `schema_id must be ${SessionSchemaIds.chain}`);
  if (reader.string("schema_version") !== RUNPACK_SCHEMA_VERSION)
    throw reader.error("session_chain_invalid", `schema_version must be ${RUNPACK_SCHEMA_VERSION}`);
  const checkpoints = reader
    .array("checkpoints")
    .map((item, i) => parseCheckpoint(reader.at(i, item, "checkpoints")));
  if (checkpoints.length === 0) throw reader.error("session_chain_invalid", "checkpoints must not be empty");
  const required = (key: string) => {
    const v = reader.string(key);
    if (v === "") throw reader.error("session_chain_invalid", `${key} is required`);
    return v;
  };
  return {
    schema_id: SessionSchemaIds.chain,
    schema_version: RUNPACK_SCHEMA_VERSION,
    created_at: reader.timeText("created_at") || required("created_at"),
    producer_version: reader.string("producer_version"),
    session_id: required("session_id"),
    run_id: required("run_id"),
    checkpoints,
  };
}

const CHAIN_KEYS = [
  "schema_id",
  "schema_version",
  "created_at",
  "producer_version",
  "session_id",
  "run_id",
  "checkpoints",
];

/** The pure half: every broken link, in chain order. */
export function chainLinkErrors(chain: SessionChain): string[] {
  const errors: string[] = [];
  chain.checkpoints.forEach((checkpoint, i) => {
    const previous = chain.checkpoints[i - 1];
    const at = `checkpoint ${i + 1}`;
    if (checkpoint.checkpoint_index !== i + 1)
      errors.push(`${at}: checkpoint_index is ${checkpoint.checkpoint_index}, expected ${i + 1}`);
    if (checkpoint.session_id !== chain.session_id || checkpoint.run_id !== chain.run_id)
      errors.push(
        `${at}: belongs to session ${checkpoint.session_id}/${checkpoint.run_id}, not ${chain.session_id}/${chain.run_id}`,
      );
    const start = (previous?.sequence_end ?? 0) + 1;
    if (checkpoint.sequence_start !== start)
      errors.push(
        `${at}: sequence_start is ${checkpoint.sequence_start}, expected ${start} (sequences must be contiguous)`,
      );
    if (checkpoint.sequence_end < checkpoint.sequence_start)
      errors.push(
        `${at}: sequence_end ${checkpoint.sequence_end} is before sequence_start ${checkpoint.sequence_start}`,
      );
    const prev = (checkpoint.prev_checkpoint_digest ?? "").toLowerCase();
    const expectedPrev = (previous?.checkpoint_digest ?? "").toLowerCase();
    if (prev !== expectedPrev)
      errors.push(
        previous
          ? `${at}: prev_checkpoint_digest ${prev || "(none)"} does not match checkpoint ${i}'s digest ${expectedPrev}`
          : `${at}: the first checkpoint has a prev_checkpoint_digest (${prev}); the chain's start is missing`,
      );
    const digest = digestOf(checkpoint);
    if (checkpoint.checkpoint_digest.toLowerCase() !== digest)
      errors.push(
        `${at}: checkpoint_digest ${checkpoint.checkpoint_digest} does not match its fields (recomputed ${digest})`,
      );
  });
  return errors;
}

export interface SessionChainRequest {
  /** Absolute path of the chain file. */
  chainPath: string;
  /** The chain as read. */
  chain: SessionChain;
  cwd: string;
  verify: VerifyOptions;
}

export async function verifySessionChain(request: SessionChainRequest): Promise<SessionChainVerification> {
  const { chain } = request;
  const linkageErrors = chainLinkErrors(chain);
  const checkpointErrors: string[] = [];
  const checks: CheckpointCheck[] = [];
  for (const checkpoint of chain.checkpoints) {
    const found = await checkCheckpoint(checkpoint, chain, request);
    checks.push(found.check);
    checkpointErrors.push(...found.errors);
  }
  return {
    ok: linkageErrors.length === 0 && checkpointErrors.length === 0,
    session_id: chain.session_id,
    run_id: chain.run_id,
    checkpoints_checked: checks.length,
    linkage_errors: linkageErrors,
    checkpoint_errors: checkpointErrors,
    checkpoints: checks,
  };
}

/**
 * A relative runpack_path is relative to the chain's directory (where we write it); a reference
 * chain may name it relative to the directory it was made in, so the working directory is tried
 * next. Either way the runpack must carry the manifest digest the checkpoint names.
 */
export function checkpointRunpackPath(runpackPath: string, chainPath: string, cwd: string): string {
  if (isAbsolute(runpackPath)) return runpackPath;
  const beside = resolve(dirname(chainPath), runpackPath);
  if (existsSync(beside)) return beside;
  const fromCwd = resolve(cwd, runpackPath);
  return existsSync(fromCwd) ? fromCwd : beside;
}

async function checkCheckpoint(
  checkpoint: SessionCheckpoint,
  chain: SessionChain,
  request: SessionChainRequest,
): Promise<{ check: CheckpointCheck; errors: string[] }> {
  const at = `checkpoint ${checkpoint.checkpoint_index}`;
  const errors: string[] = [];
  const check: CheckpointCheck = {
    checkpoint_index: checkpoint.checkpoint_index,
    runpack_path: checkpoint.runpack_path,
    ok: false,
  };
  const path = checkpointRunpackPath(checkpoint.runpack_path, request.chainPath, request.cwd);
  if (!existsSync(path)) return { check, errors: [`${at}: runpack ${checkpoint.runpack_path} not found`] };
  try {
    const verification = await verifyRunpack(path, request.verify);
    check.signature_status = verification.signature_status;
    if (!verification.ok)
      errors.push(
        `${at}: runpack ${checkpoint.runpack_path} failed verification (${runpackFindings(verification)})`,
      );
    if (verification.manifest_digest.toLowerCase() !== checkpoint.manifest_digest.toLowerCase())
      errors.push(
        `${at}: runpack manifest_digest ${verification.manifest_digest} is not the checkpoint's ${checkpoint.manifest_digest}`,
      );
    const runId = checkpointRunId(chain.run_id, checkpoint.checkpoint_index);
    if (verification.run_id !== runId)
      errors.push(`${at}: runpack run_id is ${verification.run_id}, expected ${runId}`);
    if (verification.ok) {
      const { runpack } = await readRunpack(path, request.verify);
      const expected = checkpoint.sequence_end - checkpoint.sequence_start + 1;
      if (runpack.intents.length !== expected)
        errors.push(
          `${at}: runpack holds ${runpack.intents.length} intents for sequences ${checkpoint.sequence_start}-${checkpoint.sequence_end} (${expected})`,
        );
    }
  } catch (error) {
    if (!isGaitError(error)) throw error;
    errors.push(`${at}: runpack ${checkpoint.runpack_path}: ${error.message}`);
  }
  check.ok = errors.length === 0;
  return { check, errors };
}

function runpackFindings(v: Awaited<ReturnType<typeof verifyRunpack>>): string {
  const parts: string[] = [];
  if (v.missing_files.length > 0) parts.push(`missing files: ${v.missing_files.join(", ")}`);
  if (v.hash_mismatches.length > 0)
    parts.push(`hash mismatches: ${v.hash_mismatches.map((m) => m.path).join(", ")}`);
  if (v.undeclared_files.length > 0) parts.push(`undeclared files: ${v.undeclared_files.join(", ")}`);
  if (parts.length === 0) parts.push(`signature ${v.signature_status}`);
  return parts.join("; ");
}

export interface SessionCheckpointSource {
  /** Absolute path of the checkpoint's runpack. */
  runpackPath: string;
  checkpoint: SessionCheckpoint;
}

/**
 * The runpack of one checkpoint of a chain (`latest` or its index), after the whole chain has
 * verified: a fixture or capture is never taken from a broken chain.
 */
export async function sessionCheckpointSource(
  request: Omit<SessionChainRequest, "chain"> & { checkpoint: string; shown: string },
): Promise<SessionCheckpointSource> {
  const chain = await readSessionChain(request.chainPath, request.shown);
  const wanted = request.checkpoint.trim().toLowerCase();
  const checkpoint =
    wanted === "latest"
      ? chain.checkpoints.at(-1)
      : chain.checkpoints.find((c) => String(c.checkpoint_index) === wanted);
  if (!checkpoint)
    throw invalidInput(
      "session_checkpoint_not_found",
      `${request.shown} has no checkpoint ${JSON.stringify(request.checkpoint)} (it has 1-${chain.checkpoints.length})`,
      { hint: "pass --checkpoint latest or the index of one of the chain's checkpoints" },
    );
  const verification = await verifySessionChain({ ...request, chain });
  if (!verification.ok)
    throw verificationFailed(
      "session_chain_broken",
      `session chain ${request.shown} is broken: ${[...verification.linkage_errors, ...verification.checkpoint_errors].join("; ")}`,
      { hint: `run gait verify session-chain ${request.shown} for the full report` },
    );
  return {
    runpackPath: checkpointRunpackPath(checkpoint.runpack_path, request.chainPath, request.cwd),
    checkpoint,
  };
}
