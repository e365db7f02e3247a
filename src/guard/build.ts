/**
 * Building a Guard evidence pack (CONTRACTS.md §7.2): the pure assembly (derived documents →
 * copied evidence → control index → evidence pointers → manifest with pack_id and signature),
 * then the I/O edge that reads and checks the inputs, signs, writes
 * `evidence_pack_<pack_id>.zip` atomically and re-verifies the written file. Same inputs and key
 * → byte-identical zip (every date is the run's, entries sorted, deterministic zip and Ed25519).
 */
import { dirname, join, resolve } from "node:path";
import { canonicalize } from "../contract/canonical.ts";
import { writeFileAtomic } from "../contract/files.ts";
import { type KeyIo, resolveSigningKey, type SigningKeyRequest } from "../contract/keys.ts";
import { showPath } from "../contract/paths.ts";
import { type SigningKey, signJson, verifyKeyFor } from "../contract/signing.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { packZip } from "../pack/index.ts";
import { readRunpack, resolveRunpackPath } from "../runpack/index.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import {
  readApprovalAudits,
  readInputFile,
  readInventories,
  readRegressResults,
  readTraces,
  type TraceKeys,
} from "./inputs.ts";
import { buildGuardManifest, evidencePointersFor, guardContents } from "./manifest.ts";
import {
  type ApprovalAuditInput,
  type DocumentHead,
  type InventoryInput,
  inventoryCoverage,
  type RegressInput,
  type RunpackInput,
  summarizeRegress,
  summarizeRunpack,
  summarizeTraces,
  type TraceInput,
} from "./summaries.ts";
import {
  type ControlIndex,
  type EvidencePointers,
  GUARD_SCHEMA_VERSION,
  type GuardControl,
  type GuardFile,
  GuardFiles,
  type GuardPackManifest,
  GuardSchemaIds,
  type InventoryCoverage,
  type RegressSummary,
  type RunpackSummary,
  type TraceSummary,
} from "./types.ts";
import { verifyEvidencePack } from "./verify.ts";

/** What a pack is made of, read and checked (see inputs.ts). */
export interface EvidenceSources {
  runpack: RunpackInput;
  traces: readonly TraceInput[];
  regress: readonly RegressInput[];
  /** Copied into the pack byte for byte, as inventory_snapshot_NN.json. */
  inventories: ReadonlyArray<{ data: Buffer; input: InventoryInput }>;
  /** Copied into the pack byte for byte, as approval_audit_NN.json. */
  approvalAudits: ReadonlyArray<{ data: Buffer; input: ApprovalAuditInput }>;
  caseId?: string | undefined;
  /** Default: this build's version. */
  producerVersion?: string | undefined;
}

export interface EvidenceDocuments {
  runpack: RunpackSummary;
  traces: TraceSummary;
  regress: RegressSummary;
  /** Only when inventory snapshots were given. */
  coverage?: InventoryCoverage;
  controls: GuardControl[];
}

export interface AssembledEvidencePack {
  manifest: GuardPackManifest;
  /** Every entry of the zip, the manifest included. */
  files: GuardFile[];
  documents: EvidenceDocuments;
}

const jcsFile = (path: string, value: unknown): GuardFile => ({
  path,
  data: Buffer.from(canonicalize(value), "utf8"),
});

/** The controls the entries evidence: one per kind of evidence the pack holds. */
function controlsFor(sources: EvidenceSources): GuardControl[] {
  const controls: GuardControl[] = [
    {
      control_id: "gait.run.integrity",
      title: "Run record integrity: the runpack verified, its intents and results counted",
      evidence_paths: [GuardFiles.runpackSummary],
    },
    {
      control_id: "gait.gate.decisions",
      title: "Tool calls decided by policy: signed gate traces by verdict and reason code",
      evidence_paths: [GuardFiles.traceSummary],
    },
  ];
  if (sources.approvalAudits.length > 0) {
    controls.push({
      control_id: "gait.gate.approvals",
      title: "Approvals for gated tool calls: approval audit records",
      evidence_paths: [...sources.approvalAudits.map((a) => a.input.entry), GuardFiles.traceSummary],
    });
  }
  controls.push({
    control_id: "gait.regress",
    title: "Regression checks on recorded runs: pass and fail per grader",
    evidence_paths: [GuardFiles.regressSummary],
  });
  if (sources.inventories.length > 0) {
    controls.push({
      control_id: "gait.scout.inventory",
      title: "Tool inventory and coverage: the tools used against the inventory",
      evidence_paths: [...sources.inventories.map((i) => i.input.entry), GuardFiles.inventoryCoverage],
    });
  }
  return controls;
}

/** Pure: the pack's entries and its (signed, when a key is given) manifest. */
export function assembleEvidencePack(sources: EvidenceSources, key?: SigningKey): AssembledEvidencePack {
  const { run } = sources.runpack.runpack;
  const head: DocumentHead = {
    run_id: run.run_id,
    created_at: run.created_at,
    producer_version: sources.producerVersion ?? PRODUCER_VERSION,
  };
  const documents: EvidenceDocuments = {
    runpack: summarizeRunpack(head, sources.runpack),
    traces: summarizeTraces(
      head,
      sources.traces,
      sources.approvalAudits.map((a) => a.input),
    ),
    regress: summarizeRegress(head, sources.regress),
    controls: controlsFor(sources),
  };
  const files: GuardFile[] = [
    jcsFile(GuardFiles.runpackSummary, documents.runpack),
    jcsFile(GuardFiles.traceSummary, documents.traces),
    jcsFile(GuardFiles.regressSummary, documents.regress),
    ...sources.approvalAudits.map((a) => ({ path: a.input.entry, data: a.data })),
    ...sources.inventories.map((i) => ({ path: i.input.entry, data: i.data })),
  ];
  if (sources.inventories.length > 0) {
    const used = [...documents.runpack.tools, ...Object.keys(documents.traces.by_tool)];
    documents.coverage = inventoryCoverage(
      head,
      sources.inventories.map((i) => i.input),
      used,
    );
    files.push(jcsFile(GuardFiles.inventoryCoverage, documents.coverage));
  }
  const documentHead = {
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: head.created_at,
    producer_version: head.producer_version,
    run_id: head.run_id,
  };
  const controlIndex: ControlIndex = {
    schema_id: GuardSchemaIds.controlIndex,
    ...documentHead,
    controls: documents.controls,
  };
  files.push(jcsFile(GuardFiles.controlIndex, controlIndex));
  const pointers = evidencePointersFor(guardContents(files));
  const pointerDoc: EvidencePointers = {
    schema_id: GuardSchemaIds.evidencePointers,
    ...documentHead,
    pointers,
  };
  files.push(jcsFile(GuardFiles.evidencePointers, pointerDoc));
  const manifest = buildGuardManifest(
    {
      runId: head.run_id,
      createdAt: head.created_at,
      producerVersion: head.producer_version,
      caseId: sources.caseId,
      controls: documents.controls,
      pointers,
      files,
    },
    key ? (signable) => signJson(key, signable) : undefined,
  );
  files.push(jcsFile(GuardFiles.manifest, manifest));
  return { manifest, files, documents };
}

// ---------------------------------------------------------------------------------------------
// The I/O edge

export interface EvidencePackRequest {
  /** run_id or runpack path. */
  run: string;
  traces?: readonly string[] | undefined;
  regress?: readonly string[] | undefined;
  inventories?: readonly string[] | undefined;
  approvalAudits?: readonly string[] | undefined;
  caseId?: string | undefined;
  /** Output path (relative to cwd); default `evidence_pack_<pack_id>.zip` beside the runpack. */
  out?: string | undefined;
  /** Key mode and sources; omitted → unsigned. */
  signing?: SigningKeyRequest | undefined;
  /** Keys the traces' signatures are checked with (without, signed traces are `skipped`). */
  traceKeys?: TraceKeys | undefined;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  warn?: ((message: string) => void) | undefined;
}

export interface BuiltEvidencePack {
  /** Absolute path of the written zip. */
  path: string;
  /** The path as the user would type it. */
  shownPath: string;
  manifest: GuardPackManifest;
  documents: EvidenceDocuments;
  signatureStatus: "signed" | "missing";
  signatureKeyId?: string;
  warnings: string[];
}

/** Reads and checks the inputs, assembles, signs, writes and re-verifies an evidence pack. */
export async function buildEvidencePack(request: EvidencePackRequest): Promise<BuiltEvidencePack> {
  const { cwd } = request;
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    request.warn?.(message);
  };
  const runpackPath = resolveRunpackPath(request.run, { cwd, env: request.env });
  // The zip reader's own limits bound a runpack (entry and total sizes).
  const runpack = await readInputFile(cwd, runpackPath, "runpack", Number.POSITIVE_INFINITY);
  const loaded = await readRunpack(runpack.data);
  const sources: EvidenceSources = {
    runpack: {
      runpack: loaded.runpack,
      signatureStatus: loaded.verification.signature_status,
      source: runpack.source,
    },
    traces: await readTraces(cwd, request.traces ?? [], request.traceKeys ?? {}, warn),
    regress: await readRegressResults(cwd, request.regress ?? [], warn),
    inventories: await readInventories(cwd, request.inventories ?? [], warn),
    approvalAudits: await readApprovalAudits(cwd, request.approvalAudits ?? [], warn),
    caseId: request.caseId,
  };
  const io: KeyIo = { env: request.env, cwd };
  const signing = request.signing ? await resolveSigningKey(request.signing, io) : undefined;
  for (const warning of signing?.warnings ?? []) warn(warning);
  const key = signing?.key;
  const { manifest, files, documents } = assembleEvidencePack(sources, key);
  // The reference's default: beside the runpack, `evidence_pack_` + the pack_id (itself `pack_…`).
  const path = request.out
    ? resolve(cwd, request.out)
    : join(dirname(runpackPath), `evidence_pack_${manifest.pack_id}.zip`);
  const inputs = [
    runpackPath,
    ...[request.traces, request.regress, request.inventories, request.approvalAudits].flatMap((list) =>
      (list ?? []).map((given) => resolve(cwd, given)),
    ),
  ];
  if (inputs.includes(path)) {
    throw invalidInput("guard_output_is_input", `--out ${showPath(cwd, path)} is one of the pack's inputs`, {
      hint: "write the pack to another path (default: evidence_pack_<pack_id>.zip beside the runpack)",
    });
  }
  await writeFileAtomic(path, await packZip(files), { mode: 0o600 });
  const check = await verifyEvidencePack(
    path,
    key ? { verifyKey: verifyKeyFor(key), requireSignature: true } : {},
  );
  if (!check.ok) {
    throw verificationFailed("guard_verify_failed", `written evidence pack ${path} failed re-verification`, {
      hint: "the written file does not match what was built; check the disk and retry",
    });
  }
  return {
    path,
    shownPath: showPath(cwd, path),
    manifest,
    documents,
    signatureStatus: key ? "signed" : "missing",
    ...(key ? { signatureKeyId: key.keyId } : {}),
    warnings,
  };
}
